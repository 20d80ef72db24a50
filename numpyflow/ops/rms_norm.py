"""``rms_norm``: root-mean-square normalisation over the trailing ``normalized_shape``
dims, ``x / sqrt(mean(x**2) + eps) * weight`` (PyTorch's ``torch.nn.functional.rms_norm``).

Composed from differentiable ops, so gradients of every order come from theirs."""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor

__all__ = ["rms_norm"]


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Normalise the last ``len(normalized_shape)`` dims by their root mean square, then
    ``* weight``; ``eps=None`` is the machine epsilon of the input's dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rms_norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    normalized_shape = tuple(int(s) for s in normalized_shape)
    shape = tuple(input.shape)
    k = len(normalized_shape)
    if k == 0 or shape[len(shape) - k :] != normalized_shape or k > len(shape):
        raise RuntimeError(
            f"rms_norm: Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(shape)}"
        )
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(
            f"rms_norm: Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(-k, 0))
    out = input * (input * input).mean(dim=dims, keepdim=True).add(eps).rsqrt()
    return out if weight is None else out * weight
