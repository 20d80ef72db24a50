"""``scatter_reduce``: ``src`` reduced into a copy of ``input`` at ``index`` along ``dim``
with ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``; ``include_self=False``
leaves the values of ``input`` out wherever something is scattered.

Forward is one unbuffered ``ufunc.at`` over the flat positions the index names (a
``bincount`` for float sums).  The gradients are PyTorch's,
written with numpyflow ops: sum and mean pass the (averaged) gradient through; prod
divides the result by each factor (with exact handling of zeros); amax and amin share
the gradient equally among every element (of ``input`` or ``src``) equal to the result.
Integer ``"mean"`` rounds down, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import normalize_dim, tensor_arg
from .elementwise import where
from .indexing import gather, getitem, scatter, scatter_add

__all__ = ["scatter_reduce"]
TENSOR_METHODS = ("scatter_reduce",)

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_ALIASES = {"max": "amax", "min": "amin"}  # PyTorch accepts these spellings too


def _flat_index(xp, index, dim, shape):
    """For every position of ``index``, the flat (C-order) position in a tensor of
    ``shape`` of the element that ``index`` names along ``dim`` (the other coordinates
    its own)."""
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    flat = xp.zeros(index.shape, np.int64)
    stride = 1
    for axis in range(len(shape) - 1, -1, -1):
        flat += grids[axis] * stride
        stride *= shape[axis]
    return flat.reshape(-1)


def _identity(dtype, reduce):
    """The value a reduction starts from when ``input`` is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"  # False is the least bool, True the greatest
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Function):
    @staticmethod
    def forward(ctx, a, dim, index, src, reduce, include_self):
        xp = array_module(a)
        flat = _flat_index(xp, index, dim, a.shape)
        values = src.reshape(-1)
        out = a.copy()  # C-contiguous: ``out_flat`` is a view of it
        out_flat = out.reshape(-1)
        if not include_self:
            out_flat[flat] = _identity(a.dtype, reduce)
        if reduce in ("sum", "mean") and a.dtype.kind == "f" and xp is np:  # bincount: the fast scatter-add
            out_flat += np.bincount(flat, weights=values, minlength=a.size).astype(a.dtype, copy=False)
        else:
            ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}
            ufunc[reduce].at(out_flat, flat, values)
        count = None
        if reduce == "mean":
            hits = xp.bincount(flat, minlength=a.size).reshape(a.shape)
            count = (hits + 1 if include_self else hits).astype(a.dtype)  # counted in the dtype, as in PyTorch
            count[count == 0] = 1
            out = out / count if a.dtype.kind in "fc" else out // count  # integers round down
        ctx.meta = (dim, reduce, include_self)
        ctx.save_for_backward(a, index, src, out, count)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, index, src, out, count = ctx.saved_tensors
        dim, reduce, include_self = ctx.meta
        if reduce == "sum":
            ga, gs = grad, gather(grad, dim, index)
        elif reduce == "mean":
            ga = grad / count
            gs = gather(ga, dim, index)
        elif reduce == "prod":
            ga, gs = _prod_gradients(grad, a, dim, index, src, out, include_self)
        else:  # amax / amin: ties share equally
            value = gather(out, dim, index)
            self_hit = a == out
            src_hit = src == value
            share = grad / scatter_add(self_hit.to(grad.dtype), dim, index, src_hit.to(grad.dtype))
            ga = where(self_hit, share, 0.0)
            gs = where(src_hit, gather(share, dim, index), 0.0)
        if not include_self:
            ga = scatter(ga, dim, index, value=0.0)
        return (
            ga if ctx.needs_input_grad[0] else None,
            None,
            None,
            gs if ctx.needs_input_grad[3] else None,
            None,
            None,
        )


class NoDoubleBackward(Function):
    """The identity, whose own backward raises: marks a first derivative that is right
    but whose derivative this op does not give (PyTorch's ``DelayedError``)."""

    _public_name = "ScatterReduceProdBackward"

    @staticmethod
    def forward(ctx, g):
        return g.copy()

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError(
            "scatter_reduce(): double backward is not supported for src when more than one zero "
            "of src is scattered to the same position with reduce='prod'"
        )


def _prod_gradients(grad, a, dim, index, src, out, include_self):
    """PyTorch's gradients of the product: ``out / factor`` for each factor, the product
    of the others where that factor is the one zero, and 0 where another zero remains."""
    masked_self = where(a == 0, 1.0, a)
    ga = grad * scatter_reduce(masked_self, dim, index, src, "prod", include_self=include_self) / masked_self
    src_zero = src == 0
    zeros_there = gather(scatter_add(a.new_zeros(a.shape), dim, index, src_zero.to(a.dtype)), dim, index)
    single_zero = src_zero & (zeros_there == 1)
    masked_src = where(single_zero, 1.0, src)
    others = scatter_reduce(a, dim, index, masked_src, "prod", include_self=include_self)
    gs = where(
        single_zero,
        gather(grad * others, dim, index),
        gather(grad * out, dim, index) / where(src_zero, 1.0, src),
    )
    if bool((zeros_there > 1).any()._data):  # right, but its derivative would not be
        gs = NoDoubleBackward.apply(gs)
    return ga, gs


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of ``input`` with ``src`` reduced in at ``index`` along ``dim``:
    ``out[index[i][j]][j] = reduce(out[...], src[i][j])`` for ``dim=0``, with ``reduce``
    one of ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``, ``"amin"``; ``include_self=False``
    starts each scattered-to element from ``src`` alone."""
    input = tensor_arg(input, "scatter_reduce")
    reduce = _ALIASES.get(reduce, reduce)
    if reduce not in _REDUCES:
        raise RuntimeError(
            f"scatter_reduce(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"scatter_reduce(): Expected dtype int64 for index (got {getattr(index, 'dtype', type(index).__name__)})"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"scatter_reduce(): Expected self.dtype to be equal to src.dtype (got {input.dtype} and {src.dtype})"
        )
    nd = input._data.ndim
    d = normalize_dim(dim, nd, "scatter_reduce")
    if nd == 0:
        out = scatter_reduce(input.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce, include_self=include_self)
        return out.reshape(())
    ishape, sshape = index._data.shape, src._data.shape
    if index._data.ndim != nd or src._data.ndim != nd:
        raise RuntimeError(
            f"scatter_reduce(): Index tensor must have the same number of dimensions as self tensor "
            f"(self {tuple(input.shape)}, index {tuple(ishape)}, src {tuple(sshape)})"
        )
    for i, (n, m, s) in enumerate(zip(ishape, input._data.shape, sshape)):
        if (i != d and n > m) or n > s:
            raise RuntimeError(
                f"scatter_reduce(): Expected index {tuple(ishape)} to be smaller than self {tuple(input.shape)} "
                f"apart from dimension {d} and to be smaller size than src {tuple(sshape)}"
            )
    idx = index._data.astype(np.int64, copy=False)
    if idx.size:
        size = input._data.shape[d]
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= size:
            raise RuntimeError(
                f"scatter_reduce(): index {hi if hi >= size else lo} is out of bounds for dimension {d} with size {size}"
            )
    if sshape != ishape:  # only the part of src that index covers takes part
        src = getitem(src, tuple(slice(0, n) for n in ishape))
    return ScatterReduce.apply(input, d, Tensor._make(idx), src, reduce, bool(include_self))
