"""Activation functions: softmax and log-softmax along a dim (numerically stable), and the
pointwise activations of ``torch.nn.functional`` (leaky_relu, elu, gelu, silu, ...)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..backend import erf as _erf
from ..parallel import map_ranges
from ..random import resolve
from ..tensor import Tensor
from ._util import floating, normalize_dim
from .elementwise import clamp, exp, sigmoid, tanh, where
from .reduction import sum

__all__ = [
    "softmax",
    "log_softmax",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "hardtanh",
    "relu6",
    "softplus",
    "logsigmoid",
    "mish",
    "hardsigmoid",
    "hardswish",
    "softmin",
    "softsign",
    "tanhshrink",
    "threshold",
    "hardshrink",
    "softshrink",
    "glu",
    "prelu",
    "rrelu",
]
# Also Tensor methods (``x.softmax(1)``); the rest are ``nn.functional`` only, as in PyTorch.
TENSOR_METHODS = ("softmax", "log_softmax")


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
        (out,) = ctx.saved_tensors
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
        (out,) = ctx.saved_tensors
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


# -- pointwise activations ------------------------------------------------------------------
#
# Each is one Function whose forward is plain numpy on the input's dtype.  Piecewise-linear
# ones multiply the gradient by a constant mask-derived factor (their second derivative is
# zero, as it should be).  The smooth ones apply a gradient op, ``grad * f'(x)``
# (a ``_PointwiseBackward``): its forward is ``f'`` on raw arrays, its backward uses the
# second derivative ``f''`` written with numpyflow ops, so higher derivatives are exact.
# ``inplace=True`` writes the result into the input, as PyTorch does.

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_C = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _PointwiseBackward(Function):
    """The gradient op ``grad * f'(x)`` of a pointwise activation ``f``.  A subclass gives
    ``derivative(x, *params)``: ``f'`` on a raw array, as a new array (it is scaled in
    place); and ``second(x, *params)``: ``f''`` with numpyflow ops on the Tensor ``x``.
    ``params`` are the activation's constants (and any raw array its forward kept)."""

    @staticmethod
    def forward(ctx, grad, x, *params):
        ctx.params = params
        ctx.save_for_backward(grad, x)
        d = type(ctx).derivative(x, *params)
        if getattr(d, "ndim", 0) == 0:  # numpy turns 0-d results into scalars
            return array_module(grad).asarray(d * grad)
        d *= grad
        return d

    @staticmethod
    def backward(ctx, upstream):
        grad, x = ctx.saved_tensors
        cls = type(ctx)
        need_grad, need_x = ctx.needs_input_grad[:2]
        d_grad = cls.apply(upstream, x, *ctx.params) if need_grad else None
        d_x = upstream * grad * cls.second(x, *ctx.params) if need_x else None
        return (d_grad, d_x) + (None,) * len(ctx.params)


def _activation_input(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}")
    return input


def _maybe_inplace(input, inplace, name, fn, *args):
    if inplace:
        return input._inplace(name + "_", fn, *args)
    return fn(input, *args)


class LeakyRelu(Function):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return array_module(a).where(a > 0, a, a * a.dtype.type(slope))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        xp = array_module(a._data)
        factor = xp.where(a._data > 0, a._data.dtype.type(1), a._data.dtype.type(ctx.slope))
        return grad * Tensor._make(factor), None


class Elu(Function):
    """``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``: ELU, SELU, CELU."""

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        xp = array_module(a)
        t = a.dtype.type
        neg = xp.expm1(xp.minimum(a, 0) * t(input_scale)) * t(alpha)
        out = xp.where(a > 0, a, neg)
        if scale != 1:
            out *= t(scale)
        ctx.save_for_backward(a)
        ctx.params = (alpha, scale, input_scale)
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return EluBackward.apply(grad, a, *ctx.params), None, None, None


class EluBackward(_PointwiseBackward):
    """``f' = scale`` where ``x > 0``, else ``k * exp(x * input_scale)`` with
    ``k = alpha * input_scale * scale``."""

    @staticmethod
    def derivative(x, alpha, scale, input_scale):
        xp = array_module(x)
        # exp of min(x, 0) only: no overflow (and no inf * 0) on the positive side
        neg = xp.exp(xp.minimum(x, 0) * x.dtype.type(input_scale))
        neg *= x.dtype.type(alpha * input_scale * scale)
        return xp.where(x > 0, x.dtype.type(scale), neg)

    @staticmethod
    def second(x, alpha, scale, input_scale):
        return where(x > 0, 0.0, exp(clamp(x, max=0.0) * input_scale) * (alpha * input_scale * input_scale * scale))


# erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (+-1 beyond): the rational minimax approximation
# Eigen and XLA use for float32 erf, highest power first.  Its own error is 7e-8, evaluated
# in float32 as they do: as accurate as float32 holds (1e-7).
_ERF32_P = (
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF32_Q = (
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)


def _blockwise(body, out, *arrays):
    """``body(out_block, *blocks)`` over cache-sized blocks of C-contiguous numpy arrays
    (on the threads when large); one call on the whole arrays otherwise."""
    if all(type(x) is np.ndarray and x.flags.c_contiguous for x in (out, *arrays)):
        flat_out, flat = out.reshape(-1), [x.reshape(-1) for x in arrays]
        # blocks a quarter of map_ranges' usual size: the body's few temporaries and its
        # operands then stay in the L2 cache together (erf: 5.3 vs 10 ms on 2M floats)
        map_ranges(flat_out.size, 4 * out.itemsize, lambda i0, i1: body(flat_out[i0:i1], *(x[i0:i1] for x in flat)))
    else:
        body(out, *arrays)
    return out


def _erf_float32_block(out, x, scale):
    """``out = erf(x * scale)`` on one block, in float32 (the approximation's own error,
    7e-8, is below float32's rounding)."""
    t = np.float32
    np.multiply(x, t(scale), out=out)
    np.clip(out, t(-4.0), t(4.0), out=out)
    v2 = out * out
    p = v2 * t(_ERF32_P[0])
    p += t(_ERF32_P[1])
    for c in _ERF32_P[2:]:
        p *= v2
        p += t(c)
    q = v2 * t(_ERF32_Q[0])
    q += t(_ERF32_Q[1])
    for c in _ERF32_Q[2:]:
        q *= v2
        q += t(c)
    out *= p
    out /= q


def _erf_float32(x, scale):
    """``erf(x * scale)`` for a float32 numpy array, as float32."""
    return _blockwise(lambda out, v: _erf_float32_block(out, v, scale), np.empty_like(x), x)


def _gelu_tanh_inner(u, x):
    """``u = tanh(sqrt(2/pi) (x + c x^3))``, in place."""
    t = x.dtype.type
    np.multiply(x, x, out=u)
    u *= t(_GELU_TANH_C)
    u += t(1)
    u *= x
    u *= t(_SQRT_2_OVER_PI)
    np.tanh(u, out=u)


def _gelu_tanh_out(out, x, inner):
    """``out = (tanh(u) + 1) x / 2``, in place."""
    np.add(inner, x.dtype.type(1), out=out)
    out *= x
    out *= x.dtype.type(0.5)


def _gelu_tanh_slope(d, x, inner):
    """``d = (1 + th) / 2 + x (1 - th^2) u' / 2``, ``u' = sqrt(2/pi) (1 + 3 c x^2)``, in place."""
    t = x.dtype.type
    np.multiply(x, x, out=d)
    d *= t(3 * _GELU_TANH_C * _SQRT_2_OVER_PI)
    d += t(_SQRT_2_OVER_PI)
    d *= x
    squared = inner * inner
    np.subtract(t(1), squared, out=squared)
    d *= squared
    d += inner
    d += t(1)
    d *= t(0.5)


def _gelu_erf_slope(d, x, inner):
    """``d = (1 + erf(x / sqrt 2)) / 2 + x phi(x)``, in place."""
    t = x.dtype.type
    np.multiply(x, x, out=d)
    d *= t(-0.5)
    np.exp(d, out=d)
    d *= x
    d *= t(_INV_SQRT_2PI)
    cdf = inner + t(1)  # Phi(x) whole before x phi(x) joins it: tiny results keep their digits
    cdf *= t(0.5)
    d += cdf


class Gelu(Function):
    @staticmethod
    def forward(ctx, a, approximate):
        xp = array_module(a)
        t = a.dtype.type
        if approximate == "tanh" and xp is np:
            inner = _blockwise(_gelu_tanh_inner, np.empty_like(a), a)
            ctx.save_for_backward(a, inner)
            ctx.approximate = approximate
            return _blockwise(_gelu_tanh_out, np.empty_like(a), a, inner)
        if approximate == "tanh":
            inner = xp.tanh((a + a * a * a * t(_GELU_TANH_C)) * t(_SQRT_2_OVER_PI))
        elif xp is np and a.dtype == np.float32:
            inner = _erf_float32(a, _INV_SQRT_2)
        else:
            inner = _erf(xp, a * t(_INV_SQRT_2))
        inner = xp.asarray(inner)
        out = (inner + 1) * a * t(0.5)
        # keep tanh(u) or erf(x / sqrt 2): the derivative reuses it (erf is the costly part)
        ctx.save_for_backward(a, inner)
        ctx.approximate = approximate
        return out

    @staticmethod
    def backward(ctx, grad):
        a, inner = ctx.saved_tensors
        return GeluBackward.apply(grad, a, inner._data, ctx.approximate), None


class GeluBackward(_PointwiseBackward):
    """``f' = Phi(x) + x phi(x)`` (or the tanh form's), from the ``erf(x / sqrt 2)`` or
    ``tanh(u)`` the forward kept (``inner``)."""

    @staticmethod
    def derivative(x, inner, approximate):
        t = x.dtype.type
        if approximate == "tanh" and type(x) is np.ndarray:
            return _blockwise(_gelu_tanh_slope, np.empty_like(x), x, inner)
        if approximate == "tanh":
            du = (x * x * t(3 * _GELU_TANH_C) + t(1)) * t(_SQRT_2_OVER_PI)
            return (inner + 1) * t(0.5) + x * t(0.5) * (1 - inner * inner) * du
        if type(x) is np.ndarray:
            return _blockwise(_gelu_erf_slope, np.empty_like(x), x, inner)
        return (inner + 1) * t(0.5) + x * array_module(x).exp(x * x * t(-0.5)) * t(_INV_SQRT_2PI)

    @staticmethod
    def second(x, inner, approximate):
        if approximate == "tanh":  # f'' = (1 - th^2) (u' - x th u'^2 + x u'' / 2), u'' = 6 c sqrt(2/pi) x
            th = tanh((x + x * x * x * _GELU_TANH_C) * _SQRT_2_OVER_PI)
            du = (x * x * (3 * _GELU_TANH_C) + 1) * _SQRT_2_OVER_PI
            return (1 - th * th) * (du - x * th * du * du + x * x * (3 * _GELU_TANH_C * _SQRT_2_OVER_PI))
        return exp(x * x * -0.5) * (2 - x * x) * _INV_SQRT_2PI  # phi(x) (2 - x^2)


class Silu(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * _sigmoid_array(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return SiluBackward.apply(grad, a)


class SiluBackward(_PointwiseBackward):
    """``f' = s (1 + x (1 - s))``, ``f'' = s (1 - s) (2 + x (1 - 2 s))``, ``s = sigmoid(x)``."""

    @staticmethod
    def derivative(x):
        s = _sigmoid_array(x)
        d = x * (1 - s)
        d += 1
        d *= s
        return d

    @staticmethod
    def second(x):
        s = sigmoid(x)
        return s * (1 - s) * (x * (1 - 2 * s) + 2)


class Hardtanh(Function):
    """Clamp to [min_val, max_val]; the gradient passes strictly inside (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        t = a.dtype.type
        return array_module(a).clip(a, t(lo), t(hi))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        d = a._data
        return grad * Tensor._make(((d > lo) & (d < hi)).astype(d.dtype)), None, None


class Relu6(Hardtanh):
    _public_name = "Hardtanh"


class Softplus(Function):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        xp = array_module(a)
        t = a.dtype.type
        z = a * t(beta)
        soft = xp.logaddexp(t(0), z)
        if beta != 1:
            soft /= t(beta)
        ctx.save_for_backward(a)
        ctx.params = (beta, threshold)
        return xp.where(z > threshold, a, soft)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return SoftplusBackward.apply(grad, a, *ctx.params), None, None


class SoftplusBackward(_PointwiseBackward):
    """``f' = sigmoid(beta x)``, ``f'' = beta s (1 - s)``; 1 and 0 where ``beta x > threshold``."""

    @staticmethod
    def derivative(x, beta, threshold):
        z = x * x.dtype.type(beta)
        return array_module(x).where(z > threshold, x.dtype.type(1), _sigmoid_array(z))

    @staticmethod
    def second(x, beta, threshold):
        z = x * beta
        s = sigmoid(z)
        return where(z > threshold, 0.0, s * (1 - s) * beta)


class LogSigmoid(Function):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, stable for any ``x``."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        ctx.save_for_backward(a)
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return LogSigmoidBackward.apply(grad, a)


class LogSigmoidBackward(_PointwiseBackward):
    """``f' = sigmoid(-x)``, ``f'' = -sigmoid(x) sigmoid(-x)``."""

    @staticmethod
    def derivative(x):
        return _sigmoid_array(-x)

    @staticmethod
    def second(x):
        return -(sigmoid(x) * sigmoid(-x))


class Mish(Function):
    """``x * tanh(softplus(x))``."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        t = a.dtype.type
        sp = xp.where(a > 20, a, xp.logaddexp(t(0), a))
        ctx.save_for_backward(a)
        return a * xp.tanh(sp)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return MishBackward.apply(grad, a)


class MishBackward(_PointwiseBackward):
    """With ``th = tanh(softplus(x))`` and ``s = sigmoid(x)``: ``f' = th + x (1 - th^2) s``,
    ``f'' = (1 - th^2) s (2 - 2 x th s + x (1 - s))``."""

    @staticmethod
    def derivative(x):
        xp = array_module(x)
        th = xp.tanh(xp.where(x > 20, x, xp.logaddexp(x.dtype.type(0), x)))
        d = 1 - th * th
        d *= x
        d *= _sigmoid_array(x)
        d += th
        return d

    @staticmethod
    def second(x):
        th = tanh(softplus(x))
        s = sigmoid(x)
        return (1 - th * th) * s * (2 - 2 * x * th * s + x * (1 - s))


class Hardsigmoid(Function):
    """``relu6(x + 3) / 6``; gradient 1/6 strictly inside (-3, 3)."""

    @staticmethod
    def forward(ctx, a):
        t = a.dtype.type
        ctx.save_for_backward(a)
        return array_module(a).clip(a / t(6) + t(0.5), t(0), t(1))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        d = a._data
        return grad * Tensor._make(((d > -3) & (d < 3)).astype(d.dtype) / d.dtype.type(6))


class Hardswish(Function):
    """``x * relu6(x + 3) / 6``."""

    @staticmethod
    def forward(ctx, a):
        t = a.dtype.type
        ctx.save_for_backward(a)
        return a * array_module(a).clip(a / t(6) + t(0.5), t(0), t(1))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        # PyTorch: 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above 3
        return grad * where(a < -3, 0.0, where(a <= 3, a / 3 + 0.5, 1.0))


def _sigmoid_array(a):
    """sigmoid on a raw array, from exp(-|a|) only (no overflow, full relative accuracy)."""
    xp = array_module(a)
    e = xp.exp(-xp.abs(a))
    r = 1 / (1 + e)
    return xp.where(a >= 0, r, e * r).astype(a.dtype, copy=False)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    _activation_input(input, "leaky_relu")
    return _maybe_inplace(input, inplace, "leaky_relu", LeakyRelu.apply, float(negative_slope))


def elu(input, alpha=1.0, inplace=False):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    _activation_input(input, "elu")
    return _maybe_inplace(input, inplace, "elu", Elu.apply, float(alpha), 1.0, 1.0)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    _activation_input(input, "selu")
    return _maybe_inplace(input, inplace, "selu", Elu.apply, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    _activation_input(input, "celu")
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError, alpha must not be 0")
    return _maybe_inplace(input, inplace, "celu", Elu.apply, float(alpha), 1.0, 1.0 / float(alpha))


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (``Phi`` the normal CDF, through erf); ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    _activation_input(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh (got '{approximate}')")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (swish)."""
    _activation_input(input, "silu")
    return _maybe_inplace(input, inplace, "silu", Silu.apply)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``clamp(x, min_val, max_val)``; the gradient is 1 strictly between the bounds."""
    _activation_input(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(input, inplace, "hardtanh", Hardtanh.apply, float(min_val), float(max_val))


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``."""
    _activation_input(input, "relu6")
    return _maybe_inplace(input, inplace, "relu6", Relu6.apply, 0.0, 6.0)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    _activation_input(input, "softplus")
    return Softplus.apply(input, float(beta), float(threshold))


def logsigmoid(input):
    """``log(sigmoid(x))``, without overflow."""
    _activation_input(input, "logsigmoid")
    return LogSigmoid.apply(input)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    _activation_input(input, "mish")
    return _maybe_inplace(input, inplace, "mish", Mish.apply)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    _activation_input(input, "hardsigmoid")
    return _maybe_inplace(input, inplace, "hardsigmoid", Hardsigmoid.apply)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    _activation_input(input, "hardswish")
    return _maybe_inplace(input, inplace, "hardswish", Hardswish.apply)


# -- activations composed of the ops above -------------------------------------------------


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    return softmax(-input, dim, dtype=dtype)


def softsign(input):
    """``x / (1 + |x|)``."""
    _activation_input(input, "softsign")
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    _activation_input(input, "tanhshrink")
    return input - tanh(input)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"threshold(): argument 'input' must be Tensor, not {type(input).__name__}")

    def fn(x, t, v):
        return where(x > t, x, x * 0 + v)

    return _maybe_inplace(input, inplace, "threshold", fn, threshold, value)


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    _activation_input(input, "hardshrink")
    return where(input.abs() > lambd, input, input * 0)


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    _activation_input(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}.")
    zero = input * 0
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, zero))


def glu(input, dim=-1):
    """The gated linear unit ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input``
    along ``dim``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"glu(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = normalize_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, d)
    return a * sigmoid(b)


def prelu(input, weight):
    """``x`` where ``x >= 0``, else ``weight * x``; ``weight`` has one element or one per
    channel (dim 1)."""
    _activation_input(input, "prelu")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    if weight.numel() > 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    else:
        weight = weight.reshape(())
    return where(input >= 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a random slope: drawn per element from U(lower, upper) when
    ``training``, else the mean slope ``(lower + upper) / 2``."""
    _activation_input(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = Tensor._make(resolve(None).uniform(lower, upper, input.shape, input._data.dtype, input.device))
    return _maybe_inplace(input, inplace, "rrelu", lambda x, s: where(x >= 0, x, x * s), slope)


# In-place forms of ``nn.functional`` (``F.relu_(x)`` is ``F.relu(x, inplace=True)``).
def relu_(input):
    """``relu`` in place; returns ``input``."""
    return input.relu_()


def elu_(input, alpha=1.0):
    """``elu`` in place; returns ``input``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """``leaky_relu`` in place; returns ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """``hardtanh`` in place; returns ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


_threshold = threshold  # the parameter below shadows the function's name, as in PyTorch


def threshold_(input, threshold, value):
    """``threshold`` in place; returns ``input``."""
    return _threshold(input, threshold, value, inplace=True)


def celu_(input, alpha=1.0):
    """``celu`` in place; returns ``input``."""
    return celu(input, alpha, inplace=True)


def selu_(input):
    """``selu`` in place; returns ``input``."""
    return selu(input, inplace=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``rrelu`` in place; returns ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


__all__ += ["relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "celu_", "selu_", "rrelu_"]
