"""Matrix products: ``matmul`` with PyTorch's rules for 1-D, 2-D and batched inputs,
and ``einsum``."""

from __future__ import annotations

import string

import numpy as np

from .. import parallel
from .._errors import broadcast_error
from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import tensor_arg

__all__ = ["bilinear", "bmm", "dot", "einsum", "ger", "inner", "linear", "matmul", "mm", "outer", "vdot"]
# Also Tensor methods of the same name (``x.matmul(y)`` is ``matmul(x, y)``): all but
# ``einsum`` (an equation and operands), ``linear`` (``nn.functional``'s) and the aliases
# ``ger`` and ``vdot``.
TENSOR_METHODS = tuple(name for name in __all__ if name not in ("bilinear", "einsum", "ger", "linear", "vdot"))


def _t(x, transposed):
    return x.swapaxes(-1, -2) if transposed else x


class MatMul(Function):
    """``op(a) @ op(b)`` for inputs of at least 2 dims, where ``op`` transposes the last
    two dims when its flag is set; batch dims broadcast.  The flags let the backward
    (itself a MatMul, so second derivatives work) use transposes without extra ops."""

    @staticmethod
    def forward(ctx, a, b, ta=False, tb=False):
        ctx.flags = (ta, tb)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        return (
            parallel.matmul(_t(a, ta), _t(b, tb))
            if array_module(a, b) is np
            else array_module(a, b).matmul(_t(a, ta), _t(b, tb))
        )

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ta, tb = ctx.flags
        ga = gb = None
        if ctx.needs_input_grad[0]:  # d op(a) = grad @ op(b)^T
            ga = MatMul.apply(b, grad, tb, True) if ta else MatMul.apply(grad, b, False, not tb)
        if ctx.needs_input_grad[1]:  # d op(b) = op(a)^T @ grad
            gb = MatMul.apply(grad, a, True, ta) if tb else MatMul.apply(a, grad, not ta, False)
        return ga, gb, None, None  # batch broadcasting is summed away by the base class


class Mm(MatMul):
    """A product of two matrices."""


class Bmm(MatMul):
    """A batched product with equal batch dims."""


def _shape_str(t):
    return "x".join(str(s) for s in t._data.shape) or "scalar"


def matmul(input, other):
    """Matrix product with PyTorch's rules: 1-D x 1-D is a dot product, a 1-D operand is
    treated as a row (left) or column (right) vector and that dim is dropped, and leading
    batch dims broadcast."""
    a = tensor_arg(input, "matmul")
    b = tensor_arg(other, "matmul")
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got {a._data.ndim}D and {b._data.ndim}D")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got {a.dtype} and {b.dtype}")
    k_a = a._data.shape[-1]
    k_b = b._data.shape[-2] if b._data.ndim > 1 else b._data.shape[0]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a._data.shape)} and {tuple(b._data.shape)} cannot be "
            f"multiplied ({_shape_str(a)} and {_shape_str(b)}): the inner sizes must match, but got {k_a} and {k_b}"
        )
    batch_a, batch_b = a._data.shape[:-2], b._data.shape[:-2]
    if batch_a != batch_b and batch_a and batch_b:
        try:
            np.broadcast_shapes(batch_a, batch_b)
        except ValueError:
            raise broadcast_error(
                f"matmul (the batch dimensions of {tuple(a._data.shape)} and {tuple(b._data.shape)})",
                (batch_a, batch_b),
            ) from None
    a_vec = a._data.ndim == 1
    b_vec = b._data.ndim == 1
    if a_vec:
        a = a.unsqueeze(0)
    if b_vec:
        b = b.unsqueeze(-1)
    nd_a, nd_b = a._data.ndim, b._data.ndim
    if nd_a == nd_b == 2:
        out = Mm.apply(a, b)
    elif nd_a == nd_b == 3 and a._data.shape[0] == b._data.shape[0]:
        out = Bmm.apply(a, b)
    else:
        out = MatMul.apply(a, b)
    if a_vec and b_vec:
        return out.reshape(())
    if a_vec:
        return out.squeeze(-2)
    if b_vec:
        return out.squeeze(-1)
    return out


def mm(input, mat2):
    """Product of two matrices (2-D only)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(
            f"mm: both arguments must be 2-D matrices (got shapes {tuple(input.shape)} and {tuple(mat2.shape)})"
        )
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of two 3-D tensors with the same batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            f"bmm: batch1 and batch2 must be 3-D tensors (got shapes {tuple(input.shape)} and {tuple(mat2.shape)})"
        )
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(
            f"bmm: batch1 and batch2 must have the same batch size (got {input.shape[0]} and {mat2.shape[0]})"
        )
    return matmul(input, mat2)


def dot(input, other):
    """Dot product of two 1-D tensors of the same length."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"dot: inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements"
        )
    return matmul(input, other)


vdot = dot


def inner(input, other):
    """Sum of products over the last dims."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return (
        einsum("...i,...i->...", input, other)
        if input.ndim == other.ndim == 1
        else matmul(input, other.transpose(-1, -2) if other.ndim > 1 else other)
    )


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: 1D tensors expected, but got {input.ndim}D and {vec2.ndim}D tensors")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


# -- einsum -----------------------------------------------------------------------------


def _parse(equation, shapes):
    """The equation with '...' replaced by letters: (list of input subscripts, output)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {len(terms)} operand subscripts given for {len(shapes)} operands")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max((len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ell = "".join(free[:n_ell])
    fixed = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[n_ell - k :] if k else "")
        if len(t) != len(s):
            raise RuntimeError(
                f"einsum(): the number of subscripts in '{t}' does not match the number of "
                f"dimensions ({len(s)}) of its operand"
            )
        fixed.append(t)
    if out is None:
        counts = {}
        for t in fixed:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return fixed, out


class Einsum(Function):
    @staticmethod
    def forward(ctx, equation, *arrays):
        terms, out = equation
        ctx.equation = equation
        ctx.save_for_backward(*arrays)
        subscripts = ",".join(terms) + "->" + out
        return array_module(*arrays).einsum(subscripts, *arrays, optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx, grad):
        terms, out = ctx.equation
        operands = ctx.saved_tensors
        grads = [None]
        for i in range(len(terms)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            grads.append(_einsum_grad(i, terms, out, operands, grad))
        return tuple(grads)


def _einsum_grad(i, terms, out, operands, grad):
    """d(einsum)/d(operand i) contracted with grad: an einsum of grad with the other
    operands.  Letters repeated within operand i (diagonals) get identity matrices; letters
    only operand i has (summed away) get a vector of ones."""
    term = terms[i]
    xp = array_module(operands[i]._data)
    dtype = operands[i]._data.dtype
    sizes = {}
    for t, op in zip(terms, operands):
        for c, n in zip(t, op._data.shape):
            sizes[c] = n
    used = set("".join(terms) + out)
    free = iter(c for c in string.ascii_letters if c not in used)
    target = []
    extra_terms, extra_ops = [], []
    seen = set()
    for c in term:
        if c in seen:  # a diagonal: a fresh letter tied to c by an identity matrix
            d = next(free)
            target.append(d)
            extra_terms.append(c + d)
            extra_ops.append(Tensor._make(xp.eye(sizes[c], dtype=dtype)))
        else:
            seen.add(c)
            target.append(c)
    others = [t for j, t in enumerate(terms) if j != i]
    available = set(out + "".join(others) + "".join(extra_terms))
    for c in seen:
        if c not in available:
            extra_terms.append(c)
            extra_ops.append(Tensor._make(xp.ones(sizes[c], dtype=dtype)))
    ops = [grad] + [op for j, op in enumerate(operands) if j != i] + extra_ops
    return Einsum.apply(([out] + others + extra_terms, "".join(target)), *ops)


def einsum(equation, *operands):
    """Einstein summation (``einsum('bij,bjk->bik', a, b)``), differentiable in every
    operand; operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [tensor_arg(o, "einsum") for o in operands]
    terms, out = _parse(equation, [o._data.shape for o in operands])
    dt = operands[0]._data.dtype
    if any(o._data.dtype != dt for o in operands):
        from .. import dtypes

        target = dtypes.result_type(*(o._data for o in operands))
        operands = [o.to(target) for o in operands]
    dt = operands[0]._data.dtype if operands else None
    if dt is not None and dt.kind in "iub" and dt != np.int64:
        # PyTorch sums an index only one operand has with sum(), which gives int64
        alone = set("".join(terms)) - set(out)
        if any(sum(c in t for t in terms) == 1 for c in alone):
            operands = [o.to(np.int64) for o in operands]
    return Einsum.apply((terms, out), *operands)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dim of ``input`` (any leading dims)."""
    input = tensor_arg(input, "linear")
    if input._data.ndim == 0:
        raise RuntimeError("linear: input must have at least 1 dimension")
    in_features = weight._data.shape[-1]
    if input._data.shape[-1] != in_features:
        raise RuntimeError(
            f"linear: input has {input._data.shape[-1]} features but the weight expects "
            f"{in_features} (input shape {tuple(input._data.shape)}, weight shape "
            f"{tuple(weight._data.shape)})"
        )
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"linear: input is {input.dtype} but the weight is {weight.dtype}")
    lead = input._data.shape[:-1]
    flat = input if input._data.ndim == 2 else input.reshape(-1, in_features)
    out = MatMul.apply(flat, weight, False, True)  # one GEMM with the weight transposed in place
    if bias is not None:
        out = out + bias
    return out if input._data.ndim == 2 else out.reshape(*lead, weight._data.shape[0])


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``."""
    for what, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"bilinear(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear: input1 of shape {tuple(input1.shape)} and input2 of shape {tuple(input2.shape)} don't fit "
            f"weight of shape {tuple(weight.shape)} (expected (out, {input1.shape[-1]}, {input2.shape[-1]}))"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"bilinear: input1 and input2 must have the same leading dims, but got {tuple(input1.shape)} "
            f"and {tuple(input2.shape)}"
        )
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = einsum("bi,oij,bj->bo", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, weight.shape[0])
