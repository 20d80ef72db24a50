"""``pdist``: the p-norm distance between every pair of rows of an (N, M) input, in the
order of the upper triangle (``i < j``), composed from differentiable ops."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor

__all__ = ["pdist"]


def pdist(input, p=2):
    """``||input[i] - input[j]||_p`` for ``i < j``, a vector of ``N * (N - 1) / 2`` distances."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pdist(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if input._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    diff = (input[Tensor._make(i)] - input[Tensor._make(j)]).abs()
    if p == 0:  # a count: differentiable with a zero gradient, as PyTorch's
        return (diff != 0).to(input.dtype).sum(dim=-1) + 0 * diff.sum(dim=-1)
    if math.isinf(p):
        return diff.amax(dim=-1) if diff.shape[-1] else diff.sum(dim=-1)
    if p == 2:
        return (diff * diff).sum(dim=-1).sqrt()
    if p == 1:
        return diff.sum(dim=-1)
    return diff.pow(p).sum(dim=-1).pow(1.0 / p)
