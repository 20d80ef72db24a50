"""The transform classes, as ``torchvision.transforms`` (v1): each is a callable with its
parameters as attributes, calling the functions of :mod:`.functional`.

Random transforms draw from numpyflow's global generator, in the order torchvision draws
from PyTorch's, so ``nf.manual_seed`` repeats them (also inside DataLoader workers).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

import numpyflow as nf

from . import _functional_pil as F_pil
from . import functional as F
from .functional import InterpolationMode

__all__ = [
    "Compose",
    "ToTensor",
    "PILToTensor",
    "ToPILImage",
    "ConvertImageDtype",
    "Normalize",
    "Lambda",
    "Pad",
    "Resize",
    "CenterCrop",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomRotation",
    "Grayscale",
    "RandomGrayscale",
    "ColorJitter",
    "RandomErasing",
    "BatchRandomCrop",
    "BatchRandomHorizontalFlip",
    "InterpolationMode",
]


def _uniform(low, high) -> float:
    """One float32 draw from U(low, high) on the global generator (``torch.empty(1).uniform_``)."""
    return nf.empty(1).uniform_(float(low), float(high)).item()


def _randint(high) -> int:
    """One draw from 0..high-1 on the global generator (``torch.randint(0, high, (1,))``)."""
    return int(nf.randint(0, high, (1,)).item())


def _coin(p) -> bool:
    """True with probability ``p`` (``torch.rand(1) < p``)."""
    return nf.rand(1).item() < p


def _check_batch(batch, op):
    if not isinstance(batch, nf.Tensor) or batch.dim() != 4:
        got = f"shape {tuple(batch.shape)}" if isinstance(batch, nf.Tensor) else type(batch).__name__
        raise ValueError(f"{op}: expected a batch of images, a Tensor of shape (N, C, H, W), got {got}")


# -- containers and conversions ----------------------------------------------------------


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """A Pillow image or an ``H x W [x C]`` numpy array -> ``C x H x W`` tensor; uint8 (and
    8-bit Pillow modes) become float32 in [0, 1] (divided by 255), other dtypes keep their
    values and dtype."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    """A Pillow image -> ``C x H x W`` tensor of its pixel values, unscaled (uint8 for 8-bit modes)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToPILImage:
    """A ``C x H x W`` tensor or ``H x W [x C]`` array -> Pillow image (needs Pillow). Floats
    are scaled by 255 and truncated to uint8 unless ``mode='F'``; ``mode`` defaults to what
    the channels and dtype say (L, LA, RGB, RGBA; I, I;16 or F for one channel)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{type(self).__name__}({'' if self.mode is None else f'mode={self.mode}'})"


class ConvertImageDtype:
    """Convert a tensor image to ``dtype``, rescaling the values (floats in [0, 1], integers
    in [0, max])."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"{type(self).__name__}(dtype={self.dtype})"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


# -- geometry ------------------------------------------------------------------------------


class Pad:
    """Pad the image's borders (see :func:`~.functional.pad`)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        F.parse_padding(padding)
        F.check_fill(fill)
        F.check_padding_mode(padding_mode)
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class Resize:
    """Resize to ``size``: an int matches the smaller edge (aspect ratio kept, as
    torchvision), a pair (h, w) sets both. Bilinear by default, antialiased when
    shrinking (torchvision's default)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not (
            isinstance(size, numbers.Integral)
            and not isinstance(size, bool)
            or isinstance(size, Sequence)
            and len(size) in (1, 2)
        ):
            raise TypeError(f"Size should be int or sequence of one or two ints. Got {size!r}")
        self.size = size
        self.interpolation = F.interpolation_mode(interpolation)
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (
            f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


class CenterCrop:
    """The central ``size`` region (zero padding when the image is smaller)."""

    def __init__(self, size):
        self.size = F.setup_size(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """A random ``size`` region, after optional padding (torchvision's semantics:
    ``pad_if_needed`` pads both sides of a too-small edge by the shortfall)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = F.setup_size(size, "RandomCrop")
        if padding is not None:
            F.parse_padding(padding)
        F.check_padding_mode(padding_mode)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop, drawn from the global generator."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(h - th + 1)
        j = _randint(w - tw + 1)
        return i, j, th, tw

    def _padded(self, img):
        """``img`` with ``padding``, then (``pad_if_needed``) with the shortfall."""
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return img

    def __call__(self, img):
        F.check_image(img, "RandomCrop")
        img = self._padded(img)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """A random region of a random area (``scale``, a fraction of the image's) and aspect
    ratio (``ratio``, drawn log-uniformly), resized to ``size``: torchvision's
    Inception-style crop, with its ten tries and its central-crop fallback."""

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        self.size = F.setup_size(size, "RandomResizedCrop")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width) of the random region, drawn from the global generator."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = np.log(np.asarray(ratio, np.float32))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = float(np.exp(np.float32(_uniform(log_ratio[0], log_ratio[1]))))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(height - h + 1)
                j = _randint(width - w + 1)
                return i, j, h, w
        # Fall back to a central crop of the aspect ratio nearest the image's.
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        F.check_image(img, "RandomResizedCrop")
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self):
        scale = tuple(round(s, 4) for s in self.scale)
        ratio = tuple(round(r, 4) for r in self.ratio)
        return (
            f"{type(self).__name__}(size={self.size}, scale={scale}, ratio={ratio}, "
            f"interpolation={self.interpolation.value}, antialias={self.antialias})"
        )


class _RandomFlip:
    """Apply the functional flip ``_flip`` with probability ``p`` (one draw from the global
    generator)."""

    _flip = ""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if _coin(self.p):
            return getattr(F, self._flip)(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left to right with probability ``p`` (one draw from the global generator)."""

    _flip = "hflip"


class RandomVerticalFlip(_RandomFlip):
    """Mirror top to bottom with probability ``p``."""

    _flip = "vflip"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (a number d means (-d, d)),
    counter-clockwise, about ``center`` (the image centre by default); ``expand`` grows the
    output to hold the whole image; uncovered pixels get ``fill``. Nearest by default."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = [-float(degrees), float(degrees)]
        elif isinstance(degrees, Sequence) and len(degrees) == 2:
            degrees = [float(d) for d in degrees]
        else:
            raise ValueError(f"If degrees is a sequence, it must be of len 2. Got {degrees!r}")
        if center is not None and not (isinstance(center, Sequence) and len(center) == 2):
            raise ValueError("If center is a sequence, it must be of len 2.")
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.degrees = degrees
        self.interpolation = F.interpolation_mode(interpolation)
        self.expand = expand
        self.center = center
        self.fill = fill

    @staticmethod
    def get_params(degrees):
        """The angle, drawn from the global generator."""
        return float(_uniform(degrees[0], degrees[1]))

    def __call__(self, img):
        F.check_image(img, "RandomRotation")
        fill = self.fill
        if not F_pil.is_pil_image(img):  # tensors and arrays: one fill value per channel
            channels = F.get_dimensions(img)[0]
            fill = [float(fill)] * channels if isinstance(fill, numbers.Number) else [float(f) for f in fill]
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        text = f"{type(self).__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}"
        text += f", expand={self.expand}"
        if self.center is not None:
            text += f", center={self.center}"
        if self.fill is not None:
            text += f", fill={self.fill}"
        return text + ")"


# -- colour --------------------------------------------------------------------------------


class Grayscale:
    """RGB to gray with 1 or 3 (identical) output channels."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Gray (keeping the number of channels) with probability ``p``."""

    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        channels = F.get_dimensions(img)[0]
        if _coin(self.p):
            return F.rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class ColorJitter:
    """Random brightness, contrast, saturation and hue, applied in a random order.

    ``brightness``, ``contrast`` and ``saturation`` are a number b (the factor is drawn from
    [max(0, 1 - b), 1 + b]) or a range (min, max); ``hue`` is a number h in [0, 0.5] (the
    shift is drawn from [-h, h]) or a range within [-0.5, 0.5]. 0 leaves that property alone.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # nothing to do
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order, brightness, contrast, saturation, hue): a permutation of the four
        adjustments and the factors (None where not asked for), from the global generator."""
        fn_idx = nf.randperm(4)
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def __call__(self, img):
        fn_idx, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx.tolist():
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def __repr__(self):
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


# -- tensor-only ---------------------------------------------------------------------------


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a tensor image (Zhong et al.,
    2017): its area a fraction in ``scale`` of the image's, its aspect ratio drawn
    log-uniformly from ``ratio``; filled with ``value`` (a number, one per channel, or
    ``'random'`` for standard-normal noise). Ten tries, then the image is left as it is."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(top, left, height, width, values) of the rectangle; ``value=None`` draws normal
        noise. After ten misses: the whole image and the image itself (a no-op erase)."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = np.log(np.asarray(ratio, np.float32))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = float(np.exp(np.float32(_uniform(log_ratio[0], log_ratio[1]))))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = nf.randn(img_c, h, w)
            else:
                v = nf.tensor(value, dtype=nf.float32)[:, None, None]
            i = _randint(img_h - h + 1)
            j = _randint(img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not isinstance(img, nf.Tensor):
            raise TypeError(f"RandomErasing: img should be a Tensor image (C, H, W), got {type(img).__name__}")
        if _coin(self.p):
            if isinstance(self.value, numbers.Number):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError(
                    "If value is a sequence, it should have either a single value or "
                    f"{img.shape[-3]} (number of input channels)"
                )
            i, j, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, i, j, h, w, v, self.inplace)
        return img

    def __repr__(self):
        return (
            f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )


# -- batches -------------------------------------------------------------------------------


class BatchRandomCrop(RandomCrop):
    """:class:`RandomCrop` for each image of a batch ``(N, C, H, W)``: the batch is padded
    as RandomCrop pads one image, then every image gets its own random window."""

    @staticmethod
    def get_params(batch, output_size):
        """(tops, lefts, height, width): one window per image, ``tops`` and ``lefts`` int64
        Tensors of length N drawn from the global generator (nothing drawn when the crop
        is the whole image, as :meth:`RandomCrop.get_params`)."""
        n, _, h, w = batch.shape
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return nf.zeros(n, dtype=nf.int64), nf.zeros(n, dtype=nf.int64), h, w
        tops = nf.randint(0, h - th + 1, (n,))
        lefts = nf.randint(0, w - tw + 1, (n,))
        return tops, lefts, th, tw

    def __call__(self, batch):
        _check_batch(batch, "BatchRandomCrop")
        batch = self._padded(batch)
        tops, lefts, h, w = self.get_params(batch, self.size)
        x = batch.detach().numpy()
        windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(2, 3))  # (N, C, top, left, h, w)
        return nf.as_tensor(windows[np.arange(len(x)), :, tops.numpy(), lefts.numpy()])


class BatchRandomHorizontalFlip:
    """:class:`RandomHorizontalFlip` for each image of a batch ``(N, C, H, W)``: each is
    mirrored with probability ``p`` (one draw per image from the global generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, batch):
        _check_batch(batch, "BatchRandomHorizontalFlip")
        flipped = nf.rand(batch.shape[0]).numpy() < self.p
        x = batch.detach().numpy()
        return nf.as_tensor(np.where(flipped[:, None, None, None], x[..., ::-1], x))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"
