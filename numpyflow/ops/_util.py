"""Small helpers shared by the op wrappers: argument checks and dtype promotion."""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..backend import array_module, is_array
from ..tensor import Tensor

_PY_SCALARS = (bool, int, float)
_FAST_OPERANDS = {Tensor, float, int}


def dim_error(op: str, dim, ndim: int) -> IndexError:
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    return IndexError(f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")


def normalize_dim(dim, ndim: int, op: str) -> int:
    """``dim`` as a non-negative index into ``ndim`` dims (a 0-d tensor accepts 0 and -1)."""
    if type(dim) is int and -ndim <= dim < ndim:
        return dim % ndim
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise dim_error(op, dim, ndim)
    return int(dim) % size if ndim else 0


def normalize_dims(dim, ndim: int, op: str):
    """``dim`` (None, int, or a sequence of ints) as a sorted tuple of axes, or None for all.

    As in PyTorch, an empty sequence means every dim.
    """
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(normalize_dim(d, ndim, op) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
        return tuple(sorted(axes)) if ndim else ()
    d = normalize_dim(dim, ndim, op)
    return (d,) if ndim else ()


def reduce_args(op, dim, keepdim, axis, keepdims):
    """Merge numpy's ``axis``/``keepdims`` spellings into PyTorch's ``dim``/``keepdim``."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: give either dim or axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for ``x`` (Tensors pass through; arrays and numbers are wrapped)."""
    if isinstance(x, Tensor):
        return x
    if is_array(x):
        return Tensor._make(x)
    if isinstance(x, np.generic):
        return Tensor._make(np.asarray(x))
    if isinstance(x, _PY_SCALARS):
        if like is not None:
            xp = array_module(like._data)
            return Tensor._make(xp.asarray(x, dtype=dtypes.result_type(like._data, x)))
        return Tensor._make(np.asarray(x, dtype=dtypes.result_type(x)))
    from ..creation import tensor
    return tensor(x)


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


def shape_arg(args, op: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all give ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if all(type(s) is int for s in args):
        return args
    if len(args) == 1 and isinstance(args[0], Tensor):
        args = tuple(args[0].tolist())
    out = []
    for s in args:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}: sizes must be ints, got {s!r}")
        out.append(int(s))
    return tuple(out)
