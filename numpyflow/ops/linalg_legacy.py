"""PyTorch's top-level linear-algebra functions and Tensor methods (``torch.det``,
``x.inverse()``, ``torch.svd`` ...), written on ``numpyflow.linalg``'s ops
(``linalg_decomp.py``).  ``torch.svd`` and ``torch.qr`` keep their older semantics:
``svd`` returns ``V`` (not ``Vh``) and takes ``some``/``compute_uv``; ``qr`` takes ``some``.

Ready to be gathered into ``numpyflow.*`` and Tensor methods by listing this module among
``ops/__init__.py``'s tensor-op modules."""

from __future__ import annotations

import collections

from . import linalg_decomp as _la

__all__ = ["cholesky", "det", "inverse", "logdet", "pinverse", "qr", "slogdet", "svd"]
TENSOR_METHODS = tuple(__all__)


def _named(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = __name__
    return cls


# torch.return_types' names
slogdet_result = _named("slogdet", ["sign", "logabsdet"])
svd_result = _named("svd", ["U", "S", "V"])
qr_result = _named("qr", ["Q", "R"])


def det(input):
    """The determinant of each square matrix (``torch.det``)."""
    return _la.det(input)


def inverse(input):
    """The inverse of each square matrix (``torch.inverse``)."""
    return _la.inv(input)


def slogdet(input):
    """``(sign, logabsdet)`` of each determinant (``torch.slogdet``)."""
    return slogdet_result(*_la.slogdet(input))


def logdet(input):
    """``log(det(A))``: nan for a negative determinant, -inf for a zero one (``torch.logdet``)."""
    sign, logabsdet = _la.slogdet(input)
    return logabsdet + sign.log()


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, singular values below ``rcond * max(S)`` dropped (``torch.pinverse``)."""
    return _la.pinv(input, rtol=rcond)


def cholesky(input, upper=False):
    """The Cholesky factor (``torch.cholesky``; prefer ``linalg.cholesky``)."""
    return _la.cholesky(input, upper=upper)


def svd(input, some=True, compute_uv=True):
    """``(U, S, V)`` with ``A = U diag(S) V^T`` (``torch.svd``: note ``V``, not ``Vh``);
    without ``compute_uv``, ``U`` and ``V`` are zero-filled, as PyTorch."""
    if not compute_uv:
        s = _la.svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return svd_result(input.new_zeros(batch + (m, m)), s, input.new_zeros(batch + (n, n)))
    u, s, vh = _la.svd(input, full_matrices=not some)
    return svd_result(u, s, vh.mT)


def qr(input, some=True):
    """``(Q, R)`` (``torch.qr``): reduced when ``some``, else complete."""
    return qr_result(*_la.qr(input, mode="reduced" if some else "complete"))
