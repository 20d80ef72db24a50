"""Power-average pooling ``lp_pool1d/2d/3d``: ``(sum over the window of x ** p) ** (1 / p)``,
composed from ``avg_pool`` as PyTorch does (so gradients of every order come from theirs)."""

from __future__ import annotations

import math

from .pooling import avg_pool2d
from .pooling_nd import avg_pool1d, avg_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, n, avg_pool):
    kernel = _tuple(kernel_size, n)
    powered = input.pow(norm_type)
    if stride is not None:
        out = avg_pool(powered, kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(powered, kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over an (N, C, L) or (C, L) input."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over an (N, C, H, W) or (C, H, W) input."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over an (N, C, D, H, W) or (C, D, H, W) input."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d)
