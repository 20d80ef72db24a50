"""Distances and similarities between vectors, with ``torch.nn.functional``'s
signatures: ``normalize``, ``cosine_similarity``, ``pairwise_distance``.

Each is a composition of differentiable ops (norms, products, clamps), so gradients of
every order come from theirs.
"""

from __future__ import annotations

from ..tensor import Tensor
from .elementwise import clamp
from .reduction import norm
from .reduction import sum as _sum
from .shape import broadcast_tensors

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def _pair(x1, x2, op):
    for what, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(t).__name__}")
    try:
        return broadcast_tensors(x1, x2)
    except ValueError:
        raise RuntimeError(
            f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} must broadcast to a common shape"
        ) from None


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    return input / clamp(norm(input, p, dim, keepdim=True), min=eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """``<x1, x2> / (||x1|| ||x2||)`` along ``dim`` (after broadcasting), each norm
    clamped to at least ``eps`` as PyTorch clamps it."""
    x1, x2 = _pair(x1, x2, "cosine_similarity")
    n1 = clamp(norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = clamp(norm(x2, 2, dim, keepdim=True), min=eps)
    return _sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """``||x1 - x2 + eps||_p`` over the last dim, row by row (after broadcasting)."""
    x1, x2 = _pair(x1, x2, "pairwise_distance")
    dim = -1 if x1.ndim else 0
    return norm(x1 - x2 + eps, p, dim, keepdim=keepdim)
