"""``interpolate``: nearest, nearest-exact and (bi/tri)linear resizing of the spatial
dims, with PyTorch's source-index rules reproduced exactly (see ``_resample`` for how
the resampling and its derivatives of every order are computed).  uint8 images take the
nearest modes and ``bilinear``, the latter in PyTorch's integer fixed-point arithmetic."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..backend import array_module
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


def _uint8_linear_weights(out_size, in_size, scale, align_corners):
    """PyTorch's uint8 ``bilinear`` weights along one axis (``_compute_indices_min_size_weights``
    and ``_compute_index_ranges_int16_weights``): source index ``i0`` and integer weights
    ``(w0, w1)`` for ``i0`` and ``i0 + 1``, with their precision in bits.  The weights are
    found in float64 and rounded to int16 fixed point with as many bits as the largest fits."""
    if align_corners:
        ratio = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        real = ratio * np.arange(out_size, dtype=np.float64)
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
        real = np.maximum(ratio * (np.arange(out_size, dtype=np.float64) + 0.5) - 0.5, 0.0)
    # guard_index_and_lambda: floorf of the float64 index, clamped
    i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), in_size - 1)
    lam = np.clip(real - i0, 0.0, 1.0)
    tent = lambda t: np.where(np.abs(t) < 1.0, 1.0 - np.abs(t), 0.0)  # noqa: E731 - the linear filter
    w0, w1 = tent(-lam), tent(1.0 - lam)
    last = i0 == in_size - 1  # one source left: both weights on it
    w0, w1 = np.where(last, w0 + w1, w0), np.where(last, 0.0, w1)
    top = float(max(w0.max(), w1.max())) if out_size else 0.0
    bits = 0
    while bits < 22 and int(0.5 + top * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    fixed = lambda w: np.trunc(w * (1 << bits) + 0.5).astype(np.int64)  # noqa: E731 - weights are >= 0
    return i0, np.minimum(i0 + 1, in_size - 1), fixed(w0), fixed(w1), bits


def _uint8_bilinear(x, sizes, scales, align_corners):
    """``bilinear`` resizing of a uint8 array as PyTorch's CPU kernels do it: separable
    passes in integer fixed point, the last axis first, each pass rounded to uint8."""
    xp = array_module(x)
    out = x
    for d in reversed(range(x.ndim - 2)):
        axis, n_in, n_out = d + 2, x.shape[d + 2], sizes[d]
        if n_in == n_out:
            continue
        i0, i1, w0, w1, bits = _uint8_linear_weights(n_out, n_in, scales[d], align_corners)
        shape = [1] * x.ndim
        shape[axis] = n_out
        w0, w1 = xp.asarray(w0.reshape(shape)), xp.asarray(w1.reshape(shape))
        acc = xp.take(out, xp.asarray(i0), axis=axis).astype(np.int64) * w0
        acc += xp.take(out, xp.asarray(i1), axis=axis) * w1
        acc += 1 << (bits - 1)
        out = xp.clip(acc >> bits, 0, 255).astype(np.uint8)
    return out.copy() if out is x else out


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
    if dtype.kind != "f" and not (dtype == np.uint8 and mode in ("nearest", "nearest-exact", "bilinear")):
        raise NotImplementedError(
            f"{op}: mode '{mode}' is not implemented for {input.dtype} input (expected a floating-point "
            f"input{', or uint8' if mode in ('nearest', 'nearest-exact', 'bilinear') else ''})"
        )
    if mode == "bilinear" and dtype == np.uint8:  # not differentiable: uint8 never requires grad
        return Tensor._make(_uint8_bilinear(input._data, sizes, scales, align_corners))
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
