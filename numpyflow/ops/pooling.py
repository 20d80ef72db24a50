"""2-D pooling over NCHW tensors, with PyTorch's ``torch.nn.functional`` signatures and
semantics: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``, ``adaptive_max_pool2d``.

How it runs
-----------
A ``kh x kw`` window is walked tap by tap: tap ``(i, j)`` of every window at once is one
view of the padded input, so each pass is a whole-array numpy op and the Python loop
runs over the ``kh*kw`` taps only, never over output positions.  The padded input uses
convolution's stride-phase layout (``_conv_kernels.py``), in which each tap's view is a
run of contiguous elements per plane, so the passes are vectorised.

* ``max_pool2d`` keeps a running maximum and, in a uint8 array, the tap that holds it
  (a strictly greater value replaces it: ties keep the first maximum, as in PyTorch;
  NaN propagates).  The backward (``MaxPool2dBackward``) adds each gradient at its tap's
  position, one add per tap: within one tap all positions differ, so overlapping windows
  need no ``np.add.at``.  Its own backward is the matching gather (``MaxPool2dGather``),
  so second derivatives work.  The bookkeeping is arithmetic (``arg = max(arg, k*mask)``,
  ``grad * (arg == k)``), which runs ~10x faster than masked numpy ops.
* ``avg_pool2d`` sums the taps and divides by PyTorch's divisor (``count_include_pad``,
  ``ceil_mode`` edges, ``divisor_override``); its backward spreads ``grad / divisor``
  back over the taps (``AvgPool2dBackward``), and the backward of that is ``AvgPool2d``.
* ``adaptive_avg_pool2d`` with sizes that divide the input is a mean over blocks of a
  reshaped view; otherwise it is ``A @ x @ B`` with two small averaging matrices (the
  windows PyTorch uses: ``floor(i*H/Ho)`` to ``ceil((i+1)*H/Ho)``).
* ``adaptive_max_pool2d`` with small blocks that divide the input is ``max_pool2d``;
  otherwise it gathers its (possibly overlapping) windows with one fancy index, takes
  the argmax, and scatters gradients back by flat per-plane index (``PlaneScatter``,
  whose backward is ``PlaneGather``).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, scatter_add
from ..parallel import map_ranges
from ._conv_kernels import ConvGeometry, from_phases, plane_dims, tap_views, to_phases
from ._window_args import as_int, as_tensor, pair, shape_of

__all__ = ["adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool2d", "max_pool2d"]


# -- geometry -----------------------------------------------------------------------------


def _pool_output_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size (the last window must start inside the input or
    its left padding)."""
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


class PoolGeometry:
    """Window ``k``, stride ``s``, padding ``p`` and dilation ``d`` per spatial dim, the input
    size ``H, W`` and output size ``Ho, Wo``.  The padded input (the padding on both sides
    plus whatever ``ceil_mode`` windows reach past it) is stored in convolution's stride-phase
    layout (see ``_conv_kernels.py``): every tap of every window is then one contiguous run
    of ``Ho*Wq`` elements per plane, the output taken ``Wq`` wide (junk columns dropped at
    the end), so every pass is a contiguous, vectorised numpy op."""

    __slots__ = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "H", "W", "Ho", "Wo", "cg", "Wq")

    def __init__(self, k, s, p, d, H, W, Ho, Wo):
        self.kh, self.kw = k
        self.sh, self.sw = s
        self.ph, self.pw = p
        self.dh, self.dw = d
        self.H, self.W, self.Ho, self.Wo = H, W, Ho, Wo
        Hp = max(H + 2 * self.ph, (Ho - 1) * self.sh + (self.kh - 1) * self.dh + 1)
        Wp = max(W + 2 * self.pw, (Wo - 1) * self.sw + (self.kw - 1) * self.dw + 1)
        self.cg = ConvGeometry(
            self.kh,
            self.kw,
            self.sh,
            self.sw,
            self.dh,
            self.dw,
            self.ph,
            Hp - H - self.ph,
            self.pw,
            Wp - W - self.pw,
            1,
            H,
            W,
            Ho,
            Wo,
        )
        self.Wq = plane_dims(self.cg)[1]

    def phases(self, x, fill):
        """``x (..., H, W)`` in the padded phase layout, and the number of planes."""
        n = math.prod(x.shape[:-2])
        return to_phases(x.reshape(1, n, self.H, self.W), self.cg, fill), n

    def taps(self, buf, n):
        """``(k, view)`` per tap ``k = i*kw + j``: ``view (n, Ho*Wq)`` of the phase buffer."""
        for i, j, view in tap_views(buf, self.cg, 1, n):
            yield i * self.kw + j, view[:, 0]

    def zeros_phases(self, n, dtype, xp):
        Hq, Wq = plane_dims(self.cg)
        size = n * self.sh * self.sw * Hq * Wq
        buf = xp.empty((size + Wq,), dtype)
        buf.fill(0)
        return buf

    def unphase(self, buf, lead):
        n = math.prod(lead)
        out = array_module(buf).empty((1, n, self.H, self.W), buf.dtype)
        return from_phases(buf, self.cg, out).reshape(*lead, self.H, self.W)

    def wide(self, y):
        """``y (..., Ho, Wo)`` as ``(n, Ho*Wq)`` with zero junk columns."""
        xp = array_module(y)
        n = math.prod(y.shape[:-2])
        out = xp.empty((n, self.Ho, self.Wq), y.dtype)
        out[:, :, self.Wo :] = 0
        out[:, :, : self.Wo] = y.reshape(n, self.Ho, self.Wo)
        return out.reshape(n, self.Ho * self.Wq)

    def valid(self, yw):
        """The ``(n, Ho, Wo)`` view of the non-junk part of a wide ``(n, Ho*Wq)`` array."""
        return yw.reshape(-1, self.Ho, self.Wq)[:, :, : self.Wo]

    def narrow(self, yw, lead):
        """A wide ``(n, Ho*Wq)`` array as a new ``(*lead, Ho, Wo)`` array."""
        xp = array_module(yw)
        return xp.ascontiguousarray(self.valid(yw)).reshape(*lead, self.Ho, self.Wo)


def _arg_dtype(n_taps):
    return np.uint8 if n_taps <= 256 else np.int32


# -- max pooling --------------------------------------------------------------------------
#
# Masked numpy ops (``copyto(where=)``, ``np.where``) run ~10x slower than plain
# arithmetic on random masks, so the tap bookkeeping is arithmetic: taps are visited in
# increasing order, so "record tap k where the value is strictly greater" is
# ``arg = max(arg, k * mask)``; and the backward adds ``grad * (arg == k)`` per tap
# (exact for finite gradients; others take a ``where`` path).


def _max_forward(x, g: PoolGeometry):
    """Running maximum over the taps: ``(values, wide tap index of the first maximum)``."""
    xp = array_module(x)
    lead = x.shape[:-2]
    lowest = _lowest(x.dtype)
    buf, n = g.phases(x, lowest)
    best = arg = mask = step = None
    small = g.kh * g.kw <= 256
    for k, v in g.taps(buf, n):
        if best is None:
            best = v.copy()
            arg = xp.zeros(best.shape, _arg_dtype(g.kh * g.kw))
            mask = xp.empty(best.shape, bool)
            step = xp.empty(best.shape, np.uint8)
            continue
        xp.greater(v, best, out=mask)
        if small:
            xp.multiply(mask.view(np.uint8), k, out=step)
            xp.maximum(arg, step, out=arg)
        else:
            xp.copyto(arg, k, where=mask)
        xp.maximum(best, v, out=best)  # propagates NaN
    values = g.narrow(best, lead)
    if values.size and not bool(xp.all(values > lowest)):
        _fix_special_windows(buf, n, g, g.valid(best), g.valid(arg), lowest)
    return values, arg


def _lowest(dtype):
    """The padding of max pooling: -inf, or the smallest value of an integer dtype."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _fix_special_windows(buf, n, g, best, arg, lowest):
    """PyTorch's choice of index where the comparison can't decide: a window holding
    NaN points at its last NaN; a window of only -inf (for integers: of the dtype's
    smallest value) points at its first element inside the input (not at the padding).
    ``best``/``arg`` are ``(n, Ho, Wo)`` views."""
    xp = array_module(best)
    nan = xp.isnan(best) if best.dtype.kind == "f" else xp.zeros(best.shape, bool)
    if bool(nan.any()):
        for k, v in g.taps(buf, n):
            xp.copyto(arg, k, where=nan & xp.isnan(g.valid(v)))
    # first tap inside the input, per output row / column
    oh = np.arange(g.Ho) * g.sh - g.ph
    ow = np.arange(g.Wo) * g.sw - g.pw
    i0 = np.maximum(0, -(oh // g.dh))  # smallest i with oh + i*dh >= 0
    j0 = np.maximum(0, -(ow // g.dw))
    k0 = xp.asarray((i0[:, None] * g.kw + j0[None, :]).astype(arg.dtype))
    xp.copyto(arg, k0, where=best == lowest)


def _flat_indices(arg, g: PoolGeometry, lead):
    """The flat per-plane input index (``h * W + w``) of each window's tap ``arg``."""
    xp = array_module(arg)
    i, j = xp.divmod(g.valid(arg).astype(np.int64), g.kw)
    h = xp.asarray(np.arange(g.Ho, dtype=np.int64) * g.sh - g.ph)[:, None] + i * g.dh
    w = xp.asarray(np.arange(g.Wo, dtype=np.int64) * g.sw - g.pw) + j * g.dw
    return (h * g.W + w).reshape(*lead, g.Ho, g.Wo)


def _max_scatter(grad, arg, g: PoolGeometry):
    """Each window's gradient added at its maximum's position (the max-pool backward).
    Within one tap all positions differ, so a plain add is exact (no ``np.add.at``)."""
    xp = array_module(grad)
    lead = grad.shape[:-2]
    gw = g.wide(grad)
    n = gw.shape[0]
    out = g.zeros_phases(n, grad.dtype, xp)
    finite = bool(xp.isfinite(grad).all())
    mask = xp.empty(arg.shape, bool)
    part = xp.empty(gw.shape, grad.dtype)
    for k, dst in g.taps(out, n):
        xp.equal(arg, k, out=mask)
        if finite:
            xp.multiply(gw, mask, out=part)
        else:  # 0 * inf would be NaN: select instead
            part[...] = xp.where(mask, gw, 0)
        dst += part
    return g.unphase(out, lead)


def _max_gather(x, arg, g: PoolGeometry):
    """Each window's value at its recorded maximum's position (the scatter's adjoint)."""
    xp = array_module(x)
    lead = x.shape[:-2]
    buf, n = g.phases(x, 0)
    out = xp.zeros(arg.shape, x.dtype)
    for k, v in g.taps(buf, n):
        xp.copyto(out, v, where=arg == k)
    return g.narrow(out, lead)


def _by_planes(n, plane_bytes, fn, outs):
    """Fill ``outs`` (arrays with one row per plane) with ``fn(i0, i1)``, the rows of
    planes ``[i0, i1)``, over blocks of planes on all threads: each block's passes run in
    cache.  Small or non-numpy work is one call."""
    if any(type(o) is not np.ndarray for o in outs) or n < 2:
        for out, part in zip(outs, fn(0, n)):
            out[...] = part
        return outs

    def body(i0, i1):
        for out, part in zip(outs, fn(i0, i1)):
            out[i0:i1] = part

    map_ranges(n, plane_bytes, body)
    return outs


class MaxPool2d(Function):
    """Max over each window; remembers which tap held it (ties: the first)."""

    _public_name = "MaxPool2DWithIndices"

    @staticmethod
    def forward(ctx, x, g, return_indices):
        xp = array_module(x)
        planes = x.reshape(-1, g.H, g.W)
        n = len(planes)
        values, arg = _by_planes(
            n,
            planes[0].nbytes if n else 0,
            lambda i0, i1: _max_forward(planes[i0:i1], g),
            [xp.empty((n, g.Ho, g.Wo), x.dtype), xp.empty((n, g.Ho * g.Wq), _arg_dtype(g.kh * g.kw))],
        )
        values = values.reshape(*x.shape[:-2], g.Ho, g.Wo)
        ctx.meta = (g, arg)
        if not return_indices:
            return values
        idx = _flat_indices(arg, g, x.shape[:-2])
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad, *_):
        g, arg = ctx.meta
        return MaxPool2dBackward.apply(grad, arg, g), None, None


class MaxPool2dBackward(Function):
    """The max-pool gradient: scatter ``grad`` to the recorded maxima."""

    @staticmethod
    def forward(ctx, grad, arg, g):
        ctx.meta = (g, arg)
        planes = grad.reshape(-1, g.Ho, g.Wo)
        n = len(planes)
        (out,) = _by_planes(
            n,
            g.H * g.W * grad.itemsize,
            lambda i0, i1: [_max_scatter(planes[i0:i1], arg[i0:i1], g)],
            [array_module(grad).empty((n, g.H, g.W), grad.dtype)],
        )
        return out.reshape(*grad.shape[:-2], g.H, g.W)

    @staticmethod
    def backward(ctx, gg):
        g, arg = ctx.meta
        return MaxPool2dGather.apply(gg, arg, g), None, None


class MaxPool2dGather(Function):
    """Read each window's recorded maximum position (the adjoint of the scatter)."""

    @staticmethod
    def forward(ctx, x, arg, g):
        ctx.meta = (g, arg)
        return _max_gather(x, arg, g)

    @staticmethod
    def backward(ctx, grad):
        g, arg = ctx.meta
        return MaxPool2dBackward.apply(grad, arg, g), None, None


# -- average pooling ----------------------------------------------------------------------


def _avg_divisor(g: PoolGeometry, count_include_pad, divisor_override, dtype):
    """PyTorch's divisor per output position: a number, or an ``(Ho, Wo)`` array where
    windows differ (``ceil_mode`` edges, or padding that is not counted)."""
    if divisor_override is not None:
        return divisor_override

    def sizes(n_out, n_in, k, s, p):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, n_in + p)
        pool = end - start
        count = np.minimum(end, n_in) - np.maximum(start, 0)
        return pool, count

    ph_, ch = sizes(g.Ho, g.H, g.kh, g.sh, g.ph)
    pw_, cw = sizes(g.Wo, g.W, g.kw, g.sw, g.pw)
    div = np.outer(ph_, pw_) if count_include_pad else np.outer(ch, cw)
    if (div == div.flat[0]).all():
        return int(div.flat[0])
    return div.astype(dtype)


def _as_divisor(divisor, xp):
    return divisor if isinstance(divisor, (int, float)) else xp.asarray(divisor)


def _avg_forward(x, g: PoolGeometry, divisor):
    xp = array_module(x)
    buf, n = g.phases(x, 0)
    acc = None
    for _, v in g.taps(buf, n):
        if acc is None:
            acc = xp.empty(v.shape, x.dtype)
            xp.copyto(acc, v)
        else:
            acc += v
    out = g.narrow(acc, x.shape[:-2])
    if out.dtype.kind in "iu":  # integer division truncated toward zero, as PyTorch's kernel
        d = _as_divisor(divisor, xp)
        q = out // d
        return q + ((q * d != out) & ((out < 0) != (xp.asarray(d) < 0)))
    out /= _as_divisor(divisor, xp)
    return out


def _avg_scatter(grad, g: PoolGeometry, divisor):
    xp = array_module(grad)
    share = g.wide(grad / _as_divisor(divisor, xp))
    n = share.shape[0]
    out = g.zeros_phases(n, grad.dtype, xp)
    for _, dst in g.taps(out, n):
        dst += share
    return g.unphase(out, grad.shape[:-2])


class AvgPool2d(Function):
    """Sum over each window divided by PyTorch's divisor; linear, so its backward
    (``AvgPool2dBackward``) and that one's backward (``AvgPool2d``) are adjoints."""

    _public_name = "AvgPool2D"

    @staticmethod
    def forward(ctx, x, g, divisor):
        ctx.meta = (g, divisor)
        return _avg_forward(x, g, divisor)

    @staticmethod
    def backward(ctx, grad):
        g, divisor = ctx.meta
        return AvgPool2dBackward.apply(grad, g, divisor), None, None


class AvgPool2dBackward(Function):
    @staticmethod
    def forward(ctx, grad, g, divisor):
        ctx.meta = (g, divisor)
        return _avg_scatter(grad, g, divisor)

    @staticmethod
    def backward(ctx, gg):
        g, divisor = ctx.meta
        return AvgPool2d.apply(gg, g, divisor), None, None


# -- adaptive pooling ---------------------------------------------------------------------


def _adaptive_bounds(n_in, n_out):
    """PyTorch's adaptive windows: ``[floor(i*n_in/n_out), ceil((i+1)*n_in/n_out))``."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _averaging_matrix(n_in, n_out, dtype):
    """``(n_out, n_in)``: row ``i`` averages window ``i``."""
    start, end = _adaptive_bounds(n_in, n_out)
    pos = np.arange(n_in)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class BlockMean(Function):
    """Mean over non-overlapping ``kh x kw`` blocks (adaptive average pooling when the
    output size divides the input size)."""

    _public_name = "AdaptiveAvgPool2D"

    @staticmethod
    def forward(ctx, x, kh, kw):
        *lead, H, W = x.shape
        ctx.meta = (kh, kw)
        blocks = x.reshape(*lead, H // kh, kh, W // kw, kw)
        return blocks.mean(axis=(-3, -1), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        kh, kw = ctx.meta
        return BlockMeanBackward.apply(grad, kh, kw), None, None


class BlockMeanBackward(Function):
    @staticmethod
    def forward(ctx, grad, kh, kw):
        xp = array_module(grad)
        ctx.meta = (kh, kw)
        *lead, Ho, Wo = grad.shape
        share = grad / (kh * kw)
        out = xp.empty((*lead, Ho, kh, Wo, kw), grad.dtype)
        out[...] = share[..., :, None, :, None]
        return out.reshape(*lead, Ho * kh, Wo * kw)

    @staticmethod
    def backward(ctx, gg):
        kh, kw = ctx.meta
        return BlockMean.apply(gg, kh, kw), None, None


class SeparablePool(Function):
    """``A @ x @ B`` over the last two dims (averaging matrices ``A (Ho, H)``,
    ``B (W, Wo)``); its backward is the same op with ``A.T`` and ``B.T``."""

    _public_name = "AdaptiveAvgPool2D"

    @staticmethod
    def forward(ctx, x, A, B):
        xp = array_module(x)
        A, B = xp.asarray(A), xp.asarray(B)
        ctx.meta = (A, B)
        *lead, H, W = x.shape
        t = xp.matmul(x.reshape(-1, W), B).reshape(-1, H, B.shape[1])  # one GEMM over all rows
        return xp.matmul(A, t).reshape(*lead, A.shape[0], B.shape[1])

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.meta
        return SeparablePool.apply(grad, A.T, B.T), None, None


def _adaptive_windows(n_in, n_out):
    """Window index table ``(n_out, kmax)``: window ``i``'s positions, the last one
    repeated to fill (a repeat never wins a strict comparison, so ties and argmax
    are unaffected), and ``kmax``."""
    start, end = _adaptive_bounds(n_in, n_out)
    kmax = int((end - start).max()) if n_out else 1
    idx = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)
    return idx


class AdaptiveMaxPool2d(Function):
    """Max over PyTorch's adaptive windows: one gather of all windows, one argmax; the
    gradient goes back by flat per-plane index (``PlaneScatter``)."""

    _public_name = "AdaptiveMaxPool2D"

    @staticmethod
    def forward(ctx, x, Ho, Wo, return_indices):
        xp = array_module(x)
        *lead, H, W = x.shape
        hi = _adaptive_windows(H, Ho)
        wi = _adaptive_windows(W, Wo)
        kh, kw = hi.shape[1], wi.shape[1]
        rows = xp.asarray(hi[:, None, :, None])
        cols = xp.asarray(wi[None, :, None, :])
        windows = x[..., rows, cols].reshape(*lead, Ho, Wo, kh * kw)
        pos = windows.argmax(axis=-1)[..., None]
        values = xp.take_along_axis(windows, pos, axis=-1)[..., 0]
        if values.size and bool(xp.isnan(values).any()):  # PyTorch: the last NaN
            last = kh * kw - 1 - xp.isnan(windows[..., ::-1]).argmax(axis=-1)[..., None]
            pos = xp.where(xp.isnan(values)[..., None], last, pos)
        flat = xp.asarray((hi[:, None, :, None] * W + wi[None, :, None, :]).reshape(Ho, Wo, kh * kw))
        idx = xp.take_along_axis(xp.broadcast_to(flat, windows.shape), pos, axis=-1)[..., 0]
        idx = idx.astype(np.int64, copy=False)
        ctx.meta = (idx, (H, W), H % Ho == 0 and W % Wo == 0 if Ho and Wo else True)
        if not return_indices:
            return values
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, grad, *_):
        idx, hw, disjoint = ctx.meta
        return PlaneScatter.apply(grad, idx, hw, disjoint), None, None, None


class PlaneScatter(Function):
    """``out[..., idx] += grad`` on each ``H x W`` plane, flattened."""

    @staticmethod
    def forward(ctx, grad, idx, hw, disjoint):
        xp = array_module(grad)
        ctx.meta = (idx,)
        lead = grad.shape[:-2]
        n = math.prod(lead)
        k = math.prod(idx.shape[-2:])
        out = xp.zeros((n, hw[0] * hw[1]), grad.dtype)
        flat_idx = idx.reshape(n, k)
        if disjoint:  # every position is some window's at most once
            xp.put_along_axis(out, flat_idx, grad.reshape(n, k), axis=1)
        else:
            rows = xp.arange(n)[:, None]
            scatter_add(xp, out, (rows, flat_idx), grad.reshape(n, k))
        return out.reshape(*lead, *hw)

    @staticmethod
    def backward(ctx, gg):
        (idx,) = ctx.meta
        return PlaneGather.apply(gg, idx), None, None, None


class PlaneGather(Function):
    """``out = x[..., idx]`` on each flattened ``H x W`` plane."""

    @staticmethod
    def forward(ctx, x, idx):
        xp = array_module(x)
        ctx.meta = (idx, x.shape[-2:])
        lead = x.shape[:-2]
        n = math.prod(lead)
        out = xp.take_along_axis(
            x.reshape(n, math.prod(x.shape[-2:])), idx.reshape(n, math.prod(idx.shape[-2:])), axis=1
        )
        return out.reshape(idx.shape)

    @staticmethod
    def backward(ctx, grad):
        idx, hw = ctx.meta
        return PlaneScatter.apply(grad, idx, tuple(hw), False), None


# -- argument handling --------------------------------------------------------------------


# The input dtypes each op takes, as PyTorch's CPU kernels: max pooling takes every integer
# dtype too (not bool), average pooling int64 too; the rest floating point only.
_POOL_DTYPES = {
    "max_pool2d": ("floating point or integer", lambda dt: dt.kind in "fiu"),
    "avg_pool2d": ("floating point or int64", lambda dt: dt.kind == "f" or dt == np.int64),
}
_FLOATING = ("floating point", lambda dt: dt.kind == "f")


def _pool_input(op, input):
    x = as_tensor(input, "input", op)
    shape = shape_of(x)
    if x._data.ndim not in (3, 4) or any(s == 0 for s in shape[-3:]):
        raise RuntimeError(
            f"{op}: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, W) input, but got input of shape {shape}"
        )
    return x


def _check_dtype(op, x):
    """After the geometry checks, as PyTorch: its kernels dispatch on the dtype last."""
    expected, takes = _POOL_DTYPES.get(op, _FLOATING)
    if not takes(x._data.dtype):
        raise NotImplementedError(f"{op}: not implemented for {x.dtype} input (expected a {expected} input)")


def _kernel_arg(op, v, name):
    if isinstance(v, (tuple, list)) and len(v) not in (1, 2):
        raise RuntimeError(
            f"{op}: {name} must either be a single int, or a tuple of two ints, but got {name}={tuple(v)}"
        )
    return pair(v, name, op)


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    kh, kw = _kernel_arg(op, kernel_size, "kernel_size")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got kernel_size={(kh, kw)}")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        sh, sw = kh, kw
    else:
        sh, sw = _kernel_arg(op, stride, "stride")
        if sh <= 0 or sw <= 0:
            raise RuntimeError(f"{op}: stride must be greater than zero, but got stride={(sh, sw)}")
    ph, pw = _kernel_arg(op, padding, "padding")
    dh, dw = _kernel_arg(op, dilation, "dilation")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got dilation={(dh, dw)}")
    if ph < 0 or pw < 0 or ph > (dh * (kh - 1) + 1) // 2 or pw > (dw * (kw - 1) + 1) // 2:
        raise RuntimeError(
            f"{op}: padding must be non-negative and at most half of the effective kernel size, "
            f"but got padding={(ph, pw)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}"
        )
    H, W = shape_of(x)[-2:]
    Ho = _pool_output_size(H, kh, sh, ph, dh, ceil_mode)
    Wo = _pool_output_size(W, kw, sw, pw, dw, ceil_mode)
    if Ho <= 0 or Wo <= 0:
        raise RuntimeError(
            f"{op}: output size is too small: input {H}x{W} gives output {Ho}x{Wo}; the kernel "
            "must fit within the padded input "
            f"(input shape {shape_of(x)}, kernel_size={(kh, kw)}, stride={(sh, sw)}, "
            f"padding={(ph, pw)}, dilation={(dh, dw)})"
        )
    return PoolGeometry((kh, kw), (sh, sw), (ph, pw), (dh, dw), H, W, Ho, Wo)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling over ``(N, C, H, W)`` or ``(C, H, W)``, as ``torch.nn.functional.max_pool2d``:
    padding counts as -inf; with ``return_indices`` also returns each maximum's flat index
    ``h * W + w`` in its input plane (ties: the first maximum)."""
    op = "max_pool2d"
    x = _pool_input(op, input)
    g = _pool_geometry(op, x, kernel_size, stride, padding, dilation, bool(ceil_mode))
    _check_dtype(op, x)
    return MaxPool2d.apply(x, g, bool(return_indices))


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Average pooling over ``(N, C, H, W)`` or ``(C, H, W)``, as
    ``torch.nn.functional.avg_pool2d`` (zero padding; the divisor counts the padding when
    ``count_include_pad``, never the part of a ``ceil_mode`` window past the padding, and
    is ``divisor_override`` when given)."""
    op = "avg_pool2d"
    x = _pool_input(op, input)
    g = _pool_geometry(op, x, kernel_size, stride, padding, 1, bool(ceil_mode))
    if divisor_override is not None:
        divisor_override = as_int(divisor_override, "divisor_override", op)
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor_override must be non-zero")
    _check_dtype(op, x)
    divisor = _avg_divisor(g, bool(count_include_pad), divisor_override, x._data.dtype)
    return AvgPool2d.apply(x, g, divisor)


def _output_size_arg(op, x, output_size):
    H, W = shape_of(x)[-2:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise RuntimeError(
                f"{op}: output_size must be an int or a tuple of 2 ints (or None), but got "
                f"output_size={tuple(output_size)}"
            )
        sizes = list(output_size)
    else:
        sizes = [output_size, output_size]
    out = []
    for s, n in zip(sizes, (H, W)):
        s = n if s is None else as_int(s, "output_size", op)
        if s < 0:
            raise RuntimeError(
                f"{op}: elements of output_size must be greater than or equal to 0, but got output_size={tuple(sizes)}"
            )
        out.append(s)
    return tuple(out)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size ``(Ho, Wo)`` (an int, a pair, ``None``
    keeps that input size), as ``torch.nn.functional.adaptive_avg_pool2d``."""
    op = "adaptive_avg_pool2d"
    x = _pool_input(op, input)
    Ho, Wo = _output_size_arg(op, x, output_size)
    _check_dtype(op, x)
    H, W = shape_of(x)[-2:]
    if Ho and Wo and H % Ho == 0 and W % Wo == 0:
        return BlockMean.apply(x, H // Ho, W // Wo)
    dt = x._data.dtype
    return SeparablePool.apply(x, _averaging_matrix(H, Ho, dt), _averaging_matrix(W, Wo, dt).T)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size ``(Ho, Wo)`` (an int, a pair, ``None`` keeps
    that input size), as ``torch.nn.functional.adaptive_max_pool2d``; with
    ``return_indices`` also returns flat per-plane indices."""
    op = "adaptive_max_pool2d"
    x = _pool_input(op, input)
    Ho, Wo = _output_size_arg(op, x, output_size)
    _check_dtype(op, x)
    H, W = shape_of(x)[-2:]
    if Ho and Wo and H % Ho == 0 and W % Wo == 0 and (H // Ho) * (W // Wo) <= 16:
        g = PoolGeometry((H // Ho, W // Wo), (H // Ho, W // Wo), (0, 0), (1, 1), H, W, Ho, Wo)
        return MaxPool2d.apply(x, g, bool(return_indices))
    return AdaptiveMaxPool2d.apply(x, Ho, Wo, bool(return_indices))
