"""``Conv2d`` and ``ConvTranspose2d`` (defined with the 1-D and 3-D layers, on their
shared base, in ``conv_nd``)."""

from __future__ import annotations

from .conv_nd import Conv2d, ConvTranspose2d

__all__ = ["Conv2d", "ConvTranspose2d"]
