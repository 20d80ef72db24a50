"""Instance normalization and local response normalization, with PyTorch's
``torch.nn.functional`` signatures, composed as PyTorch composes them:

* ``instance_norm`` normalises every (sample, channel) plane with its own statistics.
  Without running statistics that is ``group_norm`` with one group per channel; with
  them it is PyTorch's own composition: ``batch_norm`` over the input viewed as
  ``(1, N*C, ...)``, with the running statistics (and the affine parameters) repeated
  ``N`` times, and the running statistics then set to the mean of their ``N`` updated
  copies.
* ``local_response_norm`` divides by ``(k + alpha * mean of squares over size
  neighbouring channels) ** beta``: zero padding and ``avg_pool2d`` over channels, as in
  PyTorch's Python implementation.
"""

from __future__ import annotations

import math

from ..backend import array_module
from ..tensor import Tensor
from .normalization import batch_norm, group_norm
from .pooling import avg_pool2d
from .shape import pad

__all__ = ["instance_norm", "local_response_norm"]


def _check_size(op, t, what, n, c):
    if t is not None:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): {what} must be a Tensor or None, not {type(t).__name__}")
        if t._data.size != c:
            raise RuntimeError(
                f"{op}: {what} should contain {n * c} elements not {n * t._data.size} "
                f"(one per channel: {c}; got {what} of shape {list(t.shape)})"
            )


def instance_norm(
    input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-5
):
    """Normalise each channel of each sample of an ``(N, C, *)`` input over its spatial
    dims, then ``* weight + bias`` per channel, as ``torch.nn.functional.instance_norm``.

    ``use_input_stats=True`` normalises with each plane's own statistics and, when given,
    updates ``running_mean``/``running_var`` in place (``momentum``, the unbiased variance,
    averaged over the batch); ``False`` normalises with the running statistics."""
    op = "instance_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = tuple(input._data.shape)
    if use_input_stats and math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(shape)}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(f"{op}: Expected running_mean and running_var to be defined when use_input_stats is false")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    n, c = shape[0], shape[1]
    for what, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_size(op, t, what, n, c)
    if use_input_stats and running_mean is None and running_var is None:
        return group_norm(input, c, weight, bias, eps)

    def repeated(t):
        return None if t is None else Tensor._make(array_module(t._data).tile(t._data.reshape(-1), n))

    stats = [running_mean, running_var]
    copies = [repeated(t) for t in stats]
    w = None if weight is None else weight.reshape(-1).repeat(n)
    b = None if bias is None else bias.reshape(-1).repeat(n)
    out = batch_norm(input.reshape(1, n * c, *shape[2:]), *copies, w, b, bool(use_input_stats), momentum, eps)
    for stat, copy in zip(stats, copies):
        if stat is not None:  # PyTorch's rule: the batch's mean of the updated copies
            stat._write(copy._data.reshape(n, c).mean(axis=0).reshape(stat._data.shape), op)
    return out.reshape(shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``input / (k + alpha * mean(input**2 over size channels around each)) ** beta``
    over an ``(N, C, *)`` input (3-D or more), as ``torch.nn.functional.local_response_norm``."""
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    dim = input._data.ndim
    if dim < 3:
        raise ValueError(f"{op}: Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input._data.size == 0:
        return input
    shape = tuple(input._data.shape)
    div = (input * input).reshape(shape[0], 1, shape[1], -1)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).reshape(shape)
    div = (div * alpha + k) ** beta
    return input / div
