"""Reductions over dims (``dim`` int or tuple, negative allowed, ``keepdim``; numpy's
``axis``/``keepdims`` accepted too)."""

from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import floating, normalize_dim, normalize_dims, reduce_args, tensor_arg
from .elementwise import abs as _abs
from .elementwise import exp, sign, sqrt, where
from .elementwise import pow as _pow
from .shape import Reshape, flip

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "logsumexp",
    "max",
    "mean",
    "min",
    "nansum",
    "norm",
    "prod",
    "std",
    "std_mean",
    "sum",
    "var",
    "var_mean",
]
# Also Tensor methods of the same name (``x.sum(1)`` is ``sum(x, 1)``): all but the
# pairs ``std_mean`` and ``var_mean``, which PyTorch has as functions only.
TENSOR_METHODS = tuple(name for name in __all__ if name not in ("std_mean", "var_mean"))

return_types = collections.namedtuple("return_types", ["values", "indices"])


def _kept_shape(shape, axes):
    """``shape`` with the reduced axes set to 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class ExpandBack(Function):
    """A reduced tensor spread back over the shape it was reduced from, times ``scale``
    (one op for what a reduction's backward needs: reshape, broadcast and scale)."""

    @staticmethod
    def forward(ctx, g, shape, axes, keepdim, scale):
        ctx.meta = (g.shape, axes, scale)
        if not keepdim:
            g = g.reshape(_kept_shape(shape, axes))
        out = array_module(g).broadcast_to(g, shape)
        return out * g.dtype.type(scale) if scale != 1 else out

    @staticmethod
    def backward(ctx, grad):
        g_shape, axes, scale = ctx.meta
        reduced = Sum.apply(grad, axes, True, None)
        out = Reshape.apply(reduced, g_shape) if reduced._data.shape != g_shape else reduced
        return (out * scale if scale != 1 else out), None, None, None, None


def _expand_back(grad, shape, axes, keepdim, scale=1):
    """A reduction's output gradient spread back over the input's shape."""
    if keepdim and grad._data.shape == shape and scale == 1:
        return grad
    return ExpandBack.apply(grad, shape, axes, keepdim, scale)


def _count(shape, axes):
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.meta = (a.shape, axes, keepdim)
        return array_module(a).sum(a, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, *ctx.meta), None, None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.meta = (a.shape, axes, keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            xp = array_module(a)
            if a.size == 0 or _count(a.shape, axes) == 0:
                return xp.full(_reduced_shape(a.shape, axes, keepdim), np.nan, a.dtype)
            return xp.mean(a, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim = ctx.meta
        return _expand_back(grad, shape, axes, keepdim, 1.0 / builtins.max(_count(shape, axes), 1)), None, None


def _reduced_shape(shape, axes, keepdim):
    if keepdim:
        return _kept_shape(shape, axes)
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class Prod(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype=None):
        ctx.meta = (axes, keepdim)
        out = array_module(a).prod(a, axis=axes, keepdims=keepdim, dtype=dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = tuple(a.shape)
        g = _expand_back(grad, shape, axes, keepdim)
        o = _expand_back(out, shape, axes, keepdim)
        # Without zeros, d prod / d a_i = prod / a_i.  With one zero, only that element
        # gets a gradient (the product of the others); with two or more, none does.
        is_zero = a == 0
        zeros = _expand_back(sum(is_zero, axes, True).to(a.dtype), shape, axes, True)
        safe = where(is_zero, 1.0, a)
        others = _expand_back(prod(safe, axes, True), shape, axes, True)
        grad_in = where(zeros == 0, o / safe, where(is_zero & (zeros == 1), others, 0.0))
        return g * grad_in, None, None, None


class _Extreme(Function):
    """amax / amin: the gradient is shared equally among the elements equal to the result."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, is_max):
        xp = array_module(a)
        out = (xp.max if is_max else xp.min)(a, axis=axes, keepdims=keepdim)
        ctx.meta = (axes, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = tuple(a.shape)
        hit = (a == _expand_back(out, shape, axes, keepdim)).to(a.dtype)
        count = sum(hit, axes, True)
        return _expand_back(grad, shape, axes, keepdim) * hit / count, None, None, None


class _ExtremeDim(Function):
    """max(dim) / min(dim): values and indices; the gradient goes to the index returned."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, is_max):
        xp = array_module(a)
        idx = (xp.argmax if is_max else xp.argmin)(a, axis=dim, keepdims=True)
        values = xp.take_along_axis(a, idx, axis=dim)
        ctx.meta = (a.shape, dim, keepdim)
        ctx.is_max = is_max
        if not keepdim:
            values = values.squeeze(dim)
            idx = idx.squeeze(dim)
        idx = idx.astype(np.int64, copy=False)
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return values, idx

    def name(self) -> str:
        """``MaxBackward0`` / ``MinBackward0``, as PyTorch names this node."""
        return "MaxBackward0" if self.is_max else "MinBackward0"

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        from .indexing import scatter_add

        (idx,) = ctx.saved_tensors
        shape, dim, keepdim = ctx.meta
        if not keepdim:
            grad = grad.unsqueeze(dim)
            idx = idx.unsqueeze(dim)
        zeros = Tensor._make(array_module(grad._data).zeros(shape, grad._data.dtype))
        return scatter_add(zeros, dim, idx, grad), None, None, None


class Var(Function):
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.meta = (axes, correction, keepdim)
        ctx.save_for_backward(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            return array_module(a).var(a, axis=axes, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        axes, correction, keepdim = ctx.meta
        shape = tuple(a.shape)
        dof = _count(shape, axes) - correction
        scale = 2.0 / dof if dof != 0 else math.inf  # no degrees of freedom: nan, as in PyTorch
        centered = a - mean(a, axes, True)
        return _expand_back(grad, shape, axes, keepdim) * centered * scale, None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        xp = array_module(a)
        m = xp.max(a, axis=axes, keepdims=True) if a.size else xp.zeros(_kept_shape(a.shape, axes), a.dtype)
        m = xp.where(xp.isfinite(m), m, 0).astype(a.dtype, copy=False)
        with np.errstate(divide="ignore"):
            out = xp.log(xp.sum(xp.exp(a - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(_reduced_shape(a.shape, axes, False))
        ctx.meta = (axes, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = tuple(a.shape)
        return _expand_back(grad, shape, axes, keepdim) * exp(a - _expand_back(out, shape, axes, keepdim)), None, None


class Norm(Function):
    """The vector p-norm over ``axes``."""

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        xp = array_module(a)
        x = xp.abs(a)
        if p == math.inf:
            out = (
                xp.max(x, axis=axes, keepdims=keepdim)
                if a.size
                else xp.zeros(_reduced_shape(a.shape, axes, keepdim), a.dtype)
            )
        elif p == -math.inf:
            out = xp.min(x, axis=axes, keepdims=keepdim)
        elif p == 0:
            out = xp.sum(x != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        elif p == 1:
            out = xp.sum(x, axis=axes, keepdims=keepdim)
        elif p == 2:
            out = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
        else:
            out = xp.sum(x**p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        ctx.meta = (p, axes, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        p, axes, keepdim = ctx.meta
        shape = tuple(a.shape)
        g = _expand_back(grad, shape, axes, keepdim)
        o = _expand_back(out, shape, axes, keepdim)
        if p == 0:
            return g * 0, None, None, None
        if p == 1:
            return g * sign(a), None, None, None
        if p in (math.inf, -math.inf):
            hit = (_abs(a) == o).to(a.dtype)
            return g * sign(a) * hit / sum(hit, axes, True), None, None, None
        safe = where(o == 0, 1.0, o)  # a == 0 wherever the norm is 0: the gradient is 0 there
        if p == 2:
            return g * a / safe, None, None, None
        return g * a * _pow(_abs(a), p - 2) / _pow(safe, p - 1), None, None, None


class Cumsum(Function):
    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        xp = array_module(a)
        # reshape: numpy flattens a 0-d input to shape (1,); PyTorch keeps the shape
        return xp.cumsum(a, axis=dim, dtype=dtype).reshape(a.shape)

    @staticmethod
    def backward(ctx, grad):
        d = ctx.dim
        return flip(cumsum(flip(grad, (d,)), d), (d,)), None, None


class Cumprod(Function):
    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        xp = array_module(a)
        out = xp.cumprod(a, axis=dim, dtype=dtype).reshape(a.shape)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        d = ctx.dim
        if bool((a == 0).any()):
            raise RuntimeError("cumprod: backward through inputs that contain zeros is not supported")
        # d out_j / d a_i = out_j / a_i for j >= i: a reverse cumulative sum of grad * out.
        return flip(cumsum(flip(grad * out, (d,)), d), (d,)) / a, None, None


# -- public functions ---------------------------------------------------------------------


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` (all dims when None); integer and bool inputs sum to int64."""
    input = tensor_arg(input, "sum")
    dim, keepdim = reduce_args("sum", dim, keepdim, axis, keepdims)
    axes = normalize_dims(dim, input._data.ndim, "sum")
    from .. import dtypes

    np_dtype = dtypes.to_numpy(dtype) if dtype is not None else (np.int64 if input._data.dtype.kind in "iub" else None)
    if np_dtype is not None and input._data.dtype != np_dtype and np.dtype(np_dtype).kind in "fc":
        input = input.to(np_dtype)
        np_dtype = None
    return Sum.apply(input, axes, keepdim, np_dtype)


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` with NaNs counted as zero."""
    dim, keepdim = reduce_args("nansum", dim, keepdim, axis, keepdims)
    if input._data.dtype.kind in "iub":  # no NaNs: a plain sum (int64, as in PyTorch)
        return sum(input, dim, keepdim, dtype=dtype)
    return sum(where(input != input, 0.0, input), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Arithmetic mean over ``dim`` (floating inputs only, as in PyTorch)."""
    input = tensor_arg(input, "mean")
    dim, keepdim = reduce_args("mean", dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {input.dtype}"
        )
    return Mean.apply(input, normalize_dims(dim, input._data.ndim, "mean"), keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product over ``dim``; exact gradients with zeros present."""
    dim, keepdim = reduce_args("prod", dim, keepdim, axis, keepdims)
    if dtype is not None:  # computed in the dtype asked for (uint8 wraps, bool is all())
        input = input.to(dtype)
        axes = normalize_dims(dim, input._data.ndim, "prod")
        return Prod.apply(input, axes, keepdim, input._data.dtype)
    axes = normalize_dims(dim, input._data.ndim, "prod")
    if input._data.dtype.kind in "ub":
        input = input.to(np.int64)
    return Prod.apply(input, axes, keepdim)


def _extreme(input, dim, keepdim, axis, keepdims, is_max, name):
    if isinstance(dim, Tensor):  # max(a, b): elementwise
        from .elementwise import maximum, minimum

        return (maximum if is_max else minimum)(input, dim)
    dim, keepdim = reduce_args(name, dim, keepdim, axis, keepdims)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return _Extreme.apply(input, None, False, is_max)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be an int (use amax/amin to reduce several dims)")
    d = normalize_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        return return_types(input.clone(), Tensor._make(np.zeros((), np.int64)))
    if input._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    values, indices = _ExtremeDim.apply(input, d, keepdim, is_max)
    return return_types(values, indices)


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest value; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``."""
    return _extreme(input, dim, keepdim, axis, keepdims, True, "max")


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest value; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``."""
    return _extreme(input, dim, keepdim, axis, keepdims, False, "min")


def _amax_amin(input, dim, keepdim, axis, keepdims, is_max, name):
    dim, keepdim = reduce_args(name, dim, keepdim, axis, keepdims)
    axes = normalize_dims(dim, input._data.ndim, name)
    if input._data.size == 0 and builtins.any(input._data.shape[a] == 0 for a in (axes or range(input._data.ndim))):
        raise IndexError(f"{name}(): Expected reduction dim to have non-zero size.")
    return _Extreme.apply(input, axes, keepdim, is_max)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (all by default); ties share the gradient equally."""
    return _amax_amin(input, dim if dim != () else None, keepdim, axis, keepdims, True, "amax")


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim`` (all by default); ties share the gradient equally."""
    return _amax_amin(input, dim if dim != () else None, keepdim, axis, keepdims, False, "amin")


def _var_args(name, dim, unbiased, correction, keepdim, axis, keepdims):
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    dim, keepdim = reduce_args(name, dim, keepdim, axis, keepdims)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise TypeError(f"{name}: give either correction or unbiased, not both")
    return dim, correction, keepdim


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim`` with ``correction`` (1 = unbiased, the default)."""
    dim, correction, keepdim = _var_args("var", dim, unbiased, correction, keepdim, axis, keepdims)
    input = floating(input)
    return Var.apply(input, normalize_dims(dim, input._data.ndim, "var"), correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation over ``dim`` with ``correction`` (1 = unbiased, the default)."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """``(var, mean)`` over ``dim``, with ``var``'s arguments."""
    dim, correction, keepdim = _var_args("var_mean", dim, unbiased, correction, keepdim, axis, keepdims)
    return var(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """``(std, mean)`` over ``dim``, with ``std``'s arguments."""
    dim, correction, keepdim = _var_args("std_mean", dim, unbiased, correction, keepdim, axis, keepdims)
    return std(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    dim, keepdim = reduce_args("logsumexp", dim, keepdim, axis, keepdims)
    input = floating(input)
    return LogSumExp.apply(input, normalize_dims(dim, input._data.ndim, "logsumexp"), keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over ``dim`` (all dims by default): p is a number, inf, -inf or 'fro'."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {input.dtype}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (use a number, inf, -inf or 'fro')")
    axes = normalize_dims(dim, input._data.ndim, "norm")
    return Norm.apply(input, float(p), axes, keepdim)


def _scan_dim(name, dim, axis):
    """``dim`` of a cumulative op (numpy's ``axis`` accepted too), which has no default."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}: give either dim or axis, not both")
        dim = axis
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    return dim


def _scan_input(input, dtype):
    """The input of a cumulative op and its accumulator dtype: the ``dtype`` asked for
    (integers wrap in it), else int64 for integer and bool inputs, as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
        return input, (input._data.dtype if input._data.dtype.kind in "iub" else None)
    return input, (np.int64 if input._data.dtype.kind in "iub" else None)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sum along ``dim`` (a 0-d input gives a 0-d result)."""
    dim = _scan_dim("cumsum", dim, axis)
    input, acc = _scan_input(input, dtype)
    return Cumsum.apply(input, normalize_dim(dim, input._data.ndim, "cumsum"), acc)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Running product along ``dim`` (a 0-d input gives a 0-d result)."""
    dim = _scan_dim("cumprod", dim, axis)
    input, acc = _scan_input(input, dtype)
    return Cumprod.apply(input, normalize_dim(dim, input._data.ndim, "cumprod"), acc)


def _arg_extreme(input, dim, keepdim, is_max, name):
    xp = array_module(input._data)
    fn = xp.argmax if is_max else xp.argmin
    if input._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None:
        idx = fn(input._data.reshape(-1))
        out = xp.asarray(idx, dtype=np.int64)
        if keepdim:
            out = out.reshape((1,) * input._data.ndim)
        return Tensor._make(out)
    d = normalize_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        return Tensor._make(xp.zeros((), np.int64))
    return Tensor._make(fn(input._data, axis=d, keepdims=keepdim).astype(np.int64))


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
    dim, keepdim = reduce_args("argmax", dim, keepdim, axis, keepdims)
    return _arg_extreme(input, dim, keepdim, True, "argmax")


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest value (of the flattened tensor when ``dim`` is None)."""
    dim, keepdim = reduce_args("argmin", dim, keepdim, axis, keepdims)
    return _arg_extreme(input, dim, keepdim, False, "argmin")


def _logical_reduce(input, dim, keepdim, axis, keepdims, fn, name):
    """``all``/``any`` as PyTorch: ``dim=()`` reduces nothing (an elementwise test against
    zero), and uint8 inputs give uint8 results (bool for every other dtype)."""
    input = tensor_arg(input, name)
    dim, keepdim = reduce_args(name, dim, keepdim, axis, keepdims)
    a = input._data
    xp = array_module(a)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        out = xp.asarray(a != 0)
    else:
        out = xp.asarray(fn(a, axis=normalize_dims(dim, a.ndim, name), keepdims=keepdim))
    if a.dtype == np.uint8:
        out = out.astype(np.uint8)
    return Tensor._make(out)


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element (over ``dim``) is non-zero."""
    return _logical_reduce(input, dim, keepdim, axis, keepdims, np.all, "all")


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where some element (over ``dim``) is non-zero."""
    return _logical_reduce(input, dim, keepdim, axis, keepdims, np.any, "any")


def count_nonzero(input, dim=None, *, axis=None):
    """The number of non-zero elements over ``dim`` (all dims when None), as int64."""
    dim, _ = reduce_args("count_nonzero", dim, False, axis, None)
    axes = normalize_dims(dim, input._data.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))
