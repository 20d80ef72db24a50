"""Softmax and log-softmax along a dim, numerically stable."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..backend import array_module
from ._util import floating, normalize_dim
from .elementwise import exp
from .reduction import sum


class Softmax(Function):
    @staticmethod
    def forward(ctx, a, dim):
        xp = array_module(a)
        shifted = a - xp.max(a, axis=dim, keepdims=True) if a.size else a
        e = xp.exp(shifted)
        out = e / xp.sum(e, axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return out * (grad - sum(grad * out, ctx.dim, True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, a, dim):
        xp = array_module(a)
        shifted = a - xp.max(a, axis=dim, keepdims=True) if a.size else a
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out, = ctx.saved_tensors
        return grad - exp(out) * sum(grad, ctx.dim, True), None


def _prepare(input, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    input = floating(input)
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if input._data.ndim in (0, 1, 3) else 1
    return input, normalize_dim(dim, input._data.ndim, name)


def softmax(input, dim=None, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    input, d = _prepare(input, dim, dtype, "softmax")
    if input._data.ndim == 0:
        return input * 0 + 1
    return Softmax.apply(input, d)


def log_softmax(input, dim=None, dtype=None):
    """``log(softmax(x))`` along ``dim``, without the overflow of the naive formula."""
    input, d = _prepare(input, dim, dtype, "log_softmax")
    if input._data.ndim == 0:
        return input * 0
    return LogSoftmax.apply(input, d)
