"""``nf.cuda``: what PyTorch's ``torch.cuda`` answers, told truthfully through CuPy.

NumpyFlow's GPU is CuPy's: ``is_available()`` is true when CuPy is installed and sees a
GPU.  Without one, each function does what PyTorch does on a machine without a GPU:

- questions with a harmless answer answer it: ``is_available()`` is False,
  ``device_count()`` and the memory counters are 0, ``is_bf16_supported()`` is False;
- requests that only make sense for a GPU (``empty_cache``, ``manual_seed``) do nothing;
- questions about a particular GPU (``current_device``, ``get_device_name``,
  ``synchronize``, ...) raise ``RuntimeError`` naming the caller, the convention of every
  NumpyFlow call that needs a missing CUDA device (PyTorch's CPU-only build raises
  ``AssertionError("Torch not compiled with CUDA enabled")`` there; its CUDA build on a
  machine without a GPU raises ``RuntimeError``).

With a GPU the answers come from CuPy: the device count and properties from the CUDA
runtime, the memory counters from CuPy's default memory pool.  NumpyFlow has one random
generator (CUDA tensors draw on the host and move), so seeding CUDA seeds that one.
"""

from __future__ import annotations

from collections import namedtuple

from . import random as _random
from .backend import Device, cuda_available, cupy

__all__ = [
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_capability",
    "get_device_name",
    "get_device_properties",
    "is_available",
    "is_bf16_supported",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "max_memory_reserved",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "seed",
    "seed_all",
    "set_device",
    "synchronize",
]


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return cuda_available()


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    if not cuda_available():
        return 0
    return int(cupy.cuda.runtime.getDeviceCount())


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: NumpyFlow has no bfloat16 dtype on any device."""
    return False


def missing_cuda(who: str) -> RuntimeError:
    """The error a call that needs a GPU raises on a machine without one."""
    why = "CuPy is not installed (pip install cupy-cuda12x)" if cupy is None else "CuPy is installed but finds no GPU"
    return RuntimeError(
        f"{who}: CUDA is not available: NumpyFlow's CUDA tensors need CuPy and a GPU, and {why}; "
        "check nf.cuda.is_available() first, or use device='cpu' on this machine"
    )


def _index(device, who: str) -> int:
    """The GPU index ``device`` (None, an int, a string or an ``nf.device``) names; raises
    when there is no GPU or no such GPU."""
    if not cuda_available():
        raise missing_cuda(who)
    if device is None:
        return int(cupy.cuda.runtime.getDevice())
    if isinstance(device, bool) or not isinstance(device, (int, str, Device)):
        raise ValueError(f"{who}: expected a cuda device, an index or None, but got {type(device).__name__}")
    if isinstance(device, int):
        index = device
    else:
        d = Device(device)
        if d.type != "cuda":
            raise ValueError(f"{who}: expected a cuda device, but got {d}")
        index = d.index
    count = device_count()
    if not 0 <= index < count:
        raise RuntimeError(f"{who}: invalid device cuda:{index}: this machine has {count} GPU(s)")
    return index


def current_device() -> int:
    """The index of the GPU new CUDA tensors go to."""
    return _index(None, "cuda.current_device")


def set_device(device) -> None:
    """Make ``device`` the current GPU."""
    index = _index(device, "cuda.set_device")
    cupy.cuda.runtime.setDevice(index)


def get_device_name(device=None) -> str:
    """The GPU's name, as the CUDA runtime reports it."""
    return _properties(_index(device, "cuda.get_device_name")).name


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability ``(major, minor)``."""
    p = _properties(_index(device, "cuda.get_device_capability"))
    return p.major, p.minor


_DeviceProperties = namedtuple("_DeviceProperties", "name major minor total_memory multi_processor_count")


def get_device_properties(device=None):
    """The GPU's ``name``, ``major``, ``minor``, ``total_memory`` (bytes) and
    ``multi_processor_count``."""
    return _properties(_index(device, "cuda.get_device_properties"))


def _properties(index: int) -> _DeviceProperties:
    p = cupy.cuda.runtime.getDeviceProperties(index)
    name = p["name"]
    return _DeviceProperties(
        name.decode() if isinstance(name, bytes) else str(name),
        int(p["major"]),
        int(p["minor"]),
        int(p["totalGlobalMem"]),
        int(p["multiProcessorCount"]),
    )


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the GPU has finished."""
    index = _index(device, "cuda.synchronize")
    with cupy.cuda.Device(index):
        cupy.cuda.runtime.deviceSynchronize()


# -- memory: CuPy's default pool ----------------------------------------------------------------
#
# The pool keeps the blocks it has reserved until ``free_all_blocks`` (``empty_cache``), so
# between two ``empty_cache`` calls its ``total_bytes`` only grows: reading it before each
# release keeps the exact peak of reserved memory.  The pool keeps no peak of the bytes in
# use, so ``max_memory_allocated`` reports that peak of reserved memory, an upper bound.

_peak_reserved: dict[int, int] = {}


def _pool_bytes(index: int) -> tuple[int, int]:
    """``(used, reserved)`` bytes of CuPy's default pool on GPU ``index``; updates the peak."""
    with cupy.cuda.Device(index):
        pool = cupy.get_default_memory_pool()
        used, reserved = int(pool.used_bytes()), int(pool.total_bytes())
    _peak_reserved[index] = max(_peak_reserved.get(index, 0), reserved)
    return used, reserved


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory that tensors occupy now (0 without a GPU)."""
    if not cuda_available():
        return 0
    return _pool_bytes(_index(device, "cuda.memory_allocated"))[0]


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds now, in use or cached (0 without a GPU)."""
    if not cuda_available():
        return 0
    return _pool_bytes(_index(device, "cuda.memory_reserved"))[1]


def max_memory_reserved(device=None) -> int:
    """The most GPU memory the pool has held since the start or the last
    ``reset_peak_memory_stats`` (0 without a GPU)."""
    if not cuda_available():
        return 0
    index = _index(device, "cuda.max_memory_reserved")
    _pool_bytes(index)
    return _peak_reserved[index]


def max_memory_allocated(device=None) -> int:
    """The peak of GPU memory in use since the start or the last ``reset_peak_memory_stats``
    (0 without a GPU).  CuPy's pool keeps no such peak, so this is the peak the pool held
    (``max_memory_reserved``): an upper bound on the bytes tensors occupied at once."""
    if not cuda_available():
        return 0
    return max_memory_reserved(_index(device, "cuda.max_memory_allocated"))


def reset_peak_memory_stats(device=None) -> None:
    """Start the peak counters again from what the pool holds now."""
    index = _index(device, "cuda.reset_peak_memory_stats")
    _peak_reserved[index] = _pool_bytes(index)[1]


def empty_cache() -> None:
    """Give the GPU memory CuPy's pools cache but no tensor uses back to the driver (nothing
    to do without a GPU)."""
    if not cuda_available():
        return
    for index in range(device_count()):
        _pool_bytes(index)  # the peak before the release
        with cupy.cuda.Device(index):
            cupy.get_default_memory_pool().free_all_blocks()
    cupy.get_default_pinned_memory_pool().free_all_blocks()


# -- random numbers -----------------------------------------------------------------------------


def manual_seed(seed: int) -> None:
    """Seed the generator CUDA tensors draw from.  NumpyFlow's CUDA tensors sample on the
    host from the one global generator, so with a GPU this is ``nf.manual_seed``; without
    one it does nothing, as in PyTorch (the CPU generator keeps its state)."""
    seed = int(seed)
    if cuda_available():
        _random.manual_seed(seed)


manual_seed_all = manual_seed


def seed() -> None:
    """Seed the CUDA generator from the operating system's entropy (nothing without a GPU)."""
    if cuda_available():
        _random.seed()


seed_all = seed
