"""Multi-class and multi-label margin losses and the triplet loss with a custom distance,
with ``torch.nn.functional``'s signatures and PyTorch's formulas: ``multi_margin_loss``,
``multilabel_margin_loss``, ``triplet_margin_with_distance_loss``.

Each is a composition of differentiable ops, so gradients of every order come from theirs."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._reduction import reduce_loss, reduction_arg
from .distance import pairwise_distance
from .elementwise import clamp, minimum

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _tensors(op, **named):
    for what, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(t).__name__}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C`` per sample (times ``weight[y]``)."""
    reduction = reduction_arg(reduction, size_average, reduce)
    op = "multi_margin_loss"
    _tensors(op, input=input, target=target)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if input.dim() > 2:
        raise RuntimeError(
            f"{op}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}"
        )
    x = input if input.dim() == 2 else input.reshape(1, -1)  # a 0-d input is one sample of one class
    t = target.reshape(-1)
    n, c = x.shape
    if t.shape[0] != n:
        raise RuntimeError(
            f"{op}: inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    labels = np.asarray(t._data).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise RuntimeError(
            f"{op}: target out of range (got labels in [{labels.min()}, {labels.max()}] for {c} classes)"
        )
    idx = Tensor._make(labels.reshape(n, 1))
    others = Tensor._make((np.arange(c)[None, :] != labels[:, None]).astype(x._data.dtype))
    z = clamp(x - x.gather(1, idx) + margin, min=0.0)
    if p == 2:
        z = z * z
    z = z * others
    if weight is not None:
        z = z * weight[Tensor._make(labels)].reshape(n, 1)
    loss = z.sum(dim=1) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j in targets, i not in targets} max(0, 1 - (x[j] - x[i])) / C`` per sample;
    each row of ``target`` lists class indices, ended by the first ``-1``."""
    reduction = reduction_arg(reduction, size_average, reduce)
    op = "multilabel_margin_loss"
    _tensors(op, input=input, target=target)
    if input.dim() not in (0, 1, 2):
        raise RuntimeError(
            f"{op}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}"
        )
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"{op}: inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    x = input.reshape(1, -1) if input.dim() < 2 else input
    labels = np.asarray(target._data).astype(np.int64).reshape(x.shape)
    n, c = x.shape
    counts = np.zeros((n, c), np.int64)  # a label listed twice counts twice, as in PyTorch
    for row in range(n):
        for label in labels[row]:
            if label < 0:
                break
            if label >= c:
                raise RuntimeError(f"{op}: target index {label} is out of bounds for {c} classes")
            counts[row, label] += 1
    pairs = Tensor._make((counts[:, :, None] * (counts == 0)[:, None, :]).astype(x._data.dtype))
    z = clamp(1.0 - x.unsqueeze(2) + x.unsqueeze(1), min=0.0) * pairs
    loss = z.sum(dim=(1, 2)) / c
    if input.dim() < 2:
        loss = loss.reshape(())
    return reduce_loss(loss, reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` for any distance ``d``
    (default :func:`pairwise_distance`); ``swap`` takes the smaller of ``d(a, n)`` and ``d(p, n)``."""
    op = "triplet_margin_with_distance_loss"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"{op}: expected margin to be greater than 0, got {margin} instead")
    _tensors(op, anchor=anchor, positive=positive, negative=negative)
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(
            f"{op}: The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs"
        )
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return reduce_loss(clamp(margin + d_pos - d_neg, min=0.0), reduction)
