"""Random numbers: a seeded global generator (``nf.manual_seed``) and ``nf.Generator``."""

from __future__ import annotations

import numpy as np

from .backend import CPU, Device, to_device


class Generator:
    """A source of random numbers with its own seed and state (PCG64 underneath)."""

    def __init__(self, device="cpu"):
        self.device = Device(device)
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        """Reset to a fixed seed; the same seed gives the same numbers."""
        seed = int(seed)
        if seed < 0:
            seed = seed % (2**64)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's full state (restore it with ``set_state``)."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state) -> "Generator":
        self._seed = state["seed"]
        self._rng.bit_generator.state = state["bit_generator"]
        return self

    # Sampling: numpy on the host, moved to the device asked for.
    def _out(self, arr, device):
        return arr if device is None or Device(device) == CPU else to_device(arr, Device(device))

    def normal(self, mean, std, shape, dtype, device=None):
        _floating_only(dtype, "normal")
        arr = self._rng.standard_normal(shape, dtype=np.float64 if np.dtype(dtype) != np.float32 else np.float32)
        if std != 1:
            arr *= std
        if mean != 0:
            arr += mean
        return self._out(arr.astype(dtype, copy=False), device)

    def uniform(self, low, high, shape, dtype, device=None):
        _floating_only(dtype, "uniform")
        arr = self._rng.random(shape, dtype=np.float64 if np.dtype(dtype) != np.float32 else np.float32)
        if (low, high) != (0, 1):
            arr = arr * (high - low) + low
        arr = arr.astype(dtype, copy=False)
        if high > low:  # rounding to a narrower dtype must not reach the open upper bound
            np.minimum(arr, np.nextafter(np.asarray(high, dtype), np.asarray(low, dtype)), out=arr)
        return self._out(arr, device)

    def integers(self, low, high, shape, device=None, dtype=np.int64):
        return self._out(self._rng.integers(low, high, shape, dtype=np.int64).astype(dtype, copy=False), device)

    def permutation(self, n, device=None):
        return self._out(self._rng.permutation(n).astype(np.int64), device)

    @property
    def numpy_generator(self) -> np.random.Generator:
        """The numpy generator underneath (for code that samples with numpy directly)."""
        return self._rng


def _floating_only(dtype, what):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        from .dtypes import from_numpy

        raise NotImplementedError(
            f"{what} sampling is not implemented for '{from_numpy(dtype)}' "
            "(use a floating dtype, or randint for integers)"
        )


default_generator = Generator()
default_generator.manual_seed(np.random.SeedSequence().entropy % (2**63))


def resolve(generator: Generator | None) -> Generator:
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: every random op after it repeats exactly."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state."""
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
