"""Argument checks shared by the sliding-window ops, convolution (``conv.py``) and pooling
(``pooling.py``): ints and pairs of ints as PyTorch accepts them, and tensor arguments.
Every error names the op and the argument."""

from __future__ import annotations

import numbers

from ..backend import is_array
from ..tensor import Tensor


def as_int(v, name, op):
    """``v`` (a Python or numpy integer, or a one-element Tensor) as an int; a TypeError
    naming ``op`` and ``name`` otherwise (bools are not ints here)."""
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {v!r}")
    return int(v)


def pair(v, name, op):
    """``v`` (an int, or a sequence of one or two ints) as a tuple of two ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = (v[0], v[0])
        if len(v) != 2:
            raise RuntimeError(
                f"{op}: expected {name} to be a single int or a tuple of 2 ints, but got {name}={tuple(v)}"
            )
        return as_int(v[0], name, op), as_int(v[1], name, op)
    v = as_int(v, name, op)
    return v, v


def as_tensor(x, name, op):
    """``x`` as a Tensor (an array is wrapped); a TypeError naming ``op`` and ``name``
    for anything else."""
    if isinstance(x, Tensor):
        return x
    if is_array(x):
        return Tensor._make(x)
    raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def shape_of(t):
    """The shape of Tensor ``t`` as a tuple, for error messages."""
    return tuple(t._data.shape)
