"""Dropout, embedding, one-hot, interpolation and padding, with ``torch.nn.functional``'s
signatures and semantics.

Interpolation and the non-constant paddings are linear maps that act on one axis at a
time: along each axis an output position ``k`` reads input positions ``idx[k]``
(nearest, reflect, replicate, circular) or ``w0[k] * x[i0[k]] + w1[k] * x[i1[k]]``
(linear).  One ``_Resample`` Function applies such a plan; its backward is the adjoint
plan (sums of the gradient grouped by source index, with ``ufunc.reduceat`` on sorted
indices: no Python loops, no ``add.at``), and the adjoint's backward is the plan again,
so derivatives of every order are exact.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, device_of, scatter_add, to_device
from ..tensor import Tensor
from .. import random as _random

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "embedding", "one_hot", "interpolate", "pad"]


# -- dropout ----------------------------------------------------------------------------------

class Dropout(Function):
    """``x * mask`` for a fixed mask already scaled by ``1 / (1 - p)`` (broadcast over
    whole channels for the feature dropouts); the gradient is ``grad * mask``."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        mask, = ctx.saved_tensors
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
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (dim 1) of an (N, C, H, W) input with probability ``p``.

    As PyTorch (for now), a 3-D input is taken as (N, C, L) with a warning."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead.", UserWarning, stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", UserWarning, stacklevel=2)
    if nd < 2:
        raise RuntimeError(f"dropout2d: Feature dropout requires at least 2 dimensions in the input (got {nd})")
    shape = tuple(input.shape[:2]) + (1,) * (nd - 2)
    return _apply_dropout(input, p, training, inplace, shape, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout3d", 3)


# -- sums grouped by index (the adjoint of ``take``) ---------------------------------------------

class _Gather:
    """``take(x, idx, axis)`` and its adjoint, with the grouping work done once.

    The adjoint sums the gradient over the output positions that read the same source.
    After sorting (when ``idx`` is not already sorted) those positions are runs; with
    short runs (interpolation, padding) it adds the r-th element of every run in one
    vectorised step per r, else it uses ``add.reduceat``.
    """

    __slots__ = ("idx", "size", "order", "starts", "targets", "full", "extra")

    _MAX_PASSES = 8

    def __init__(self, idx, size):
        idx = np.asarray(idx, dtype=np.int64)
        self.idx = idx
        self.size = size
        if idx.size and np.any(idx[1:] < idx[:-1]):
            self.order = np.argsort(idx, kind="stable")
            srt = idx[self.order]
        else:
            self.order = None
            srt = idx
        if srt.size:
            first = np.empty(srt.shape, bool)
            first[0] = True
            np.not_equal(srt[1:], srt[:-1], out=first[1:])
            self.starts = np.flatnonzero(first)
            self.targets = srt[self.starts]
        else:
            self.starts = self.targets = np.zeros(0, np.int64)
        # every input position is read, in order: the run sums are the result as they are
        self.full = self.targets.size == size
        counts = np.diff(np.append(self.starts, srt.size))
        longest = int(counts.max()) if counts.size else 0
        self.extra = None  # None: use reduceat
        if longest <= self._MAX_PASSES:
            # for r = 1, 2, ...: (runs longer than r as positions into targets, or None
            # for all of them; where their r-th elements are)
            self.extra = []
            for r in range(1, longest):
                runs = np.flatnonzero(counts > r)
                self.extra.append((None if runs.size == counts.size else runs, self.starts[runs] + r))

    def take(self, x, axis):
        xp = array_module(x)
        return xp.take(x, self.idx if xp is np else xp.asarray(self.idx), axis=axis)

    def adjoint(self, g, axis):
        """``out[..., j, ...] = sum of g[..., k, ...] over k with idx[k] == j``."""
        xp = array_module(g)
        shape = list(g.shape)
        shape[axis] = self.size
        if xp is not np:  # pragma: no cover - needs a GPU
            out = xp.zeros(shape, g.dtype)
            scatter_add(xp, xp.moveaxis(out, axis, 0), xp.asarray(self.idx), xp.moveaxis(g, axis, 0))
            return out
        if self.idx.size == 0 or g.size == 0:
            return np.zeros(shape, g.dtype)
        if self.order is not None:
            g = np.take(g, self.order, axis=axis)
        if self.extra is None:
            sums = np.add.reduceat(g, self.starts, axis=axis)
        else:
            sums = np.take(g, self.starts, axis=axis)
            head = (slice(None),) * axis
            for runs, positions in self.extra:
                part = np.take(g, positions, axis=axis)
                if runs is None:
                    sums += part
                else:
                    sums[head + (runs,)] += part
        if self.full:
            return sums
        out = np.zeros(shape, g.dtype)
        out[(slice(None),) * axis + (self.targets,)] = sums
        return out


class _Axis:
    """One axis of a plan: ``sum_k weight_k * take(x, gather_k)`` along ``axis``."""

    __slots__ = ("axis", "taps")

    def __init__(self, axis, taps):
        self.axis = axis
        self.taps = taps  # [(_Gather, weights array or None)]

    def _weights(self, w, ndim, like):
        shape = [1] * ndim
        shape[self.axis] = w.shape[0]
        xp = array_module(like)
        w = w.astype(like.dtype, copy=False).reshape(shape)
        return w if xp is np else xp.asarray(w)

    def apply(self, x):
        out = None
        for gather, w in self.taps:
            v = gather.take(x, self.axis)
            if w is not None:
                v *= self._weights(w, x.ndim, v)
            if out is None:
                out = v
            else:
                out += v
        return out

    def adjoint(self, g):
        out = None
        for gather, w in self.taps:
            gw = g * self._weights(w, g.ndim, g) if w is not None else g
            v = gather.adjoint(gw, self.axis)
            if out is None:
                out = v
            else:
                out += v
        return out


class _Resample(Function):
    """A separable linear map (``plan``: a list of ``_Axis``, applied in order) or, with
    ``adjoint=True``, its transpose.  Each one's backward is the other.  ``direct``, when
    given, computes the forward map faster (``numpy.pad`` for paddings)."""

    @staticmethod
    def forward(ctx, x, plan, adjoint, direct=None):
        ctx.meta = (plan, adjoint)
        if direct is not None and not adjoint:
            return direct(x)
        out = x
        for axis in (reversed(plan) if adjoint else plan):
            out = axis.adjoint(out) if adjoint else axis.apply(out)
        if out is x:
            out = x.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        plan, adjoint = ctx.meta
        return type(ctx).apply(grad, plan, not adjoint), None, None, None


class Upsample(_Resample):
    """Nearest or (bi/tri)linear interpolation and its adjoint."""


class Pad(_Resample):
    """Reflect, replicate or circular padding and its adjoint."""


# -- embedding and one_hot -------------------------------------------------------------------

class Embedding(Function):
    """Rows of ``weight`` at integer ``indices`` (any shape); the gradient of the weight
    adds up over repeated indices.  ``row_scale`` (per index position, or None) scales
    the gradient: 0 at ``padding_idx``, ``1 / count`` with ``scale_grad_by_freq``."""

    @staticmethod
    def forward(ctx, weight, shape, gather, row_scale):
        ctx.meta = (shape, gather, row_scale)
        return gather.take(weight, 0).reshape(shape + weight.shape[1:])

    @staticmethod
    def backward(ctx, grad):
        shape, gather, row_scale = ctx.meta
        g = grad
        if row_scale is not None:
            g = g * Tensor._make(row_scale.reshape(shape + (1,) * (grad.ndim - len(shape))))
        return EmbeddingBackward.apply(g, shape, gather), None, None, None


class EmbeddingBackward(Function):
    """The embedding's weight gradient: the incoming rows summed by index (its own
    backward reads rows back, so double backward works)."""

    _public_name = "EmbeddingDenseBackward"

    @staticmethod
    def forward(ctx, g, shape, gather):
        ctx.meta = (shape, gather)
        n = math.prod(shape)
        return gather.adjoint(g.reshape((n,) + g.shape[len(shape):]), 0)

    @staticmethod
    def backward(ctx, grad):
        shape, gather = ctx.meta
        return Embedding.apply(grad, shape, gather, None), None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices.

    The row ``padding_idx`` gets no gradient; ``max_norm`` renormalises the rows it reads
    in place (no graph), as PyTorch; ``scale_grad_by_freq`` divides each row's gradient by
    how often its index occurs in ``input``."""
    op = "embedding"
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): input and weight must be Tensors")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: Expected tensor for argument #1 'indices' to have an integer dtype (Long, Int), "
                           f"but got {input.dtype} instead")
    if weight._data.ndim != 2:
        raise RuntimeError(f"{op}: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape {list(weight.shape)}")
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
    return Embedding.apply(weight, tuple(idx.shape), _Gather(host, num), row_scale)


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
        weight._vc.value += 1


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with a trailing dim of ``num_classes`` holding a 1 at each index
    of ``tensor`` (``num_classes=-1``: one more than the largest index)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' must be Tensor, not {type(tensor).__name__}")
    data = tensor._data
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of an integer type (LongTensor), "
                           f"got {tensor.dtype}")
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
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({num_classes}); "
                               f"got {int(data.max())}.")
    out = (data[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


# -- interpolate ------------------------------------------------------------------------------

def _nearest_indices(out_size, in_size, scale, exact):
    """PyTorch's ``nearest_idx`` / ``nearest_neighbor_exact_compute_source_index``: the
    source index as ``floor(dst * scale)`` (or ``floor((dst + 0.5) * scale)``) in float32,
    clamped; sizes equal or doubling are integer shortcuts, as in PyTorch."""
    dst = np.arange(out_size)
    if not exact:
        if out_size == in_size:
            return dst
        if out_size == 2 * in_size:
            return dst >> 1
    s = _float_scale(in_size, out_size, scale, np.float32)
    pos = dst.astype(np.float32) + np.float32(0.5) if exact else dst.astype(np.float32)
    src = np.floor(pos * s).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _float_scale(in_size, out_size, scale, dtype):
    """``compute_scales_value``: ``1 / scale_factor`` when one was given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(in_size) / dtype(out_size)


def _linear_taps(out_size, in_size, scale, align_corners, dtype):
    """PyTorch's ``compute_source_index_and_lambda`` in the input's float type: two
    source indices and their weights per output position."""
    if out_size == in_size:
        return None  # an identity axis
    t = np.dtype(dtype).type
    if align_corners:
        ratio = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
        real = ratio * np.arange(out_size).astype(dtype)
    else:
        ratio = _float_scale(in_size, out_size, scale, t)
        pos = np.arange(out_size).astype(dtype) + t(0.5)
        if np.dtype(dtype).itemsize < 8:
            # PyTorch's CPU kernel is compiled with fused multiply-add: ratio * pos - 0.5
            # is rounded once.  The float64 product of two float32 numbers is exact, so
            # rounding the float64 result to float32 gives the same value.
            real = (np.float64(ratio) * pos.astype(np.float64) - 0.5).astype(dtype)
        else:
            real = ratio * pos - t(0.5)
        real = np.maximum(real, t(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.clip(real - i0.astype(dtype), t(0), t(1)).astype(dtype)
    lam0 = (t(1) - lam1).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, lam0, lam1


_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _output_size(shape, size, scale_factor, recompute, dim):
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(f"interpolate: Input and output must have the same number of spatial dimensions, but "
                             f"got input with spatial dimensions of {list(shape[2:])} and output size of {size}. "
                             "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             "(o1, o2, ...,oK) format.")
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sizes):
            raise TypeError(f"interpolate: expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types {[type(s) for s in sizes]}")
        return [int(s) for s in sizes], [None] * dim
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dim
    if len(scales) != dim:
        raise ValueError(f"interpolate: Input and scale_factor must have the same number of spatial dimensions, but "
                         f"got input with spatial dimensions of {list(shape[2:])} and scale_factor of shape "
                         f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                         "scale_factor in (s1, s2, ...,sK) format.")
    scales = [float(s) for s in scales]
    sizes = [int(math.floor(float(n) * s)) for n, s in zip(shape[2:], scales)]
    return sizes, ([None] * dim if recompute else scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of an (N, C, d1, ...) input: ``mode`` 'nearest' or
    'nearest-exact' (3-, 4- or 5-D), 'linear' (3-D), 'bilinear' (4-D) or 'trilinear'
    (5-D), with PyTorch's exact source-index rules (``align_corners`` for the linear
    modes; a given ``scale_factor`` sets the coordinate scale unless
    ``recompute_scale_factor``)."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    nearest = mode in ("nearest", "nearest-exact")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input._data.ndim
    if mode in ("area", "bicubic", "lanczos"):
        raise NotImplementedError(f"{op}: mode '{mode}' is not supported (use nearest, nearest-exact, linear, "
                                  "bilinear or trilinear)")
    if not nearest and mode not in _LINEAR_MODES:
        raise NotImplementedError(f"{op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for "
                                  f"the modes: nearest | linear | bilinear | trilinear | nearest-exact (got {mode})")
    if nd not in (3, 4, 5):
        raise NotImplementedError(f"{op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for "
                                  f"the modes: nearest | linear | bilinear | trilinear | nearest-exact (got {mode})")
    if not nearest and _LINEAR_MODES[mode] != nd:
        need = {3: "linear", 4: "bilinear", 5: "trilinear"}[nd]
        raise NotImplementedError(f"{op}: Got {nd}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input "
                                  f"(use mode='{need}' for {nd}D)")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    shape = tuple(input._data.shape)
    sizes, scales = _output_size(shape, size, scale_factor, bool(recompute_scale_factor), nd - 2)
    for s in sizes:
        if s <= 0:
            raise RuntimeError(f"{op}: Input and output sizes should be greater than 0, but got input "
                               f"{list(shape[2:])} and output {sizes}")
    dtype = input._data.dtype
    if not nearest and dtype.kind != "f":
        raise RuntimeError(f"{op}: {mode} interpolation needs a floating-point input, got {input.dtype}")
    plan = []
    # innermost axis first: the same order of operations as PyTorch's kernels
    for d in reversed(range(nd - 2)):
        axis, n_in, n_out, scale = d + 2, shape[d + 2], sizes[d], scales[d]
        if nearest:
            idx = _nearest_indices(n_out, n_in, scale, mode == "nearest-exact")
            if n_out == n_in and np.array_equal(idx, np.arange(n_in)):
                continue
            plan.append(_Axis(axis, [(_Gather(idx, n_in), None)]))
        else:
            taps = _linear_taps(n_out, n_in, scale, align_corners, dtype)
            if taps is None:
                continue
            i0, i1, lam0, lam1 = taps
            plan.append(_Axis(axis, [(_Gather(i0, n_in), lam0), (_Gather(i1, n_in), lam1)]))
    return Upsample.apply(input, plan, False)


# -- pad ----------------------------------------------------------------------------------------

def _pad_indices(n, before, after, mode):
    """Source index of each output position along one axis (negative pads crop)."""
    if mode == "circular":
        kept = n + min(before, 0) + min(after, 0)
        start = max(-before, 0)
        k = np.arange(kept + max(before, 0) + max(after, 0))
        return start + (k - max(before, 0)) % kept
    j = np.arange(-before, n + after)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    return np.clip(j, 0, n - 1)  # replicate


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` is PyTorch's flat tuple, last dim
    first: ``(left, right, top, bottom, front, back)``.  ``mode`` 'constant' (with
    ``value``; negative widths crop), 'reflect' (mirror without repeating the edge),
    'replicate' (repeat the edge) or 'circular' (wrap around)."""
    op = "pad"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"{op}: Unrecognised padding mode {mode} (expected one of {', '.join(_PAD_MODES)})")
    if mode == "constant":
        from .shape import pad as constant_pad
        return constant_pad(input, pad, "constant", value)
    if value is not None and value != 0:
        raise RuntimeError(f'{op}: Padding mode "{mode}" doesn\'t take in value argument')
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"{op}: Padding length must be divisible by 2 (got {len(pad)})")
    k = len(pad) // 2
    nd = input._data.ndim
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"{op}: Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = tuple(input._data.shape)
    if any(s == 0 for s in (shape[1:] if nd == k + 2 else shape)):
        raise RuntimeError(f"{op}: Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(shape)}")
    plan = []
    widths = [(0, 0)] * nd
    for i in range(k):
        axis = nd - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        n = shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"{op}: Argument #4: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({before}, {after}) at dimension {axis} of input "
                               f"{list(shape)}")
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError(f"{op}: Padding value causes wrapping around more than once "
                               f"(padding ({before}, {after}) at dimension {axis} of input {list(shape)}).")
        if n + before + after <= 0:
            raise RuntimeError(f"{op}: input (size {n} at dimension {axis}) is too small for padding "
                               f"({before}, {after}): calculated output size {n + before + after}")
        widths[axis] = (before, after)
        if before == 0 and after == 0:
            continue
        plan.append(_Axis(axis, [(_Gather(_pad_indices(n, before, after, mode), n), None)]))
    direct = None
    if all(b >= 0 and e >= 0 for b, e in widths):  # numpy's pad has the same three modes
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        direct = lambda x: array_module(x).pad(x, widths, mode=np_mode)  # noqa: E731
    return Pad.apply(input, plan, False, direct)
