"""``nf.backends.cudnn``: NVIDIA's cuDNN library, which NumpyFlow doesn't use.

``is_available()`` is False and ``version()`` None on every machine: NumpyFlow's
convolutions are its own GEMM kernels (numpy on the CPU, CuPy on a GPU), never cuDNN's.
The switches scripts set (``benchmark``, ``deterministic``, ``enabled``, ``allow_tf32``)
keep what is assigned, with PyTorch's defaults and checks, and change nothing: NumpyFlow's
convolutions pick no algorithm by timing and give the same result on every run.
"""

from __future__ import annotations

import contextlib
import types

from .flags import BoolFlag, install

__all__ = ["flags", "is_acceptable", "is_available", "set_flags", "version"]


def is_available() -> bool:
    """False: NumpyFlow doesn't use cuDNN."""
    return False


def version() -> None:
    """None: NumpyFlow doesn't use cuDNN, so there is no cuDNN version."""
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would take ``tensor``: never, NumpyFlow doesn't use cuDNN."""
    return False


_NAMES = ("enabled", "benchmark", "deterministic", "allow_tf32")


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None):
    """Set the switches given (None leaves one as it is); returns the previous values."""
    module = _this()
    previous = tuple(getattr(module, n) for n in _NAMES)
    for name, value in zip(_NAMES, (_enabled, _benchmark, _deterministic, _allow_tf32)):
        if value is not None:
            setattr(module, name, value)
    return previous


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set every switch (PyTorch's defaults for those not given) inside a ``with`` block and
    restore them after it."""
    previous = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*previous[:2], None, *previous[2:])


def _this():
    import sys

    return sys.modules[__name__]


class CudnnModule(types.ModuleType):
    """This module, with switches that take only bools."""

    enabled = BoolFlag(True)
    benchmark = BoolFlag(False)
    deterministic = BoolFlag(False)
    allow_tf32 = BoolFlag(True)
    benchmark_limit = None  # PyTorch's value where cuDNN isn't available


install(__name__, CudnnModule)
