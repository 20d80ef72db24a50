"""The functions behind the transforms, as ``torchvision.transforms.functional``.

Every function takes the image kinds torchvision takes and returns the kind it got:

- a **Pillow image** (``PIL.Image.Image``): Pillow does the work, as in torchvision;
- a **Tensor** ``(..., C, H, W)``: torchvision's tensor algorithms, in the same dtypes;
- a **numpy array** ``H x W`` or ``H x W x C`` (numpyflow's stand-in for a Pillow image
  where Pillow is not installed): the tensor algorithms on its pixels, returned as an array.

Pillow is optional: only functions that make a Pillow image (``to_pil_image``) need it.
"""

from __future__ import annotations

import enum
import numbers
import sys
import warnings
from collections.abc import Sequence

import numpy as np

import numpyflow as nf

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t

__all__ = [
    "InterpolationMode",
    "get_dimensions",
    "get_image_size",
    "get_image_num_channels",
    "to_tensor",
    "pil_to_tensor",
    "to_pil_image",
    "to_pil_array",
    "convert_image_dtype",
    "normalize",
    "crop",
    "center_crop",
    "pad",
    "hflip",
    "vflip",
    "resize",
    "resized_crop",
    "rotate",
    "rgb_to_grayscale",
    "to_grayscale",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "erase",
]


class InterpolationMode(enum.Enum):
    """How resampling computes pixels between the input's. Tensors and arrays take
    NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC; Pillow images take all."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_CONSTANTS = {0: "nearest", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming", 1: "lanczos"}


def interpolation_mode(value) -> InterpolationMode:
    """An InterpolationMode from the enum, its value (``'bilinear'``) or a Pillow constant (2)."""
    if isinstance(value, InterpolationMode):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if int(value) not in _PIL_CONSTANTS:
            raise ValueError(f"interpolation: {value} is not a Pillow resampling constant (0-5)")
        return InterpolationMode(_PIL_CONSTANTS[int(value)])
    if isinstance(value, str):
        try:
            return InterpolationMode(value.lower())
        except ValueError:
            pass
    names = ", ".join(m.value for m in InterpolationMode)
    raise TypeError(f"interpolation should be an InterpolationMode (or one of {names}), got {value!r}")


# -- image kinds -----------------------------------------------------------------------


def check_image(img, op):
    """Raise unless ``img`` is a Pillow image, an H x W [x C] array or a (..., H, W) Tensor."""
    if isinstance(img, nf.Tensor):
        if img.dim() < 2:
            raise ValueError(f"{op}: expected a tensor image of shape (..., H, W), got shape {tuple(img.shape)}")
        return
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{op}: expected an image array of shape (H, W) or (H, W, C), got shape {img.shape}")
        return
    if F_pil.is_pil_image(img):
        return
    raise TypeError(
        f"{op}: expected a PIL Image, a numpy array (H, W[, C]) or a Tensor (..., C, H, W), got {type(img).__name__}"
    )


def _wrap_tensor(arr, like):
    out = nf.as_tensor(np.ascontiguousarray(arr))
    return out if like.device.type == "cpu" else out.to(like.device)


def _apply(img, kernel, *args):
    """``kernel`` (on ``(..., C, H, W)`` arrays) applied to a Tensor or an H x W [x C] array,
    returning the same kind."""
    if isinstance(img, nf.Tensor):
        return _wrap_tensor(kernel(img.detach().numpy(force=True), *args), img)
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    out = kernel(chw, *args)
    if img.ndim == 2 and out.shape[0] == 1:
        return np.ascontiguousarray(out[0])
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def get_dimensions(img) -> list:
    """``[channels, height, width]`` of an image."""
    if F_pil.is_pil_image(img):
        return F_pil.get_dimensions(img)
    if isinstance(img, nf.Tensor):
        return F_t.dims(img)
    if img.ndim == 2:
        return [1, img.shape[0], img.shape[1]]
    return [img.shape[2], img.shape[0], img.shape[1]]


def get_image_size(img) -> list:
    """``[width, height]`` of an image (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# -- conversions -----------------------------------------------------------------------

# Pillow modes whose pixels are not uint8 (torchvision's table).
_PIL_NPTYPE = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16, "F": np.float32}


def to_tensor(pic):
    """A Pillow image or an ``H x W [x C]`` array as a ``C x H x W`` tensor: uint8 pixels
    (and 8-bit Pillow modes) become float32 in [0, 1]; other dtypes (modes I, I;16, F)
    keep their values and dtype, as torchvision."""
    if F_pil.is_pil_image(pic):
        arr = np.array(pic, _PIL_NPTYPE.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        chw = arr.reshape(pic.height, pic.width, len(pic.getbands())).transpose(2, 0, 1)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        chw = pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if chw.dtype == np.uint8:
        out = np.empty(chw.shape, np.float32)
        np.divide(chw, np.float32(255), out=out)
        return nf.as_tensor(out)
    return nf.as_tensor(np.ascontiguousarray(chw))


def pil_to_tensor(pic):
    """A Pillow image as a ``C x H x W`` tensor of its pixel values, unscaled (uint8 for
    8-bit modes; 16-bit images become int32, numpyflow having no uint16)."""
    if not F_pil.is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if arr.dtype == np.uint16 or arr.dtype.byteorder == ">":
        arr = arr.astype(np.int32)
    return nf.as_tensor(np.ascontiguousarray(arr.reshape(pic.height, pic.width, -1).transpose(2, 0, 1)))


def _float_to_uint8(arr):
    """``(arr * 255)`` truncated to uint8, out-of-range values wrapping modulo 256 (what
    torchvision's cast gives on x86, made explicit so numpy does not warn)."""
    scaled = np.nan_to_num(arr * np.float32(255) if arr.dtype == np.float32 else arr * 255.0)
    scaled = np.clip(np.trunc(scaled), -(2.0**62), 2.0**62)
    return (scaled.astype(np.int64) & 255).astype(np.uint8)


def _pil_mode(npimg, mode):
    """The Pillow mode for an H x W x C array (torchvision's rules)."""
    channels = npimg.shape[2]
    if channels == 1:
        expected = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
        }.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. Should be {expected}")
        return expected
    permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
    if mode is not None and mode not in permitted:
        raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
    if mode is None and npimg.dtype == np.uint8:
        mode = permitted[0]
    return mode


def to_pil_image(pic, mode=None):
    """A ``C x H x W`` tensor or an ``H x W [x C]`` array as a Pillow image. Float values
    are scaled by 255 and truncated to uint8 (unless ``mode='F'``); the mode follows from
    the channels and dtype (L, LA, RGB, RGBA; I, I;16, F for one channel) unless given."""
    npimg = _to_hwc(pic, mode)
    pil_mode = _pil_mode(npimg, mode)
    if pil_mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return F_pil.fromarray(npimg[:, :, 0] if npimg.shape[2] == 1 else npimg, pil_mode)


def to_pil_array(pic, mode=None):
    """The pixels :func:`to_pil_image` makes an image of, as a numpy array laid out like
    that image (``H x W`` for one channel, ``H x W x C`` otherwise) -- ``to_pil_image``
    for where Pillow is not installed."""
    npimg = _to_hwc(pic, mode)
    if _pil_mode(npimg, mode) is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return np.ascontiguousarray(npimg[:, :, 0] if npimg.shape[2] == 1 else npimg)


def _to_hwc(pic, mode=None):
    """to_pil_image's pixels: an H x W x C array, floats scaled to uint8 (unless mode F)."""
    if isinstance(pic, nf.Tensor):
        arr = pic.detach().numpy(force=True)
        if arr.ndim == 3:
            arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
    if arr.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    if arr.dtype.kind == "f" and mode != "F":
        arr = _float_to_uint8(arr)
    return arr


def convert_image_dtype(image, dtype=nf.float32):
    """Convert a tensor image to ``dtype``, rescaling: floats span [0, 1], integers
    [0, max of the dtype]."""
    if not isinstance(image, nf.Tensor):
        raise TypeError("Input img should be Tensor Image")
    return _wrap_tensor(F_t.convert_image_dtype(image.detach().numpy(force=True), nf.dtypes.to_numpy(dtype)), image)


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean[c]) / std[c]`` for each channel ``c`` of a ``(..., C, H, W)`` tensor."""
    if not isinstance(tensor, nf.Tensor):
        raise TypeError(f"Normalize: input tensor should be a numpyflow Tensor. Got {type(tensor)}.")
    if not tensor.is_floating_point():
        raise TypeError(f"Normalize: input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError(
            f"Normalize: expected tensor to be a tensor image of size (..., C, H, W). "
            f"Got tensor.size() = {tuple(tensor.shape)}"
        )

    channels = tensor.shape[-3]
    if tensor.requires_grad or tensor.device.type != "cpu":
        # Through numpyflow's ops: differentiable, and on the tensor's device.
        def column(v):
            v = v.tolist() if isinstance(v, nf.Tensor) else v
            return nf.as_tensor(v, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)

        m, s = column(mean), column(std)
        _check_mean_std(m.numpy(force=True), s.numpy(force=True), channels, tensor.dtype)
        if inplace:
            return tensor.sub_(m).div_(s)
        return (tensor - m) / s
    x = tensor.numpy()

    def as_array(v):
        return v.numpy(force=True) if isinstance(v, nf.Tensor) else v

    m = np.asarray(as_array(mean), dtype=x.dtype).reshape(-1, 1, 1)
    s = np.asarray(as_array(std), dtype=x.dtype).reshape(-1, 1, 1)
    _check_mean_std(m, s, channels, tensor.dtype)
    if inplace:
        return tensor.sub_(nf.as_tensor(m)).div_(nf.as_tensor(s))
    return nf.as_tensor((x - m) / s)


def _check_mean_std(m, s, channels, dtype):
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    for name, v in (("mean", m), ("std", s)):
        if v.size not in (1, channels):
            raise ValueError(f"Normalize: got {v.size} values of {name} for an image with {channels} channels")


# -- geometry --------------------------------------------------------------------------


def setup_size(size, what):
    """(h, w) from an int or a 1- or 2-element sequence."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{what}: size should be an int or a sequence of one or two ints (h, w), got {size!r}")


def parse_padding(padding):
    """(left, top, right, bottom) from torchvision's padding spellings."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and not isinstance(padding, str):
        if len(padding) == 1:
            p = int(padding[0])
            return p, p, p, p
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        if len(padding) == 4:
            return tuple(int(p) for p in padding)
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    raise TypeError(f"Got inappropriate padding arg: {padding!r} (expected an int or a sequence of ints)")


def check_fill(fill):
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate fill arg: {fill!r} (expected a number or a tuple)")


def check_padding_mode(padding_mode):
    if padding_mode not in F_t.PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


def crop(img, top, left, height, width):
    """The ``height x width`` region at (``top``, ``left``); parts outside the image are 0."""
    check_image(img, "crop")
    if F_pil.is_pil_image(img):
        return F_pil.crop(img, top, left, height, width)
    _, h, w = get_dimensions(img)
    if isinstance(img, nf.Tensor) and top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return img[..., top : top + height, left : left + width]  # a view, as torchvision's
    return _apply(img, F_t.crop, top, left, height, width)


def center_crop(img, output_size):
    """The central ``output_size`` region (zero padding first if the image is smaller)."""
    check_image(img, "center_crop")
    crop_height, crop_width = setup_size(output_size, "center_crop")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` is one int (all sides), (left/right, top/bottom) or
    (left, top, right, bottom); ``padding_mode`` one of constant (with ``fill``, a
    number or one value per channel), edge, reflect (mirror without repeating the edge)
    or symmetric (mirror repeating the edge). Negative padding crops."""
    check_image(img, "pad")
    check_padding_mode(padding_mode)
    check_fill(fill)
    ltrb = parse_padding(padding)
    if F_pil.is_pil_image(img):
        return F_pil.pad(img, ltrb, fill, padding_mode)
    return _apply(img, F_t.pad, ltrb, fill, padding_mode)


def hflip(img):
    """Mirror left to right."""
    check_image(img, "hflip")
    if F_pil.is_pil_image(img):
        return F_pil.hflip(img)
    if isinstance(img, nf.Tensor):
        return img.flip(-1)
    return img[:, ::-1].copy()


def vflip(img):
    """Mirror top to bottom."""
    check_image(img, "vflip")
    if F_pil.is_pil_image(img):
        return F_pil.vflip(img)
    if isinstance(img, nf.Tensor):
        return img.flip(-2)
    return img[::-1].copy()


def resized_size(h, w, size, max_size):
    """torchvision's output size: an int (or 1-sequence) sets the smaller edge and keeps
    the aspect ratio (longer edge truncated); a pair is (h, w)."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = [int(size)]
    if not isinstance(size, Sequence) or len(size) not in (1, 2):
        raise ValueError(f"Resize: size should be an int or a sequence of one or two ints, got {size!r}")
    if len(size) == 2:
        if max_size is not None:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller edge, "
                "i.e. size should be an int or a sequence of length 1"
            )
        return int(size[0]), int(size[1])
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(
                f"max_size = {max_size} must be strictly greater than the requested size for the "
                f"smaller edge size = {size}"
            )
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return new_h, new_w


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (an int sets the smaller edge, keeping the aspect ratio; (h, w)
    sets both). Tensors and arrays: bilinear or bicubic (antialiased when shrinking, as
    torchvision's default), nearest or nearest-exact, as ``torch.nn.functional.interpolate``;
    integer images are rounded back to their dtype. Pillow images: Pillow's ``resize``."""
    check_image(img, "resize")
    mode = interpolation_mode(interpolation)
    _, h, w = get_dimensions(img)
    out_h, out_w = resized_size(h, w, size, max_size)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"Resize: output size {(out_h, out_w)} must be positive (input {(h, w)})")
    if (out_h, out_w) == (h, w):
        return img
    if F_pil.is_pil_image(img):
        if antialias is False:
            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.",
                stacklevel=2,
            )
        return F_pil.resize(img, out_h, out_w, mode.value)
    if mode.value not in F_t.TENSOR_INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation {mode.value} is supported for PIL images only; tensors and arrays "
            f"take {', '.join(F_t.TENSOR_INTERPOLATIONS)}"
        )
    return _apply(img, F_t.resize, out_h, out_w, mode.value, antialias)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` ((x, y) in pixels, the
    image centre by default); ``expand`` grows the output to hold the whole rotated image.
    Pixels from outside the image are ``fill`` (zeros when None). Tensors and arrays:
    nearest or bilinear, torchvision's affine-grid sampling; Pillow images: ``Image.rotate``."""
    check_image(img, "rotate")
    mode = interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not (isinstance(center, (list, tuple)) and len(center) == 2):
        raise TypeError("Argument center should be a sequence of two numbers (x, y)")
    if fill is not None and not isinstance(fill, (numbers.Number, list, tuple)):
        raise TypeError("Argument fill should be a number or a sequence of numbers")
    if F_pil.is_pil_image(img):
        return F_pil.rotate(img, angle, mode.value, expand, center, fill)
    return _apply(img, F_t.rotate, angle, mode.value, expand, center, fill)


# -- colour ----------------------------------------------------------------------------


def rgb_to_grayscale(img, num_output_channels=1):
    """Gray ``(..., 1 or 3, H, W)`` from RGB: Pillow's ``convert('L')`` for Pillow images,
    ``0.2989 R + 0.587 G + 0.114 B`` (truncated back to the dtype) for tensors and arrays."""
    check_image(img, "rgb_to_grayscale")
    if F_pil.is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return _apply(img, F_t.rgb_to_grayscale, num_output_channels)


def to_grayscale(img, num_output_channels=1):
    """:func:`rgb_to_grayscale` for Pillow images (torchvision's PIL-only spelling)."""
    if not F_pil.is_pil_image(img):
        raise TypeError(f"Input should be PIL Image. Got {type(img)}")
    return F_pil.to_grayscale(img, num_output_channels)


def _colour(img, name, factor):
    check_image(img, name)
    if F_pil.is_pil_image(img):
        if name != "adjust_hue" and factor < 0:
            raise ValueError(f"{name.replace('adjust_', '')}_factor ({factor}) is not non-negative.")
        if name == "adjust_hue" and not -0.5 <= factor <= 0.5:
            raise ValueError(f"hue_factor ({factor}) is not in [-0.5, 0.5].")
        return getattr(F_pil, name)(img, factor)
    return _apply(img, getattr(F_t, name), factor)


def adjust_brightness(img, brightness_factor):
    """0 gives black, 1 the image, 2 twice as bright (clamped)."""
    return _colour(img, "adjust_brightness", brightness_factor)


def adjust_contrast(img, contrast_factor):
    """0 gives solid gray (the image's mean gray level), 1 the image, 2 twice the contrast."""
    return _colour(img, "adjust_contrast", contrast_factor)


def adjust_saturation(img, saturation_factor):
    """0 gives the grayscale image, 1 the image, 2 twice the saturation."""
    return _colour(img, "adjust_saturation", saturation_factor)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` turns of the colour wheel, in [-0.5, 0.5]."""
    return _colour(img, "adjust_hue", hue_factor)


def erase(img, i, j, h, w, v, inplace=False):
    """A tensor image with its ``h x w`` window at (i, j) set to ``v`` (a number or a tensor
    broadcastable to ``(C, h, w)``)."""
    if not isinstance(img, nf.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    values = v.detach().numpy(force=True) if isinstance(v, nf.Tensor) else np.asarray(v)
    if inplace:
        with nf.no_grad():
            img[..., i : i + h, j : j + w] = nf.as_tensor(np.ascontiguousarray(values, dtype=img.dtype.numpy))
        return img
    return _wrap_tensor(F_t.erase(img.detach().numpy(force=True), i, j, h, w, values), img)
