"""Small helpers shared by the op wrappers: argument checks and dtype promotion."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .._args import dim_error, normalize_dim, normalize_dims, reduce_args, shape_arg  # noqa: F401
from ..backend import is_array
from ..tensor import Tensor, as_tensor_arg

_PY_SCALARS = (bool, int, float)
_FAST_OPERANDS = {Tensor, float, int}


def scalar_or_tensor(x):
    """Python numbers stay numbers (they never promote a tensor); anything else is a Tensor."""
    if type(x) in _FAST_OPERANDS:
        return x
    if isinstance(x, np.generic):  # before the float check: np.float64 subclasses float
        return x.item()
    if isinstance(x, (Tensor, bool, int, float)):
        return x
    return as_tensor_arg(x)


def promote(a, b, op: str):
    """``a`` and ``b`` (Tensors or Python numbers, at least one a Tensor) brought to the
    dtype PyTorch computes ``op`` in: Tensors are cast, numbers are left as they are."""
    if type(a) is Tensor and type(b) is Tensor and a._data.dtype == b._data.dtype:
        return a, b
    a = scalar_or_tensor(a)
    b = scalar_or_tensor(b)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        if a._data.dtype == b._data.dtype:
            return a, b
        target = dtypes.result_type(a._data, b._data)
    elif ta:
        target = dtypes.result_type(a._data, b)
    else:
        target = dtypes.result_type(a, b._data)
    if ta and a._data.dtype != target:
        a = a.to(target)
    if tb and b._data.dtype != target:
        b = b.to(target)
    return a, b


def floating(x: Tensor) -> Tensor:
    """``x`` itself when floating, else cast to the default float dtype (PyTorch's rule
    for ops like ``exp`` on integer tensors)."""
    if x._data.dtype.kind in "fc":
        return x
    return x.to(dtypes.default_numpy_float())


def tensor_arg(x, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if is_array(x) or isinstance(x, (np.generic, *_PY_SCALARS, list, tuple)):
        return as_tensor_arg(x)
    raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")
