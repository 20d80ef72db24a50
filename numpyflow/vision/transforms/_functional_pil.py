"""The transforms on Pillow images (``PIL.Image.Image`` in, ``PIL.Image.Image`` out), as
torchvision's ``_functional_pil``: Pillow does the work, so results are torchvision's.

Pillow is optional (``pip install 'numpyflow[vision]'``): nothing here imports it until an
image has to be made, and :func:`is_pil_image` never imports it (no object can be a PIL
image before PIL is imported).
"""

from __future__ import annotations

import importlib
import numbers
import sys

import numpy as np

__all__ = [
    "available",
    "pil",
    "is_pil_image",
    "get_dimensions",
    "fromarray",
    "like",
    "hflip",
    "vflip",
    "crop",
    "pad",
    "resize",
    "rotate",
    "to_grayscale",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "parse_fill",
    "PIL_INTERPOLATION",
]

# InterpolationMode values -> Pillow's resampling filters (Image.Resampling).
PIL_INTERPOLATION = {
    "nearest": 0,
    "nearest-exact": 0,
    "lanczos": 1,
    "bilinear": 2,
    "bicubic": 3,
    "box": 4,
    "hamming": 5,
}

_available = None


def available() -> bool:
    """Whether Pillow can be imported (tried once, when first asked)."""
    global _available
    if _available is None:
        try:
            importlib.import_module("PIL.Image")
            _available = True
        except ImportError:
            _available = False
    return _available


def pil(what: str):
    """The ``PIL.Image`` module, or an ImportError saying that ``what`` needs Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            f"{what} needs Pillow, which is not installed: pip install pillow (or pip install 'numpyflow[vision]')"
        ) from None
    return Image


def is_pil_image(obj) -> bool:
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(obj, module.Image)


def get_dimensions(img) -> list:
    return [len(img.getbands()), img.height, img.width]


def fromarray(arr, mode=None):
    """A Pillow image of the array ``arr`` (H x W or H x W x C), in ``mode`` when given
    (for modes Pillow does not infer from the dtype, e.g. HSV, YCbCr, CMYK, I;16)."""
    Image = pil("making a PIL image")
    arr = np.ascontiguousarray(arr)
    img = Image.fromarray(arr)
    if mode is not None and img.mode != mode:
        img = Image.frombytes(mode, img.size, arr.tobytes())
    return img


def like(arr, template):
    """The array ``arr`` as an image of ``template``'s mode (and palette)."""
    if template.mode in ("P", "PA"):
        img = fromarray(arr)
        img.putpalette(template.getpalette())
        return img
    if template.mode == "1":
        return fromarray(arr.astype(bool))
    return fromarray(arr, template.mode)


def hflip(img):
    return img.transpose(pil("hflip").Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(pil("vflip").Transpose.FLIP_TOP_BOTTOM)


def crop(img, top, left, height, width):
    """PIL's crop: parts outside the image are zeros."""
    return img.crop((left, top, left + width, top + height))


def parse_fill(fill, img):
    """A fill colour for ``img``: one value per band (a number repeated), ints unless mode F."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, numbers.Number) and bands > 1:
        fill = (fill,) * bands
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError(
                f"The number of elements in 'fill' does not match the number of channels of the image "
                f"({len(fill)} != {bands})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(v) for v in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def pad(img, ltrb, fill=0, padding_mode="constant"):
    """Pad (left, top, right, bottom); negative padding crops. Constant padding is
    ``ImageOps.expand``; the other modes numpy's ``pad`` on the pixels, as torchvision."""
    left, top, right, bottom = ltrb
    if padding_mode == "constant":
        from PIL import ImageOps

        out = ImageOps.expand(img, border=(left, top, right, bottom), fill=parse_fill(fill, img))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    if min(ltrb) < 0:
        cl, ct, cr, cb = (max(-p, 0) for p in ltrb)
        img = img.crop((cl, ct, img.width - cr, img.height - cb))
        left, top, right, bottom = (max(p, 0) for p in ltrb)
    arr = np.asarray(img)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    return like(np.pad(arr, widths, mode=padding_mode), img)


def resize(img, height, width, interpolation):
    return img.resize((width, height), PIL_INTERPOLATION[interpolation])


def rotate(img, angle, interpolation, expand, center, fill):
    if interpolation not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"rotate: interpolation {interpolation} is not supported for PIL images")
    return img.rotate(
        angle, PIL_INTERPOLATION[interpolation], expand=expand, center=center, fillcolor=parse_fill(fill, img)
    )


def to_grayscale(img, num_output_channels):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    img = img.convert("L")
    if num_output_channels == 3:
        gray = np.asarray(img)
        img = fromarray(np.dstack([gray, gray, gray]))
    return img


def _enhance(kind, img, factor):
    from PIL import ImageEnhance

    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, factor):
    return _enhance("Brightness", img, factor)


def adjust_contrast(img, factor):
    return _enhance("Contrast", img, factor)


def adjust_saturation(img, factor):
    return _enhance("Color", img, factor)


def adjust_hue(img, hue_factor):
    """Shift the H band of the HSV image by ``hue_factor * 255`` (wrapping), as torchvision;
    gray and float images are returned unchanged."""
    if img.mode in ("L", "1", "I", "F"):
        return img
    Image = pil("adjust_hue")
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.array(np.int32(hue_factor * 255)).astype(np.uint8)  # wraps around, as intended
    return Image.merge("HSV", (fromarray(np_h), s, v)).convert(mode)
