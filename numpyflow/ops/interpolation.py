"""``interpolate``: nearest, nearest-exact and (bi/tri)linear resizing of the spatial
dims, with PyTorch's source-index rules reproduced exactly (see ``_resample`` for how
the resampling and its derivatives of every order are computed)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..tensor import Tensor
from ._resample import AxisPlan, Resample, TakePlan

__all__ = ["interpolate"]


class Upsample(Resample):
    """Nearest or (bi/tri)linear interpolation and its adjoint."""


def _nearest_indices(out_size, in_size, scale, exact):
    """PyTorch's ``nearest_idx`` / ``nearest_neighbor_exact_compute_source_index``: the
    source index as ``floor(dst * scale)`` (or ``floor((dst + 0.5) * scale)``) in float32,
    clamped; sizes equal or doubling are integer shortcuts, as in PyTorch."""
    dst = np.arange(out_size)
    if not exact:
        if out_size == in_size:
            return dst
        if out_size == 2 * in_size:
            return dst >> 1
    s = _float_scale(in_size, out_size, scale, np.float32)
    pos = dst.astype(np.float32) + np.float32(0.5) if exact else dst.astype(np.float32)
    src = np.floor(pos * s).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _float_scale(in_size, out_size, scale, dtype):
    """``compute_scales_value``: ``1 / scale_factor`` when one was given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(in_size) / dtype(out_size)


def _linear_taps(out_size, in_size, scale, align_corners, dtype):
    """PyTorch's ``compute_source_index_and_lambda`` in the input's float type: two
    source indices and their weights per output position."""
    if out_size == in_size:
        return None  # an identity axis
    t = np.dtype(dtype).type
    if align_corners:
        ratio = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
        real = ratio * np.arange(out_size).astype(dtype)
    else:
        ratio = _float_scale(in_size, out_size, scale, t)
        pos = np.arange(out_size).astype(dtype) + t(0.5)
        if np.dtype(dtype).itemsize < 8:
            # PyTorch's CPU kernel is compiled with fused multiply-add: ratio * pos - 0.5
            # is rounded once.  The float64 product of two float32 numbers is exact, so
            # rounding the float64 result to float32 gives the same value.
            real = (np.float64(ratio) * pos.astype(np.float64) - 0.5).astype(dtype)
        else:
            real = ratio * pos - t(0.5)
        real = np.maximum(real, t(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.clip(real - i0.astype(dtype), t(0), t(1)).astype(dtype)
    lam0 = (t(1) - lam1).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, lam0, lam1


_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _output_size(shape, size, scale_factor, recompute, dim):
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size.")
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if len(sizes) != dim:
            raise ValueError(
                f"interpolate: Input and output must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(shape[2:])} and output size of {size}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                "(o1, o2, ...,oK) format."
            )
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sizes):
            raise TypeError(
                f"interpolate: expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                f"Tuple[int, int, int], but got size with types {[type(s) for s in sizes]}"
            )
        return [int(s) for s in sizes], [None] * dim
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    scales = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * dim
    if len(scales) != dim:
        raise ValueError(
            f"interpolate: Input and scale_factor must have the same number of spatial dimensions, but "
            f"got input with spatial dimensions of {list(shape[2:])} and scale_factor of shape "
            f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format."
        )
    scales = [float(s) for s in scales]
    sizes = [int(math.floor(float(n) * s)) for n, s in zip(shape[2:], scales)]
    return sizes, ([None] * dim if recompute else scales)


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial dims of an (N, C, d1, ...) input: ``mode`` 'nearest' or
    'nearest-exact' (3-, 4- or 5-D), 'linear' (3-D), 'bilinear' (4-D) or 'trilinear'
    (5-D), with PyTorch's exact source-index rules (``align_corners`` for the linear
    modes; a given ``scale_factor`` sets the coordinate scale unless
    ``recompute_scale_factor``)."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    nearest = mode in ("nearest", "nearest-exact")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    nd = input._data.ndim
    if mode in ("area", "bicubic", "lanczos"):
        raise NotImplementedError(
            f"{op}: mode '{mode}' is not supported (use nearest, nearest-exact, linear, bilinear or trilinear)"
        )
    if not nearest and mode not in _LINEAR_MODES:
        raise NotImplementedError(
            f"{op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for "
            f"the modes: nearest | linear | bilinear | trilinear | nearest-exact (got {mode})"
        )
    if nd not in (3, 4, 5):
        raise NotImplementedError(
            f"{op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for "
            f"the modes: nearest | linear | bilinear | trilinear | nearest-exact (got {mode})"
        )
    if not nearest and _LINEAR_MODES[mode] != nd:
        need = {3: "linear", 4: "bilinear", 5: "trilinear"}[nd]
        raise NotImplementedError(
            f"{op}: Got {nd}D input, but {mode} mode needs {_LINEAR_MODES[mode]}D input (use mode='{need}' for {nd}D)"
        )
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    shape = tuple(input._data.shape)
    sizes, scales = _output_size(shape, size, scale_factor, bool(recompute_scale_factor), nd - 2)
    for s in sizes:
        if s <= 0:
            raise RuntimeError(
                f"{op}: Input and output sizes should be greater than 0, but got input "
                f"{list(shape[2:])} and output {sizes}"
            )
    dtype = input._data.dtype
    if not nearest and dtype.kind != "f":
        raise RuntimeError(f"{op}: {mode} interpolation needs a floating-point input, got {input.dtype}")
    plan = []
    # innermost axis first: the same order of operations as PyTorch's kernels
    for d in reversed(range(nd - 2)):
        axis, n_in, n_out, scale = d + 2, shape[d + 2], sizes[d], scales[d]
        if nearest:
            idx = _nearest_indices(n_out, n_in, scale, mode == "nearest-exact")
            if n_out == n_in and np.array_equal(idx, np.arange(n_in)):
                continue
            plan.append(AxisPlan(axis, [(TakePlan(idx, n_in), None)]))
        else:
            taps = _linear_taps(n_out, n_in, scale, align_corners, dtype)
            if taps is None:
                continue
            i0, i1, lam0, lam1 = taps
            plan.append(AxisPlan(axis, [(TakePlan(i0, n_in), lam0), (TakePlan(i1, n_in), lam1)]))
    return Upsample.apply(input, plan, False)
