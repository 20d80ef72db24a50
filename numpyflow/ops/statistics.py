"""Statistics, as PyTorch's: ``aminmax``, ``nanmean``, ``bincount``, ``histc``, ``cov``,
``corrcoef``, ``diff`` and ``dist``.

The differentiable ones are compositions of existing differentiable ops, in PyTorch's own
order of operations (``corrcoef`` clips to [-1, 1] after dividing by the deviations, ``cov``
weights and normalizes as ``torch.cov``), so their gradients are PyTorch's.  ``bincount``
and ``histc`` count, and have no gradient.
"""

from __future__ import annotations

import collections
import numbers
import warnings

import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from ._util import floating, normalize_dim, tensor_arg
from .elementwise import clamp, logical_xor, sqrt
from .linalg import matmul
from .linalg_decomp import vector_norm
from .reduction import amax, amin, nansum
from .shape import cat, narrow

__all__ = ["aminmax", "bincount", "corrcoef", "cov", "diff", "dist", "histc", "nanmean"]
TENSOR_METHODS = tuple(__all__)


class AminmaxResult(collections.namedtuple("aminmax", ["min", "max"])):
    """``aminmax``'s result: ``min`` and ``max``, unpackable as a pair (PyTorch's
    ``torch.return_types.aminmax``)."""

    __slots__ = ()


AminmaxResult.__name__ = "aminmax"  # its repr reads ``aminmax(min=..., max=...)``; pickle finds it by qualname


def aminmax(input, *, dim=None, keepdim=False):
    """The minimum and maximum of ``input`` (over ``dim``, or all of it), as ``(min, max)``."""
    input = tensor_arg(input, "aminmax")
    if input.numel() == 0 and (dim is None or input.shape[normalize_dim(dim, input.ndim, "aminmax")] == 0):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity "
            f"(input shape {tuple(input.shape)}, dim={dim})."
        )
    if dim is None:
        if keepdim:
            dims = tuple(range(input.ndim))
            return AminmaxResult(amin(input, dims, keepdim=True), amax(input, dims, keepdim=True))
        return AminmaxResult(amin(input), amax(input))
    return AminmaxResult(amin(input, dim, keepdim=keepdim), amax(input, dim, keepdim=keepdim))


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN where all are NaN)."""
    input = tensor_arg(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {input.dtype}")
    kwargs = {} if dim is None else {"dim": dim}
    count = (~input.isnan()).to(input.dtype).sum(**kwargs, keepdim=keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):  # all NaN: 0 / 0, NaN without a warning
        return nansum(input, **kwargs, keepdim=keepdim) / count


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in the 1-d ``input`` (summing ``weights``
    instead of ones when given); at least ``minlength`` bins.  No gradient."""
    input = tensor_arg(input, "bincount")
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iub" or (a.size and a.min() < 0):
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs (got a {a.ndim}-d {input.dtype} tensor)."
        )
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0 (got {minlength}).")
    xp = array_module(a)
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=int(minlength)).astype(np.int64))
    weights = tensor_arg(weights, "bincount")
    w = weights._data
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError(
            f"bincount: weights should be 1-d and have the same length as input (got {tuple(w.shape)} "
            f"for input of length {a.shape[0]})."
        )
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor._make(xp.bincount(a, weights=w.astype(np.float64), minlength=int(minlength)).astype(out_dtype))


def histc(input, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over ``[min, max]`` (the data's range when both
    are equal); elements outside are ignored.  No gradient."""
    input = tensor_arg(input, "histc")
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"histogram_cpu" not implemented for {input.dtype} (histc takes floating tensors)')
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    xp = array_module(a)
    dt = a.dtype.type
    lo, hi = dt(min), dt(max)
    if lo > hi:
        raise RuntimeError(f"torch.histc: max must be larger than min (got min={min}, max={max})")
    if lo == hi and a.size:
        lo, hi = xp.min(a), xp.max(a)
    if lo == hi:
        lo, hi = lo - dt(1), hi + dt(1)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    flat = a.reshape(-1)
    inside = flat[(flat >= lo) & (flat <= hi)]
    pos = ((inside - lo) * dt(bins) / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return Tensor._make(xp.bincount(pos, minlength=bins).astype(a.dtype))


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), with frequency and observation weights, as ``torch.cov``."""
    input = tensor_arg(input, "cov")
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim}")
    if input.ndim < 2:
        input = input.reshape(1, -1)
    input = floating(input)
    observations = input.shape[1]
    w = None
    if fweights is not None:
        if fweights.ndim > 1 or fweights._data.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to be a 1-d integral tensor, got {fweights.dtype}")
        if fweights.numel() != observations:
            raise RuntimeError(
                f"cov(): expected fweights to have the same numel as there are observations in the input but got "
                f"{fweights.numel()} != {observations}"
            )
        if fweights.numel() and fweights._data.min() < 0:
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if aweights.ndim > 1 or aweights._data.dtype.kind != "f":
            raise RuntimeError(f"cov(): expected aweights to be a 1-d floating point tensor, got {aweights.dtype}")
        if aweights.numel() != observations:
            raise RuntimeError(
                f"cov(): expected aweights to have the same numel as there are observations in the input but got "
                f"{aweights.numel()} != {observations}"
            )
        if aweights.numel() and aweights._data.min() < 0:
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is not None:
        w_sum = w.sum()
        avg = (input * w).sum(1) / w_sum
    else:
        w_sum = observations
        avg = input.mean(1)
    if w is not None and correction != 0:
        norm_factor = w_sum - correction * ((w * aweights).sum() / w_sum if aweights is not None else 1)
    else:
        norm_factor = w_sum - correction
    below = bool((norm_factor._data if isinstance(norm_factor, Tensor) else np.asarray(norm_factor)) <= 0)
    if below:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations.",
            RuntimeWarning,
            stacklevel=2,
        )
        norm_factor = norm_factor - norm_factor  # +0 (a product with 0 would keep the sign)
    centered = input - avg.unsqueeze(1)
    c = matmul(centered, (centered if w is None else centered * w).t())
    with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom: inf and NaN, warned above
        return (c / norm_factor).squeeze()


def corrcoef(input):
    """The Pearson correlation coefficients of the rows of ``input`` (``cov`` normalized,
    clipped to [-1, 1])."""
    c = cov(tensor_arg(input, "corrcoef"))
    if c.ndim == 0:
        return c / c
    stddev = sqrt(c.diagonal())
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    return clamp(c, -1, 1)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend`` and ``append`` joined
    first); for bool tensors, ``!=`` of neighbours."""
    input = tensor_arg(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if not isinstance(n, numbers.Integral) or n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = normalize_dim(dim, input.ndim, "diff")
    if n == 0:  # PyTorch ignores prepend and append then
        return input
    parts = [input]
    if prepend is not None:
        parts.insert(0, _as_part(prepend, input, dim, "prepend"))
    if append is not None:
        parts.append(_as_part(append, input, dim, "append"))
    out = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(int(n)):
        length = out.shape[dim]
        if length == 0:
            break
        upper, lower = narrow(out, dim, 1, length - 1), narrow(out, dim, 0, length - 1)
        out = logical_xor(upper, lower) if out._data.dtype == np.bool_ else upper - lower
    return out


def _as_part(extra, input, dim, what):
    if not isinstance(extra, Tensor):
        extra = tensor_arg(extra, "diff")
    if extra.ndim == 0:
        shape = list(input.shape)
        shape[dim] = 1
        extra = extra.expand(*shape)
    if extra.ndim != input.ndim:
        raise RuntimeError(
            f"diff expects {what} or input to be the same dimension (got {extra.ndim} and {input.ndim} dims)"
        )
    return extra


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast)."""
    difference = tensor_arg(input, "dist") - tensor_arg(other, "dist")
    if difference._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {difference.dtype} instead."
        )
    return vector_norm(difference, ord=float(p))
