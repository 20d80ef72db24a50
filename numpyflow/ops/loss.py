"""Loss functions with ``torch.nn.functional``'s signatures and semantics.

``cross_entropy`` is one fused op (log-softmax and the negative log-likelihood in one
``Function``).  Written per position ``i`` of the batch (and of any extra dims) with a
per-class target vector ``q_i``, every form of it is

    loss_i = -sum_c q_ic * log_softmax(x_i)_c
    dloss / dx_i = s_i * (sum_c q_ic * softmax(x_i) - q_i)

where ``s_i`` is the reduction's scale times the incoming gradient, and
``q_i = (1 - eps) * w[t_i] * onehot(t_i) + eps / C * w`` for class indices ``t_i``
(zero where ``t_i == ignore_index``; ``eps`` is the label smoothing, ``w`` the class
weights or ones), or ``q_i = ((1 - eps) * p_i + eps / C) * w`` for class probabilities
``p_i``.  Without weights or smoothing this is the familiar softmax minus one-hot.

As in the normalization ops, the backward applies a gradient op (a ``Function``): its
forward is the formula above on raw arrays, its backward the second derivative written
with numpyflow ops (``softmax`` of the saved input), so higher derivatives are exact.  The
other losses are short compositions of differentiable ops, or elementwise Functions
whose backward is written with numpyflow ops.

Reductions: ``'mean'`` (PyTorch's weighted mean where class weights apply: the sum
divided by the total weight of the non-ignored targets), ``'sum'`` and ``'none'``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._errors import broadcast_error
from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._reduction import reduce_loss, reduction_arg
from ._util import as_tensor_arg, promote
from .activation import log_softmax, logsigmoid, softmax
from .elementwise import abs as _abs
from .elementwise import clamp, log, log1p, sigmoid, where
from .reduction import mean as _mean
from .reduction import sum as _sum
from .shape import broadcast_tensors, reshape

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _check_tensor(t, what, op):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(t).__name__}")


def _floating(t, what, op):
    _check_tensor(t, what, op)
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point {what}, got {t.dtype}")


def _size_warning(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


# -- class-index targets: shared checks and gathers ------------------------------------------


def _log_softmax(xp, x):
    """log_softmax over dim 1 on a raw array (two full-size temporaries at most)."""
    out = x - x.max(axis=1, keepdims=True)
    e = xp.exp(out)
    with np.errstate(divide="ignore"):
        out -= xp.log(e.sum(axis=1, keepdims=True))
    return out


def _class_weight(weight, input, c, op):
    """The class weights as a Tensor of the input's dtype, or None (the op refuses ones
    that require grad while gradients are recorded, as PyTorch does)."""
    if weight is None:
        return None
    _check_tensor(weight, "weight", op)
    if weight._data.ndim != 1 or weight._data.shape[0] != c:
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {c} classes or no classes but "
            f"got weight tensor of shape: {list(weight.shape)}"
        )
    return weight if weight._data.dtype == input._data.dtype else weight.to(input._data.dtype)


def _class_targets(input, target, ignore_index, op):
    """Check class-index ``target`` against ``input`` ((N, C, d1, ...) or (C,)); return
    the (N, C, ...) input Tensor, the target array (N, ...) and whether the output of
    reduction='none' is squeezed back to 0-d (unbatched input)."""
    tdata = target._data
    if tdata.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: expected target dtype to be an integer type (class indices, e.g. int64), but "
            f"got {target.dtype}; class-probability targets must have the input's shape "
            f"{list(input.shape)} (got {list(target.shape)})"
        )
    shape = tuple(input._data.shape)
    squeeze = False
    if len(shape) == 1:
        if tdata.ndim != 0:
            raise ValueError(
                f"{op}: for 1D input (a single sample of {shape[0]} classes), the target must be "
                f"0-D, but got target size: {list(target.shape)}"
            )
        input = reshape(input, (1, shape[0]))
        tdata = tdata.reshape(1)
        squeeze = True
    elif len(shape) == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (classes), got a 0-D tensor")
    else:
        if tdata.ndim == 0 or tdata.shape[0] != shape[0]:
            got = tdata.shape[0] if tdata.ndim else "a 0-D target"
            raise ValueError(f"{op}: Expected input batch_size ({shape[0]}) to match target batch_size ({got}).")
        if len(shape) == 2 and tdata.ndim != 1:
            raise RuntimeError(
                f"{op}: 0D or 1D target tensor expected, multi-target not supported "
                f"(input {list(shape)}, target {list(target.shape)})"
            )
        if tdata.shape != shape[:1] + shape[2:]:
            raise RuntimeError(
                f"{op}: size mismatch (got input: {list(shape)}, target: {list(target.shape)}); "
                f"the target must have the input's shape without the class dim 1"
            )
    c = input._data.shape[1]
    if tdata.size and (tdata.min() < 0 or tdata.max() >= c):
        bad = ((tdata < 0) | (tdata >= c)) & (tdata != ignore_index)
        if bad.any():
            value = int(tdata[bad].reshape(-1)[0])
            raise IndexError(
                f"{op}: Target {value} is out of bounds: class indices must be in [0, {c}) "
                f"(or equal ignore_index={ignore_index})"
            )
    return input, tdata.astype(np.int64, copy=False), squeeze


class _Picked:
    """The per-position pieces every class-index loss needs: the safe target indices,
    the mask of non-ignored positions, and each position's class weight."""

    __slots__ = ("index", "valid", "wt", "total", "count")

    def __init__(self, xp, target, weight, ignore_index, dtype):
        valid = target != ignore_index
        if bool(valid.all()):
            self.valid = None  # nothing ignored: skip every mask
            t = target
        else:
            self.valid = valid
            t = xp.where(valid, target, 0)
        self.index = t[:, None]  # the class dim, for take_along_axis
        if weight is not None:
            wt = weight[t]
            if self.valid is not None:
                wt *= self.valid
        else:
            wt = self.valid.astype(dtype) if self.valid is not None else None
        self.wt = wt  # None: every weight is 1
        self.count = target.size
        # the weighted-mean denominator: the total weight of the non-ignored targets
        self.total = wt.sum(dtype=dtype) if wt is not None else dtype.type(target.size)

    def weighted(self, values):
        return values * self.wt if self.wt is not None else values


def _grad_scale(g, reduction, denominator):
    """The incoming gradient as the per-position factor ``s`` with the class dim kept."""
    if reduction == "none":
        return g[:, None]
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / denominator
    return g


def _graph_scale(grad, reduction, denominator):
    if reduction == "none":
        return grad.unsqueeze(1)
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * (1.0 / float(denominator)) if denominator != 0 else grad * math.nan
    return grad


def _finish(loss, reduction, denominator):
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / denominator


class CrossEntropy(Function):
    """log_softmax + nll with class-index targets, in one op."""

    _public_name = "CrossEntropyLoss"

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, smoothing):
        _refuse_weight_grad(ctx, "cross_entropy")
        xp = array_module(x)
        dtype = x.dtype
        c = x.shape[1]
        logp = _log_softmax(xp, x)
        pk = _Picked(xp, target, weight, ignore_index, dtype)
        loss = pk.weighted(xp.take_along_axis(logp, pk.index, axis=1)[:, 0])
        loss = -loss
        if smoothing:
            smooth = xp.einsum("nc...,c->n...", logp, weight) if weight is not None else logp.sum(axis=1)
            if pk.valid is not None:
                smooth *= pk.valid
            loss *= dtype.type(1 - smoothing)
            loss -= dtype.type(smoothing / c) * smooth
        ctx.meta = (pk, weight, reduction, smoothing)
        ctx.save_for_backward(x, logp)
        return _finish(loss, reduction, pk.total)

    @staticmethod
    def backward(ctx, grad):
        x, logp = ctx.saved_tensors
        pk, weight, reduction, eps = ctx.meta
        gx = CrossEntropyBackward.apply(grad, x, logp._data, pk, weight, reduction, eps)
        return gx, None, None, None, None, None


class CrossEntropyBackward(Function):
    """The gradient op of :class:`CrossEntropy`: ``s * (softmax(x) * a - q)`` (see the
    module docstring; ``a = sum_c q``) from the forward's log-probabilities, on raw
    arrays; its backward differentiates that in ``grad`` (through ``s``) and in ``x``."""

    _public_name = "CrossEntropyLossBackward"

    @staticmethod
    def forward(ctx, grad, x, logp, pk, weight, reduction, eps):  # x: only for the backward
        ctx.meta = (pk, weight, reduction, eps)
        ctx.save_for_backward(grad, x)
        xp = array_module(logp)
        dtype = logp.dtype
        c = logp.shape[1]
        s = _grad_scale(grad, reduction, pk.total)
        p = xp.exp(logp)
        # a_i = sum_c q_ic: (1 - eps) * w[t_i] + eps / C * sum(w), zero where ignored
        a = pk.wt
        if eps:
            wsum = float(weight.sum()) if weight is not None else float(c)
            a = (a * dtype.type(1 - eps)) if a is not None else dtype.type(1 - eps)
            spread = dtype.type(eps / c * wsum)
            a = a + (spread * pk.valid if pk.valid is not None else spread)
        coef = s if a is None else (s * a[:, None] if getattr(a, "ndim", 0) else s * a)
        p *= coef
        # minus (1 - eps) * w[t_i] at each target class
        hit = s * dtype.type(1 - eps)
        if pk.wt is not None:
            hit = hit * pk.wt[:, None]
        cur = xp.take_along_axis(p, pk.index, axis=1)
        cur -= hit
        xp.put_along_axis(p, pk.index, cur, axis=1)
        if eps:  # minus eps / C * w spread over every class
            spread = s * dtype.type(eps / c)
            if pk.valid is not None:
                spread = spread * pk.valid[:, None]
            if weight is not None:
                spread = spread * weight.reshape((1, c) + (1,) * (p.ndim - 2))
            p -= spread
        return p

    @staticmethod
    def backward(ctx, u):
        grad, x = ctx.saved_tensors
        pk, weight, reduction, eps = ctx.meta
        need_g, need_x = ctx.needs_input_grad[:2]
        q = _dense_target(array_module(x._data), x._data, pk, weight, eps)
        a = Tensor._make(q.sum(axis=1, keepdims=True))
        p = softmax(x, 1)
        d_grad = d_x = None
        if need_g:
            d_grad = _scale_adjoint(u * (p * a - Tensor._make(q)), reduction, pk.total)
        if need_x:
            d_x = _softmax_adjoint(p, u * _graph_scale(grad, reduction, pk.total) * a)
        return d_grad, d_x, None, None, None, None, None


def _scale_adjoint(v, reduction, denominator):
    """The gradient with respect to the incoming gradient of ``_graph_scale(grad) * f``,
    given ``v = upstream * f`` (of the input's shape)."""
    if reduction == "none":
        return _sum(v, 1)
    return _graph_scale(_sum(v), reduction, denominator)


def _softmax_adjoint(p, v):
    """The gradient of ``<v, softmax(x)>`` with respect to ``x``, for ``p = softmax(x, 1)``."""
    return p * (v - _sum(v * p, 1, True))


def _refuse_weight_grad(ctx, op):
    """PyTorch's rule: the class weights (input 2) are not differentiable."""
    if ctx.needs_input_grad[2]:
        raise RuntimeError(
            f"{op}: the derivative for 'weight' is not implemented (as in PyTorch); pass weight.detach()"
        )


def _dense_target(xp, like, pk, weight, eps):
    """The per-class target vectors ``q`` of a class-index loss, as a dense array."""
    c = like.shape[1]
    dtype = like.dtype
    q = xp.zeros(like.shape, dtype)
    hit = xp.full(pk.index.shape, dtype.type(1 - eps)) if pk.wt is None else (pk.wt * dtype.type(1 - eps))[:, None]
    xp.put_along_axis(q, pk.index, hit, axis=1)
    if eps:
        spread = (
            xp.full((1, c) + (1,) * (like.ndim - 2), dtype.type(eps / c))
            if weight is None
            else (weight * dtype.type(eps / c)).reshape((1, c) + (1,) * (like.ndim - 2))
        )
        if pk.valid is not None:
            spread = spread * pk.valid[:, None]
        q += spread
    return q


def _plus(a, b):
    return b if a is None else a + b


def _class_view(weight, ndim):
    """Class weights (C,) viewed against an (N, C, ...) array."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


class CrossEntropyProbs(Function):
    """log_softmax + cross-entropy against class probabilities (same shape as the input),
    in one op; differentiable in the input and in the target."""

    _public_name = "CrossEntropyLoss"

    @staticmethod
    def forward(ctx, x, target, weight, reduction, smoothing):
        _refuse_weight_grad(ctx, "cross_entropy")
        xp = array_module(x)
        logp = _log_softmax(xp, x)
        q = _prob_target(target, weight, smoothing, x.shape[1])
        loss = -xp.einsum("nc...,nc...->n...", logp, q)
        count = loss.size
        ctx.meta = (weight, reduction, smoothing, count)
        ctx.save_for_backward(x, target, logp)
        return _finish(loss, reduction, x.dtype.type(count) if count else x.dtype.type(math.nan))

    @staticmethod
    def backward(ctx, grad):
        x, target, logp = ctx.saved_tensors
        weight, reduction, eps, count = ctx.meta
        grads = CrossEntropyProbsBackward.apply(
            grad, x, target, logp._data, weight, reduction, eps, count, ctx.needs_input_grad[:2]
        )
        return grads + (None, None, None)


class CrossEntropyProbsBackward(Function):
    """The gradient op of :class:`CrossEntropyProbs`: ``gx = s * (softmax(x) * sum_c q - q)``
    and ``gt = -s * (1 - eps) * w * log_softmax(x)`` (``q = ((1 - eps) t + eps / C) w``) on
    raw arrays; its backward differentiates both in ``grad``, ``x`` and the target."""

    _public_name = "CrossEntropyLossBackward"

    @staticmethod
    def forward(ctx, grad, x, target, logp, weight, reduction, eps, count, needs):
        need_x, need_t = needs
        ctx.meta = (weight, reduction, eps, count)
        ctx.save_for_backward(grad, x, target)
        ctx.set_materialize_grads(False)
        xp = array_module(logp)
        dtype = logp.dtype
        c = logp.shape[1]
        s = _grad_scale(grad, reduction, dtype.type(count if count else math.nan))
        gx = gt = None
        if need_x:
            q = _prob_target(target, weight, eps, c)
            gx = xp.exp(logp)
            gx *= q.sum(axis=1, keepdims=True)
            gx -= q
            gx *= s
        if need_t:
            gt = logp * (-s * dtype.type(1 - eps))
            if weight is not None:
                gt *= _class_view(weight, logp.ndim)
        return gx, gt

    @staticmethod
    def backward(ctx, u, v):
        grad, x, target = ctx.saved_tensors
        weight, reduction, eps, count = ctx.meta
        need_g, need_x, need_t = ctx.needs_input_grad[:3]
        denominator = count if count else math.nan
        w = Tensor._make(_class_view(weight, x.ndim)) if weight is not None else None
        k = w * (1 - eps) if w is not None else 1 - eps  # q = k * target + eps / C * w; gt = -s * k * logp
        s = _graph_scale(grad, reduction, denominator)
        p = softmax(x, 1)
        by_s = d_x = d_t = None  # by_s: the upstream times d(gx, gt)/ds, summed
        if u is not None:  # gx = s * (p * sum_c q - q)
            q = target * k + (eps / x.shape[1]) * (w if w is not None else 1.0)
            q_sum = _sum(q, 1, True)
            by_s = u * (p * q_sum - q) if need_g else None
            d_x = _softmax_adjoint(p, u * s * q_sum) if need_x else None
            d_t = s * (_sum(u * p, 1, True) - u) * k if need_t else None
        if v is not None:  # gt = -s * k * log_softmax(x)
            z = v * -k
            if need_g:
                by_s = _plus(by_s, z * log_softmax(x, 1))
            if need_x:
                z = z * s
                d_x = _plus(d_x, z - p * _sum(z, 1, True))
        d_grad = _scale_adjoint(by_s, reduction, denominator) if by_s is not None else None
        return (d_grad, d_x, d_t) + (None,) * 6


def _prob_target(target, weight, eps, c):
    q = target
    if eps:
        q = target * target.dtype.type(1 - eps) + target.dtype.type(eps / c)
    if weight is not None:
        q = q * _class_view(weight, target.ndim)
    return q


def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0
):
    """Cross-entropy between ``log_softmax(input, 1)`` and the target.

    ``input`` is (N, C), (N, C, d1, ...) or (C,) unnormalised scores.  ``target`` is either
    class indices (an integer tensor of shape (N,), (N, d1, ...) or ()), where entries
    equal to ``ignore_index`` contribute nothing, or class probabilities (a floating
    tensor of the input's shape).  ``weight`` (C,) rescales each class;
    ``label_smoothing`` mixes the target with the uniform distribution.
    """
    op = "cross_entropy"
    reduction = reduction_arg(reduction, size_average, reduce)
    _floating(input, "input", op)
    _check_tensor(target, "target", op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    smoothing = float(label_smoothing)
    if target._data.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        if input._data.ndim == 0:
            raise RuntimeError(f"{op}: input must have at least 1 dimension (classes), got a 0-D tensor")
        x, t = promote(input, target, op)
        squeeze = x._data.ndim == 1
        if squeeze:
            x, t = reshape(x, (1, -1)), reshape(t, (1, -1))
        w = _class_weight(weight, x, x._data.shape[1], op)
        out = CrossEntropyProbs.apply(x, t, w, reduction, smoothing)
    else:
        x, t, squeeze = _class_targets(input, target, ignore_index, op)
        w = _class_weight(weight, x, x._data.shape[1], op)
        out = CrossEntropy.apply(x, t, w, int(ignore_index), reduction, smoothing)
    if squeeze and reduction == "none":
        out = reshape(out, ())
    return out


class NllLoss(Function):
    """The negative log-likelihood of log-probabilities at the target classes."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        _refuse_weight_grad(ctx, "nll_loss")
        xp = array_module(x)
        pk = _Picked(xp, target, weight, ignore_index, x.dtype)
        loss = -pk.weighted(xp.take_along_axis(x, pk.index, axis=1)[:, 0])
        ctx.meta = (pk, weight, reduction, x.shape)
        return _finish(loss, reduction, pk.total)

    @staticmethod
    def backward(ctx, grad):
        pk, weight, reduction, shape = ctx.meta
        xp = array_module(grad._data)
        dtype = grad._data.dtype
        # d loss / d x: -w[t_i] at each target class (zero where ignored), then scaled;
        # linear in grad, so the product below is differentiable in grad.
        coef = xp.zeros(shape, dtype)
        hit = -(pk.wt if pk.wt is not None else xp.ones(pk.index.shape[:1] + pk.index.shape[2:], dtype))
        xp.put_along_axis(coef, pk.index, hit[:, None], axis=1)
        s = _graph_scale(grad, reduction, pk.total)
        return s * Tensor._make(coef), None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log-likelihood loss: ``-weight[t] * input[i, t]`` per position, for
    log-probabilities ``input`` ((N, C), (N, C, d1, ...) or (C,)) and class indices
    ``target``; positions whose target is ``ignore_index`` contribute nothing."""
    op = "nll_loss"
    reduction = reduction_arg(reduction, size_average, reduce)
    _floating(input, "input", op)
    _check_tensor(target, "target", op)
    x, t, squeeze = _class_targets(input, target, ignore_index, op)
    w = _class_weight(weight, x, x._data.shape[1], op)
    out = NllLoss.apply(x, t, w, int(ignore_index), reduction)
    if squeeze and reduction == "none":
        out = reshape(out, ())
    return out


# -- regression losses ----------------------------------------------------------------------


def _pointwise_weighted(loss, weight, input, reduction, op, mean_by_weight=True):
    """PyTorch's elementwise ``weight`` of mse_loss / l1_loss / huber_loss."""
    _check_tensor(weight, "weight", op)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: Weights and input must have the same size (weight {list(weight.shape)}, input {list(input.shape)})."
        )
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _sum(loss)
    return _sum(loss) / _sum(weight) if mean_by_weight else _mean(loss)


def _difference(input, target, op):
    _floating(input, "input", op)
    _check_tensor(target, "target", op)
    _size_warning(input, target, op)
    a, b = promote(input, target, op)
    try:
        a, b = broadcast_tensors(a, b)
    except (ValueError, RuntimeError):
        raise broadcast_error(f"{op} (input and target)", (input.shape, target.shape)) from None
    return a - b


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The squared error ``(input - target) ** 2``, optionally weighted elementwise."""
    reduction = reduction_arg(reduction, size_average, reduce)
    d = _difference(input, target, "mse_loss")
    loss = d * d
    if weight is not None:
        return _pointwise_weighted(loss, weight, input, reduction, "mse_loss")
    return reduce_loss(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The absolute error ``|input - target|`` (gradient 0 where they are equal)."""
    reduction = reduction_arg(reduction, size_average, reduce)
    loss = _abs(_difference(input, target, "l1_loss"))
    if weight is not None:
        return _pointwise_weighted(loss, weight, input, reduction, "l1_loss")
    return reduce_loss(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d ** 2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``
    (``d = input - target``); ``beta=0`` is the L1 loss."""
    op = "smooth_l1_loss"
    reduction = reduction_arg(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"{op} does not support negative values for beta (got {beta}).")
    d = _difference(input, target, op)
    ad = _abs(d)
    if beta == 0.0:
        return reduce_loss(ad, reduction)
    loss = where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return reduce_loss(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 * d ** 2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    op = "huber_loss"
    reduction = reduction_arg(reduction)
    if delta <= 0:
        raise RuntimeError(f"{op} does not support non-positive values for delta (got {delta}).")
    d = _difference(input, target, op)
    ad = _abs(d)
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        return _pointwise_weighted(loss, weight, input, reduction, op, mean_by_weight=False)
    return reduce_loss(loss, reduction)


# -- binary cross-entropy ------------------------------------------------------------------


class BinaryCrossEntropy(Function):
    """Elementwise ``-(t * log(x) + (1 - t) * log(1 - x))``, each log clamped to >= -100."""

    @staticmethod
    def forward(ctx, x, t):
        xp = array_module(x)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), x.dtype.type(-100))
            log_1mx = xp.maximum(xp.log1p(-x), x.dtype.type(-100))
        ctx.save_for_backward(x, t)
        loss = (t - 1) * log_1mx
        loss -= t * log_x
        return loss

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:  # PyTorch's formula: (x - t) / max(x (1 - x), 1e-12)
            gx = grad * (x - t) / clamp((1 - x) * x, min=1e-12)
        if ctx.needs_input_grad[1]:  # -logit(x)
            gt = grad * (log1p(-x) - log(x))
        return gx, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` (in [0, 1]) against ``target`` (same
    shape); logs are clamped to >= -100 as in PyTorch, so the loss is finite at 0 and 1."""
    op = "binary_cross_entropy"
    reduction = reduction_arg(reduction, size_average, reduce)
    _floating(input, "input", op)
    _check_tensor(target, "target", op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    x, t = promote(input, target, op)
    if t._data.dtype.kind != "f":
        t = t.to(x._data.dtype)
    xd, td = x._data, t._data
    if xd.size and not (bool((xd >= 0).all()) and bool((xd <= 1).all())):
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1")
    if td.size and not (bool((td >= 0).all()) and bool((td <= 1).all())):
        raise RuntimeError(f"{op}: all elements of target should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(x, t)
    if weight is not None:
        weight = as_tensor_arg(weight)
        try:
            np.broadcast_shapes(tuple(weight.shape), tuple(target.shape))
        except ValueError:
            raise RuntimeError(
                f"{op}: weight of shape {list(weight.shape)} cannot be broadcast to the target's "
                f"shape {list(target.shape)}"
            ) from None
        loss = loss * weight
    return reduce_loss(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """Elementwise ``(1 - t) * x - (1 + (pw - 1) * t) * logsigmoid(x)``: sigmoid and binary
    cross-entropy in one numerically stable op (no overflow for any ``x``)."""

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        xp = array_module(x)
        log_sig = xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))  # logsigmoid(x)
        if pos_weight is not None:
            log_sig = log_sig * ((pos_weight - 1) * t + 1)
        loss = (1 - t) * x - log_sig
        ctx.save_for_backward(x, t, pos_weight)
        return loss

    @staticmethod
    def backward(ctx, grad):
        x, t, pw = ctx.saved_tensors
        need_x, need_t, need_pw = ctx.needs_input_grad
        gx = gt = gpw = None
        if pw is None:
            if need_x:
                gx = grad * (sigmoid(x) - t)
            if need_t:
                gt = grad * -x
            return gx, gt, None
        if need_x:  # (1 + (pw - 1) t) sigmoid(x) - pw t
            gx = grad * (((pw - 1) * t + 1) * sigmoid(x) - pw * t)
        if need_t or need_pw:
            ls = logsigmoid(x)
            if need_t:
                gt = grad * (-x - (pw - 1) * ls)
            if need_pw:
                gpw = grad * (-t * ls)
        return gx, gt, gpw


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Binary cross-entropy of ``sigmoid(input)`` against ``target``, computed stably from
    the logits.  ``pos_weight`` (broadcast along the last dim) weighs the positive term;
    ``weight`` (broadcast) weighs each element."""
    op = "binary_cross_entropy_with_logits"
    reduction = reduction_arg(reduction, size_average, reduce)
    _floating(input, "input", op)
    _check_tensor(target, "target", op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})"
        )
    x, t = promote(input, target, op)
    if t._data.dtype.kind != "f":
        t = t.to(x._data.dtype)
    pw = None
    if pos_weight is not None:
        pw = as_tensor_arg(pos_weight)
        if pw._data.dtype != x._data.dtype:
            pw = pw.to(x._data.dtype)
        try:
            np.broadcast_shapes(tuple(pw.shape), tuple(x.shape))
        except ValueError:
            raise RuntimeError(
                f"{op}: pos_weight of shape {list(pw.shape)} cannot be broadcast to the input's shape {list(x.shape)}"
            ) from None
    loss = BinaryCrossEntropyWithLogits.apply(x, t, pw)
    if weight is not None:
        loss = loss * as_tensor_arg(weight)
    return reduce_loss(loss, reduction)
