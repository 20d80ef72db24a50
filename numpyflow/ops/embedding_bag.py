"""``embedding_bag``: sums, means or maxima of bags of embedding rows, without building
the per-index embeddings' bags by hand (``torch.nn.functional.embedding_bag``).

Composed from differentiable ops (``embedding``, a matrix product with a fixed bag
matrix, ``max``), so gradients of every order come from theirs."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .embedding import embedding
from .shape import stack

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


def _bags(input, offsets, include_last_offset):
    """Flat indices (numpy) and the ``(start, end)`` of every bag."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                f"length sequences. However, found offsets of type {type(offsets)}"
            )
        b, n = input.shape
        flat = np.asarray(input._data).reshape(-1)
        return flat, [(i * n, (i + 1) * n) for i in range(b)]
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    flat = np.asarray(input._data).reshape(-1)
    starts = [int(o) for o in np.asarray(offsets._data).reshape(-1)]
    if starts and starts[0] != 0:
        raise RuntimeError(
            f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got {starts[0]}"
        )
    if include_last_offset:  # one bag fewer; as PyTorch (CPU), the last one still runs to the end
        starts = starts[:-1]
    ends = starts[1:] + [flat.size] if starts else []
    for s, e in zip(starts, ends):
        if e < s or e > flat.size:
            raise RuntimeError(
                f"embedding_bag: offsets have to be non-decreasing and within the input (got {s}..{e} for {flat.size} indices)"
            )
    return flat, list(zip(starts, ends))


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """For each bag of indices (the rows of a 2-D ``input``, or the slices of a 1-D
    ``input`` that ``offsets`` start), the ``mode`` (``'sum'``, ``'mean'``, ``'max'``) of
    the rows of ``weight`` it picks; ``per_sample_weights`` scale the rows (``'sum'`` only);
    indices equal to ``padding_idx`` are left out; an empty bag gives zeros."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("embedding_bag(): arguments 'input' and 'weight' must be Tensors")
    if weight.dtype == input.dtype and input._data.dtype.kind == "f":
        raise TypeError("embedding_bag: input has to be an integer tensor (did you swap input and weight?)")
    if mode not in _MODES:
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for "
                f"mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, then it "
                f"must have the same shape as the input ({tuple(input.shape)})"
            )
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True is not supported by NumpyFlow (dense gradients only)")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("padding_idx must be within num_embeddings")
        padding_idx = padding_idx % num
    flat, bags = _bags(input, offsets, include_last_offset)
    if flat.size and (flat.min() < 0 or flat.max() >= num):
        raise IndexError(
            f"embedding_bag: index out of range in self (indices in [{flat.min()}, {flat.max()}], {num} rows)"
        )
    rows = embedding(Tensor._make(flat.astype(np.int64)), weight, None, max_norm, norm_type, scale_grad_by_freq)
    keep = flat != padding_idx if padding_idx is not None else np.ones(flat.size, bool)
    if mode == "max":
        out = []
        for s, e in bags:
            picked = np.nonzero(keep[s:e])[0] + s
            if picked.size:
                out.append(rows[Tensor._make(picked)].max(dim=0)[0])
            else:
                out.append((weight[0] * 0).detach())
        if not out:
            return (weight[:0] * 1).reshape(0, dim)
        return stack(out)
    bag_matrix = np.zeros((len(bags), flat.size), weight._data.dtype)
    for b, (s, e) in enumerate(bags):
        count = int(keep[s:e].sum())
        if count:
            bag_matrix[b, s:e] = keep[s:e] / (count if mode == "mean" else 1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    return Tensor._make(bag_matrix) @ rows
