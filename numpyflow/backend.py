"""Array back ends: the one place that knows numpy from CuPy.

Every op asks :func:`array_module` for the module that owns its inputs and does its
math with that module, so the same op code runs on numpy arrays (CPU) and CuPy arrays
(CUDA) alike.
"""

from __future__ import annotations

import builtins

import numpy

try:  # CuPy is optional: without it only the CPU exists.
    import cupy  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    cupy = None


class Device:
    """Where a tensor's memory lives: ``Device('cpu')`` or ``Device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | int | "Device" = "cpu", index: int | None = None):
        kind = builtins.type
        if isinstance(type, Device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):  # an index alone means CUDA
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a device string, an index or a Device, but got {kind(type).__name__}")
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"device: type {type!r} must not include an index when index={index} is passed")
            name, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}' (expected 'cpu', 'cuda' or 'cuda:<index>')")
            type, index = name, int(idx)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device: index must be an int, but got {kind(index).__name__}")
            if index < 0:
                raise RuntimeError(f"device: index must not be negative, but got {index}")
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


def _cuda_unavailable(device: Device, who: str) -> RuntimeError:
    prefix = f"{who}: " if who else ""
    return RuntimeError(
        f"{prefix}device {device} is not available: CUDA tensors need CuPy and a GPU, and CuPy "
        "is not installed (pip install cupy-cuda12x); use device='cpu' on this machine"
    )


def to_device(array, device: Device, who: str = ""):
    """``array`` moved to ``device`` (the same object when it is already there); ``who``
    names the caller in the error raised when the device doesn't exist here."""
    if device.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return array
    if cupy is None:
        raise _cuda_unavailable(device, who)
    with cupy.cuda.Device(device.index):
        return cupy.asarray(array)


def module_for_device(device: Device, who: str = ""):
    """The array module that allocates on ``device``."""
    if device.type == "cpu":
        return numpy
    if cupy is None:
        raise _cuda_unavailable(device, who)
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
