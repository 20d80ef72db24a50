"""The transforms' array kernels: numpy arrays laid out ``(..., C, H, W)`` (or ``(..., H, W)``)
in, the same layout out -- torchvision's tensor algorithms (``_functional_tensor``), computed
in the dtypes PyTorch computes them in, so that results match torchvision's on tensors.

:mod:`.functional` calls these for numpyflow Tensors and for numpy ``H x W [x C]`` images
(moved to channels-first and back); Pillow images go to :mod:`._functional_pil`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "dims",
    "max_value",
    "pad",
    "crop",
    "resize",
    "rgb_to_grayscale",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "convert_image_dtype",
    "rotate",
    "inverse_affine_matrix",
    "erase",
    "PADDING_MODES",
    "TENSOR_INTERPOLATIONS",
]

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def dims(x) -> list:
    """``[channels, height, width]`` of a ``(..., C, H, W)`` or ``(H, W)`` array."""
    return [x.shape[-3] if x.ndim >= 3 else 1, x.shape[-2], x.shape[-1]]


def max_value(dtype) -> float:
    """The value of white: 1.0 for floats, the largest value of an integer dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max)


def _work_dtype(dtype):
    """The float dtype PyTorch computes an image of ``dtype`` in: its own if floating, else float32."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _check_channels(x, permitted, op):
    c = dims(x)[0]
    if c not in permitted:
        raise TypeError(f"{op}: input image permitted channel values are {list(permitted)}, but found {c}")


# -- geometry --------------------------------------------------------------------------


def pad(x, ltrb, fill=0, padding_mode="constant"):
    """Pad (left, top, right, bottom) around the last two dims; negative padding crops.
    ``fill`` is a number or one value per channel (axis -3)."""
    left, top, right, bottom = ltrb
    if min(ltrb) < 0:  # negative padding: crop those sides first
        x = x[..., max(-top, 0) : x.shape[-2] - max(-bottom, 0), max(-left, 0) : x.shape[-1] - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in ltrb)
    h, w = x.shape[-2:]
    if padding_mode == "constant":
        out = np.empty(x.shape[:-2] + (h + top + bottom, w + left + right), x.dtype)
        fill_arr = np.asarray(fill, dtype=np.float64)
        if fill_arr.ndim and fill_arr.size > 1:  # one value per channel
            channels = dims(x)[0]
            if fill_arr.size != channels or x.ndim < 3:
                raise ValueError(f"pad: fill has {fill_arr.size} values but the image has {channels} channels")
            fill_arr = fill_arr.reshape(-1, 1, 1)
        else:
            fill_arr = fill_arr.reshape(())
        out[...] = fill_arr.astype(x.dtype) if x.dtype.kind in "biu" else fill_arr
        out[..., top : top + h, left : left + w] = x
        return out
    if padding_mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(
            f"pad: reflect padding {(left, top, right, bottom)} must be smaller than the image size {(h, w)} (H, W)"
        )
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=padding_mode)


def crop(x, top, left, height, width):
    """The ``height x width`` window at (top, left); parts outside the image are zeros."""
    h, w = x.shape[-2:]
    if top < 0 or left < 0 or top + height > h or left + width > w:
        pad_l, pad_t = max(-left, 0), max(-top, 0)
        pad_r, pad_b = max(left + width - w, 0), max(top + height - h, 0)
        x = pad(x, (pad_l, pad_t, pad_r, pad_b))
        top, left = top + pad_t, left + pad_l
    return x[..., top : top + height, left : left + width]


# -- resampling ------------------------------------------------------------------------

_CUBIC_A = -0.75  # PyTorch's bicubic (upsample_bicubic2d)
_CUBIC_A_AA = -0.5  # PyTorch's antialiased bicubic (and PIL's)


def _cubic(x, a):
    """The cubic convolution kernel with parameter ``a`` (Keys), at ``|x|``."""
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def nearest_indices(in_size, out_size, exact):
    """Source index of each output pixel, as PyTorch's ``nearest`` / ``nearest-exact``
    (computed in float32, as its CPU kernel does)."""
    if in_size == out_size:
        return np.arange(out_size)
    if not exact and out_size == 2 * in_size:
        return np.arange(out_size) >> 1
    scale = np.float32(in_size) / np.float32(out_size)
    if exact:
        src = np.floor(((np.arange(out_size, dtype=np.float64) + 0.5) * np.float64(scale)).astype(np.float32))
    else:
        src = np.floor(np.arange(out_size, dtype=np.float32) * scale)
    return np.minimum(src.astype(np.int64), in_size - 1)


def resample_weights(in_size, out_size, interpolation, antialias, dtype):
    """An ``out x in`` matrix of interpolation weights along one axis, as PyTorch's
    ``interpolate(mode=interpolation, align_corners=False, antialias=antialias)``: half-pixel
    centres; with ``antialias`` the filter widens to the scale when shrinking (as PIL)."""
    scale = in_size / out_size
    rows = np.arange(out_size)
    weights = np.zeros((out_size, in_size), np.float64)
    if antialias:
        taps = 2 if interpolation == "bilinear" else 4
        support = taps * 0.5 * scale if scale >= 1.0 else taps * 0.5
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        center = scale * (rows + 0.5)
        xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
        xsize = np.minimum((center + support + 0.5).astype(np.int64), in_size) - xmin
        for k in range(int(xsize.max()) if out_size else 0):
            arg = (xmin + k - center + 0.5) * invscale
            w = np.maximum(1.0 - np.abs(arg), 0.0) if interpolation == "bilinear" else _cubic(arg, _CUBIC_A_AA)
            np.add.at(weights, (rows, np.minimum(xmin + k, in_size - 1)), w * (k < xsize))
        total = weights.sum(axis=1, keepdims=True)
        np.divide(weights, total, out=weights, where=total != 0)
    elif interpolation == "bilinear":
        src = np.maximum(scale * (rows + 0.5) - 0.5, 0.0)
        i0 = np.minimum(src.astype(np.int64), in_size - 1)
        i1 = np.minimum(i0 + 1, in_size - 1)
        lam = src - i0
        np.add.at(weights, (rows, i0), 1.0 - lam)
        np.add.at(weights, (rows, i1), lam)
    else:  # bicubic: four taps around the source, indices clamped at the borders
        src = scale * (rows + 0.5) - 0.5
        i0 = np.floor(src).astype(np.int64)
        t = src - i0
        for k, w in enumerate((_cubic(t + 1.0, _CUBIC_A), _cubic(t, _CUBIC_A), _cubic(1.0 - t, _CUBIC_A))):
            np.add.at(weights, (rows, np.clip(i0 - 1 + k, 0, in_size - 1)), w)
        np.add.at(weights, (rows, np.clip(i0 + 2, 0, in_size - 1)), _cubic(2.0 - t, _CUBIC_A))
    return weights.astype(dtype)


TENSOR_INTERPOLATIONS = ("nearest", "nearest-exact", "bilinear", "bicubic")


def resize(x, out_h, out_w, interpolation="bilinear", antialias=True):
    """Resample the last two dims to ``out_h x out_w``. Integer images are computed in
    float32 and rounded back to their dtype (clamped to its range), as torchvision."""
    h, w = x.shape[-2:]
    if interpolation in ("nearest", "nearest-exact"):
        exact = interpolation == "nearest-exact"
        rows, cols = nearest_indices(h, out_h, exact), nearest_indices(w, out_w, exact)
        return x[..., rows[:, None], cols[None, :]]
    work = _work_dtype(x.dtype)
    antialias = bool(antialias)
    wh = resample_weights(h, out_h, interpolation, antialias, work)
    ww = resample_weights(w, out_w, interpolation, antialias, work)
    out = wh @ x.astype(work, copy=False) @ ww.T
    return _cast_back(out, x.dtype)


def _cast_back(out, dtype):
    """A float result back to the image's ``dtype``: integers rounded and clamped."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    if dtype.kind == "b":
        return np.rint(out) != 0
    return out.astype(dtype, copy=False)


# -- colour ----------------------------------------------------------------------------


def rgb_to_grayscale(x, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (computed in float, cast back to the image's
    dtype by truncation, as torchvision); a 1-channel image is copied. With
    ``num_output_channels=3`` the luma is repeated in three channels."""
    if x.ndim < 3:
        raise TypeError(f"rgb_to_grayscale: input image should have at least 3 dimensions, but found {x.ndim}")
    _check_channels(x, (1, 3), "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if x.shape[-3] == 3:
        work = _work_dtype(x.dtype).type
        r, g, b = (x[..., k, :, :].astype(work) for k in range(3))
        gray = (work(0.2989) * r + work(0.587) * g + work(0.114) * b).astype(x.dtype)[..., None, :, :]
    else:
        gray = x.copy()
    if num_output_channels == 3:
        return np.ascontiguousarray(np.broadcast_to(gray, x.shape[:-3] + (3,) + x.shape[-2:]))
    return gray


def _blend(img1, img2, ratio):
    """``ratio * img1 + (1 - ratio) * img2``, clamped to [0, white] and cast to img1's dtype."""
    work = _work_dtype(img1.dtype).type
    ratio = float(ratio)
    out = work(ratio) * img1.astype(work) + work(1.0 - ratio) * np.asarray(img2).astype(work)
    np.clip(out, 0, max_value(img1.dtype), out=out)
    return out.astype(img1.dtype)


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(x, brightness_factor):
    """Blend with black: 0 gives black, 1 the image, 2 twice as bright (clamped)."""
    _check_factor("brightness_factor", brightness_factor)
    _check_channels(x, (1, 3), "adjust_brightness")
    return _blend(x, np.zeros((), x.dtype), brightness_factor)


def adjust_contrast(x, contrast_factor):
    """Blend with the mean gray level of each image: 0 gives a solid gray image."""
    _check_factor("contrast_factor", contrast_factor)
    _check_channels(x, (1, 3), "adjust_contrast")
    work = _work_dtype(x.dtype)
    gray = rgb_to_grayscale(x) if dims(x)[0] == 3 else x
    axes = tuple(range(-min(x.ndim, 3), 0))
    mean = np.mean(gray.astype(work), axis=axes, keepdims=True, dtype=np.float64).astype(work)
    return _blend(x, mean, contrast_factor)


def adjust_saturation(x, saturation_factor):
    """Blend with the grayscale image: 0 gives gray, 1 the image (a 1-channel image is returned as is)."""
    _check_factor("saturation_factor", saturation_factor)
    _check_channels(x, (1, 3), "adjust_saturation")
    if dims(x)[0] == 1:  # as PIL
        return x
    return _blend(x, rgb_to_grayscale(x), saturation_factor)


def _rgb_to_hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = np.ones_like(maxc)
    s = cr / np.where(eqc, one, maxc)
    cr_divisor = np.where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return h.astype(img.dtype), s, maxc


def _hsv_to_rgb(h, s, v):
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    # The sector i picks (R, G, B) from (v, q, p, t).
    r = np.choose(i, (v, q, p, p, t, v))
    g = np.choose(i, (t, v, v, q, p, p))
    b = np.choose(i, (p, p, t, v, v, q))
    return np.stack((r, g, b), axis=-3)


def adjust_hue(x, hue_factor):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]), in HSV; a 1-channel image is
    returned as is. Integer images go through float32 and back as ``convert_image_dtype``."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check_channels(x, (1, 3), "adjust_hue")
    if dims(x)[0] == 1:  # as PIL
        return x
    img = convert_image_dtype(x, np.float32)
    h, s, v = _rgb_to_hsv(img)
    h = np.mod(h + img.dtype.type(hue_factor), img.dtype.type(1.0))
    return convert_image_dtype(_hsv_to_rgb(h, s, v).astype(img.dtype, copy=False), x.dtype)


def convert_image_dtype(x, dtype):
    """Convert and rescale (torchvision's ``convert_image_dtype``): integers span [0, max],
    floats [0, 1]; float to integer multiplies by ``max + 1 - 0.001`` and truncates."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if x.dtype.kind == "f":
        if dtype.kind == "f":
            return x.astype(dtype)
        if (x.dtype == np.float32 and dtype in (np.int32, np.int64)) or (x.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {x.dtype} to {dtype} cannot be performed safely.")
        top = np.iinfo(dtype).max
        scaled = x * x.dtype.type(top + 1.0 - 1e-3)
        return np.clip(np.nan_to_num(scaled), 0, top).astype(dtype)
    in_max = max_value(x.dtype)
    if dtype.kind == "f":
        return x.astype(dtype) / dtype.type(in_max)
    out_max = max_value(dtype)
    if in_max > out_max:
        return (x // ((in_max + 1) // (out_max + 1))).astype(dtype)
    return x.astype(dtype) * dtype.type((out_max + 1) // (in_max + 1))


# -- rotation --------------------------------------------------------------------------


def inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 matrix (flattened) mapping output pixel coordinates to input ones, for a
    rotation by ``angle`` degrees, scale, shear and translation about ``center``
    (torchvision's ``_get_inverse_affine_matrix``)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _affine_output_size(matrix, w, h):
    """(width, height) that holds the whole transformed image (as PIL's ``expand``)."""
    pts = np.array(
        [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]]
    )
    new = pts.astype(np.float32) @ np.asarray(matrix, np.float32).reshape(2, 3).T
    lo = new.min(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    hi = new.max(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    tol = 1e-4  # truncate to 1e-4 so that 1e-15 above an integer does not round up
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _sample(img, ix, iy, mode):
    """``grid_sample(padding_mode='zeros', align_corners=False)`` at pixel coordinates
    (ix, iy) of shape (oh, ow), for every leading index of ``img`` (..., H, W)."""
    h, w = img.shape[-2:]
    if mode == "nearest":
        xi, yi = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)  # round half to even
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        return img[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * inside
    x0, y0 = np.floor(ix), np.floor(iy)
    tx, ty = ix - x0, iy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = 0
    for dy, wy in ((0, 1 - ty), (1, ty)):
        for dx, wx in ((0, 1 - tx), (1, tx)):
            xs, ys = x0 + dx, y0 + dy
            inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            out = out + img[..., np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)] * (wx * wy * inside)
    return out


def rotate(x, angle, interpolation="nearest", expand=False, center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (x, y in pixels; the
    image centre by default), as torchvision's tensor ``rotate``: an affine grid sampled
    with zeros outside, then ``fill`` (a number or one per channel) where no input pixel
    landed (nearest: where less than half did; bilinear: blended by coverage)."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"rotate: interpolation should be nearest or bilinear for tensors, got {interpolation}")
    h, w = x.shape[-2:]
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, (w, h))]
    matrix = inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    work = _work_dtype(x.dtype).type
    # Output pixel centres relative to the output's centre, mapped by the matrix
    # normalised by the input's size (torchvision's affine grid), then unnormalised to
    # input pixel coordinates as grid_sample does.
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=work)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=work)[:, None]
    theta = np.asarray(matrix, work).reshape(2, 3).T / np.array([0.5 * w, 0.5 * h], work)  # (3, 2)
    gx = xs * theta[0, 0] + ys * theta[1, 0] + theta[2, 0]
    gy = xs * theta[0, 1] + ys * theta[1, 1] + theta[2, 1]
    ix = ((gx + work(1)) * work(w) - work(1)) / work(2)
    iy = ((gy + work(1)) * work(h) - work(1)) / work(2)
    img = x.astype(work, copy=False)
    out = _sample(img, ix, iy, interpolation).astype(work, copy=False)
    if fill is not None:
        coverage = _sample(np.ones((h, w), work), ix, iy, interpolation).astype(work, copy=False)
        fill_arr = np.asarray(fill, work).reshape(-1)
        if fill_arr.size > 1:
            channels = dims(x)[0]
            if fill_arr.size != channels or x.ndim < 3:
                raise ValueError(f"rotate: fill has {fill_arr.size} values but the image has {channels} channels")
            fill_arr = fill_arr.reshape(-1, 1, 1)
        else:
            fill_arr = fill_arr.reshape(())
        if interpolation == "nearest":
            out = np.where(coverage < 0.5, fill_arr, out)
        else:
            out = out * coverage + (work(1.0) - coverage) * fill_arr
    return _cast_back(out, x.dtype)


def erase(x, i, j, h, w, v, inplace=False):
    """``x`` with the ``h x w`` window at (i, j) replaced by ``v`` (broadcast over it)."""
    out = x if inplace else x.copy()
    out[..., i : i + h, j : j + w] = v
    return out
