"""Special functions: ``erfinv``, ``lgamma``, ``digamma``, ``polygamma``, ``logaddexp``,
``logaddexp2``, ``copysign`` and ``xlogy``.

The gamma family and ``erfinv`` are evaluated by the array kernels of
``_special_kernels`` (numpy only, to double precision; scipy when importable).  Each
derivative is written with numpyflow ops, so higher derivatives follow:
``lgamma' = digamma``, ``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``
and ``erfinv'(y) = sqrt(pi) / 2 * exp(erfinv(y)**2)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from . import _special_kernels as kernels
from ._util import as_tensor_arg, floating, promote, scalar_or_tensor, tensor_arg
from .elementwise import exp, sigmoid

__all__ = [
    "copysign",
    "digamma",
    "erfinv",
    "lgamma",
    "logaddexp",
    "logaddexp2",
    "polygamma",
    "xlogy",
]
# Also Tensor methods of the same name: all but ``polygamma``, whose method takes its
# arguments in the other order (``x.polygamma(n)`` is ``polygamma(n, x)``; tensor.py binds it).
TENSOR_METHODS = tuple(name for name in __all__ if name != "polygamma")

_HALF_SQRT_PI = math.sqrt(math.pi) / 2
_LN2 = math.log(2.0)


class Erfinv(Function):
    @staticmethod
    def forward(ctx, a):
        out = kernels.erfinv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * exp(out * out) * _HALF_SQRT_PI


class Lgamma(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return kernels.lgamma(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * digamma(a)


class Polygamma(Function):
    """The ``n``-th derivative of digamma (``n = 0``: digamma itself)."""

    @staticmethod
    def forward(ctx, a, n):
        ctx.n = n
        ctx.save_for_backward(a)
        return kernels.polygamma(n, a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, ctx.n + 1), None


class LogAddExp(Function):
    """``log(exp(a) + exp(b))`` (``base2``: ``log2(2**a + 2**b)``) without overflow."""

    _public_name = "Logaddexp"

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.base2 = base2
        ctx.save_for_backward(a, b)
        xp = array_module(a, b)
        return (xp.logaddexp2 if base2 else xp.logaddexp)(a, b)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's grad / (1 + exp(b - a)), as a sigmoid: no overflow for large |a - b|.
        a, b = ctx.saved_tensors
        scale = _LN2 if ctx.base2 else 1.0
        ga = grad * sigmoid((a - b) * scale) if ctx.needs_input_grad[0] else None
        gb = grad * sigmoid((b - a) * scale) if ctx.needs_input_grad[1] else None
        return ga, gb, None


class Copysign(Function):
    """``|a|`` with the sign of ``b`` (of -0.0 too); the gradient of ``a`` is the sign
    ratio (0 where ``a == 0``, as in PyTorch), of ``b`` zero."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a)
        out = xp.copysign(a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = xp.where(a == 0, 0, out / a).astype(out.dtype, copy=False)
        ctx.save_for_backward(ratio)
        return out

    @staticmethod
    def backward(ctx, grad):
        (ratio,) = ctx.saved_tensors
        ga = grad * ratio if ctx.needs_input_grad[0] else None
        gb = grad * 0 if ctx.needs_input_grad[1] else None
        return ga, gb


class Xlogy(Function):
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN)."""

    @staticmethod
    def forward(ctx, x, y):
        xp = array_module(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * xp.log(y)
            out = xp.where((x == 0) & ~xp.isnan(y), 0, out)
        ctx.save_for_backward(x, y)
        return xp.asarray(out, dtype=np.result_type(x, y))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            nonzero = x != 0
            gx = grad * xlogy(nonzero.to(grad.dtype), y)
        if ctx.needs_input_grad[1]:
            gy = grad * x / y
        return gx, gy


# -- public functions ---------------------------------------------------------------------


def _unary(fn, name):
    def op(input):
        return fn.apply(floating(tensor_arg(input, name)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}``, differentiable (integer inputs compute in the default float dtype)."
    return op


erfinv = _unary(Erfinv, "erfinv")
erfinv.__doc__ = "The inverse error function on [-1, 1] (+-inf at +-1, NaN beyond), differentiable."
lgamma = _unary(Lgamma, "lgamma")
lgamma.__doc__ = "``log|Gamma(input)|`` elementwise (+inf at the poles), differentiable."


def digamma(input):
    """``psi(input)``, the derivative of ``lgamma`` (``-inf`` at +0, NaN at the negative integers)."""
    return Polygamma.apply(floating(tensor_arg(input, "digamma")), 0)


def polygamma(n, input):
    """The ``n``-th derivative of digamma at ``input`` (``n >= 0``)."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n}).")
    return Polygamma.apply(floating(tensor_arg(input, "polygamma")), int(n))


def _two_tensors(name, input, other):
    for arg, what, position in ((input, "input", 1), (other, "other", 2)):
        if not isinstance(arg, Tensor):
            raise TypeError(
                f"{name}(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}"
            )
    a, b = promote(input, other, name)
    if a._data.dtype.kind not in "fc":
        raise NotImplementedError(f"{name}: not implemented for {a.dtype} tensors (expected floating point tensors)")
    return a, b


def logaddexp(input, other):
    """``log(exp(input) + exp(other))``, computed without overflow."""
    a, b = _two_tensors("logaddexp", input, other)
    return LogAddExp.apply(a, b, False)


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed without overflow."""
    a, b = _two_tensors("logaddexp2", input, other)
    return LogAddExp.apply(a, b, True)


def _float_pair(name, input, other):
    """``input`` and ``other`` (tensors or numbers, one a tensor) in the floating dtype
    PyTorch computes ``name`` in; numbers stay numbers."""
    input, other = scalar_or_tensor(input), scalar_or_tensor(other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"{name}(): expected at least one tensor argument, got {type(input).__name__} and {type(other).__name__}"
        )
    a, b = promote(input, other, name)
    ref = a if isinstance(a, Tensor) else b
    if ref._data.dtype.kind not in "fc":
        target = dtypes.default_numpy_float()
        a = a.to(target) if isinstance(a, Tensor) else a
        b = b.to(target) if isinstance(b, Tensor) else b
    return a, b


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (a tensor or a number; -0.0 counts as
    negative); integer inputs give floats."""
    a, b = _float_pair("copysign", input, other)
    if not isinstance(a, Tensor):
        a = as_tensor_arg(a, like=b)
    return Copysign.apply(a, b)


def xlogy(input, other):
    """``input * log(other)``, and 0 where ``input == 0`` (unless ``other`` is NaN)."""
    a, b = _float_pair("xlogy", input, other)
    return Xlogy.apply(a, b)
