"""PyTorch's ``torch.nn._reduction``: the deprecated ``size_average`` / ``reduce`` flags
of the losses as a ``reduction`` string."""

from __future__ import annotations

from ..ops._reduction import legacy_reduction


def legacy_get_string(size_average, reduce, emit_warning=True):
    """``'none'``, ``'mean'`` or ``'sum'`` for the deprecated flags (None means True)."""
    if emit_warning:
        return legacy_reduction(size_average, reduce, stacklevel=4)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"
