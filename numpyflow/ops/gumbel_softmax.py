"""``gumbel_softmax``: a sample of the Gumbel-softmax (concrete) distribution, soft or
straight-through one-hot; the noise comes from the global generator, so
``nf.manual_seed`` repeats it."""

from __future__ import annotations

import warnings

import numpy as np

from .. import random as _random
from ..backend import device_of, to_device
from ..tensor import Tensor
from .activation import softmax

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """``softmax((logits + g) / tau, dim)`` with Gumbel noise ``g = -log(Exp(1))``; ``hard``
    returns the one-hot of its argmax with the soft sample's gradient (straight through)."""
    if not isinstance(logits, Tensor):
        raise TypeError(f"gumbel_softmax(): argument 'logits' must be Tensor, not {type(logits).__name__}")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    dtype = logits._data.dtype
    rng = _random.default_generator.numpy_generator
    noise = -np.log(rng.standard_exponential(tuple(logits.shape))).astype(dtype)
    device = device_of(logits._data)
    if device.type != "cpu":
        noise = to_device(noise, device)
    y_soft = softmax((logits + Tensor._make(noise)) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim=dim, keepdim=True)
    y_hard = (logits * 0).detach().scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
