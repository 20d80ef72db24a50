"""``torch.utils.dlpack``'s two functions: hand a tensor to another library, or take
one from it, without copying."""

from __future__ import annotations

from ..creation import from_dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory, to be consumed once (by
    ``torch.utils.dlpack.from_dlpack``, ``nf.from_dlpack``, ...)."""
    return tensor.__dlpack__()
