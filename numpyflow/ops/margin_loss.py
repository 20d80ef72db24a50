"""Margin and embedding losses, with ``torch.nn.functional``'s signatures and PyTorch's
formulas: ``soft_margin_loss``, ``multilabel_soft_margin_loss``, ``hinge_embedding_loss``,
``cosine_embedding_loss``, ``margin_ranking_loss``, ``triplet_margin_loss``.

Each is a composition of differentiable ops, so gradients of every order come from
theirs; targets are +1 / -1 (or 0 / 1 for the multi-label loss).
"""

from __future__ import annotations

from ..tensor import Tensor
from ._reduction import reduce_loss, reduction_arg
from .activation import logsigmoid
from .distance import pairwise_distance
from .elementwise import clamp, exp, log1p, minimum, sqrt, where
from .reduction import sum as _sum

__all__ = [
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
]

_EPSILON = 1e-12  # PyTorch's guard of cosine_embedding_loss's norms


def _tensors(op, **named):
    for what, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(t).__name__}")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``: a smooth two-class margin loss."""
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors("soft_margin_loss", input=input, target=target)
    return reduce_loss(log1p(exp(-target * input)), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy from logits per class (``target`` of 0s and 1s), averaged over
    the classes (the last dim), one loss per sample."""
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors("multilabel_soft_margin_loss", input=input, target=target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = _sum(loss, class_dim) / input.shape[class_dim]
    return reduce_loss(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors("hinge_embedding_loss", input=input, target=target)
    zeros = input * 0
    loss = where(target != 1, clamp(margin - input, min=0), zeros) + where(target != -1, input, zeros)
    return reduce_loss(loss, reduction)


def _check_pair(op, input1, input2, target):
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(
            f"{op}: expected 1-D or 2-D inputs of the same number of dimensions, but got input1 of shape "
            f"{tuple(input1.shape)} and input2 of shape {tuple(input2.shape)}"
        )
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(
            f"{op}: expected a {input1.ndim - 1}-D target for {input1.ndim}-D inputs, but got target of shape "
            f"{tuple(target.shape)}"
        )


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(input1, input2)`` where ``target`` is 1, ``max(0, cos - margin)`` where it
    is -1; rows of 2-D inputs (or two vectors with a 0-d target)."""
    op = "cosine_embedding_loss"
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors(op, input1=input1, input2=input2, target=target)
    _check_pair(op, input1, input2, target)
    dim = input1.ndim - 1
    prod = _sum(input1 * input2, dim)
    mag1 = _sum(input1 * input1, dim) + _EPSILON
    mag2 = _sum(input2 * input2, dim) + _EPSILON
    cos = prod / sqrt(mag1 * mag2)
    zeros = cos * 0
    loss = where(target == 1, 1 - cos, zeros) + where(target == -1, clamp(cos - margin, min=0), zeros)
    return reduce_loss(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``: ``input1`` should rank above
    ``input2`` where ``target`` is 1, below where it is -1."""
    op = "margin_ranking_loss"
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors(op, input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"{op}: All input tensors should have same dimension but got sizes: input1: {tuple(input1.shape)}, "
            f"input2: {tuple(input2.shape)}, target: {tuple(target.shape)} "
        )
    return reduce_loss(clamp(-target * (input1 - input2) + margin, min=0), reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)`` with ``d`` the
    ``p``-norm pairwise distance; ``swap`` also measures the negative from the positive
    and takes the nearer."""
    op = "triplet_margin_loss"
    reduction = reduction_arg(reduction, size_average, reduce)
    _tensors(op, anchor=anchor, positive=positive, negative=negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(clamp(margin + dist_pos - dist_neg, min=0), reduction)
