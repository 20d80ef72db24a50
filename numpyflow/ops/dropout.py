"""Dropout: ``dropout`` zeroes single elements, ``dropout1d/2d/3d`` whole channels,
with ``torch.nn.functional``'s signatures, warnings and errors.  The masks come from the
global generator, so ``nf.manual_seed`` repeats them."""

from __future__ import annotations

import warnings

import numpy as np

from .. import random as _random
from ..autograd.function import Function
from ..backend import device_of, to_device
from ..tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


class Dropout(Function):
    """``x * mask`` for a fixed mask already scaled by ``1 / (1 - p)`` (broadcast over
    whole channels for the feature dropouts); the gradient is ``grad * mask``."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(input, p, shape):
    """A mask of ``shape`` (broadcastable to the input): 0 with probability ``p``, else
    ``1 / (1 - p)``; drawn from the global generator (``nf.manual_seed`` repeats it)."""
    dtype = input._data.dtype
    rng = _random.default_generator.numpy_generator
    if p == 1.0:
        mask = np.zeros(shape, dtype)
    else:
        keep = rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
        mask = keep.astype(dtype)
        mask *= dtype.type(1.0 / (1.0 - p))
    device = device_of(input._data)
    return mask if device.type == "cpu" else to_device(mask, device)


def _apply_dropout(input, p, training, inplace, mask_shape, op):
    _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not training or p == 0.0:
        return input
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    mask = _dropout_mask(input, p, mask_shape)
    if inplace:
        return input._inplace(op + "_", Dropout.apply, mask)
    return Dropout.apply(input, mask)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (identity when ``training`` is False)."""
    return _apply_dropout(input, p, training, inplace, tuple(input.shape), "dropout")


def _feature_dropout(input, p, training, inplace, op, spatial):
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input (got {nd})")
    # whole channels: one draw per (N, C), or per C for an unbatched (C, ...) input
    lead = 1 if nd == spatial + 1 else 2
    shape = tuple(input.shape[:lead]) + (1,) * (nd - lead)
    return _apply_dropout(input, p, training, inplace, shape, op)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (dim 1) of an (N, C, H, W) input with probability ``p``.

    As PyTorch (for now), a 3-D input is taken as (N, C, L) with a warning."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in "
            "an error in a future release. To retain the behavior and silence this warning, please use "
            "dropout instead.",
            UserWarning,
            stacklevel=2,
        )
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
            "This behavior will change in a future release to interpret the input as one without a batch "
            "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
            "switch to using dropout1d instead.",
            UserWarning,
            stacklevel=2,
        )
    if nd < 2:
        raise RuntimeError(f"dropout2d: Feature dropout requires at least 2 dimensions in the input (got {nd})")
    shape = tuple(input.shape[:2]) + (1,) * (nd - 2)
    return _apply_dropout(input, p, training, inplace, shape, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
            "an error in a future release.",
            UserWarning,
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, "dropout3d", 3)


_SELU_NEGATIVE = 1.7580993408473766  # -scale * alpha of SELU: the value alpha dropout sets


def _alpha_dropout(input, p, training, inplace, feature, op):
    _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not training or p == 0.0 or input._data.size == 0:
        return input
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    nd = input._data.ndim
    if feature:
        if nd < 2:
            raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input (got {nd})")
        shape = tuple(input.shape[:2]) + (1,) * (nd - 2)
    else:
        shape = tuple(input.shape)
    dtype = input._data.dtype
    if p == 1.0:
        mult, shift = np.zeros(shape, dtype), np.zeros(shape, dtype)
    else:
        # PyTorch's rule: keep -> a * x, drop -> a * (-alpha') + b, so mean and variance stay
        rng = _random.default_generator.numpy_generator
        keep = (rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p).astype(np.float64)
        a = 1.0 / np.sqrt((_SELU_NEGATIVE**2 * p + 1.0) * (1.0 - p))
        shift = ((keep - 1.0) * (_SELU_NEGATIVE * a) + _SELU_NEGATIVE * a * p).astype(dtype)
        mult = (keep * a).astype(dtype)
    device = device_of(input._data)
    if device.type != "cpu":
        mult, shift = to_device(mult, device), to_device(shift, device)
    shift_t = Tensor._make(shift)
    if inplace:
        return input._inplace(op + "_", Dropout.apply, mult).add_(shift_t)
    return Dropout.apply(input, mult) + shift_t


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): dropped elements take SELU's negative saturation
    value and the result is rescaled to keep zero mean and unit variance."""
    return _alpha_dropout(input, p, training, inplace, False, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1) of an (N, C, ...) input."""
    return _alpha_dropout(input, p, training, inplace, True, "feature_alpha_dropout")
