"""Connectionist temporal classification: ``ctc_loss`` with ``torch.nn.functional``'s
signature and PyTorch's CPU algorithm.

The forward-backward (alpha / beta) recursion runs in log space on arrays, vectorised
over the batch and the extended-label axis (blank, l1, blank, l2, ..., blank), with one
Python step per time step.  The gradient with respect to ``log_probs`` is PyTorch's:
``exp(log_probs) - exp(log(alpha * beta summed per class) + nll - log_probs)``, which is
the gradient with respect to the logits when ``log_probs`` comes from ``log_softmax``
(the usual case, and the one where both agree after ``log_softmax``'s backward).  As in
PyTorch, the second derivative is not implemented: it raises.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, to_numpy
from ..tensor import Tensor
from ._reduction import reduction_arg
from .reduction import mean as _mean
from .reduction import sum as _sum

__all__ = ["ctc_loss"]

_OP = "ctc_loss"


def _lse3(a, b, c):
    """``log(exp(a) + exp(b) + exp(c))`` elementwise, -inf where all are -inf."""
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isneginf(m), 0, m)
    with np.errstate(divide="ignore", under="ignore"):
        return np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)) + safe


def _extended(targets, target_lengths, blank):
    """``(N, 2S+1)`` extended labels, and whether a label may be reached from two back
    (a label differing from the one two positions before)."""
    n, s = targets.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = targets
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(2 * s + 1)[None, :] < (2 * target_lengths[:, None] + 1)
    return ext, skip, valid


def _ctc_forward(lp, targets, input_lengths, target_lengths, blank):
    """Per-sample nll, log alpha and log beta: ``lp`` (T, N, C) numpy in its dtype."""
    T, N, _ = lp.shape
    ext, skip, valid = _extended(targets, target_lengths, blank)
    S2 = ext.shape[1]
    ninf = lp.dtype.type(-np.inf)
    n_idx = np.arange(N)[:, None]
    # emission log-probabilities of each extended label: (T, N, S2)
    em = lp[:, n_idx, ext]
    em = np.where(valid[None], em, ninf)
    alpha = np.full((T, N, S2), ninf, dtype=lp.dtype)
    alpha[0, :, 0] = em[0, :, 0]
    if S2 > 1:
        alpha[0, :, 1] = np.where(target_lengths > 0, em[0, :, 1], ninf)
    pad = np.full((N, 2), ninf, dtype=lp.dtype)
    for t in range(1, T):
        prev = alpha[t - 1]
        shifted = np.concatenate([pad, prev], axis=1)
        one_back = shifted[:, 1:-1]
        two_back = np.where(skip, shifted[:, :-2], ninf)
        alpha[t] = _lse3(prev, one_back, two_back) + em[t]
    last = input_lengths - 1
    ends = 2 * target_lengths
    read = np.maximum(last, 0)
    a_end = alpha[read, np.arange(N), ends]
    a_prev = np.where(target_lengths > 0, alpha[read, np.arange(N), np.maximum(ends - 1, 0)], ninf)
    with np.errstate(divide="ignore", under="ignore"):
        nll = -np.logaddexp(a_end, a_prev)
    # no frames: an empty target has probability 1, any other 0 (as PyTorch)
    nll = np.where(input_lengths == 0, np.where(target_lengths == 0, 0, np.inf), nll).astype(lp.dtype)
    # beta, with the same convention as PyTorch (beta includes the emission at t)
    beta = np.full((T, N, S2), ninf, dtype=lp.dtype)
    # skip for beta: from s to s+2 allowed when ext[s+2] may be reached from two back
    skip_fwd = np.zeros_like(skip)
    skip_fwd[:, :-2] = skip[:, 2:]
    rows = np.arange(N)
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            nxt = beta[t + 1]
            shifted = np.concatenate([nxt, pad], axis=1)
            one_fwd = shifted[:, 1:-1]
            two_fwd = np.where(skip_fwd, shifted[:, 2:], ninf)
            beta[t] = _lse3(nxt, one_fwd, two_fwd) + em[t]
        starts = last == t  # samples whose last frame is t: the recursion starts here
        if starts.any():
            b = rows[starts]
            beta[t, b] = ninf
            beta[t, b, ends[b]] = em[t, b, ends[b]]
            has = target_lengths[b] > 0
            beta[t, b[has], ends[b][has] - 1] = em[t, b[has], ends[b][has] - 1]
    beta[np.arange(T)[:, None] > last[None, :]] = ninf
    return nll, alpha, beta, ext


def _ctc_grad(lp, nll, alpha, beta, ext, input_lengths, zero_infinity):
    """PyTorch's per-sample gradient of the nll with respect to ``lp`` (unscaled)."""
    T, N, C = lp.shape
    ab = alpha + beta
    m = ab.max(axis=2, keepdims=True)
    m = np.where(np.isneginf(m), 0, m)
    with np.errstate(under="ignore", invalid="ignore"):
        e = np.exp(ab - m)
    acc = np.zeros((T, N, C), dtype=lp.dtype)
    np.add.at(acc, (slice(None), np.arange(N)[:, None], ext), e)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        lcab = np.log(acc) + m
        grad = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
    grad[np.arange(T)[:, None] >= input_lengths[None, :]] = 0
    if zero_infinity:
        grad[:, np.isinf(nll)] = 0
    return grad


class CTCLoss(Function):
    """The per-sample negative log-likelihood ``(N,)`` of the targets under ``log_probs``
    ``(T, N, C)``; the integer arguments are numpy arrays."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        xp = array_module(log_probs)
        lp = to_numpy(log_probs)
        nll, alpha, beta, ext = _ctc_forward(lp, targets, input_lengths, target_lengths, blank)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(log_probs)
            ctx.grad_array = _ctc_grad(lp, nll, alpha, beta, ext, input_lengths, zero_infinity)
        if zero_infinity:
            nll = np.where(np.isinf(nll), 0, nll)
        nll = nll.astype(lp.dtype)
        return nll if xp is np else xp.asarray(nll)

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        g = ctx.grad_array
        xp = array_module(grad._data)
        if xp is not np:
            g = xp.asarray(g)
        return CTCLossBackward.apply(grad, log_probs, Tensor._make(g)), None, None, None, None, None


class CTCLossBackward(Function):
    """``grad[n] * G[:, n, :]``, the gradient op of ``CTCLoss`` (``G`` computed from
    ``log_probs`` by the forward, which takes ``log_probs`` so that a recorded graph
    reaches it); its own derivative is not implemented (nor is it in PyTorch)."""

    @staticmethod
    def forward(ctx, grad, log_probs, g):
        return grad[None, :, None] * g

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "ctc_loss: double backward (the derivative of ctc_loss's gradient) is not implemented, as in PyTorch"
        )


def _int_array(x, what):
    if isinstance(x, Tensor):
        if x.is_floating_point():
            raise RuntimeError(f"{_OP}: {what} must be integers, got {x.dtype}")
        return np.asarray(to_numpy(x._data), dtype=np.int64)
    a = np.asarray(x)
    if a.dtype.kind not in "iu" and a.size:
        raise RuntimeError(f"{_OP}: {what} must be integers, got {a.dtype}")
    return a.astype(np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss of ``log_probs`` ``(T, N, C)`` (or unbatched ``(T, C)``) against
    ``targets``, padded ``(N, S)`` or concatenated 1-D.  ``'mean'`` divides each sample's
    loss by its target length, then averages over the batch, as PyTorch;
    ``zero_infinity`` zeroes infinite losses (impossible alignments) and their gradients."""
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"{_OP}(): argument 'log_probs' must be Tensor, not {type(log_probs).__name__}")
    reduction = reduction_arg(reduction)
    if not log_probs.is_floating_point():
        raise RuntimeError(f"{_OP}: log_probs must be floating point, got {log_probs.dtype}")
    unbatched = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    tg = _int_array(targets, "targets")
    il = _int_array(input_lengths, "input_lengths")
    tl = _int_array(target_lengths, "target_lengths")
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if unbatched:
        tg = tg.reshape(1, -1)
        il, tl = il.reshape(1), tl.reshape(1)
    T, N, C = lp.shape
    il, tl = il.reshape(-1), tl.reshape(-1)
    if il.shape[0] != N:
        raise RuntimeError(f"{_OP}: input_lengths must be of size batch_size ({N}), got {il.shape[0]}")
    if tl.shape[0] != N:
        raise RuntimeError(f"{_OP}: target_lengths must be of size batch_size ({N}), got {tl.shape[0]}")
    if not 0 <= blank < C:
        raise RuntimeError(f"{_OP}: blank must be in label range [0, {C}), got {blank}")
    if N and (il.max() > T or il.min() < 0):
        raise RuntimeError(f"{_OP}: input_lengths must be in [0, {T}] (the time steps of log_probs), got {il.tolist()}")
    if N and tl.min() < 0:
        raise RuntimeError(f"{_OP}: target_lengths must be non-negative, got {tl.tolist()}")
    if tg.ndim == 1 and not unbatched:
        if tg.shape[0] != tl.sum():
            raise RuntimeError(
                f"{_OP}: concatenated targets have {tg.shape[0]} labels but target_lengths sum to {int(tl.sum())}"
            )
        padded = np.zeros((N, int(tl.max()) if N else 0), dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(tl)])
        for n in range(N):
            padded[n, : tl[n]] = tg[offsets[n] : offsets[n + 1]]
        tg = padded
    elif tg.ndim == 2:
        if tg.shape[0] != N:
            raise RuntimeError(f"{_OP}: targets must have batch size {N}, got shape {tg.shape}")
        if N and tl.max() > tg.shape[1]:
            raise RuntimeError(
                f"{_OP}: a target length ({int(tl.max())}) exceeds the padded targets' length {tg.shape[1]}"
            )
        tg = tg[:, : int(tl.max()) if N else 0]
    else:
        raise RuntimeError(f"{_OP}: targets must be (N, S) or concatenated 1-D, got shape {tg.shape}")
    if tg.size and ((tg < 0) | (tg >= C)).any():
        raise RuntimeError(f"{_OP}: targets must be in the label range [0, {C}), got {np.unique(tg).tolist()}")
    nll = CTCLoss.apply(lp, tg, il, tl, int(blank), bool(zero_infinity))
    if reduction == "none":
        return nll.squeeze(0) if unbatched else nll
    if reduction == "sum":
        return _sum(nll)
    lengths = Tensor._make(np.maximum(tl, 1).astype(nll._data.dtype))
    if array_module(nll._data) is not np:
        lengths = lengths.to(nll.device)
    return _mean(nll / lengths)
