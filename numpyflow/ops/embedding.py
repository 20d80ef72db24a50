"""Embedding lookups (``embedding``, with ``padding_idx``, ``max_norm`` and
``scale_grad_by_freq``) and ``one_hot``, with ``torch.nn.functional``'s signatures."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._resample import TakePlan

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """Rows of ``weight`` at integer ``indices`` (any shape); the gradient of the weight
    adds up over repeated indices.  ``row_scale`` (per index position, or None) scales
    the gradient: 0 at ``padding_idx``, ``1 / count`` with ``scale_grad_by_freq``.
    ``indices`` is the index Tensor ``gather`` was planned from: unused here, it is passed
    so that hooks that watch the op (the ONNX tracer) see the lookup's input."""

    @staticmethod
    def forward(ctx, weight, shape, gather, row_scale, indices=None):
        ctx.meta = (shape, gather, row_scale)
        return gather.take(weight, 0).reshape(shape + weight.shape[1:])

    @staticmethod
    def backward(ctx, grad):
        shape, gather, row_scale = ctx.meta
        g = grad
        if row_scale is not None:
            g = g * Tensor._make(row_scale.reshape(shape + (1,) * (grad.ndim - len(shape))))
        return EmbeddingBackward.apply(g, shape, gather), None, None, None, None


class EmbeddingBackward(Function):
    """The embedding's weight gradient: the incoming rows summed by index (its own
    backward reads rows back, so double backward works)."""

    _public_name = "EmbeddingDenseBackward"

    @staticmethod
    def forward(ctx, g, shape, gather):
        ctx.meta = (shape, gather)
        n = math.prod(shape)
        return gather.adjoint(g.reshape((n,) + g.shape[len(shape) :]), 0)

    @staticmethod
    def backward(ctx, grad):
        shape, gather = ctx.meta
        return Embedding.apply(grad, shape, gather, None), None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices.

    The row ``padding_idx`` gets no gradient; ``max_norm`` renormalises the rows it reads
    in place (no graph), as PyTorch; ``scale_grad_by_freq`` divides each row's gradient by
    how often its index occurs in ``input``."""
    op = "embedding"
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): input and weight must be Tensors")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: Expected tensor for argument #1 'indices' to have an integer dtype (Long, Int), "
            f"but got {input.dtype} instead"
        )
    if weight._data.ndim != 2:
        raise RuntimeError(
            f"{op}: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape {list(weight.shape)}"
        )
    if sparse:
        raise NotImplementedError(f"{op}: sparse=True (sparse gradients) is not supported; use sparse=False")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx >= num or padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx[(idx < 0) | (idx >= num)].reshape(-1)[0])
        raise IndexError(f"{op}: index {bad} is out of range for a weight with {num} rows (index out of range in self)")
    flat = np.ascontiguousarray(idx.reshape(-1)) if isinstance(idx, np.ndarray) else idx.reshape(-1)
    host = flat if isinstance(flat, np.ndarray) else np.asarray(flat.get())
    if max_norm is not None:
        _renorm_rows(weight, np.unique(host), float(max_norm), float(norm_type))
    row_scale = None
    if padding_idx is not None or scale_grad_by_freq:
        row_scale = np.ones(host.shape, weight._data.dtype)
        if scale_grad_by_freq:
            counts = np.bincount(host, minlength=num)
            row_scale /= counts[host]
        if padding_idx is not None:
            row_scale[host == padding_idx] = 0
    return Embedding.apply(weight, tuple(idx.shape), TakePlan(host, num), row_scale, input)


def _renorm_rows(weight, rows, max_norm, norm_type):
    """PyTorch's ``embedding_renorm_``: rows whose norm exceeds ``max_norm`` are scaled to
    ``max_norm / (norm + 1e-7)`` times themselves, in place."""
    w = weight._data
    xp = array_module(w)
    r = rows if xp is np else xp.asarray(rows)
    sub = w[r]
    norms = xp.linalg.norm(sub.astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if bool(over.any()):
        weight._check_writeable("embedding")
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[r[over]] = sub[over] * scale[:, None]
        weight._bump_version()


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with a trailing dim of ``num_classes`` holding a 1 at each index
    of ``tensor`` (``num_classes=-1``: one more than the largest index)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' must be Tensor, not {type(tensor).__name__}")
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of an integer type (LongTensor), got {tensor.dtype}"
        )
    xp = array_module(data)
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    num_classes = int(num_classes)
    if data.size:
        if int(data.min()) < 0:
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if int(data.max()) >= num_classes:
            raise RuntimeError(
                f"one_hot: Class values must be smaller than num_classes ({num_classes}); got {int(data.max())}."
            )
    out = (data[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)
