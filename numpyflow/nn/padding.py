"""Padding layers over ``F.pad``, with PyTorch's constructor signatures, ``padding``
attributes (the flat widths, last dim first) and ``extra_repr``: ``ReflectionPad1d/2d/3d``,
``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``, ``ZeroPad1d/2d/3d`` and
``ConstantPad1d/2d/3d``."""

from __future__ import annotations

from . import functional as F
from .module import Module


def _widths(padding, n):
    """PyTorch's ``_pair``/``_quadruple``/``_ntuple(6)``: a sequence as a tuple, an int
    repeated ``n`` times."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n


class _PadNd(Module):
    _mode = ""
    _widths = 0

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._widths)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim by reflecting the input at its edges (the edge is not repeated)."""

    _mode, _widths = "reflect", 2


class ReflectionPad2d(_PadNd):
    """Pad the last two dims by reflecting the input at its edges."""

    _mode, _widths = "reflect", 4


class ReflectionPad3d(_PadNd):
    """Pad the last three dims by reflecting the input at its edges."""

    _mode, _widths = "reflect", 6


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge values."""

    _mode, _widths = "replicate", 2


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating the edge values."""

    _mode, _widths = "replicate", 4


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating the edge values."""

    _mode, _widths = "replicate", 6


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping the input around."""

    _mode, _widths = "circular", 2


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping the input around."""

    _mode, _widths = "circular", 4


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping the input around."""

    _mode, _widths = "circular", 6


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant ``value``."""

    _widths = 2


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant ``value``."""

    _widths = 4


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant ``value``."""

    _widths = 6


class _ZeroPad:
    """A constant pad with zeros, its repr just the widths."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dim with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last two dims with zeros."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pad the last three dims with zeros."""


__all__ = [
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]
