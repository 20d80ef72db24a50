"""Attention: ``scaled_dot_product_attention`` with ``torch.nn.functional``'s signature.

It is a composition of differentiable ops (matmul, softmax, where, dropout), so
gradients of every order come from theirs.  As PyTorch's math kernel, a query row whose
keys are all masked out attends to nothing: its output (and its gradient) is 0, not NaN.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from .activation import softmax
from .construction import repeat_interleave
from .dropout import dropout
from .elementwise import where
from .linalg import matmul

__all__ = ["scaled_dot_product_attention"]

_OP = "scaled_dot_product_attention"


def _check(query, key, value):
    for what, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{_OP}(): argument '{what}' must be Tensor, not {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(
                f"{_OP}: {what} must have at least 2 dims (..., seq, features), got shape {tuple(t.shape)}"
            )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"{_OP}: query and key must have the same embedding size, got {query.shape[-1]} and {key.shape[-1]} "
            f"(query {tuple(query.shape)}, key {tuple(key.shape)})"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{_OP}: key and value must have the same sequence length, got {key.shape[-2]} and {value.shape[-2]}"
        )
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: {query.dtype} "
            f"key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )


def _repeat_heads(query, key, value):
    """``enable_gqa``: key and value heads (dim -3) repeated to the query's head count."""
    if query.ndim < 3:
        return key, value
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hk == 0 or hv == 0 or hq % hk or hq % hv:
        raise RuntimeError(
            f"Number of heads in key and value must divide the number of heads in query "
            f"({_OP}: query has {hq} heads, key {hk}, value {hv})"
        )
    if hk != hq:
        key = repeat_interleave(key, hq // hk, dim=-3)
    if hv != hq:
        value = repeat_interleave(value, hq // hv, dim=-3)
    return key, value


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """``softmax(query @ key^T * scale + mask) @ value``, with dropout on the attention
    weights.  Shapes ``(..., L, E)``, ``(..., S, E)``, ``(..., S, Ev)`` give ``(..., L, Ev)``.

    ``attn_mask``: boolean (True takes part) or additive float, broadcastable to
    ``(..., L, S)``; ``is_causal``: the lower-left triangle (upper-left aligned, as
    PyTorch) takes part; ``scale`` defaults to ``1 / sqrt(E)``; ``enable_gqa`` repeats key
    and value heads to the query's."""
    _check(query, key, value)
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{_OP}: dropout_p must be between 0 and 1, got {dropout_p}")
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = matmul(query, key.transpose(-2, -1)) * scale
    xp = array_module(scores._data)

    if is_causal:
        attn_mask = Tensor._make(xp.tril(xp.ones((L, S), dtype=bool)))
    masked = False
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{_OP}(): argument 'attn_mask' must be Tensor, not {type(attn_mask).__name__}")
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
            masked = True
        elif str(attn_mask.dtype).endswith("bool"):
            neg_inf = Tensor._make(xp.asarray(-np.inf, dtype=scores._data.dtype))
            scores = where(Tensor._make(~attn_mask._data), neg_inf, scores)
            masked = True
        else:
            raise RuntimeError(f"{_OP}: attn_mask must be bool or float (the query's dtype), got {attn_mask.dtype}")

    if masked:
        # rows where every key is masked out: softmax over zeros, then zeroed (PyTorch's safe softmax)
        dead = xp.all(xp.isneginf(scores._data), axis=-1, keepdims=True)
        if dead.any():
            dead_t = Tensor._make(dead)
            zero = Tensor._make(xp.zeros((), dtype=scores._data.dtype))
            weights = where(dead_t, zero, softmax(where(dead_t, zero, scores), -1))
        else:
            weights = softmax(scores, -1)
    else:
        weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, value)
