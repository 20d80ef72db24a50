"""Spatial-transformer sampling: ``grid_sample`` (bilinear / nearest, padding ``zeros``,
``border``, ``reflection``, 4-D and 5-D inputs) and ``affine_grid`` (2-D and 3-D), with
``torch.nn.functional``'s signatures, warnings and formulas.

Both are compositions of differentiable ops: the sampling positions' integer parts are
fixed indices, the fractional parts weigh the gathered corners, so gradients of every
order (to the input and to the grid) come from theirs."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..tensor import Tensor
from .elementwise import clamp, where

__all__ = ["grid_sample", "affine_grid"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details."
)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    coord = (coord - low).abs()
    flips = np.floor(coord.detach().numpy() / span)
    extra = coord - Tensor._make((flips * span).astype(coord._data.dtype))
    even = Tensor._make(np.mod(flips, 2) == 0)
    return where(even, extra + low, (span - extra) + low)


def _source_coordinate(coord, size, padding_mode, align_corners):
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = clamp(coord, 0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        coord = clamp(coord, 0, size - 1)
    return coord


def _gather(input, corner, sizes):
    """``input[n, c, corner...]`` for integer ``corner`` arrays (N, *out), zero outside."""
    n, c = input.shape[0], input.shape[1]
    valid = np.ones(corner[0].shape, bool)
    flat = np.zeros(corner[0].shape, np.int64)
    for idx, size in zip(corner, sizes):
        valid &= (idx >= 0) & (idx < size)
        flat = flat * size + np.clip(idx, 0, size - 1)
    out_shape = corner[0].shape[1:]
    index = np.broadcast_to(flat.reshape(n, 1, -1), (n, c, flat[0].size)).copy()
    values = input.reshape(n, c, -1).gather(2, Tensor._make(index)).reshape(n, c, *out_shape)
    return values, Tensor._make(valid.reshape(n, 1, *out_shape).astype(input._data.dtype))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at the normalised positions
    ``grid`` (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), ``(x, y[, z])`` in
    [-1, 1]; positions outside are padded by ``padding_mode``."""
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError("grid_sample(): arguments 'input' and 'grid' must be Tensors")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not supported by NumpyFlow yet")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if nd not in (2, 3) or grid.dim() != input.dim() or grid.shape[-1] != nd:
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions and grid's last "
            f"dimension {nd}, but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
            f"{list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.dtype != input.dtype:
        raise RuntimeError(
            f"grid_sampler(): expected input and grid to have same dtype, but input has {input.dtype} "
            f"and grid has {grid.dtype}"
        )
    sizes = tuple(input.shape[2:])  # (D,) H, W
    # grid component k is the coordinate along spatial dim nd - 1 - k (x is width)
    coords = [_source_coordinate(grid[..., nd - 1 - d], sizes[d], padding_mode, align_corners) for d in range(nd)]
    if mode == "nearest":
        corner = [np.rint(c.detach().numpy()).astype(np.int64) for c in coords]
        values, valid = _gather(input, corner, sizes)
        return values * valid
    lows = [np.floor(c.detach().numpy()).astype(np.int64) for c in coords]
    fracs = [(c - Tensor._make(lo.astype(c._data.dtype))).unsqueeze(1) for c, lo in zip(coords, lows)]
    out = None
    for bits in itertools.product((0, 1), repeat=nd):
        weight = None
        for bit, frac in zip(bits, fracs):
            w = frac if bit else 1 - frac
            weight = w if weight is None else weight * w
        values, valid = _gather(input, [lo + bit for lo, bit in zip(lows, bits)], sizes)
        term = values * (weight * valid)
        out = term if out is None else out + term
    return out


def _linspace(steps, align_corners, dtype):
    if steps <= 1:  # a unit dimension sits at the centre, 0
        return np.zeros(max(steps, 0), dtype)
    line = np.linspace(-1.0, 1.0, steps)
    if not align_corners:
        line = line * (steps - 1) / steps
    return line.astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta``
    (N, 2, 3) or (N, 3, 4), for an output of ``size`` (N, C, H, W) or (N, C, D, H, W)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' must be Tensor, not {type(theta).__name__}")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {theta.shape}."
            )
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {theta.shape}."
            )
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    if min(spatial) == 1 and align_corners:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. "
            "This is not an intended use case of affine_grid. See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    dtype = theta._data.dtype
    lines = [_linspace(s, align_corners, dtype) for s in spatial]
    mesh = np.meshgrid(*lines, indexing="ij")  # (D,) H, W
    base = np.stack([m for m in reversed(mesh)] + [np.ones_like(mesh[0])], axis=-1)  # x, y(, z), 1
    points = Tensor._make(base.reshape(-1, len(spatial) + 1))
    grid = points @ theta.transpose(1, 2)  # (N, P, nd)
    return grid.reshape(size[0], *spatial, len(spatial))
