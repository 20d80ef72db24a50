"""Likelihood losses, with ``torch.nn.functional``'s signatures and PyTorch's formulas:
``kl_div``, ``poisson_nll_loss``, ``gaussian_nll_loss``.

Each is a composition of differentiable ops, so gradients of every order come from
theirs.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..tensor import Tensor
from ._reduction import reduce_loss, reduction_arg
from .elementwise import clamp, exp, log, where
from .reduction import sum as _sum
from .shape import unsqueeze

__all__ = ["kl_div", "poisson_nll_loss", "gaussian_nll_loss"]


def _xlogy_self(t):
    """``t * log(t)``, 0 where ``t`` is 0 (PyTorch's ``xlogy(t, t)``)."""
    positive = t > 0
    return where(positive, t * log(where(positive, t, t * 0 + 1)), t * 0)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence ``target * (log(target) - input)`` of log-probabilities
    ``input`` from ``target`` (probabilities, or log-probabilities with ``log_target``).
    ``reduction='batchmean'`` divides the sum by the batch size, the divergence's definition;
    ``'mean'`` divides by every element, with PyTorch's warning."""
    for what, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"kl_div(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if size_average is not None or reduce is not None:
        reduction = reduction_arg(reduction, size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            UserWarning,
            stacklevel=2,
        )
    elif reduction != "batchmean":
        reduction_arg(reduction)
    loss = exp(target) * (target - input) if log_target else _xlogy_self(target) - target * input
    if reduction == "batchmean":
        total = _sum(loss)
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, reduction)


def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    """The negative log-likelihood of ``target`` under a Poisson distribution of rate
    ``exp(input)`` (``log_input``) or ``input``; ``full`` adds Stirling's approximation of
    ``log(target!)`` where ``target > 1``."""
    reduction = reduction_arg(reduction, size_average, reduce)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        big = target > 1
        safe = where(big, target, target * 0 + 2)
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        loss = loss + where(big, stirling, stirling * 0)
    return reduce_loss(loss, reduction)


def _var_shape(input, var):
    """``var`` brought to ``input``'s dims: one variance per sample (``input``'s shape
    without its last dim) gains a last dim of 1."""
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return unsqueeze(var, -1)
    if tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """The negative log-likelihood ``0.5 * (log(var) + (input - target) ** 2 / var)`` of
    ``target`` under a Gaussian of mean ``input`` and variance ``var`` (a tensor of
    ``input``'s shape, one variance per sample, or a number); ``var`` is clamped to at
    least ``eps`` in value only, as PyTorch clamps it."""
    if isinstance(var, numbers.Real):
        var = input.detach() * 0 + float(var)
    else:
        var = _var_shape(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var.detach() < 0).any()):
        raise ValueError("var has negative entry/entries")
    fixed = var.detach()
    var = var + (clamp(fixed, min=eps) - fixed)  # the clamp moves the value, not the gradient
    loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
