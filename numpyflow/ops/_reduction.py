"""The ``reduction`` argument of the losses, shared by the loss modules: PyTorch's
names, its deprecated ``size_average`` / ``reduce`` flags, and the reduction itself."""

from __future__ import annotations

import warnings

from .reduction import mean as _mean
from .reduction import sum as _sum

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, stacklevel=3):
    """PyTorch's mapping of the deprecated ``size_average`` / ``reduce`` flags."""
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='"
        f"{'none' if reduce is False else ('sum' if size_average is False else 'mean')}' instead.",
        UserWarning,
        stacklevel=stacklevel,
    )
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def reduction_arg(reduction, size_average=None, reduce=None):
    """``reduction`` checked (``'none'``, ``'mean'`` or ``'sum'``), or the one the
    deprecated flags ask for (with PyTorch's warning)."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce, stacklevel=4)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss, reduction):
    """The elementwise ``loss`` reduced as ``reduction`` says."""
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss
