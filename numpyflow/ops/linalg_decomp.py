"""``torch.linalg``'s basics: inverses, determinants, solves, factorizations and norms,
batched over leading dims, with PyTorch's matrix-calculus gradients.

Each factorization is one ``Function`` whose forward is numpy's LAPACK call and whose
backward is PyTorch's formula written with numpyflow ops on the saved input and outputs,
so gradients of gradients work.  The public functions live in ``numpyflow.linalg`` (not
``numpyflow.*``), under PyTorch's names.

Gradients of ``svd``, ``eigh`` and ``qr`` assume what PyTorch assumes: distinct singular
values / eigenvalues, full rank, and (for ``svd``/``eigh``) a loss that does not depend on
the sign of each singular or eigen vector.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import tensor_arg
from .construction import diag_embed
from .elementwise import sign, where
from .linalg import matmul
from .reduction import amax, amin, sum
from .shape import cat, movedim, tril, triu

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular or not positive-definite
    matrix), as ``torch.linalg.LinAlgError``."""


LinAlgError.__module__ = "numpyflow.linalg"


def _named(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = __name__
    return cls


# torch.return_types' names
linalg_qr = _named("linalg_qr", ["Q", "R"])
linalg_svd = _named("linalg_svd", ["U", "S", "Vh"])
linalg_eigh = _named("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_slogdet = _named("linalg_slogdet", ["sign", "logabsdet"])


# -- argument checks ------------------------------------------------------------------------


def _floating(A, op):
    A = tensor_arg(A, op)
    if A._data.dtype.kind not in "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_dtype_name(A)}")
    return A


def _dtype_name(t):
    return str(t.dtype).split(".")[-1].capitalize().replace("Int64", "Long").replace("Int32", "Int")


def _matrix(A, op):
    A = _floating(A, op)
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    return A


def _square(A, op):
    A = _matrix(A, op)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {m} by {n} matrices")
    return A


def _mT(x):
    return x.swapaxes(-1, -2)


# -- inverse, determinants, solve -----------------------------------------------------------


class Inv(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "linalg.inv: The inversion could not be completed because the input matrix is singular."
            ) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # d(A^-1) = -A^-1 dA A^-1, so gA = -A^-T G A^-T
        (out,) = ctx.saved_tensors
        out_t = out.mT
        return -matmul(out_t, matmul(grad, out_t))


class Det(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.asarray(np.linalg.det(a), dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # gA = G det(A) A^-T (A invertible)
        a, out = ctx.saved_tensors
        return (grad * out).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class SlogDet(Function):
    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = np.linalg.slogdet(a)
        sign = np.asarray(sign, dtype=a.dtype)
        logabsdet = np.asarray(logabsdet, dtype=a.dtype)
        ctx.save_for_backward(a)
        return sign, logabsdet

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):  # gA = G A^-T
        (a,) = ctx.saved_tensors
        return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class Solve(Function):
    """``X`` with ``A X = B`` for a batch of matrices ``B`` (..., n, k); batch dims broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # gB = A^-T G, gA = -gB X^T (batch broadcasting summed by the base class)
        a, out = ctx.saved_tensors
        gb = Solve.apply(a.mT, grad)
        ga = -matmul(gb, out.mT) if ctx.needs_input_grad[0] else None
        return ga, gb


def _solve_right(a, b):
    """``X`` with ``X A = B``."""
    return Solve.apply(a.mT, b.mT).mT


# -- factorizations ---------------------------------------------------------------------------


class Cholesky(Function):
    """Lower factor ``L`` with ``A = L L^T``, read from ``A``'s lower triangle."""

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."
            ) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):  # PyTorch's: gA = L^-T Phi(L^T gL) L^-1, symmetrized
        (L,) = ctx.saved_tensors
        phi = tril(matmul(L.mT, grad))
        phi = 0.5 * (phi + tril(phi, -1).mT)
        return _solve_right(L, Solve.apply(L.mT, phi))


class QR(Function):
    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode = mode
        if mode == "r":
            r = np.linalg.qr(a, mode="r")
            q = np.empty((0,), dtype=a.dtype)
            ctx.mark_non_differentiable(q)
            return q, np.asarray(r, dtype=a.dtype)
        q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(a, q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr), None
        x = r[..., :m]
        gx, gy = gr[..., :m], gr[..., m:]
        v = a[..., m:]
        gu = _qr_backward_tall(q, x, gq + matmul(v, gy.mT), gx)
        return cat([gu, matmul(q, gy)], -1), None


def _qr_backward_tall(q, r, gq, gr):
    """``A = QR`` with ``R`` square: gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    m = matmul(r, gr.mT) - matmul(gq.mT, q)
    sym = tril(m) + tril(m, -1).mT
    return _solve_right(r.mT, gq + matmul(q, sym))


class SVD(Function):
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(u, s, vh)
        return u, np.asarray(s, dtype=a.dtype), vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):  # PyTorch's svd_backward (real case)
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        m, n = u.shape[-2], vh.shape[-1]
        u, vh = u[..., :k], vh[..., :k, :]  # full_matrices: the extra columns/rows carry no gradient
        if gs is None:
            gs = s * 0
        if gu is None and gvh is None:  # svdvals: gA = U diag(gS) Vh
            return matmul(u * gs.unsqueeze(-2), vh), None
        gu = u * 0 if gu is None else gu[..., :k]
        gvh = vh * 0 if gvh is None else gvh[..., :k, :]
        uhgu = matmul(u.mT, gu)
        uhgu = uhgu - uhgu.mT
        vhgv = matmul(vh, gvh.mT)
        vhgv = vhgv - vhgv.mT
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        e = e + diag_embed(s2 * 0 + 1)  # 1 on the diagonal (where the numerator is 0)
        ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e + diag_embed(gs)
        if m > n:
            ga = matmul(u, ga)
            gusinv = gu / s.unsqueeze(-2)
            ga = ga + gusinv - matmul(u, matmul(u.mT, gusinv))
            return matmul(ga, vh), None
        if m < n:
            ga = matmul(ga, vh)
            sinvgvh = gvh / s.unsqueeze(-1)
            ga = ga + sinvgvh - matmul(matmul(sinvgvh, vh.mT), vh)
            return matmul(u, ga), None
        return matmul(u, matmul(ga, vh)), None


class Eigh(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        w = np.asarray(w, dtype=a.dtype)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):  # PyTorch's: gA = V (diag(gL) + skew(V^T gV) / E) V^T
        w, v = ctx.saved_tensors
        if gw is None:
            gw = w * 0
        if gv is None:  # eigvalsh: gA = V diag(gL) V^T
            return matmul(v * gw.unsqueeze(-2), v.mT), None
        vhgv = matmul(v.mT, gv)
        vhgv = 0.5 * (vhgv - vhgv.mT)
        e = w.unsqueeze(-2) - w.unsqueeze(-1)
        e = e + diag_embed(w * 0 + 1)
        inner = vhgv / e + diag_embed(gw)
        return matmul(v, matmul(inner, v.mT)), None


class Pinv(Function):
    @staticmethod
    def forward(ctx, a, rtol, hermitian):
        xp = array_module(a)
        if a.size == 0:
            out = xp.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), dtype=a.dtype)
        else:
            out = np.asarray(np.linalg.pinv(a, rtol=rtol, hermitian=hermitian), dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # PyTorch's pinv_backward (constant rank)
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        ph, gh = p.mT, grad.mT
        if m <= n:
            k = matmul(gh, p)
            kph = matmul(k, ph)
            ga = -matmul(p, k).mT + kph - matmul(matmul(a, p), kph) + matmul(matmul(ph, p), gh - matmul(k, a))
        else:
            k = matmul(p, gh)
            phk = matmul(ph, k)
            ga = -matmul(k, p).mT + matmul(matmul(gh - matmul(a, k), p), ph) + phk - matmul(matmul(phk, p), a)
        return ga, None, None


# -- public functions -------------------------------------------------------------------------


def inv(A):
    """The inverse of each square matrix in ``A`` (..., n, n)."""
    return Inv.apply(_square(A, "linalg.inv"))


def det(A):
    """The determinant of each square matrix in ``A`` (..., n, n)."""
    return Det.apply(_square(A, "linalg.det"))


def slogdet(A):
    """``(sign, logabsdet)`` of each determinant, as a named tuple."""
    return linalg_slogdet(*SlogDet.apply(_square(A, "linalg.slogdet")))


def solve(A, B, *, left=True):
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``); ``B`` is a batch of vectors
    when it is 1-D or has the shape ``A.shape[:-1]``, as PyTorch; batch dims broadcast."""
    A = _square(A, "linalg.solve")
    B = _floating(B, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_dtype_name(A)} "
            f"and B of type {_dtype_name(B)} instead"
        )
    n = A._data.shape[-1]
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])
    if vector:
        if not left:
            raise RuntimeError(
                "linalg.solve: Vector broadcasting of the left hand side is not supported for left=False."
            )
        if B._data.shape[-1] != n:
            raise RuntimeError(
                f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {B._data.shape[-1]})"
            )
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    k = B._data.shape[-2] if left else B._data.shape[-1]
    if k != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})"
        )
    try:
        np.broadcast_shapes(A._data.shape[:-2], B._data.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: The batch dims of A {tuple(A._data.shape[:-2])} and B {tuple(B._data.shape[:-2])} "
            "do not broadcast"
        ) from None
    return Solve.apply(A, B) if left else _solve_right(A, B)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``) reading only ``A``'s upper or
    lower triangle (its diagonal taken as ones when ``unitriangular``); batch dims broadcast."""
    A = _square(A, "linalg.solve_triangular")
    B = _matrix(B, "linalg.solve_triangular")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
            f"{_dtype_name(A)} and B of type {_dtype_name(B)} instead"
        )
    n = A._data.shape[-1]
    if (B._data.shape[-2] if left else B._data.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B._data.shape[-2]}x{B._data.shape[-1]})"
        )
    if unitriangular:
        T = (triu(A, 1) if upper else tril(A, -1)) + diag_embed(A.diagonal(0, -2, -1) * 0 + 1)
    else:
        T = triu(A) if upper else tril(A)
    return Solve.apply(T, B) if left else _solve_right(T, B)


def cholesky(A, *, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix: lower ``L`` with
    ``A = L L^T`` (read from the lower triangle), or upper ``U = L^T`` with ``A = U^T U``
    (read from the upper triangle) when ``upper=True``."""
    A = _square(A, "linalg.cholesky")
    if upper:
        return Cholesky.apply(A.mT).mT
    return Cholesky.apply(A)


def qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = QR``: ``mode`` 'reduced' (Q is m x k), 'complete' (Q is m x m)
    or 'r' (R only; Q is empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    A = _matrix(A, "linalg.qr")
    return linalg_qr(*QR.apply(A, mode))


def svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending."""
    A = _matrix(A, "linalg.svd")
    return linalg_svd(*SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None):
    """The singular values of each matrix, descending."""
    return SVD.apply(_matrix(A, "linalg.svdvals"), False)[1]


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix, read from the ``UPLO``
    triangle; eigenvalues ascending."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return linalg_eigh(*Eigh.apply(_square(A, "linalg.eigh"), UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return Eigh.apply(_square(A, "linalg.eigvalsh"), UPLO)[0]


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse of each matrix (singular values below
    ``rtol * max(S)`` are treated as zero; ``atol`` is not supported)."""
    A = _matrix(A, "linalg.pinv")
    if atol is not None:
        raise NotImplementedError("linalg.pinv: atol is not supported yet; use rtol")
    if rtol is None:
        rtol = max(A._data.shape[-2:]) * np.finfo(A._data.dtype).eps
    return Pinv.apply(A, float(rtol), bool(hermitian))


def matrix_power(A, n):
    """``A`` multiplied by itself ``n`` times (the identity for 0, powers of the inverse
    for negative ``n``)."""
    A = _square(A, "linalg.matrix_power")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        return A * 0 + diag_embed(A.diagonal(0, -2, -1) * 0 + 1)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above ``max(atol, rtol * largest)`` (int64); ``rtol``
    defaults to ``eps * max(m, n)`` when neither is given."""
    A = _matrix(A, "linalg.matrix_rank")
    xp = array_module(A._data)
    a = A._data
    s = xp.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    if rtol is None:  # PyTorch's rule: eps * max(m, n), or 0 where a positive atol is given
        default = max(a.shape[-2:]) * np.finfo(a.dtype).eps
        rtol = default if atol is None else xp.where(xp.asarray(atol) > 0, 0.0, default)
    largest = s.max(axis=-1, initial=0.0)
    tol = xp.maximum(0.0 if atol is None else atol, rtol * largest)
    return Tensor._make(xp.asarray((s > tol[..., None]).sum(axis=-1), dtype=np.int64))


def multi_dot(tensors):
    """``tensors[0] @ tensors[1] @ ...``: the first may be 1-D (a row), the last 1-D (a
    column), the rest 2-D."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        t = tensor_arg(t, "linalg.multi_dot")
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t._data.ndim not in allowed:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be {' or '.join(f'{d}D' for d in allowed)} but got {t._data.ndim}D"
            )
        tensors[i] = t
    first_vec, last_vec = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    out = tensors[0].unsqueeze(0) if first_vec else tensors[0]
    for t in tensors[1:-1]:
        out = matmul(out, t)
    out = matmul(out, tensors[-1].unsqueeze(-1) if last_vec else tensors[-1])
    if last_vec:
        out = out.squeeze(-1)
    if first_vec:
        out = out.squeeze(0)
    return out


def vecdot(x, y, *, dim=-1):
    """The dot product of ``x`` and ``y`` along ``dim`` (batch dims broadcast)."""
    x = _floating(x, "linalg.vecdot")
    y = _floating(y, "linalg.vecdot")
    return sum(x * y, dim)


# -- norms ------------------------------------------------------------------------------------


class VectorNorm(Function):
    """``sum(|x|^p)^(1/p)`` over ``dims`` for finite ``p`` other than 0 and 1; the gradient
    is 0 where the norm is 0, as PyTorch's."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = array_module(x)
        ctx.args = (p, dims, keepdim)
        if p == 0:
            out = (x != 0).sum(axis=dims, keepdims=keepdim)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        else:
            out = (xp.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        out = xp.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # g x |x|^(p-2) / norm^(p-1), with 0 where x or the norm is 0
        x, out = ctx.saved_tensors
        p, dims, keepdim = ctx.args
        if p == 0:
            return x * 0, None, None, None
        if not keepdim:
            for d in sorted(dims):
                grad, out = grad.unsqueeze(d), out.unsqueeze(d)
        safe_norm = where(out == 0, 1.0, out)
        if p == 2:
            return x * (grad / safe_norm), None, None, None
        ax = x.abs()
        scaled = sign(x) * where(ax == 0, 1.0, ax) ** (p - 1)
        return scaled * (grad / safe_norm ** (p - 1)), None, None, None


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim if ndim else d for d in dims)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (all dims when None); ``ord`` inf / -inf are
    the max / min of ``|x|``, 0 counts the nonzeros."""
    x = _floating(x, "linalg.vector_norm")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got '{ord}'")
    dims = _dims(dim, x._data.ndim)
    if dims == () or x._data.ndim == 0:  # dim=() is every dim; a 0-d input takes dim 0 and -1
        dims = None
    kw = {"keepdim": keepdim} if dims is None and not keepdim else {"dim": dims, "keepdim": keepdim}
    if dims is None and keepdim:
        kw = {"dim": tuple(range(x._data.ndim)), "keepdim": True}
    if ord == math.inf:
        return amax(x.abs(), **kw)
    if ord == -math.inf:
        return amin(x.abs(), **kw)
    if ord == 1:
        return sum(x.abs(), **kw)
    all_dims = tuple(range(x._data.ndim)) if dims is None else dims
    return VectorNorm.apply(x, float(ord), all_dims, bool(keepdim))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims ``dim``: 'fro', 'nuc', inf / -inf (max / min row
    sum of |A|), 1 / -1 (max / min column sum), 2 / -2 (largest / smallest singular value)."""
    A = _matrix(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    nd = A._data.ndim
    d0, d1 = _dims(dim, nd)
    if len((d0, d1)) != 2 or d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of different dims, got {dim}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        empty = s._data.shape[-1] == 0
        out = sum(s, -1) if ord == "nuc" or (ord == 2 and empty) else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, reduced = (d0, d1) if ord in (1, -1) else (d1, d0)
        pick = amax if ord in (1, math.inf) else amin
        if pick is amax and A._data.shape[reduced] == 0:
            pick = sum  # the max over nothing is 0, as PyTorch
        out = pick(sum(A.abs(), summed, keepdim=True), reduced, keepdim=True)
        if not keepdim:
            out = out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm`` by PyTorch's rules: a string ``ord`` or a 2-tuple
    ``dim`` (or a 2-D input with ``ord`` given and no ``dim``) is a matrix norm; with neither
    ``ord`` nor ``dim``, the 2-norm of the flattened input."""
    A = _floating(A, "linalg.norm")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 2 for ord='{ord}'")
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if nd == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D.")
