"""Elementwise ops: arithmetic, math functions and comparisons, with broadcasting.

Backward functions return gradients in the broadcast shape; the Function base class
sums them back to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .._errors import broadcast_error
from ..autograd.function import Function
from ..backend import array_module
from ..backend import erf as _erf
from ..parallel import elementwise as _blockwise
from ..tensor import Tensor
from ._util import as_tensor_arg, floating, promote, scalar_or_tensor, tensor_arg

__all__ = [
    "abs",
    "absolute",
    "add",
    "addcdiv",
    "addcmul",
    "allclose",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "cast",
    "ceil",
    "clamp",
    "clip",
    "clone",
    "cos",
    "div",
    "divide",
    "eq",
    "equal",
    "erf",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "fmod",
    "ge",
    "greater",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lerp",
    "less",
    "log",
    "log10",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "maximum",
    "minimum",
    "mul",
    "multiply",
    "ne",
    "neg",
    "negative",
    "nonzero",
    "pow",
    "reciprocal",
    "relu",
    "remainder",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sin",
    "sqrt",
    "square",
    "sub",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
]
# Also Tensor methods of the same name (``x.exp()`` is ``exp(x)``): all but ``cast``
# (``Tensor.to`` calls it) and ``where`` (``x.where(condition, y)`` takes its arguments in
# another order; tensor.py binds it).
TENSOR_METHODS = tuple(name for name in __all__ if name not in ("cast", "where"))

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_BLOCKWISE_MIN = 1 << 16  # elements: smaller arrays are done in one call


# -- arithmetic ---------------------------------------------------------------------------


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        if getattr(a, "size", 0) >= _BLOCKWISE_MIN and getattr(b, "shape", None) == a.shape and b.dtype == a.dtype:
            xp = array_module(a)
            return _blockwise(lambda out, x, y: xp.add(x, y, out=out), xp.empty_like(a), a, b)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None, grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b if ctx.needs_input_grad[0] else None
        gb = -grad * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class FloorDivide(Function):
    """``a // b`` (rounds toward minus infinity); its gradient is zero almost everywhere."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad * 0


class Remainder(Function):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        xp = array_module(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -grad * floor_divide(a, b)
        return grad, gb


class Fmod(Function):
    """``a % b`` with the sign of ``a`` (C's ``fmod``)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gb = -grad * trunc(div(a, b)) if ctx.needs_input_grad[1] else None
        return grad, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """``a ** b`` for two tensors."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        if a.dtype.kind in "iu" and b.dtype.kind in "iu":
            out = _int_power(xp, a, b)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = xp.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = where(b == 0, 0.0, grad * b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            gb = grad * where((a == 0) & (b >= 0), 0.0, out * log(a))
        return ga, gb


def _int_power(xp, a, b):
    """``a ** b`` for integer arrays, as PyTorch computes it: a negative exponent gives 1
    for a base of 1, +-1 for a base of -1 (by the exponent's parity) and 0 otherwise
    (numpy refuses negative integer powers); overflow wraps around."""
    neg = b < 0
    if not bool(neg.any()):
        return xp.power(a, b)
    out = xp.power(a, xp.where(neg, 0, b))
    odd = (b % 2) != 0
    small = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(out.dtype)
    return xp.where(neg, small, out)


class PowScalar(Function):
    """``a ** c`` for a Python number ``c``."""

    _public_name = "Pow"

    @staticmethod
    def forward(ctx, a, c):
        ctx.save_for_backward(a)
        ctx.c = c
        xp = array_module(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            if c == 2:
                return a * a
            return xp.power(a, c)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return grad * 0, None
        if c == 1:
            return grad, None
        if c == 2:
            return grad * 2.0 * a, None
        return grad * c * a ** (c - 1), None


class RPow(Function):
    """``c ** a`` for a Python number ``c``."""

    _public_name = "Pow"

    @staticmethod
    def forward(ctx, c, a):
        xp = array_module(a)
        if a.dtype.kind in "iu":
            out = _int_power(xp, xp.asarray(c).astype(a.dtype), a)
        else:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = xp.power(a.dtype.type(c), a)
        ctx.save_for_backward(a, out)
        ctx.c = c
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return None, where(a >= 0, 0.0, grad * out * -math.inf)
        with np.errstate(invalid="ignore"):
            log_c = float(np.log(np.float64(c)))
        return None, grad * out * log_c


# -- one-input math -------------------------------------------------------------------


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Exp2(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).exp2(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * _LN2


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(a).log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Log2(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(a).log2(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * _LN2)


class Log10(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(a).log10(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * _LN10)


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(a).log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Expm1(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).expm1(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            out = array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * out * out * -0.5


class Reciprocal(Function):
    @staticmethod
    def forward(ctx, a):
        with np.errstate(divide="ignore"):
            out = 1 / a
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -grad * out * out


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * sin(a)


class Tan(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).tan(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)


class Tanh(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        # exp of a non-positive number only, so no overflow for large |a|.
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        out = _blockwise(lambda o, x: xp.maximum(x, 0, out=o), xp.empty_like(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ReluBackward.apply(grad, out)


class ReluBackward(Function):
    """``grad`` where ``out > 0``, else 0: ReLU's backward as one op (linear in ``grad``;
    the mask has no gradient)."""

    _public_name = "ThresholdBackward"

    @staticmethod
    def forward(ctx, grad, out):
        xp = array_module(grad, out)
        ctx.save_for_backward(out)
        if grad.shape != out.shape or grad.dtype != out.dtype:
            return grad * (out > 0)
        return _blockwise(lambda r, g, o: xp.multiply(g, o > 0, out=r), xp.empty_like(grad), grad, out)

    @staticmethod
    def backward(ctx, gg):
        (out,) = ctx.saved_tensors
        return ReluBackward.apply(gg, out), None


class Erf(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(array_module(a), a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * exp(-(a * a)) * _TWO_OVER_SQRT_PI


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sign(a)


class _ZeroGradient(Function):
    """Ops that are piecewise constant: their gradient is zero wherever it exists."""

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Sign(_ZeroGradient):
    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:  # numpy has no bool sign; True is 1 and False 0 already
            return a.copy()
        xp = array_module(a)
        if a.dtype.kind == "f":  # PyTorch's sign of NaN is 0
            return xp.where(xp.isnan(a), a.dtype.type(0), xp.sign(a))
        return xp.sign(a)


class Floor(_ZeroGradient):
    @staticmethod
    def forward(ctx, a):
        return array_module(a).floor(a)


class Ceil(_ZeroGradient):
    @staticmethod
    def forward(ctx, a):
        return array_module(a).ceil(a)


class Round(_ZeroGradient):
    @staticmethod
    def forward(ctx, a, decimals=0):
        return array_module(a).round(a, decimals)  # half to even, as PyTorch

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


class Trunc(_ZeroGradient):
    @staticmethod
    def forward(ctx, a):
        return array_module(a).trunc(a)


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # Ties share the gradient equally, as in PyTorch.
        half = grad * 0.5
        ga = where(a < b, 0.0, where(a == b, half, grad)) if ctx.needs_input_grad[0] else None
        gb = where(a > b, 0.0, where(a == b, half, grad)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half = grad * 0.5
        ga = where(a > b, 0.0, where(a == b, half, grad)) if ctx.needs_input_grad[0] else None
        gb = where(a < b, 0.0, where(a == b, half, grad)) if ctx.needs_input_grad[1] else None
        return ga, gb


class Clamp(Function):
    """Clamp to number bounds; the gradient passes where ``lo <= a <= hi``."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        xp = array_module(a)
        out = a
        if lo is not None:
            out = xp.maximum(out, a.dtype.type(lo)) if a.dtype.kind == "f" else xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, a.dtype.type(hi)) if a.dtype.kind == "f" else xp.minimum(out, hi)
        if out is a:
            out = a.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        mask = None
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = (a <= hi) if mask is None else mask & (a <= hi)
        return grad * mask, None, None


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return array_module(cond).where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        ga = where(cond, grad, 0.0) if ctx.needs_input_grad[1] else None
        gb = where(cond, 0.0, grad) if ctx.needs_input_grad[2] else None
        return None, ga, gb


class Cast(Function):
    """A dtype conversion; the gradient is cast back by the base class."""

    _public_name = "ToCopy"

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


# -- public functions ---------------------------------------------------------------------


def wrap_int(value, dtype):
    """A Python int brought into an integer ``dtype``'s range as a C cast does (PyTorch
    converts a scalar to the tensor's dtype: ``uint8 == -1`` compares with 255); other
    values are returned as they are."""
    if type(value) is int and np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            return int(np.asarray(value, np.int64).astype(dtype))
    return value


def _scaled(input, other, alpha, name):
    """``input`` and ``alpha * other`` in the dtype PyTorch computes ``name`` in; an int
    alpha wraps into an integer dtype (``alpha=-3`` is 253 for uint8)."""
    if alpha == 1:
        return promote(input, other, name)
    if not isinstance(other, Tensor) and not isinstance(input, Tensor):
        other = mul(other, alpha)
        return promote(input, other, name)
    a, b = promote(input, other, name)
    if isinstance(b, Tensor):
        return a, mul(b, wrap_int(alpha, b._data.dtype))
    return a, b * alpha


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    a, b = _scaled(input, other, alpha, "add")
    return Add.apply(a, b)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    a, b = _scaled(input, other, alpha, "sub")
    if all(isinstance(x, Tensor) and x._data.dtype == np.bool_ for x in (a, b)):
        raise RuntimeError("sub: subtraction with two bool tensors is not supported; use logical_xor")
    return Sub.apply(a, b)


subtract = sub


def mul(input, other):
    """``input * other`` with broadcasting."""
    a, b = promote(input, other, "mul")
    return Mul.apply(a, b)


multiply = mul


def div(input, other, *, rounding_mode=None):
    """True division (integers give float32); ``rounding_mode`` 'trunc' or 'floor'."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    a, b = promote(input, other, "div")
    if rounding_mode == "trunc":
        ints = all(x._data.dtype.kind in "iub" for x in (a, b) if isinstance(x, Tensor))
        q = trunc(Div.apply(*_to_float(a, b)))
        return q.to(a._data.dtype if isinstance(a, Tensor) else b._data.dtype) if ints else q
    if rounding_mode is not None:
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    a, b = _to_float(a, b)
    return Div.apply(a, b)


divide = true_divide = div


def _to_float(a, b):
    """Integer operands of a true division are computed in the default float dtype."""
    ref = a if isinstance(a, Tensor) else b
    if ref._data.dtype.kind in "fc":
        return a, b
    f = dtypes.default_numpy_float()
    return (a.to(f) if isinstance(a, Tensor) else a), (b.to(f) if isinstance(b, Tensor) else b)


def floor_divide(input, other):
    """``input // other``, rounding toward minus infinity."""
    a, b = promote(input, other, "floor_divide")
    return FloorDivide.apply(a, b)


def remainder(input, other):
    """``input % other`` with the divisor's sign (Python's ``%``)."""
    a, b = promote(input, other, "remainder")
    return Remainder.apply(a, b)


def fmod(input, other):
    """C-style remainder with the dividend's sign."""
    a, b = promote(input, other, "fmod")
    return Fmod.apply(a, b)


def neg(input):
    """``-input``."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("neg: negation of a bool tensor is not supported; use logical_not")
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """``input ** exponent``: tensor or number base and exponent."""
    if not isinstance(input, Tensor):
        base = scalar_or_tensor(input)
        if isinstance(base, Tensor):
            return pow(base, exponent)
        t = exponent
        if t._data.dtype.kind not in "fc" and isinstance(base, float):
            t = floating(t)
        elif t._data.dtype == np.bool_ and isinstance(base, int):
            t = t.to(dtypes.result_type(t._data, base))  # int ** bool is int64, as in PyTorch
        return RPow.apply(base, t)
    exponent = scalar_or_tensor(exponent)
    if isinstance(exponent, Tensor):
        a, b = promote(input, exponent, "pow")
        if a._data.dtype == np.bool_:
            raise NotImplementedError("pow: not implemented for two bool tensors (expected a numeric dtype)")
        return Pow.apply(a, b)
    if isinstance(exponent, float) and input._data.dtype.kind not in "fc":
        input = floating(input)
    if input._data.dtype.kind in "iub" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError(
            f"pow: Integers to negative integer powers are not allowed (got a {input.dtype} tensor to the "
            f"power {exponent}); expected a non-negative exponent, or a floating-point base or exponent"
        )
    if input._data.dtype.kind in "iu" and isinstance(exponent, int):
        info = np.iinfo(input._data.dtype)
        if not info.min <= exponent <= info.max:  # PyTorch computes in the tensor's dtype
            raise RuntimeError(
                f"pow: value cannot be converted to type {input.dtype} without overflow (got exponent "
                f"{exponent}; expected one in [{info.min}, {info.max}])"
            )
    if input._data.dtype == np.bool_ and isinstance(exponent, int):
        input = input.to(dtypes.result_type(input._data, exponent))  # bool ** int is int64, as in PyTorch
    return PowScalar.apply(input, exponent)


def square(input):
    return pow(input, 2)


def _unary_float(fn):
    """A math function that turns integer inputs to the default float first."""

    def op(input):
        return fn.apply(floating(tensor_arg(input, fn.__name__.lower())))

    op.__name__ = op.__qualname__ = fn.__name__.lower()
    op.__doc__ = f"Elementwise ``{op.__name__}``, differentiable."
    return op


exp = _unary_float(Exp)
exp2 = _unary_float(Exp2)
log = _unary_float(Log)
log2 = _unary_float(Log2)
log10 = _unary_float(Log10)
log1p = _unary_float(Log1p)
expm1 = _unary_float(Expm1)
sqrt = _unary_float(Sqrt)
rsqrt = _unary_float(Rsqrt)
reciprocal = _unary_float(Reciprocal)
sin = _unary_float(Sin)
cos = _unary_float(Cos)
tan = _unary_float(Tan)
tanh = _unary_float(Tanh)
sigmoid = _unary_float(Sigmoid)
erf = _unary_float(Erf)


def relu(input):
    """``max(input, 0)`` elementwise."""
    return Relu.apply(tensor_arg(input, "relu"))


def abs(input):
    """``|input|``; the gradient at 0 is 0."""
    return Abs.apply(tensor_arg(input, "abs"))


absolute = abs


def sign(input):
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return Sign.apply(tensor_arg(input, "sign"))


def _no_bool(input, op):
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for 'Bool' (as in PyTorch)")


def _rounding(fn):
    def op(input):
        input = tensor_arg(input, fn.__name__.lower())
        _no_bool(input, fn.__name__.lower())
        if input._data.dtype.kind in "iu":
            return input.clone()
        return fn.apply(input)

    op.__name__ = op.__qualname__ = fn.__name__.lower()
    op.__doc__ = f"Elementwise ``{op.__name__}`` (zero gradient)."
    return op


floor = _rounding(Floor)
ceil = _rounding(Ceil)
trunc = _rounding(Trunc)


def round(input, *, decimals=0):
    """Round half to even (as PyTorch), optionally to ``decimals`` places."""
    _no_bool(input, "round")
    if input._data.dtype.kind in "iu":
        return input.clone()
    return Round.apply(input, decimals)


def maximum(input, other):
    """Elementwise maximum; ties share the gradient equally."""
    a, b = promote(input, other, "maximum")
    return Maximum.apply(as_tensor_arg(a), as_tensor_arg(b))


def minimum(input, other):
    """Elementwise minimum; ties share the gradient equally."""
    a, b = promote(input, other, "minimum")
    return Minimum.apply(as_tensor_arg(a), as_tensor_arg(b))


def clamp(input, min=None, max=None):
    """Limit ``input`` to [min, max]; the bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
        return out
    if isinstance(min, float) or isinstance(max, float):
        input = floating(input)
    return Clamp.apply(input, min, max)


clip = clamp


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (numbers or
    tensors, broadcast).  With only ``condition``, the indices where it holds."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    cond = as_tensor_arg(condition)
    if cond._data.dtype != np.bool_:
        cond = cond.to(np.bool_)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor_arg(
            np.asarray(input, dtypes.result_type(input, other)) if isinstance(input, (bool, int, float)) else input
        )
    a, b = promote(input, other, "where")
    if not isinstance(a, Tensor):
        a = as_tensor_arg(a, like=b)
    if not isinstance(b, Tensor):
        b = as_tensor_arg(b, like=a)
    return Where.apply(cond, a, b)


def cast(input: Tensor, np_dtype) -> Tensor:
    """``input`` converted to a numpy dtype (returns ``input`` itself when already there)."""
    if input._data.dtype == np_dtype:
        return input
    return Cast.apply(input, np_dtype)


def clone(input, *, memory_format=None):
    """A copy with its own memory, recorded for backward."""
    return Clone.apply(input)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return input + value * tensor1 / tensor2


# -- comparisons and logic (no gradient) ----------------------------------------------------


def _compare(name, ufunc):
    def op(input, other):
        a, b = promote(input, other, name)
        xa = a._data if isinstance(a, Tensor) else a
        xb = b._data if isinstance(b, Tensor) else b
        if not isinstance(a, Tensor):  # PyTorch converts an int scalar to the tensor's dtype
            xa = wrap_int(xa, xb.dtype)
        elif not isinstance(b, Tensor):
            xb = wrap_int(xb, xa.dtype)
        try:
            out = ufunc(xa, xb)
        except ValueError:
            raise broadcast_error(name, (np.shape(xa), np.shape(xb))) from None
        return Tensor._make(array_module(out).asarray(out))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` as a bool tensor (no gradient)."
    return op


eq = _compare("eq", np.equal)
ne = _compare("ne", np.not_equal)
lt = less = _compare("lt", np.less)
le = _compare("le", np.less_equal)
gt = greater = _compare("gt", np.greater)
ge = _compare("ge", np.greater_equal)
logical_and = _compare("logical_and", np.logical_and)
logical_or = _compare("logical_or", np.logical_or)
logical_xor = _compare("logical_xor", np.logical_xor)


def _bitwise(name, ufunc):
    def op(input, other):
        a, b = promote(input, other, name)
        xa = a._data if isinstance(a, Tensor) else a
        xb = b._data if isinstance(b, Tensor) else b
        ref = xa if isinstance(a, Tensor) else xb
        if ref.dtype.kind not in "iub":
            raise RuntimeError(
                f"{name}: only integer and bool tensors are supported, got {dtypes.from_numpy(ref.dtype)}"
            )
        return Tensor._make(array_module(ref).asarray(ufunc(xa, xb)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors (no gradient)."
    return op


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)


def bitwise_not(input):
    """``~input`` for integer and bool tensors."""
    if input._data.dtype.kind not in "iub":
        raise RuntimeError(f"bitwise_not: only integer and bool tensors are supported, got {input.dtype}")
    return Tensor._make(array_module(input._data).invert(input._data))


def logical_not(input):
    return Tensor._make(array_module(input._data).logical_not(input._data))


def equal(input, other) -> bool:
    """True when both tensors have the same shape and values."""
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


def isnan(input):
    return Tensor._make(array_module(input._data).isnan(input._data))


def isinf(input):
    return Tensor._make(array_module(input._data).isinf(input._data))


def isfinite(input):
    return Tensor._make(array_module(input._data).isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    other = as_tensor_arg(other)
    return Tensor._make(array_module(input._data).isclose(input._data, other._data, rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple per dim.
    A 0-d tensor gives shape (1, 0) or (0, 0), and as a tuple one index into it viewed
    as 1-d, as in PyTorch."""
    xp = array_module(input._data)
    a = input._data
    if a.ndim == 0:
        hits = int(bool(a))
        if as_tuple:
            return (Tensor._make(xp.zeros(hits, np.int64)),)
        return Tensor._make(xp.zeros((hits, 0), np.int64))
    idx = xp.nonzero(a)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype(np.int64))
