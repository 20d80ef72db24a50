"""More elementwise ops, as PyTorch's: ``hypot``, ``fmax``/``fmin``, ``frac``, ``sgn``, the
sign and infinity tests, degree conversions, ``logit``, ``nan_to_num``, ``float_power``,
``heaviside``, ``gcd``/``lcm``, ``ldexp``, ``sinc``, ``erfc``, ``i0``, ``nextafter``,
``positive``, ``fix`` and ``clamp_min``/``clamp_max``.

Ops that are a composition of existing differentiable ops are written as one (``ldexp`` is
``input * 2**other`` as in PyTorch); the others are one ``Function`` each.  The predicates,
``heaviside`` and ``gcd``/``lcm`` have no gradient (as in PyTorch).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..backend import array_module
from ..backend import erf as _erf
from ..tensor import Tensor
from ._util import floating, promote, tensor_arg
from .elementwise import clamp, cos, exp, isfinite, pow, sin, trunc, where

__all__ = [
    "clamp_max",
    "clamp_min",
    "deg2rad",
    "erfc",
    "fix",
    "float_power",
    "fmax",
    "fmin",
    "frac",
    "gcd",
    "heaviside",
    "hypot",
    "i0",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "ldexp",
    "logit",
    "nan_to_num",
    "nextafter",
    "positive",
    "rad2deg",
    "sgn",
    "signbit",
    "sinc",
]
TENSOR_METHODS = tuple(__all__)

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERFC_CF_FROM = 2.0  # erfc by continued fraction at and above this, 1 - erf below
_ERFC_CF_TERMS = 120


def _two_tensors(name, input, other, floating_only=False, integer_only=False):
    for arg, what, position in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(
                f"{name}(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}"
            )
    a, b = promote(input, other, name)
    kind = a._data.dtype.kind
    if floating_only and kind not in "fc":
        raise NotImplementedError(f'"{name}" not implemented for {a.dtype} tensors (expected floating point)')
    if integer_only and kind not in "iu":
        raise NotImplementedError(f'"{name}" not implemented for {a.dtype} tensors (expected integer tensors)')
    return a, b


def _no_grad_result(array) -> Tensor:
    return Tensor._make(array_module(array).asarray(array))


# -- differentiable ------------------------------------------------------------------------


class Hypot(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = array_module(a).hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = grad * a / out if ctx.needs_input_grad[0] else None
        gb = grad * b / out if ctx.needs_input_grad[1] else None
        return ga, gb


class _FExtreme(Function):
    """``fmax``/``fmin``: the larger (smaller) value, NaN only where both are NaN.  The
    gradient goes to ``a`` where it wins or ties or ``b`` is NaN, else to ``b`` (PyTorch's)."""

    @staticmethod
    def forward(ctx, a, b, is_max):
        xp = array_module(a, b)
        ctx.is_max = is_max
        ctx.save_for_backward(a, b)
        return (xp.fmax if is_max else xp.fmin)(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_wins = ((a >= b) if ctx.is_max else (a <= b)).logical_or(b.isnan())
        zero = grad * 0
        ga = where(a_wins, grad, zero) if ctx.needs_input_grad[0] else None
        gb = where(a_wins, zero, grad) if ctx.needs_input_grad[1] else None
        return ga, gb, None


class Frac(Function):
    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as PyTorch
            return a - array_module(a).trunc(a)

    @staticmethod
    def backward(ctx, grad):
        return grad


class Sgn(Function):
    """``sign`` for real tensors, 0 at NaN (PyTorch's); zero gradient."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        if a.dtype == np.bool_:
            return a.copy()
        out = xp.sign(a)
        if a.dtype.kind == "f":
            out = xp.where(xp.isnan(a), a.dtype.type(0), out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Logit(Function):
    """``log(x / (1 - x))`` of ``x`` clamped to ``[eps, 1 - eps]`` (``eps`` None: unclamped)."""

    @staticmethod
    def forward(ctx, a, eps):
        xp = array_module(a)
        ctx.eps = eps
        ctx.save_for_backward(a)
        x = a if eps is None else xp.clip(a, a.dtype.type(eps), a.dtype.type(1 - eps))
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(x / (1 - x)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        eps = ctx.eps
        g = grad / (a * (1 - a))
        if eps is None:
            return where((a < 0).logical_or(a > 1), math.nan, g), None
        return where((a < eps).logical_or(a > 1 - eps), 0.0, g), None


class NanToNum(Function):
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.save_for_backward(a)
        info = np.finfo(a.dtype)
        xp = array_module(a)
        out = xp.where(xp.isnan(a), a.dtype.type(nan), a)
        out = xp.where(a == np.inf, a.dtype.type(info.max if posinf is None else posinf), out)
        return xp.where(a == -np.inf, a.dtype.type(info.min if neginf is None else neginf), out)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * isfinite(a), None, None, None


class Sinc(Function):
    """``sin(pi x) / (pi x)``, 1 at 0."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        ctx.save_for_backward(a)
        product = a * a.dtype.type(math.pi)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xp.sin(product) / product
        return xp.where(a == 0, a.dtype.type(1), out)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        zero = a == 0
        safe = where(zero, 1.0, a)
        product = safe * math.pi
        derivative = (product * cos(product) - sin(product)) / (product * safe)
        return grad * where(zero, 0.0, derivative)


def _erfc_array(a):
    xp = array_module(a)
    out = xp.array(1 - _erf(xp, a), dtype=a.dtype, ndmin=0)
    far = a >= _ERFC_CF_FROM
    if far.any():
        x = xp.asarray(a[far], dtype=np.float64)
        k = x.copy()
        for n in range(_ERFC_CF_TERMS, 0, -1):  # erfc(x) = e^-x^2 / sqrt(pi) / (x + 1/2 / (x + 1 / (x + ...)))
            k = x + (n / 2) / k
        with np.errstate(over="ignore", under="ignore"):
            out[far] = (xp.exp(-x * x) / (math.sqrt(math.pi) * k)).astype(a.dtype)
    return out.astype(a.dtype, copy=False)


class Erfc(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erfc_array(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * exp(-(a * a)) * -_TWO_OVER_SQRT_PI


def _i1_array(a):
    """The modified Bessel function of the first kind, order 1, by its power series (all
    terms of one sign, so no cancellation), in float64."""
    x = np.asarray(a, dtype=np.float64)
    half = x / 2
    quarter_square = half * half
    term = half.copy()
    total = term.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(100000):
            term = term * quarter_square / ((k + 1) * (k + 2))
            total = total + term
            if not np.any(np.abs(term) > 1e-17 * np.abs(total)):
                break
    return total


class I0(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(np.i0(np.asarray(a, dtype=np.float64)), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * I1.apply(a)


class I1(Function):
    """``i1``, ``i0``'s derivative; its own derivative is ``i0(x) - i1(x) / x`` (1/2 at 0)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _i1_array(a).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        zero = a == 0
        safe = where(zero, 1.0, a)
        return grad * where(zero, 0.5, I0.apply(a) - I1.apply(safe) / safe)


class NextAfter(Function):
    """``nextafter``: one ulp from ``a``, so (as PyTorch's) the gradient passes to ``a``
    unchanged and ``b`` gets zero."""

    @staticmethod
    def forward(ctx, a, b):
        return array_module(a, b).nextafter(a, b)

    @staticmethod
    def backward(ctx, grad):
        ga = grad if ctx.needs_input_grad[0] else None
        gb = grad * 0 if ctx.needs_input_grad[1] else None
        return ga, gb


# -- public functions ----------------------------------------------------------------------


def hypot(input, other):
    """``sqrt(input**2 + other**2)`` without overflow; floating tensors only."""
    a, b = _two_tensors("hypot", input, other, floating_only=True)
    return Hypot.apply(a, b)


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    a, b = _two_tensors("fmax", input, other)
    return _FExtreme.apply(a, b, True)


def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    a, b = _two_tensors("fmin", input, other)
    return _FExtreme.apply(a, b, False)


def frac(input):
    """``input - trunc(input)``, keeping the sign; floating tensors only."""
    input = tensor_arg(input, "frac")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"frac" not implemented for {input.dtype} tensors (expected floating point)')
    return Frac.apply(input)


def sgn(input):
    """``sign`` (for real tensors ``sgn`` is ``sign``)."""
    return Sgn.apply(tensor_arg(input, "sgn"))


def signbit(input):
    """Whether the sign bit is set (``-0.0`` and negative NaN too), as a bool tensor."""
    input = tensor_arg(input, "signbit")
    return _no_grad_result(array_module(input._data).signbit(input._data))


def isposinf(input):
    """Where ``input`` is ``+inf``, as a bool tensor."""
    input = tensor_arg(input, "isposinf")
    return _no_grad_result(input._data == np.inf)


def isneginf(input):
    """Where ``input`` is ``-inf``, as a bool tensor."""
    input = tensor_arg(input, "isneginf")
    return _no_grad_result(input._data == -np.inf)


def isreal(input):
    """Where ``input`` has no imaginary part: everywhere for a real tensor."""
    input = tensor_arg(input, "isreal")
    xp = array_module(input._data)
    return _no_grad_result(xp.imag(input._data) == 0 if input._data.dtype.kind == "c" else xp.ones(input.shape, bool))


def deg2rad(input):
    """Degrees to radians (integer inputs compute in the default float dtype)."""
    return floating(tensor_arg(input, "deg2rad")) * (math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees (integer inputs compute in the default float dtype)."""
    return floating(tensor_arg(input, "rad2deg")) * (180.0 / math.pi)


def logit(input, eps=None):
    """``log(p / (1 - p))``, of ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    return Logit.apply(floating(tensor_arg(input, "logit")), None if eps is None else float(eps))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and lowest values unless given)."""
    input = tensor_arg(input, "nan_to_num")
    if input._data.dtype.kind not in "fc":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


def float_power(input, exponent):
    """``input ** exponent`` computed in double precision (float64 result)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected at least one Tensor argument")
    if isinstance(input, Tensor):
        input = input.to(dtypes.float64)
    else:
        input = float(input)
    if isinstance(exponent, Tensor):
        exponent = exponent.to(dtypes.float64)
    elif not isinstance(exponent, (int, float)):
        raise TypeError(f"float_power(): argument 'exponent' must be Tensor or Number, not {type(exponent).__name__}")
    else:
        exponent = float(exponent)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return pow(input, exponent)


def heaviside(input, values):
    """0 where ``input < 0``, ``values`` where it is 0, 1 where it is positive (no gradient)."""
    for arg, what, position in ((input, "input", 1), (values, "values", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(
                f"heaviside(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}"
            )
    if input._data.dtype != values._data.dtype:
        raise RuntimeError(
            f"heaviside is not yet implemented for tensors with different dtypes ({input.dtype} and {values.dtype})."
        )
    a, v = input._data, values._data
    xp = array_module(a, v)
    out = xp.where(a == 0, v, (a > 0).astype(a.dtype))
    return _no_grad_result(out.astype(a.dtype, copy=False))


def gcd(input, other):
    """The greatest common divisor, elementwise, of integer tensors (non-negative)."""
    a, b = _two_tensors("gcd", input, other, integer_only=True)
    return _no_grad_result(array_module(a._data).gcd(a._data, b._data))


def lcm(input, other):
    """The least common multiple, elementwise, of integer tensors (non-negative)."""
    a, b = _two_tensors("lcm", input, other, integer_only=True)
    return _no_grad_result(array_module(a._data).lcm(a._data, b._data))


def ldexp(input, other):
    """``input * 2**other`` (integer inputs compute in the default float dtype)."""
    for arg, what, position in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(
                f"ldexp(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}"
            )
    return input * pow(2.0, other)


def sinc(input):
    """The normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0)."""
    return Sinc.apply(floating(tensor_arg(input, "sinc")))


def erfc(input):
    """The complementary error function ``1 - erf(x)``, accurate in the far tail."""
    return Erfc.apply(floating(tensor_arg(input, "erfc")))


def i0(input):
    """The modified Bessel function of the first kind, order 0; its derivative is ``i1``."""
    return I0.apply(floating(tensor_arg(input, "i0")))


def nextafter(input, other):
    """The next floating-point value after ``input`` towards ``other``; the gradient is ``input``'s, as PyTorch's."""
    a, b = _two_tensors("nextafter", input, other, floating_only=True)
    return NextAfter.apply(a, b)


def positive(input):
    """``input`` itself (``+input``); an error for bool tensors, as in PyTorch."""
    input = tensor_arg(input, "positive")
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def fix(input):
    """Alias of ``trunc``."""
    input = tensor_arg(input, "fix")
    if input._data.dtype == np.bool_:
        raise NotImplementedError('"fix" not implemented for bool tensors')
    return trunc(input)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(tensor_arg(input, "clamp_min"), min=min)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(tensor_arg(input, "clamp_max"), max=max)
