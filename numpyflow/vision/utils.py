"""Image utilities, as ``torchvision.utils``: :func:`make_grid` tiles a batch of images into
one image; :func:`save_image` writes that grid to an image file (through Pillow)."""

from __future__ import annotations

import math

import numpy as np

import numpyflow as nf

from .transforms import _functional_pil as F_pil

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch of images ``(B, C, H, W)`` (or a list of ``(C, H, W)`` tensors) into one
    image ``(C, H', W')``, as torchvision's ``make_grid``.

    The grid has ``min(nrow, B)`` columns and ``ceil(B / nrow)`` rows of cells, filled row by
    row; ``padding`` pixels of ``pad_value`` go around and between the images, so the grid is
    ``(rows * (H + padding) + padding) x (cols * (W + padding) + padding)``; cells left over
    in the last row stay ``pad_value``. Gray images (1 channel, or ``(H, W)``) become three
    identical channels. A single image is returned as it is, without padding.

    With ``normalize``, values are clamped to ``value_range`` (min, max) -- by default the
    batch's own min and max, or each image's with ``scale_each`` -- and mapped onto [0, 1].
    The grid has the input's dtype; nothing is recorded for autograd.
    """
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, nf.Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        x = np.stack([t.detach().numpy(force=True) for t in tensor])
    elif isinstance(tensor, nf.Tensor):
        x = tensor.detach().numpy(force=True)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")

    if x.ndim == 2:  # a single image H x W
        x = x[None]
    if x.ndim == 3:  # a single image C x H x W
        if x.shape[0] == 1:
            x = np.concatenate([x, x, x], axis=0)
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected images of shape (B, C, H, W), (C, H, W) or (H, W), got shape {x.shape}")
    if x.shape[1] == 1:  # gray images
        x = np.concatenate([x, x, x], axis=1)

    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if x.dtype.kind != "f":
            raise TypeError(f"make_grid: normalize=True needs floating-point images, got {x.dtype}")
        x = x.copy()  # never change the caller's images

        def norm_range(t):
            low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
            np.clip(t, low, high, out=t)
            t -= t.dtype.type(low)
            t /= t.dtype.type(max(high - low, 1e-5))

        if scale_each is True:
            for t in x:  # each image of the batch
                norm_range(t)
        else:
            norm_range(x)

    if x.shape[0] == 1:
        return nf.from_numpy(np.ascontiguousarray(x[0]))

    nmaps = x.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(x.shape[2] + padding), int(x.shape[3] + padding)
    grid = np.full((x.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=x.dtype)
    for k in range(nmaps):
        y0, x0 = (k // xmaps) * height + padding, (k % xmaps) * width + padding
        grid[:, y0 : y0 + height - padding, x0 : x0 + width - padding] = x[k]
    return nf.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor image, or a batch as one :func:`make_grid` image (``kwargs`` go to
    make_grid), to ``fp`` (a path or a binary file object) through Pillow -- PNG unless
    ``format`` or the file name says otherwise. Values in [0, 1] become 0..255, rounded to
    the nearest integer and clamped, as torchvision's."""
    Image = F_pil.pil("save_image")
    grid = make_grid(tensor, **kwargs).numpy()
    work = grid.dtype.type if grid.dtype.kind == "f" else np.float32
    scaled = np.nan_to_num(grid.astype(work, copy=False) * work(255) + work(0.5))
    pixels = np.clip(scaled, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image = Image.fromarray(np.ascontiguousarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels))
    image.save(fp, format=format)
