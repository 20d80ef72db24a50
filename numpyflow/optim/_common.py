"""Helpers shared by the optimizers: PyTorch's option checks, and the array helpers of
the update rules (complex parameters as real pairs, PyTorch's ``lerp``)."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor


class _RequiredParameter:
    """Marks an option that every parameter group has to set (``lr=required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


OPTION_MESSAGES = {"lr": "Invalid learning rate: {}", "eps": "Invalid epsilon value: {}"}


def check_number(optimizer: str, key: str, value) -> None:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {key} must be 1-element")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{optimizer}: option {key!r} must be a number, but got {value!r} ({type(value).__name__})")


def check_nonnegative(optimizer: str, key: str, value) -> None:
    """PyTorch's check of an option that must be >= 0 (and not NaN), with its message."""
    check_number(optimizer, key, value)
    if not 0.0 <= value:
        message = OPTION_MESSAGES.get(key, "Invalid " + key + " value: {}").format(value)
        raise ValueError(f"{optimizer}: {message} (expected {key} >= 0)")


def check_common(optimizer: str, options: dict, nonnegative=()) -> None:
    """PyTorch's checks: ``lr`` and each option in ``nonnegative`` must be >= 0 (not NaN);
    ``differentiable=True`` (gradients through the step) is not supported."""
    for key in ("lr",) + tuple(nonnegative):
        value = options[key]
        if value is not required:
            check_nonnegative(optimizer, key, value)
    if options.get("differentiable"):
        raise NotImplementedError(
            f"{optimizer}(differentiable=True): differentiating through an optimizer step is not supported"
        )


def check_betas(optimizer: str, betas) -> None:
    """PyTorch's check of Adam-style ``betas``: a pair with ``0 <= beta < 1``."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{optimizer}: betas must be a pair (beta1, beta2), but got {betas!r}")
    for i, beta in enumerate(betas):
        check_number(optimizer, f"betas[{i}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{optimizer}: Invalid beta parameter at index {i}: {beta} (expected 0 <= beta < 1)")


def scalar_dtype():
    """The dtype of PyTorch's scalar state tensors (``step``, NAdam's ``mu_product``,
    ASGD's ``eta`` and ``mu``): float32, or float64 when that is the default dtype."""
    return np.dtype(np.float64 if dtypes.get_default_dtype() == dtypes.float64 else np.float32)


def scalar_state(state, key, initial):
    """``(tensor, array)`` for a 0-d state entry ``key``: its Tensor (None before the first
    step, or a plain number from an old state dict) and a new 0-d array with its value
    (``initial`` in :func:`scalar_dtype` before the first step)."""
    t = state.get(key) if state else None
    if isinstance(t, Tensor):
        return t, t._data.copy()
    return t, np.array(initial if t is None else t, dtype=scalar_dtype())


def _real_view(x):
    """A complex array's values as interleaved real pairs (``viewas_real``, flattened)."""
    x = np.ascontiguousarray(x).reshape(-1)
    return x.view(x.real.dtype)


def as_real(arrays, like):
    """``arrays`` as real views when ``like`` is complex (PyTorch's optimizers update a
    complex parameter as the pairs of its real and imaginary parts), else as they are."""
    if like.dtype.kind != "c":
        return arrays
    return [None if x is None else _real_view(x) for x in arrays]


def from_real(arrays, like):
    """The inverse of :func:`as_real` for new (contiguous) arrays."""
    if like.dtype.kind != "c":
        return arrays
    return [None if x is None else x.view(like.dtype).reshape(like.shape) for x in arrays]


def lerp(start, end, weight):
    """``start + weight * (end - start)`` into a new array, as PyTorch's ``lerp`` computes it:
    the weight in the arrays' dtype, and ``end - (end - start) * (1 - weight)`` for
    weights of 0.5 and above."""
    w = start.dtype.type(weight)
    out = np.subtract(end, start, out=np.empty_like(start))
    if abs(w) < 0.5:
        np.multiply(out, w, out=out)
        return np.add(out, start, out=out)
    np.multiply(out, w - start.dtype.type(1), out=out)
    return np.add(out, end, out=out)


def state_entry(state, key, like, needed=True):
    """``(tensor, array)`` for the state entry ``key`` of one parameter: its Tensor (None
    before the first step) and the array the update starts from (zeros like ``like``
    before the first step; None where the entry is not ``needed``)."""
    t = state.get(key) if state else None
    if not needed:
        return t, None
    return t, (t._data if isinstance(t, Tensor) else np.zeros_like(like))


def l2_grad(p, g, weight_decay, maximize):
    """The gradient most update rules follow, as PyTorch's optimizers form it: ``-g`` with
    ``maximize``, then ``g + weight_decay * p`` (the L2 penalty) when ``weight_decay != 0``.
    A new array where either applies, else ``g`` itself."""
    if maximize:
        g = np.negative(g, out=np.empty_like(p))
    if weight_decay != 0:
        t = np.multiply(p, weight_decay, out=np.empty_like(p))
        g = np.add(g, t, out=t)  # g + weight_decay * p
    return g


def decayed_grad(p, g, *, lr, weight_decay, maximize, decoupled):
    """``(g, factor)`` for the Adam-style rules: with ``decoupled`` (AdamW's weight decay)
    the gradient is left without the L2 term and the parameter is first multiplied by
    ``factor = 1 - lr * weight_decay``; otherwise :func:`l2_grad` and a factor of None."""
    if decoupled and weight_decay != 0:
        return l2_grad(p, g, 0, maximize), 1 - lr * weight_decay
    return l2_grad(p, g, weight_decay, maximize), None


def ema_square(avg, x, weight):
    """``weight * avg + (1 - weight) * x * x`` into a new array, as PyTorch computes it
    (``avg.mul_(weight).addcmul_(x, x, value=1 - weight)``)."""
    out = np.multiply(avg, weight, out=np.empty_like(avg))
    t = np.multiply(x, 1 - weight, out=np.empty_like(avg))
    np.multiply(t, x, out=t)
    return np.add(out, t, out=out)


def check_adam_options(optimizer: str, options: dict) -> None:
    """The checks of the Adam family's shared options: ``lr``, ``eps`` and ``weight_decay``
    >= 0, and ``betas`` a pair in [0, 1)."""
    check_common(optimizer, options, ("eps",))
    check_betas(optimizer, options["betas"])
    check_nonnegative(optimizer, "weight_decay", options["weight_decay"])


def adam_options(group) -> dict:
    """The Adam family's shared options of a parameter group as the keyword arguments of
    its update rules: ``lr``, ``beta1``, ``beta2``, ``eps`` and ``weight_decay`` as floats,
    and ``maximize``."""
    beta1, beta2 = (float(b) for b in group["betas"])
    return dict(
        lr=float(group["lr"]),
        beta1=beta1,
        beta2=beta2,
        eps=float(group["eps"]),
        weight_decay=float(group["weight_decay"]),
        maximize=group["maximize"],
    )
