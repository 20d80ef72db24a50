"""``nf.backends.cuda``: the CUDA back end's switches, chiefly ``matmul.allow_tf32``.

``matmul.allow_tf32`` and ``nf.set_float32_matmul_precision`` are two views of one
setting, as in PyTorch: ``'highest'`` (the default) means no TF32.  NumpyFlow keeps the
setting and its matmuls stay full float32 whatever it says (numpy on the CPU; CuPy
uses TF32 only when the CUPY_TF32 environment variable asks for it).
"""

from __future__ import annotations

import warnings

from ..backend import cupy

__all__ = ["get_float32_matmul_precision", "is_built", "matmul", "set_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]


def is_built() -> bool:
    """True when NumpyFlow can use CUDA at all, that is when CuPy is installed (a GPU is a
    separate question: ``nf.cuda.is_available()``)."""
    return cupy is not None


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision: ``'highest'``, ``'high'`` or ``'medium'``.
    NumpyFlow's matmuls stay full float32 whichever is set."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set (``'highest'`` by default)."""
    return _precision[0]


class cuBLASModule:  # noqa: N801  (PyTorch's name)
    """``nf.backends.cuda.matmul``: cuBLAS's switches; an unknown name is an
    ``AttributeError``, as in PyTorch."""

    _bools = {
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "allow_fp16_accumulation": False,
    }

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._bools))

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _precision[0] != "highest"
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            if not isinstance(value, bool):
                raise RuntimeError(f"matmul.allow_tf32 expects a bool, but got {type(value).__name__}")
            _precision[0] = "high" if value else "highest"
            return
        if name in self._values:
            if not isinstance(value, bool):
                raise TypeError(f"matmul.{name} expects a bool, but got {type(value).__name__}")
            self._values[name] = value
            return
        raise AttributeError(f"Unknown attribute {name}")


matmul = cuBLASModule()
