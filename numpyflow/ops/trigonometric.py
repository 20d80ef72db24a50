"""Inverse trigonometric and hyperbolic functions: ``asin``, ``acos``, ``atan``, ``atan2``,
``sinh``, ``cosh``, ``asinh``, ``acosh``, ``atanh``, and PyTorch's numpy-style aliases
(``arcsin`` ... ``arctan2``).  Integer inputs compute in the default float dtype; outside
the domain the result is NaN (and +-inf at the poles), as in PyTorch, without warnings.
(``sin``, ``cos``, ``tan`` and ``tanh`` live in ``elementwise``.)
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import floating, promote, tensor_arg
from .elementwise import rsqrt

__all__ = [
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cosh",
    "sinh",
]
TENSOR_METHODS = tuple(__all__)


class _UnaryFunction(Function):
    """A one-input elementwise op: ``forward`` applies the array module's ufunc ``_ufunc``
    (quietly: NaN and +-inf outside the domain, as in PyTorch), ``backward`` is
    ``_gradient(grad, a)``, written with numpyflow ops."""

    _ufunc = ""

    @staticmethod
    def _gradient(grad, a):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return getattr(array_module(a), ctx._ufunc)(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return ctx._gradient(grad, a)


def _unary_function(name, ufunc, gradient):
    """One Function class per op (its name gives PyTorch's ``grad_fn`` name)."""
    return type(
        name,
        (_UnaryFunction,),
        {"_ufunc": ufunc, "_gradient": staticmethod(gradient), "__module__": __name__, "__qualname__": name},
    )


# name, forward ufunc, and the gradient given the output's gradient and the input
Asin = _unary_function("Asin", "arcsin", lambda grad, a: grad * rsqrt(1 - a * a))
Acos = _unary_function("Acos", "arccos", lambda grad, a: -grad * rsqrt(1 - a * a))
Atan = _unary_function("Atan", "arctan", lambda grad, a: grad / (a * a + 1))
Sinh = _unary_function("Sinh", "sinh", lambda grad, a: grad * cosh(a))
Cosh = _unary_function("Cosh", "cosh", lambda grad, a: grad * sinh(a))
Asinh = _unary_function("Asinh", "arcsinh", lambda grad, a: grad * rsqrt(a * a + 1))
Acosh = _unary_function("Acosh", "arccosh", lambda grad, a: grad * rsqrt(a * a - 1))
Atanh = _unary_function("Atanh", "arctanh", lambda grad, a: grad / (1 - a * a))


class Atan2(Function):
    """``atan2(y, x)``: the angle of the point (x, y)."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return array_module(y, x).arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        scaled = grad / (x * x + y * y)
        return (scaled * x if ctx.needs_input_grad[0] else None), (-scaled * y if ctx.needs_input_grad[1] else None)


# -- public functions ---------------------------------------------------------------------


def _unary(fn, name):
    def op(input):
        return fn.apply(floating(tensor_arg(input, name)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}``, differentiable (integer inputs compute in the default float dtype)."
    return op


asin = arcsin = _unary(Asin, "asin")
acos = arccos = _unary(Acos, "acos")
atan = arctan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
asinh = arcsinh = _unary(Asinh, "asinh")
acosh = arccosh = _unary(Acosh, "acosh")
atanh = arctanh = _unary(Atanh, "atanh")


def atan2(input, other):
    """The angle of the point (``other``, ``input``) in (-pi, pi], elementwise with
    broadcasting: ``atan(input / other)`` in the right quadrant.  Both are tensors."""
    if not isinstance(input, Tensor):
        raise TypeError(f"atan2(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(other, Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    y, x = promote(input, other, "atan2")
    y, x = floating(y), floating(x)
    return Atan2.apply(y, x)


arctan2 = atan2
