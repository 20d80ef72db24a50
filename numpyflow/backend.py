"""Array back ends: the one place that knows numpy from CuPy.

Every op asks :func:`array_module` for the module that owns its inputs and does its
math with that module, so the same op code runs on numpy arrays (CPU) and CuPy arrays
(CUDA) alike.
"""
from __future__ import annotations

import numpy

try:  # CuPy is optional: without it only the CPU exists.
    import cupy  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    cupy = None


class Device:
    """Where a tensor's memory lives: ``Device('cpu')`` or ``Device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | "Device" = "cpu", index: int | None = None):
        if isinstance(type, Device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if type == "cuda" and index is None:
            index = 0
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = Device("cpu")


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover
        return False


def array_module(*arrays):
    """The array module (numpy or cupy) that owns ``arrays``."""
    if cupy is None:
        return numpy
    return cupy.get_array_module(*arrays)


def is_array(obj) -> bool:
    """True for an ndarray of any back end."""
    return isinstance(obj, numpy.ndarray) or (cupy is not None and isinstance(obj, cupy.ndarray))


def device_of(array) -> Device:
    """The device an array lives on."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return Device("cuda", array.device.id)
    return CPU


def to_device(array, device: Device):
    """``array`` moved to ``device`` (the same object when it is already there)."""
    if device.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return array
    if cupy is None:
        raise RuntimeError(
            f"cannot move a tensor to {device}: CUDA needs CuPy, which is not installed "
            "(pip install cupy-cuda12x)")
    with cupy.cuda.Device(device.index):
        return cupy.asarray(array)


def module_for_device(device: Device):
    """The array module that allocates on ``device``."""
    if device.type == "cpu":
        return numpy
    if cupy is None:
        raise RuntimeError(f"{device} requested but CuPy is not installed (pip install cupy-cuda12x)")
    return cupy


def to_numpy(array):
    """A numpy view or copy of ``array`` on the host."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy.asnumpy(array)
    return array


def scatter_add(xp, out, index, values):
    """``out[index] += values`` where repeated indices accumulate."""
    if xp is numpy:
        numpy.add.at(out, index, values)
    else:  # pragma: no cover - needs a GPU
        import cupyx
        cupyx.scatter_add(out, index, values)


def erf(xp, x):
    """The error function, elementwise, in ``x``'s dtype."""
    if xp is numpy:
        from ._special import erf as numpy_erf
        return numpy_erf(x)
    import cupyx.scipy.special  # pragma: no cover - needs a GPU
    return cupyx.scipy.special.erf(x)  # pragma: no cover
