"""Batch, layer and group normalization, with ``torch.nn.functional``'s signatures.

Each is one fused ``Function``: the forward normalises in a few vectorised numpy passes
(float32 stays float32) and the backward is the closed-form gradient

    xhat = (x - mean) * invstd,    dxhat = grad * weight
    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    dweight = sum(grad * xhat),    dbias = sum(grad)

with the means over the elements that share a statistic.  The three ops differ only in
which elements share a statistic and which share an affine parameter (a ``_Layout``):

=============  ======================  ==========  =====================  ==========
op             statistics view         over axes   affine view            params on
=============  ======================  ==========  =====================  ==========
batch_norm     (N, C, L)               (0, 2)      (N, C, L)              C
layer_norm     (M, K)                  (1,)        (M, K)                 K
group_norm     (N, G, C/G * L)         (2,)        (N, C, L)              C
=============  ======================  ==========  =====================  ==========

The backward of each applies its gradient op (``NativeBatchNormBackward``, ...), itself a
``Function``, as PyTorch does.  Its forward is the closed form above on raw arrays: sums
are ``einsum`` contractions (no temporary for ``sum(a * b)``) and the input gradient is
built in place in one full-size array.  Its backward is the second derivative
(:func:`_normalize_double_backward`), written with numpyflow ops on Tensors, so third and
higher derivatives follow.  A plain ``backward()`` costs the array code alone; under
``backward(create_graph=True)`` the same call records a node.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..parallel import map_ranges
from ..tensor import Tensor
from .elementwise import rsqrt
from .reduction import mean as _mean
from .reduction import sum as _sum
from .shape import expand, reshape

__all__ = ["batch_norm", "layer_norm", "group_norm"]

_LETTERS = "abcdefgh"


def _contract(xp, arrays, ndim, axes):
    """``sum(arrays[0] * arrays[1] * ..., axes)`` without the product's temporary."""
    letters = _LETTERS[:ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    return xp.einsum(",".join([letters] * len(arrays)) + "->" + kept, *arrays)


class _Layout:
    """Where the statistics and the affine parameters of a normalization live."""

    __slots__ = (
        "stat_shape",
        "stat_axes",
        "kept_shape",
        "affine_shape",
        "param_view",
        "param_axes",
        "param_shape",
        "count",
    )

    def __init__(self, stat_shape, stat_axes, affine_shape, param_view, param_axes, param_shape):
        self.stat_shape = stat_shape  # the input viewed so that statistics reduce `stat_axes`
        self.stat_axes = stat_axes
        self.kept_shape = tuple(1 if i in stat_axes else s for i, s in enumerate(stat_shape))
        self.affine_shape = affine_shape  # the input viewed against `param_view`
        self.param_view = param_view  # the shape a weight or bias is viewed as
        self.param_axes = param_axes  # axes of affine_shape a parameter's gradient sums over
        self.param_shape = param_shape  # the parameters' own shape
        self.count = math.prod(stat_shape[a] for a in stat_axes)

    def statistics(self, x, eps):
        """``(xc, mean, low, var, invstd)``: ``xc = x - mean`` in the statistics view; the
        exact mean is ``mean + low`` (``low``, the mean of ``xc``, recovers what rounding
        ``mean`` to the input's dtype lost: float32 inputs far from zero keep full accuracy
        for ``xhat = (xc - low) * invstd``); ``var`` is the biased variance.  All but ``xc``
        have kept dims.

        Batch norm on the CPU (``blockwise``) makes one pass in blocks of rows instead:
        ``mean`` is then a pivot (the first row's mean), ``low`` the batch mean's distance
        from it, and ``xc`` (``x - mean``) is written block by block into a new array of
        the statistics view's shape."""
        xp = array_module(x)
        xs = x.reshape(self.stat_shape)
        nd, axes, kept = len(self.stat_shape), self.stat_axes, self.kept_shape
        n = x.dtype.type(self.count)
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.blockwise(xs):
                xc = np.empty_like(xs)
                mean = (_contract(np, [xs[:1]], 3, axes) / xs.dtype.type(self.count // len(xs))).reshape(kept)

                def sums(i0, i1):
                    b = np.subtract(xs[i0:i1], mean, out=xc[i0:i1])
                    return np.stack([_channel_sums(b), _contract(np, [b, b], 3, axes)])

                low, sq = sum(map_ranges(len(xs), xs[0].nbytes, sums)) / n
                low, sq = low.reshape(kept), sq.reshape(kept)
            else:
                mean = (_contract(xp, [xs], nd, axes) / n).reshape(kept)
                xc = xs - mean
                low = (_contract(xp, [xc], nd, axes) / n).reshape(kept)
                sq = _contract(xp, [xc, xc], nd, axes).reshape(kept) / n
            var = xp.maximum(sq - low * low, 0)
            invstd = 1 / xp.sqrt(var + x.dtype.type(eps))
        return xc, mean, low, var, invstd

    def blockwise(self, xs):
        """Whether the work on ``xs`` (statistics view) goes in blocks of batch rows over
        the threads: batch norm's layout, on the CPU."""
        return self.stat_axes == (0, 2) and type(xs) is np.ndarray and len(xs) > 1


def _channel_sums(b):
    """``b (n, C, L)`` summed over ``n`` and ``L``: each row's sum by BLAS (a matrix-vector
    product, ~3x faster than numpy's reductions over two axes), then the rows'."""
    n, C, L = b.shape
    rows = b.reshape(n * C, L) @ np.ones(L, b.dtype)
    return rows.reshape(n, C).sum(0)


def _affine_rows(x, out, scale, shift, blockwise):
    """``out = x * scale + shift`` (``out`` may be ``x``); in blocks of rows on all
    threads when ``blockwise``."""
    xp = array_module(x)

    def body(i0, i1):
        b = xp.multiply(x[i0:i1], scale, out=out[i0:i1])
        b += shift

    if blockwise:
        map_ranges(len(out), out[0].nbytes, body)
    else:
        body(0, len(out))
    return out


class _NormalizeBackward(Function):
    """The gradient op of a normalization: ``forward(grad, x, weight, ...)`` returns
    ``(gx, gw, gb)`` on raw arrays (None where not asked for, by ``needs``); the backward
    is the second derivative."""

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        return _normalize_double_backward(ctx, ggx, ggw, ggb)


def _keep_for_double_backward(ctx, grad, x, weight, layout, eps):
    """What a ``_NormalizeBackward``'s forward keeps for its backward."""
    ctx.layout, ctx.eps = layout, eps
    ctx.save_for_backward(grad, x, weight)
    ctx.set_materialize_grads(False)  # an unused gradient's terms are skipped, not summed as zeros


def _normalize_double_backward(ctx, ggx, ggw, ggb):
    """The gradients of ``(gx, gw, gb)``, the first derivatives of a normalization, with
    respect to its ``grad``, ``x`` and ``weight`` (numpyflow ops: differentiable again).

    In the statistics view, with ``M`` the mean over the statistic's axes, ``s`` the
    invstd (recomputed from ``x``), ``xhat = (x - M(x)) * s``, ``d = grad * weight`` and
    ``G(v) = s * (v - M(v) - xhat * M(v * xhat))`` (self-adjoint), the first derivatives
    are ``gx = G(d)``, ``gw = sum(grad * xhat)``, ``gb = sum(grad)``.  For upstream
    ``u, a, c`` (of ``gx, gw, gb``; None contributes nothing):

        d/dgrad   = c + a * xhat + weight * G(u)
        d/dweight = sum(grad * G(u))
        d/dx      = G(h) - s^2 * (M(u d) - M(u) M(d) - M(u xhat) M(d xhat)) * xhat,
                    h = a * grad - s * (u * M(d xhat) + d * M(u xhat))
    """
    grad, x, weight = ctx.saved_tensors
    layout = ctx.layout
    need_g, need_x, need_w = ctx.needs_input_grad[:3]
    stat, affine, view = layout.stat_shape, layout.affine_shape, layout.param_view
    z = _Standardized(x, layout, ctx.eps)
    ga = reshape(grad, affine)
    w = reshape(weight, view) if weight is not None else None
    u = reshape(ggx, stat) if ggx is not None else None
    a = reshape(ggw, view) if ggw is not None else None
    c = reshape(ggb, view) if ggb is not None else None
    gu = reshape(z.project(u), affine) if u is not None else None
    d_grad = d_x = d_weight = None
    if need_g:
        terms = [
            c,
            a * reshape(z.xhat, affine) if a is not None else None,
            (gu * w if w is not None else gu) if gu is not None else None,
        ]
        d_grad = _total(terms, affine, tuple(grad.shape))
    if need_w and gu is not None:
        d_weight = reshape(_sum(ga * gu, layout.param_axes), layout.param_shape)
    if need_x and (u is not None or a is not None):
        d = reshape(ga * w if w is not None else ga, stat)
        d_x = reshape(
            _input_second_derivative(z, d, u, reshape(a * ga, stat) if a is not None else None), tuple(x.shape)
        )
    return (d_grad, d_x, d_weight) + (None,) * (len(ctx.needs_input_grad) - 3)


class _Standardized:
    """``x`` standardised over a layout's statistic axes, with numpyflow ops (so it is
    differentiable): ``s`` (the invstd) and ``xhat``, in the statistics view."""

    def __init__(self, x, layout, eps):
        self.axes = layout.stat_axes
        xs = reshape(x, layout.stat_shape)
        xc = xs - self.mean(xs)
        self.s = rsqrt(self.mean(xc * xc) + eps)
        self.xhat = xc * self.s

    def mean(self, v):
        return _mean(v, self.axes, True)

    def project(self, v):
        """``G(v) = s * (v - M(v) - xhat * M(v * xhat))``: the input's gradient for the
        gradient ``v`` of ``xhat`` (a self-adjoint map)."""
        return self.s * (v - self.mean(v) - self.xhat * self.mean(v * self.xhat))


def _input_second_derivative(z, d, u, ag):
    """The gradient with respect to ``x`` of ``<u, G(d)> + <ag, xhat>`` (``d = grad *
    weight``, ``ag = ggw * grad``; either upstream may be None, not both)."""
    h = ag
    if u is not None:
        mdx, mux = z.mean(d * z.xhat), z.mean(u * z.xhat)
        t = z.s * (u * mdx + d * mux)
        h = -t if h is None else h - t
    out = z.project(h)
    if u is not None:  # through s and xhat inside G
        out = out - z.s * z.s * (z.mean(u * d) - z.mean(u) * z.mean(d) - mux * mdx) * z.xhat
    return out


def _total(terms, shape, out_shape):
    """The sum of the terms that are not None, broadcast to ``shape`` and viewed as
    ``out_shape``; None when every term is None."""
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    if tuple(total.shape) != tuple(shape):
        total = expand(total, *shape)
    return reshape(total, out_shape)


class BatchNorm(Function):
    """Batch normalization with the batch's statistics (training mode).  The running
    statistics, when given, are updated in place as a side effect (outside the graph).

    Saves only the input and a few per-channel vectors (as PyTorch does); the backward
    rebuilds ``x - mean`` in its one full-size buffer.
    """

    _public_name = "NativeBatchNorm"

    @staticmethod
    def forward(ctx, x, weight, bias, layout, eps, running_mean, running_var, momentum):
        for name, need in zip(("running_mean", "running_var"), ctx.needs_input_grad[5:7]):
            if need:  # PyTorch's rule: the in-place update is not differentiable
                raise RuntimeError(
                    f"batch_norm: running statistics are updated in place and must not require "
                    f"grad ({name} does); detach() it"
                )
        xc, mean, low, var, invstd = layout.statistics(x, eps)
        n = layout.count
        # PyTorch's update, in double precision like its CPU kernel: the running variance
        # gets the unbiased batch variance.
        if running_mean is not None:
            batch = (mean.astype(np.float64) + low).reshape(running_mean.shape)
            running_mean[...] = momentum * batch + (1 - momentum) * running_mean
        if running_var is not None:
            batch = var.astype(np.float64).reshape(running_var.shape) * (n / (n - 1))
            running_var[...] = momentum * batch + (1 - momentum) * running_var
        scale = invstd if weight is None else invstd * weight.reshape(layout.param_view)
        shift = -low * scale if bias is None else bias.reshape(layout.param_view) - low * scale
        # xc becomes the output in place: (xc - low) * scale + bias
        out = _affine_rows(xc, xc, scale, shift, layout.blockwise(xc))
        ctx.meta = (layout, eps, mean, low, invstd)
        ctx.save_for_backward(x, weight)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        layout, eps, mean, low, invstd = ctx.meta
        grads = BatchNormBackward.apply(grad, x, weight, layout, eps, mean, low, invstd, ctx.needs_input_grad[:3])
        return grads + (None,) * 5


class BatchNormBackward(_NormalizeBackward):
    """Batch norm's gradients from the batch statistics of its forward."""

    _public_name = "NativeBatchNormBackward"

    @staticmethod
    def forward(ctx, grad, x, weight, layout, eps, mean, low, invstd, needs):
        need_x, need_w, need_b = needs
        _keep_for_double_backward(ctx, grad, x, weight, layout, eps)
        xp = array_module(grad)
        g = grad.reshape(layout.stat_shape)
        xs = x.reshape(layout.stat_shape)
        n = layout.count
        kept = layout.kept_shape
        # with tmp = x - mean (so xhat = (tmp - low) * invstd):
        # s1 = sum(grad), s2 = sum(grad * xhat)
        # dx = scale * (g - xhat * s2 / n - s1 / n) = scale * (g + tmp * c1 - (low * c1 + s1 / n))
        # tmp (x - mean) goes where dx will be, and dx is then made from it in place
        tmp = xp.empty_like(g)
        if layout.blockwise(g):

            def sums(i0, i1):
                gb, t = g[i0:i1], np.subtract(xs[i0:i1], mean, out=tmp[i0:i1])
                return np.stack([_channel_sums(gb), _contract(np, [gb, t], 3, (0, 2))])

            s1, sgt = sum(map_ranges(len(g), g[0].nbytes, sums))
            s1, sgt = s1.reshape(kept), sgt.reshape(kept)
        else:
            xp.subtract(xs, mean, out=tmp)
            s1 = _contract(xp, [g], 3, (0, 2)).reshape(kept)
            sgt = _contract(xp, [g, tmp], 3, (0, 2)).reshape(kept)
        s2 = (sgt - low * s1) * invstd
        gx = None
        if need_x:
            scale = invstd if weight is None else invstd * weight.reshape(layout.param_view)
            c1 = invstd * s2 / -n
            c0 = low * c1 + s1 / n
            out = tmp

            def dx(i0, i1):
                b = out[i0:i1]
                b *= c1
                b += g[i0:i1]
                b -= c0
                b *= scale

            if layout.blockwise(g):
                map_ranges(len(g), g[0].nbytes, dx)
            else:
                dx(0, len(g))
            gx = out.reshape(x.shape)
        gw = s2.reshape(layout.param_shape) if need_w else None
        gb = s1.reshape(layout.param_shape) if need_b else None
        return gx, gw, gb


class BatchNormInference(Function):
    """Batch normalization with fixed (running) statistics: the per-channel affine map
    ``y = x * scale + shift``, ``scale = weight / sqrt(var + eps)``,
    ``shift = bias - mean * scale``."""

    _public_name = "NativeBatchNorm"

    @staticmethod
    def forward(ctx, x, weight, bias, layout, mean, invstd):
        xp = array_module(x)
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        view = layout.param_view
        xa = x.reshape(layout.affine_shape)
        out = _affine_rows(xa, xp.empty_like(xa), scale.reshape(view), shift.reshape(view), layout.blockwise(xa))
        ctx.meta = (layout, mean, invstd, scale)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, weight)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        layout, mean, invstd, scale = ctx.meta
        grads = BatchNormInferenceBackward.apply(grad, x, weight, layout, mean, invstd, scale, ctx.needs_input_grad[:3])
        return grads + (None, None, None)


class BatchNormInferenceBackward(Function):
    """The gradient op of batch norm with fixed statistics: ``gx = grad * scale``,
    ``gw = sum(grad * xhat)``, ``gb = sum(grad)``, ``xhat = (x - mean) * invstd``
    (affine in every input, so its backward is short)."""

    _public_name = "NativeBatchNormBackward"

    @staticmethod
    def forward(ctx, grad, x, weight, layout, mean, invstd, scale, needs):
        need_x, need_w, need_b = needs
        ctx.meta = (layout, mean, invstd)
        ctx.save_for_backward(grad, x, weight)
        ctx.set_materialize_grads(False)
        xp = array_module(grad)
        view, axes = layout.param_view, layout.param_axes
        g = grad.reshape(layout.affine_shape)
        s1 = _contract(xp, [g], 3, axes) if need_w or need_b else None
        gx = gw = gb = None
        if need_x:
            gx = (g * scale.reshape(view)).reshape(grad.shape)
        if need_w:
            sx = _contract(xp, [g, x.reshape(layout.affine_shape)], 3, axes)
            gw = ((sx - mean * s1) * invstd).reshape(layout.param_shape)
        if need_b:
            gb = s1.reshape(layout.param_shape)
        return gx, gw, gb

    @staticmethod
    def backward(ctx, ggx, ggw, ggb):
        grad, x, weight = ctx.saved_tensors
        layout, mean, invstd = ctx.meta
        need_g, need_x, need_w = ctx.needs_input_grad[:3]
        view, affine = layout.param_view, layout.affine_shape
        s = Tensor._make(invstd.reshape(view))
        ga = reshape(grad, affine)
        u = reshape(ggx, affine) if ggx is not None else None
        a = reshape(ggw, view) if ggw is not None else None
        c = reshape(ggb, view) if ggb is not None else None
        us = u * s if u is not None else None
        d_grad = d_x = d_weight = None
        if need_g:
            xhat = (reshape(x, affine) - Tensor._make(mean.reshape(view))) * s if a is not None else None
            terms = [
                c,
                a * xhat if a is not None else None,
                (us * reshape(weight, view) if weight is not None else us) if us is not None else None,
            ]
            d_grad = _total(terms, affine, tuple(grad.shape))
        if need_x and a is not None:
            d_x = reshape(a * ga * s, tuple(x.shape))
        if need_w and us is not None:
            d_weight = reshape(_sum(us * ga, layout.param_axes), layout.param_shape)
        return d_grad, d_x, d_weight, None, None, None, None, None


class _NormalizeGroups(Function):
    """Layer and group normalization: statistics per row of the statistics view, affine
    parameters along another view.  Saves the normalised input ``xhat``."""

    _gradient = None  # the gradient op (a _NormalizeGroupsBackward)

    @staticmethod
    def forward(ctx, x, weight, bias, layout, eps):
        xp = array_module(x)
        xhat, _, low, _, invstd = layout.statistics(x, eps)
        xhat -= low
        xhat *= invstd
        xa = xhat.reshape(layout.affine_shape)
        if weight is None and bias is None:
            out = xa.reshape(x.shape)  # the output is xhat itself (saved as the output)
        else:
            out = xp.multiply(xa, weight.reshape(layout.param_view)) if weight is not None else xa.copy()
            if bias is not None:
                out += bias.reshape(layout.param_view)
            out = out.reshape(x.shape)
        ctx.meta = (layout, eps, invstd)
        ctx.save_for_backward(x, weight, out if weight is None and bias is None else xhat)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, xhat = ctx.saved_tensors
        layout, eps, invstd = ctx.meta
        grads = type(ctx)._gradient.apply(grad, x, weight, xhat._data, layout, eps, invstd, ctx.needs_input_grad[:3])
        return grads + (None, None)


class _NormalizeGroupsBackward(_NormalizeBackward):
    """Layer and group norm's gradients from the saved ``xhat``."""

    @staticmethod
    def forward(ctx, grad, x, weight, xhat, layout, eps, invstd, needs):
        need_x, need_w, need_b = needs
        _keep_for_double_backward(ctx, grad, x, weight, layout, eps)
        xp = array_module(grad)
        ga = grad.reshape(layout.affine_shape)
        xa = xhat.reshape(layout.affine_shape)
        nd = len(layout.affine_shape)
        gw = _contract(xp, [ga, xa], nd, layout.param_axes).reshape(layout.param_shape) if need_w else None
        gb = _contract(xp, [ga], nd, layout.param_axes).reshape(layout.param_shape) if need_b else None
        gx = None
        if need_x:
            dxhat = ga * weight.reshape(layout.param_view) if weight is not None else ga
            ds = dxhat.reshape(layout.stat_shape)
            xs = xa.reshape(layout.stat_shape)
            ns, axes, n = len(layout.stat_shape), layout.stat_axes, layout.count
            m1 = _contract(xp, [ds], ns, axes).reshape(layout.kept_shape) / n
            m2 = _contract(xp, [ds, xs], ns, axes).reshape(layout.kept_shape) / n
            tmp = xp.multiply(xs, m2)
            tmp += m1
            xp.subtract(ds, tmp, out=tmp)
            tmp *= invstd
            gx = tmp.reshape(grad.shape)
        return gx, gw, gb


class LayerNormBackward(_NormalizeGroupsBackward):
    _public_name = "NativeLayerNormBackward"


class GroupNormBackward(_NormalizeGroupsBackward):
    _public_name = "NativeGroupNormBackward"


class LayerNorm(_NormalizeGroups):
    _public_name = "NativeLayerNorm"
    _gradient = LayerNormBackward


class GroupNorm(_NormalizeGroups):
    _public_name = "NativeGroupNorm"
    _gradient = GroupNormBackward


# -- argument checks ------------------------------------------------------------------------


def _floating_input(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")


def _param(t, input, shape, what, op):
    """``t`` checked to have ``shape`` and cast to ``input``'s dtype (None stays None)."""
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): {what} must be a Tensor or None, not {type(t).__name__}")
    if tuple(t._data.shape) != tuple(shape):
        raise RuntimeError(
            f"{op}: {what} should have shape {list(shape)}, but got {what} of shape "
            f"{list(t.shape)} for input of shape {list(input.shape)}"
        )
    if t._data.dtype != input._data.dtype:
        t = t.to(input._data.dtype)
    return t


def _verify_batch_size(size, op):
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"{op}: Expected more than 1 value per channel when training, got input size {list(size)}")


def running_average_factor(momentum, num_batches_tracked: int) -> float:
    """The ``momentum`` to pass to :func:`batch_norm` for one training step.

    A number is returned as it is (an exponential moving average).  ``None`` is the
    cumulative moving average of every batch so far (``nn.BatchNorm(momentum=None)``),
    whose factor is ``1 / num_batches_tracked`` with the current batch already counted.
    """
    if momentum is None:
        return 1.0 / float(max(int(num_batches_tracked), 1))
    return float(momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of an (N, C), (N, C, L), (N, C, H, W) or
    (N, C, D, H, W) input to zero mean and unit variance, then ``* weight + bias``.

    ``training=True`` normalises with the batch's statistics (biased variance) and, when
    given, updates ``running_mean`` and ``running_var`` in place, outside the graph:
    ``running = (1 - momentum) * running + momentum * batch_statistic``, with the
    *unbiased* batch variance for ``running_var`` (PyTorch's rule).  ``momentum`` is that
    factor; for ``nn.BatchNorm(momentum=None)`` (a cumulative average) pass
    ``1 / num_batches_tracked`` (:func:`running_average_factor`).
    ``training=False`` normalises with the running statistics.
    """
    op = "batch_norm"
    _floating_input(input, op)
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: expected an input with at least 2 dims (N, C, ...), got shape {list(shape)}")
    if training:
        _verify_batch_size(shape, op)
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    n, c = shape[0], shape[1]
    length = math.prod(shape[2:])
    layout = _Layout((n, c, length), (0, 2), (n, c, length), (1, c, 1), (0, 2), (c,))
    weight = _param(weight, input, (c,), "weight", op)
    bias = _param(bias, input, (c,), "bias", op)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and (not isinstance(stat, Tensor) or stat._data.size != c):
            got = list(stat.shape) if isinstance(stat, Tensor) else type(stat).__name__
            raise RuntimeError(f"{op}: {name} should contain {c} elements, got {got}")
    if training:
        if momentum is None:
            raise ValueError(
                "batch_norm: momentum=None (a cumulative moving average) needs the number of "
                "batches seen: pass momentum=1/num_batches_tracked, as nn.BatchNorm does "
                "(see running_average_factor)"
            )
        stats = [stat for stat in (running_mean, running_var) if stat is not None]
        for stat in stats:  # (BatchNorm refuses statistics that require grad while recording)
            stat._check_writeable(op)
        out = BatchNorm.apply(input, weight, bias, layout, float(eps), running_mean, running_var, float(momentum))
        for stat in stats:
            stat._bump_version()
        return out
    if running_mean is None or running_var is None:
        missing = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{op}: {missing} must be defined in evaluation mode (training=False)")
    xp = array_module(input._data)
    dtype = input._data.dtype
    mean = running_mean._data.reshape(-1).astype(dtype)
    invstd = (1 / xp.sqrt(running_var._data.reshape(-1).astype(np.float64) + eps)).astype(dtype)
    return BatchNormInference.apply(input, weight, bias, layout, mean, invstd)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then ``* weight + bias``
    (both of shape ``normalized_shape``), elementwise."""
    op = "layer_norm"
    _floating_input(input, op)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    shape = tuple(input._data.shape)
    k = len(normalized_shape)
    if k == 0 or len(shape) < k or shape[len(shape) - k :] != normalized_shape:
        raise RuntimeError(
            f"{op}: Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(shape)}"
        )
    weight = _param(weight, input, normalized_shape, "weight", op)
    bias = _param(bias, input, normalized_shape, "bias", op)
    size = math.prod(normalized_shape)
    m = math.prod(shape[: len(shape) - k])
    layout = _Layout((m, size), (1,), (m, size), (1, size), (0,), normalized_shape)
    return LayerNorm.apply(input, weight, bias, layout, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the channels (dim 1) into ``num_groups`` groups, normalise each group of each
    sample, then ``* weight + bias`` per channel."""
    op = "group_norm"
    _floating_input(input, op)
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"{op}: Expected at least 2 dimensions for input tensor but received {len(shape)}")
    n, c = shape[0], shape[1]
    g = int(num_groups)
    if g <= 0 or c % g:
        raise RuntimeError(
            f"{op}: Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(shape)} and num_groups={num_groups}"
        )
    _verify_batch_size([n * c // g, g] + list(shape[2:]), op)
    weight = _param(weight, input, (c,), "weight", op)
    bias = _param(bias, input, (c,), "bias", op)
    length = math.prod(shape[2:])
    layout = _Layout((n, g, (c // g) * length), (2,), (n, c, length), (1, c, 1), (0, 2), (c,))
    return GroupNorm.apply(input, weight, bias, layout, float(eps))
