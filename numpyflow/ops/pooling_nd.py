"""1-D and 3-D pooling and max unpooling, with PyTorch's ``torch.nn.functional``
signatures and semantics, composed from the 2-D pooling of ``pooling.py``:

* the 1-D ops are the 2-D ones on an input with a height of one (a ``1 x k`` window);
* the 3-D ops are separable: the 2-D op over ``(H, W)`` of every depth slice, then the
  same op over depth (a ``k x 1`` window on the ``(D, Ho*Wo)`` planes).  That is exact:

  - max pooling: the maximum of maxima, and the index PyTorch picks (the first maximum
    in (d, h, w) order, the last NaN, or the first position inside the input for a
    window of -inf) is the one the two passes pick;
  - average pooling: PyTorch's divisor is a product of per-dim window sizes (with or
    without the padding, ``ceil_mode`` edges cut), so dividing per pass is the same
    average; ``divisor_override`` sums in the first pass and divides in the second;
  - adaptive pooling: PyTorch's adaptive windows are products of per-dim windows.

* ``max_unpool1d/2d/3d`` write each value at its index in a zero plane (PyTorch's
  overwrite); the gradient reads them back.

Gradients of any order follow from the 2-D ops' own.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, scatter_add
from ..tensor import Tensor
from ._window_args import as_int, as_tensor, shape_of
from .linalg import matmul
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]


# -- argument checks ----------------------------------------------------------------------


def _input(op, input, n):
    """The input Tensor: ``n + 1`` or ``n + 2`` dims, non-empty, floating."""
    x = as_tensor(input, "input", op)
    shape = shape_of(x)
    if x._data.ndim not in (n + 1, n + 2) or any(s == 0 for s in shape[-(n + 1) :]):
        raise RuntimeError(
            f"{op}: expected a non-empty {n + 1}-D (unbatched) or {n + 2}-D (batched) input, but got input of "
            f"shape {shape}"
        )
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, but got {x.dtype}")
    return x


def _ints(op, v, n, name):
    """``v`` (an int or a sequence of 1 or ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"{op}: {name} must be a single int or a tuple of {n} ints, but got {name}={tuple(v)}")
        return tuple(as_int(e, name, op) for e in v)
    return (as_int(v, name, op),) * n


def _output_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size along one dim."""
    num = n + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _window(op, x, n, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked ``(kernel, stride, padding, dilation)`` tuples of ``n`` ints."""
    k = _ints(op, kernel_size, n, "kernel_size")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got kernel_size={k}")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = _ints(op, stride, n, "stride")
        if any(v <= 0 for v in s):
            raise RuntimeError(f"{op}: stride must be greater than zero, but got stride={s}")
    p = _ints(op, padding, n, "padding")
    d = _ints(op, dilation, n, "dilation")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got dilation={d}")
    if any(pi < 0 or pi > ki // 2 for pi, ki in zip(p, k)):  # PyTorch: half the kernel, dilation aside
        raise RuntimeError(
            f"{op}: pad should be non-negative and smaller than or equal to half of kernel size, but got "
            f"padding={p}, kernel_size={k}"
        )
    size = shape_of(x)[-n:]
    out = tuple(_output_size(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"{op}: Given input size {size}, calculated output size {out}: output size is too small "
            f"(kernel_size={k}, stride={s}, padding={p}, dilation={d})"
        )
    return k, s, p, d


def _adaptive_size(op, x, output_size, n):
    """``output_size`` (an int, or a sequence of ``n`` ints or None) as ``n`` ints."""
    size = shape_of(x)[-n:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise RuntimeError(f"{op}: output_size must be {n} (got {tuple(output_size)})")
        sizes = list(output_size)
    else:
        sizes = [output_size] * n
    out = tuple(s if o is None else as_int(o, "output_size", op) for o, s in zip(sizes, size))
    if any(o < 0 for o in out):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0, but got {out}")
    return out


# -- 1-D pooling: 2-D on a height of one ----------------------------------------------------


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.functional.max_pool1d``;
    with ``return_indices`` also each maximum's index along ``L``."""
    op = "max_pool1d"
    x = _input(op, input, 1)
    (k,), (s,), (p,), (d,) = _window(op, x, 1, kernel_size, stride, padding, dilation, bool(ceil_mode))
    out = max_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), bool(ceil_mode), bool(return_indices))
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.functional.avg_pool1d``."""
    op = "avg_pool1d"
    x = _input(op, input, 1)
    (k,), (s,), (p,), _ = _window(op, x, 1, kernel_size, stride, padding, 1, bool(ceil_mode))
    return avg_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, p), bool(ceil_mode), bool(count_include_pad)).squeeze(-2)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of ``(N, C, L)`` or ``(C, L)`` to ``output_size`` positions, as
    ``torch.nn.functional.adaptive_avg_pool1d``."""
    op = "adaptive_avg_pool1d"
    x = _input(op, input, 1)
    (lo,) = _adaptive_size(op, x, output_size, 1)
    return adaptive_avg_pool2d(x.unsqueeze(-2), (1, lo)).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of ``(N, C, L)`` or ``(C, L)`` to ``output_size`` positions, as
    ``torch.nn.functional.adaptive_max_pool1d``."""
    op = "adaptive_max_pool1d"
    x = _input(op, input, 1)
    (lo,) = _adaptive_size(op, x, output_size, 1)
    out = adaptive_max_pool2d(x.unsqueeze(-2), (1, lo), bool(return_indices))
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


# -- 3-D pooling: (H, W) per depth slice, then depth ----------------------------------------


def _separable(x, first_pass, second_pass, starts=None):
    """3-D pooling of ``x (N, C, D, H, W)`` or ``(C, D, H, W)`` in two passes: ``first_pass``
    over ``(H, W)`` of every depth slice (on ``(N, C*D, H, W)``), then ``second_pass`` over
    depth (on ``(N, C, D, Ho*Wo)``, a ``k x 1`` window).  A pass returns its output, or
    ``(output, indices)``; returns ``(output, flat 3-D indices or None)``.  ``starts (Ho, Wo)``
    is each window's first ``h*W + w`` inside the input, PyTorch's index for a window
    whose depth taps all fall in the padding (possible with dilation)."""
    unbatched = x._data.ndim == 4
    xb = x.unsqueeze(0) if unbatched else x
    N, C, D, H, W = shape_of(xb)
    first = first_pass(xb.reshape(N, C * D, H, W))
    y, i1 = first if isinstance(first, tuple) else (first, None)
    Ho, Wo = shape_of(y)[-2:]
    second = second_pass(y.reshape(N, C, D, Ho * Wo))
    z, i2 = second if isinstance(second, tuple) else (second, None)
    Do = shape_of(z)[2]
    out = z.reshape(N, C, Do, Ho, Wo)
    idx = None if i2 is None else _indices_3d(i1, i2, H, W, starts)
    if unbatched:
        out = out.squeeze(0)
        idx = None if idx is None else idx.squeeze(0)
    return out, idx


def _indices_3d(first, second, H, W, starts):
    """Flat ``(d*H + h)*W + w`` indices from the two passes' indices: ``second
    (N, C, Do, Ho*Wo)`` indexes the ``(D, Ho*Wo)`` planes of the first pass's output,
    ``first (N, C*D, Ho, Wo)`` holds each depth slice's ``h*W + w``."""
    a, b = first._data, second._data
    xp = array_module(a)
    N, C, Do, L = b.shape
    Ho, Wo = a.shape[-2:]
    D = a.shape[1] // C
    a = a.reshape(N * C, D, L)
    d = b.reshape(N * C, Do, L) // max(L, 1)
    hw = xp.take_along_axis(a, xp.minimum(d, D - 1), axis=1)
    if starts is not None and bool((d >= D).any()):  # no depth tap inside the input
        hw = xp.where(d >= D, xp.asarray(starts.reshape(L)), hw)
    return Tensor._make((d * (H * W) + hw).reshape(N, C, Do, Ho, Wo).astype(np.int64, copy=False))


def _first_inside(n_out, s, p, d):
    """Each window's first tap position inside the input (may lie past its end)."""
    start = np.arange(n_out) * s - p
    return start + d * np.maximum(0, -(start // d))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.functional.max_pool3d`` (padding counts as -inf); with ``return_indices``
    also each maximum's flat index ``(d*H + h)*W + w`` in its input volume."""
    op = "max_pool3d"
    x = _input(op, input, 3)
    ceil_mode, ri = bool(ceil_mode), bool(return_indices)
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = _window(
        op, x, 3, kernel_size, stride, padding, dilation, ceil_mode
    )
    H, W = shape_of(x)[-2:]
    Ho, Wo = _output_size(H, kh, sh, ph, dh, ceil_mode), _output_size(W, kw, sw, pw, dw, ceil_mode)
    starts = _first_inside(Ho, sh, ph, dh)[:, None] * W + _first_inside(Wo, sw, pw, dw)[None, :]
    out, idx = _separable(
        x,
        lambda t: max_pool2d(t, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil_mode, ri),
        lambda t: max_pool2d(t, (kd, 1), (sd, 1), (pd, 0), (dd, 1), ceil_mode, ri),
        starts,
    )
    return (out, idx) if ri else out


def avg_pool3d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, as
    ``torch.nn.functional.avg_pool3d`` (the divisor counts the padding when
    ``count_include_pad``, never the part of a ``ceil_mode`` window past it, and is
    ``divisor_override`` when given)."""
    op = "avg_pool3d"
    x = _input(op, input, 3)
    ceil_mode, count_pad = bool(ceil_mode), bool(count_include_pad)
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), _ = _window(op, x, 3, kernel_size, stride, padding, 1, ceil_mode)
    D, H, W = shape_of(x)[-3:]
    if D < kd or H < kh or W < kw:  # PyTorch's 3-D average pooling checks the unpadded size too
        raise RuntimeError(
            f"{op}: input image (T: {D} H: {H} W: {W}) smaller than kernel size (kT: {kd} kH: {kh} kW: {kw})"
        )
    if divisor_override is not None:
        divisor_override = as_int(divisor_override, "divisor_override", op)
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
    first_divisor = None if divisor_override is None else 1  # the first pass sums, the second divides
    out, _ = _separable(
        x,
        lambda t: avg_pool2d(t, (kh, kw), (sh, sw), (ph, pw), ceil_mode, count_pad, first_divisor),
        lambda t: avg_pool2d(t, (kd, 1), (sd, 1), (pd, 0), ceil_mode, count_pad, divisor_override),
    )
    return out


def _adaptive_bounds(n_in, n_out):
    """PyTorch's adaptive windows: ``[floor(i*n_in/n_out), ceil((i+1)*n_in/n_out))``."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _depth_average(t, Do):
    """``t (N, C, D, L)`` averaged over PyTorch's adaptive depth windows: ``A @ t`` with
    ``A (Do, D)`` (any ``L``, including 0)."""
    D = shape_of(t)[2]
    start, end = _adaptive_bounds(D, Do)
    pos = np.arange(D)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    weights = (inside / np.maximum(end - start, 1)[:, None]).astype(t._data.dtype)
    return matmul(Tensor._make(array_module(t._data).asarray(weights)), t)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to ``output_size``
    (an int or a triple; None keeps that input size), as
    ``torch.nn.functional.adaptive_avg_pool3d``."""
    op = "adaptive_avg_pool3d"
    x = _input(op, input, 3)
    Do, Ho, Wo = _adaptive_size(op, x, output_size, 3)
    out, _ = _separable(x, lambda t: adaptive_avg_pool2d(t, (Ho, Wo)), lambda t: _depth_average(t, Do))
    return out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` to ``output_size`` (an int or
    a triple; None keeps that input size), as ``torch.nn.functional.adaptive_max_pool3d``;
    with ``return_indices`` also flat per-volume indices."""
    op = "adaptive_max_pool3d"
    x = _input(op, input, 3)
    ri = bool(return_indices)
    Do, Ho, Wo = _adaptive_size(op, x, output_size, 3)

    def depth_pass(t):
        if Do * Ho * Wo == 0:  # an empty output: nothing to pick
            out = _depth_average(t, Do)
            return (out, Tensor._make(array_module(t._data).zeros(shape_of(out), np.int64))) if ri else out
        return adaptive_max_pool2d(t, (Do, Ho * Wo), ri)

    out, idx = _separable(x, lambda t: adaptive_max_pool2d(t, (Ho, Wo), ri), depth_pass)
    return (out, idx) if ri else out


# -- max unpooling ------------------------------------------------------------------------


class MaxUnpool(Function):
    """``out[..., idx] = x`` on zero planes of ``size`` (flattened); with ``accumulate``
    repeated indices add up (the adjoint of ``PlaneTake``), else the last write wins."""

    _public_name = "MaxUnpool2D"

    @staticmethod
    def forward(ctx, x, idx, size, accumulate):
        xp = array_module(x)
        ctx.meta = (idx, size)
        lead = x.shape[: x.ndim - len(size)]
        n, k = math.prod(lead), math.prod(x.shape[len(lead) :])
        out = xp.zeros((n, math.prod(size)), x.dtype)
        flat_idx = idx.reshape(n, k)
        if accumulate:
            scatter_add(xp, out, (xp.arange(n)[:, None], flat_idx), x.reshape(n, k))
        else:
            xp.put_along_axis(out, flat_idx, x.reshape(n, k), axis=1)
        return out.reshape(*lead, *size)

    @staticmethod
    def backward(ctx, grad):
        idx, size = ctx.meta
        return PlaneTake.apply(grad, idx, len(size)), None, None, None


class PlaneTake(Function):
    """``out = x[..., idx]`` on each flattened plane of the last ``n`` dims."""

    @staticmethod
    def forward(ctx, x, idx, n):
        xp = array_module(x)
        size = x.shape[-n:]
        ctx.meta = (idx, tuple(size))
        m = math.prod(x.shape[:-n])
        k = math.prod(idx.shape[idx.ndim - n :])
        out = xp.take_along_axis(x.reshape(m, math.prod(size)), idx.reshape(m, k), axis=1)
        return out.reshape(idx.shape)

    @staticmethod
    def backward(ctx, grad):
        idx, size = ctx.meta
        return MaxUnpool.apply(grad, idx, size, True), None, None


def _unpool_output_size(op, x, kernel, stride, padding, output_size):
    """PyTorch's ``_unpool_output_size``: the default size, or ``output_size`` (``n`` or
    ``n + 2`` ints) checked to lie strictly within ``stride`` of it."""
    n = len(kernel)
    size = shape_of(x)[-n:]
    default = [(i - 1) * s + k - 2 * p for i, s, k, p in zip(size, stride, kernel, padding)]
    if output_size is None:
        out = default
    else:
        out = [int(v) for v in output_size]
        if len(out) == n + 2:
            out = out[2:]
        if len(out) != n:
            raise ValueError(
                f"{op}: output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                f"length of '{len(out)}'"
            )
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < out[d] < hi:
                raise ValueError(f'{op}: invalid output_size "{tuple(out)}" (dim {d} must be between {lo} and {hi})')
    for d, v in enumerate(out):
        if v < 0:
            raise ValueError(
                f"{op}: output_size must contain non-negative spatial dimensions, but got output_size[{d}]={v}"
            )
    return tuple(out)


def _max_unpool(op, n, input, indices, kernel_size, stride, padding, output_size):
    x = as_tensor(input, "input", op)
    idx = as_tensor(indices, "indices", op)
    if x._data.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"{op}: Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor, but got a tensor with "
            f"{x._data.ndim} dimensions."
        )
    if idx._data.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: {idx.dtype}")
    if shape_of(idx) != shape_of(x):
        raise RuntimeError(
            f"{op}: Expected shape of indices to be same as that of the input tensor ({list(shape_of(x))}) but "
            f"got indices tensor with shape: {list(shape_of(idx))}"
        )
    kernel = _ints(op, kernel_size, n, "kernel_size")
    strides = kernel if stride is None else _ints(op, stride, n, "stride")
    pads = _ints(op, padding, n, "padding")
    size = _unpool_output_size(op, x, kernel, strides, pads, output_size)
    raw = idx._data
    plane = math.prod(size)
    if raw.size and (int(raw.min()) < 0 or int(raw.max()) >= plane):
        bad = int(raw.min()) if int(raw.min()) < 0 else int(raw.max())
        raise RuntimeError(
            f"{op}: Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, size))})"
        )
    return MaxUnpool.apply(x, raw, size, False)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: each value written at its index along a
    zero output of PyTorch's size, as ``torch.nn.functional.max_unpool1d``."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value written at its flat index
    ``h*W + w`` in a zero plane, as ``torch.nn.functional.max_unpool2d``."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool3d``: each value written at its flat index
    ``(d*H + h)*W + w`` in a zero volume, as ``torch.nn.functional.max_unpool3d``."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)
