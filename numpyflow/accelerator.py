"""``nf.accelerator``: PyTorch's device-agnostic questions about the accelerator.

NumpyFlow's one accelerator is a CUDA GPU through CuPy.  Without one, ``is_available()``
is False, ``current_accelerator()`` None and ``device_count()`` 0, and the calls about a
particular device raise ``RuntimeError``, as PyTorch's do on a machine without an
accelerator.  With one, each call answers what ``nf.cuda`` answers.
"""

from __future__ import annotations

from . import cuda
from .backend import Device

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "empty_cache",
    "is_available",
    "max_memory_allocated",
    "max_memory_reserved",
    "memory_allocated",
    "memory_reserved",
    "reset_peak_memory_stats",
    "set_device_index",
    "synchronize",
]


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU through CuPy) is usable."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Device | None:
    """The accelerator's device (``device(type='cuda', index=0)``), or None without one."""
    return Device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """How many accelerator devices there are (0 without one)."""
    return cuda.device_count()


def _require(who: str) -> None:
    if not cuda.is_available():
        raise RuntimeError(f"accelerator.{who}: Cannot access accelerator device when none is available.")


def current_device_index() -> int:
    _require("current_device_index")
    return cuda.current_device()


def set_device_index(device) -> None:
    _require("set_device_index")
    cuda.set_device(device)


def synchronize(device=None) -> None:
    _require("synchronize")
    cuda.synchronize(device)


def empty_cache() -> None:
    _require("empty_cache")
    cuda.empty_cache()


def memory_allocated(device_index=None) -> int:
    _require("memory_allocated")
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None) -> int:
    _require("max_memory_allocated")
    return cuda.max_memory_allocated(device_index)


def memory_reserved(device_index=None) -> int:
    _require("memory_reserved")
    return cuda.memory_reserved(device_index)


def max_memory_reserved(device_index=None) -> int:
    _require("max_memory_reserved")
    return cuda.max_memory_reserved(device_index)


def reset_peak_memory_stats(device_index=None) -> None:
    _require("reset_peak_memory_stats")
    cuda.reset_peak_memory_stats(device_index)
