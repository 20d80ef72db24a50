"""Scans along a dim: ``cummax``, ``cummin`` and ``logcumsumexp``.

``cummax`` / ``cummin`` return ``(values, indices)`` named tuples (int64 indices), as
PyTorch does: the index is where the running extreme was last reached (``>=``, so a tie
moves it forward), and a NaN, once met, is the running extreme from there on (each later
NaN taking the index).  Their gradient adds each output's gradient to the element its
index names.  ``logcumsumexp`` is computed without overflow (``logaddexp.accumulate``)
and differentiated as PyTorch does, in log space, so large inputs stay finite.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from . import return_types
from ._util import normalize_dim, tensor_arg
from .elementwise import abs as _abs
from .elementwise import exp, log, where
from .shape import flip
from .sorting import select_backward

__all__ = ["cummax", "cummin", "logcumsumexp"]
TENSOR_METHODS = tuple(__all__)

_RESULTS = {"cummax": return_types.cummax, "cummin": return_types.cummin}


class CumExtreme(Function):
    """Running maximum (``is_max``) or minimum along ``dim``, with the index of each."""

    @staticmethod
    def forward(ctx, a, dim, is_max):
        xp = array_module(a)
        values = (xp.maximum if is_max else xp.minimum).accumulate(a, axis=dim)
        # The index moves to i wherever a[i] is the running extreme so far (a[i] == values[i],
        # ties included) or a NaN: the running maximum of those positions.
        hit = a == values
        if a.dtype.kind in "fc":
            hit |= xp.isnan(a)
        shape = [1] * a.ndim
        shape[dim] = a.shape[dim]
        position = xp.arange(a.shape[dim], dtype=np.int64).reshape(shape)
        indices = xp.maximum.accumulate(xp.where(hit, position, 0), axis=dim)
        ctx.meta = (a.shape, dim)
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        (indices,) = ctx.saved_tensors
        shape, dim = ctx.meta
        return select_backward(grad, indices, dim, shape), None, None


class LogCumSumExp(Function):
    _public_name = "Logcumsumexp"

    @staticmethod
    def forward(ctx, a, dim):
        out = array_module(a).logaddexp.accumulate(a, axis=dim)
        ctx.dim = dim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        d = ctx.dim
        # d out_j / d a_i = exp(a_i - out_j) for j >= i, so the input gradient is
        # exp(a_i) * sum_{j >= i} grad_j exp(-out_j); the sum is taken in log space, its
        # positive and negative parts apart (PyTorch's formula).  Where a part is empty its
        # log is a huge negative number rather than -inf, so double backward stays finite;
        # a quarter of the float range leaves room to add ``a`` and ``out`` without overflow.
        lowest = float(np.finfo(a._data.dtype).min) / 4
        log_abs = log(_abs(grad))
        positive = where(grad > 0, log_abs, lowest)
        negative = where(grad < 0, log_abs, lowest)

        def reverse_logcumsumexp(x):
            return flip(logcumsumexp(flip(x, (d,)), d), (d,))

        return exp(reverse_logcumsumexp(positive - out) + a) - exp(reverse_logcumsumexp(negative - out) + a), None


def _cum_extreme(input, dim, is_max, name):
    input = tensor_arg(input, name)
    d = normalize_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        values, indices = CumExtreme.apply(input.reshape(1), 0, is_max)
        return _RESULTS[name](values.reshape(()), indices.reshape(()))
    return _RESULTS[name](*CumExtreme.apply(input, d, is_max))


def cummax(input, dim):
    """``(values, indices)``: the running maximum along ``dim`` and where it was reached."""
    return _cum_extreme(input, dim, True, "cummax")


def cummin(input, dim):
    """``(values, indices)``: the running minimum along ``dim`` and where it was reached."""
    return _cum_extreme(input, dim, False, "cummin")


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input), dim))``, computed without overflow."""
    input = tensor_arg(input, "logcumsumexp")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(
            f"logcumsumexp: not implemented for {input.dtype} tensors (expected a floating point tensor)"
        )
    d = normalize_dim(dim, input._data.ndim, "logcumsumexp")
    if input._data.ndim == 0:
        return LogCumSumExp.apply(input.reshape(1), 0).reshape(())
    return LogCumSumExp.apply(input, d)
