"""Bit shifts of integer tensors: ``bitwise_left_shift`` (``a << b``) and
``bitwise_right_shift`` (``a >> b``), with broadcasting and PyTorch's promotion (a Python
int never widens a tensor; bool tensors shift as int64 next to a Python int).

As in PyTorch, a shift by a negative amount or by at least the bit width of the dtype
gives 0 (a right shift of a negative signed value gives -1); within range the left shift
wraps around and the right shift of signed values is arithmetic.  No gradient: the
inputs are integers.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from .._errors import broadcast_error
from ..backend import array_module
from ..tensor import Tensor
from ._util import promote, scalar_or_tensor

__all__ = ["bitwise_left_shift", "bitwise_right_shift"]
TENSOR_METHODS = tuple(__all__)


def _shift(name, input, other, left):
    input, other = scalar_or_tensor(input), scalar_or_tensor(other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"{name}(): expected at least one tensor argument, got {type(input).__name__} and {type(other).__name__}"
        )
    a, b = promote(input, other, name)
    ref = a if isinstance(a, Tensor) else b
    dtype = ref._data.dtype
    if dtype.kind not in "iu":
        raise NotImplementedError(
            f"{name}: not implemented for {dtypes.from_numpy(dtype)} tensors (expected an integer dtype)"
        )
    xp = array_module(ref._data)
    value = a._data if isinstance(a, Tensor) else xp.asarray(a).astype(dtype)
    # The amount is judged as a wide integer first, so a Python int beyond the dtype's
    # range (``x << 300`` for int8) shifts everything out, as in PyTorch.
    amount = b._data if isinstance(b, Tensor) else xp.asarray(b, dtype=np.int64)
    try:
        shape = np.broadcast_shapes(np.shape(value), np.shape(amount))
    except ValueError:
        raise broadcast_error(name, (np.shape(value), np.shape(amount))) from None
    bits = dtype.itemsize * 8
    out_of_range = (amount < 0) | (amount >= bits)
    step = xp.where(out_of_range, 0, amount).astype(dtype)
    if left:
        shifted = xp.left_shift(value, step)
        spill = xp.zeros((), dtype)
    else:
        shifted = xp.right_shift(value, step)
        spill = xp.where(value < 0, -1, 0).astype(dtype) if dtype.kind == "i" else xp.zeros((), dtype)
    out = xp.where(out_of_range, spill, shifted).astype(dtype, copy=False)
    return Tensor._make(xp.broadcast_to(out, shape).copy())  # ascontiguousarray would make 0-d 1-d


def bitwise_left_shift(input, other):
    """``input << other`` elementwise (integers; either argument may be a Python int)."""
    return _shift("bitwise_left_shift", input, other, left=True)


def bitwise_right_shift(input, other):
    """``input >> other`` elementwise, arithmetic for signed integers (either argument may
    be a Python int)."""
    return _shift("bitwise_right_shift", input, other, left=False)
