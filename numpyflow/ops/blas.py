"""PyTorch's BLAS-style products (``addmm``, ``addmv``, ``addr``, ``baddbmm``, ``addbmm``,
``mv``), ``trace``, ``kron``, ``cross``, ``tensordot`` and ``chain_matmul``.

Each is an exact composition of differentiable ops (``matmul``, ``mul``, ``sum``, reshapes),
so gradients and second derivatives come from those ops."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..tensor import Tensor
from ._util import normalize_dim, tensor_arg
from .elementwise import logical_and, logical_or, where
from .linalg import matmul
from .linalg_decomp import multi_dot
from .shape import broadcast_tensors, permute, stack

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "chain_matmul",
    "cross",
    "kron",
    "mv",
    "tensordot",
    "trace",
]
# Also Tensor methods of the same name (``x.addmm(m1, m2)``), as in PyTorch.
TENSOR_METHODS = ("addbmm", "addmm", "addmv", "addr", "baddbmm", "cross", "kron", "mv", "trace")


def _check_ndim(t, ndim, op, what):
    t = tensor_arg(t, op)
    if t._data.ndim != ndim:
        raise RuntimeError(f"{op}: {what} must be a {ndim}-D tensor, got shape {tuple(t._data.shape)}")
    return t


def _same_dtype(op, *tensors):
    first = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != first:
            raise RuntimeError(
                f"{op}: expected all operands to have the same dtype, but got {tensors[0].dtype} and {t.dtype}"
            )


def _coefficient(value, dtype, op, name):
    """``beta``/``alpha`` as PyTorch reads them: real for floating tensors, truncated to an
    integer for integer ones, a bool for bool ones."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Number) or isinstance(value, complex):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__}")
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        return int(value)
    return value


def _combine(op, input, product, beta, alpha):
    """``beta * input + alpha * product`` with PyTorch's rules: ``beta == 0`` ignores the
    input's values (nan and inf included), though its gradient (zeros) still flows."""
    dtype = product._data.dtype
    beta = _coefficient(beta, dtype, op, "beta")
    alpha = _coefficient(alpha, dtype, op, "alpha")
    if dtype.kind == "b":  # logical: (beta and input) or (alpha and product)
        return logical_or(logical_and(input, beta), logical_and(product, alpha))
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        input = where(Tensor._make(np.zeros((), np.bool_)), input, 0)
    elif beta != 1:
        input = input * beta
    out = product + input
    if tuple(out._data.shape) != tuple(product._data.shape):
        raise RuntimeError(
            f"{op}: the input of shape {tuple(input._data.shape)} does not broadcast to the product's "
            f"shape {tuple(product._data.shape)}"
        )
    return out


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product."""
    input = tensor_arg(input, "addmm")
    mat1 = _check_ndim(mat1, 2, "addmm", "mat1")
    mat2 = _check_ndim(mat2, 2, "addmm", "mat2")
    _same_dtype("addmm", input, mat1, mat2)
    return _combine("addmm", input, matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to the product."""
    input = tensor_arg(input, "addmv")
    mat = _check_ndim(mat, 2, "addmv", "mat")
    vec = _check_ndim(vec, 1, "addmv", "vec")
    _same_dtype("addmv", input, mat, vec)
    return _combine("addmv", input, matmul(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``; ``input`` broadcasts to the product."""
    input = tensor_arg(input, "addr")
    vec1 = _check_ndim(vec1, 1, "addr", "vec1")
    vec2 = _check_ndim(vec2, 1, "addr", "vec2")
    _same_dtype("addr", input, vec1, vec2)
    product = (
        vec1.reshape(-1, 1) & vec2.reshape(1, -1)
        if vec1._data.dtype == np.bool_
        else vec1.reshape(-1, 1) * vec2.reshape(1, -1)
    )
    return _combine("addr", input, product, beta, alpha)


def _check_batches(op, b1, b2):
    b1 = _check_ndim(b1, 3, op, "batch1")
    b2 = _check_ndim(b2, 3, op, "batch2")
    if b1._data.shape[0] != b2._data.shape[0]:
        raise RuntimeError(
            f"{op}: batch1 and batch2 must have the same number of matrices, got {b1._data.shape[0]} and {b2._data.shape[0]}"
        )
    return b1, b2


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices."""
    input = tensor_arg(input, "baddbmm")
    batch1, batch2 = _check_batches("baddbmm", batch1, batch2)
    _same_dtype("baddbmm", input, batch1, batch2)
    return _combine("baddbmm", input, matmul(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    input = tensor_arg(input, "addbmm")
    batch1, batch2 = _check_batches("addbmm", batch1, batch2)
    _same_dtype("addbmm", input, batch1, batch2)
    product = matmul(batch1, batch2).sum(0)
    if product._data.dtype != batch1._data.dtype:  # integer sums widen; the product keeps its dtype
        product = product.to(batch1._data.dtype)
    return _combine("addbmm", input, product, beta, alpha)


def mv(input, vec):
    """Matrix-vector product (``input`` 2-D, ``vec`` 1-D)."""
    input = _check_ndim(input, 2, "mv", "input")
    vec = _check_ndim(vec, 1, "mv", "vec")
    _same_dtype("mv", input, vec)
    return matmul(input, vec)


def trace(input):
    """The sum of a matrix's main diagonal (integers sum to int64, as PyTorch)."""
    input = _check_ndim(input, 2, "trace", "input")
    return input.diagonal().sum()


def kron(input, other):
    """The Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other``."""
    a = tensor_arg(input, "kron")
    b = tensor_arg(other, "kron")
    nd = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (nd - a._data.ndim) + tuple(a._data.shape)
    sb = (1,) * (nd - b._data.ndim) + tuple(b._data.shape)
    a = a.reshape(tuple(x for s in sa for x in (s, 1)))
    b = b.reshape(tuple(x for s in sb for x in (1, s)))
    return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))


def cross(input, other, dim=None):
    """The 3-vector cross product along ``dim``; the inputs broadcast.  Without ``dim``,
    PyTorch's (deprecated) default: the first dim of size 3, with its warning."""
    a = tensor_arg(input, "cross")
    b = tensor_arg(other, "cross")
    _same_dtype("cross", a, b)
    if a._data.ndim != b._data.ndim:
        raise RuntimeError(
            f"cross: inputs must have the same number of dimensions, got {a._data.ndim} and {b._data.ndim}"
        )
    a, b = broadcast_tensors(a, b)
    shape = tuple(a._data.shape)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
            "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
            "with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {shape}")
        d = sizes3[0]
    else:
        d = normalize_dim(dim, len(shape), "cross")
        if shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {shape[d]} and {shape[d]}")
    a0, a1, a2 = a.unbind(d)
    b0, b1, b2 = b.unbind(d)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def tensordot(a, b, dims=2, out=None):
    """Sum of products over ``dims``: the last ``dims`` of ``a`` with the first of ``b``, or
    the dims listed as ``(dims_a, dims_b)``."""
    if out is not None:
        raise TypeError("tensordot: out= is not supported")
    a = tensor_arg(a, "tensordot")
    b = tensor_arg(b, "tensordot")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, numbers.Integral) else list(da)
        db = [db] if isinstance(db, numbers.Integral) else list(db)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length, got {len(da)} and {len(db)}")
        da = [normalize_dim(d, a._data.ndim, "tensordot") for d in da]
        db = [normalize_dim(d, b._data.ndim, "tensordot") for d in db]
    _same_dtype("tensordot", a, b)
    for i, j in zip(da, db):
        if a._data.shape[i] == 1 and b._data.shape[j] != 1:  # a size-1 dim broadcasts: sum the other
            b = b.sum(j, keepdim=True).to(b.dtype)
        elif b._data.shape[j] == 1 and a._data.shape[i] != 1:
            a = a.sum(i, keepdim=True).to(a.dtype)
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} in dim {i} "
                f"and second has size {b._data.shape[j]} in dim {j}"
            )
    free_a = [i for i in range(a._data.ndim) if i not in da]
    free_b = [j for j in range(b._data.ndim) if j not in db]
    out_shape = tuple(a._data.shape[i] for i in free_a) + tuple(b._data.shape[j] for j in free_b)
    k = int(np.prod([a._data.shape[i] for i in da], dtype=np.int64))
    am = permute(a, free_a + da).reshape(-1, k)
    bm = permute(b, db + free_b).reshape(k, -1)
    return matmul(am, bm).reshape(out_shape)


def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices (deprecated in PyTorch: use ``linalg.multi_dot``)."""
    if out is not None:
        raise TypeError("chain_matmul: out= is not supported")
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        _check_ndim(m, 2, "chain_matmul", f"tensor {i}")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)
