"""Image transforms, as ``torchvision.transforms`` -- without PIL.

Images are numpy arrays laid out like PIL images, ``H x W`` or ``H x W x C`` (what the
datasets in :mod:`numpyflow.vision.datasets` return), or numpyflow Tensors laid out
``(..., C, H, W)`` (what :class:`ToTensor` returns). Geometric transforms accept both
and return the kind they got. Random transforms draw from numpyflow's global generator,
so ``nf.manual_seed`` repeats them, also inside DataLoader workers.

:class:`BatchRandomCrop` and :class:`BatchRandomHorizontalFlip` work on a whole batch
``(N, C, H, W)`` at once, drawing one set of parameters per image (a per-image transform
applied to each sample, vectorised): use them on collated batches, e.g. in a DataLoader's
``collate_fn``, where per-sample transforms would cost a Python call per image.

The functions behind the classes are in ``transforms.functional`` (``F.pad``, ``F.crop``,
``F.resize``, ...), as in torchvision.
"""

from __future__ import annotations

import enum
import numbers
import sys
import types
from collections.abc import Sequence

import numpy as np

import numpyflow as nf

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Pad",
    "Resize",
    "CenterCrop",
    "Lambda",
    "InterpolationMode",
    "BatchRandomCrop",
    "BatchRandomHorizontalFlip",
]


class InterpolationMode(enum.Enum):
    """How :class:`Resize` computes pixels between the input's."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


# -- helpers ---------------------------------------------------------------------------


def _check_image(img, op):
    if isinstance(img, nf.Tensor):
        if img.dim() < 2:
            raise ValueError(f"{op}: expected a tensor image of shape (..., H, W), got shape {tuple(img.shape)}")
        return
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{op}: expected an image array of shape (H, W) or (H, W, C), got shape {img.shape}")
        return
    raise TypeError(f"{op}: expected a numpy array (H, W[, C]) or a Tensor (..., C, H, W), got {type(img).__name__}")


def _check_batch(batch, op):
    if not isinstance(batch, nf.Tensor) or batch.dim() != 4:
        got = f"shape {tuple(batch.shape)}" if isinstance(batch, nf.Tensor) else type(batch).__name__
        raise ValueError(f"{op}: expected a batch of images, a Tensor of shape (N, C, H, W), got {got}")


def get_dimensions(img):
    """``[channels, height, width]`` of an image array or tensor."""
    if isinstance(img, nf.Tensor):
        shape = tuple(img.shape)
        return [shape[-3] if len(shape) >= 3 else 1, shape[-2], shape[-1]]
    if img.ndim == 2:
        return [1, img.shape[0], img.shape[1]]
    return [img.shape[2], img.shape[0], img.shape[1]]


def _as_numpy(img):
    """The image's values as numpy, plus how to wrap a result like the input."""
    if isinstance(img, nf.Tensor):
        return img.detach().numpy(), True
    return img, False


def _wrap(arr, was_tensor):
    return nf.from_numpy(np.ascontiguousarray(arr)) if was_tensor else arr


def _hw_axes(arr, was_tensor):
    """The (height, width) axes: the last two of a tensor, the first two of an array."""
    return (arr.ndim - 2, arr.ndim - 1) if was_tensor else (0, 1)


def _setup_size(size, what):
    """(h, w) from an int or a 1- or 2-element sequence."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{what}: size should be an int or a sequence of one or two ints (h, w), got {size!r}")


def _parse_padding(padding):
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


_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


# -- functional ------------------------------------------------------------------------


def to_tensor(pic):
    """``H x W`` or ``H x W x C`` array -> ``C x H x W`` tensor; uint8 is scaled to
    float32 in [0, 1], other dtypes keep their values and dtype (as torchvision)."""
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be a numpy array (H x W or H x W x C). Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    chw = pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)
    if pic.dtype == np.uint8:
        out = np.empty(chw.shape, np.float32)
        np.divide(chw, np.float32(255), out=out)
        return nf.from_numpy(out)
    return nf.from_numpy(np.ascontiguousarray(chw))


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
        return tensor.sub_(nf.from_numpy(m)).div_(nf.from_numpy(s))
    return nf.from_numpy((x - m) / s)


def _check_mean_std(m, s, channels, dtype):
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    for name, v in (("mean", m), ("std", s)):
        if v.size not in (1, channels):
            raise ValueError(f"Normalize: got {v.size} values of {name} for an image with {channels} channels")


def crop(img, top, left, height, width):
    """The ``height x width`` region at (``top``, ``left``); parts outside the image are 0."""
    _check_image(img, "crop")
    _, h, w = get_dimensions(img)
    if top < 0 or left < 0 or top + height > h or left + width > w:  # pad with zeros, as torchvision
        pad_l, pad_t = max(-left, 0), max(-top, 0)
        pad_r, pad_b = max(left + width - w, 0), max(top + height - h, 0)
        img = pad(img, [pad_l, pad_t, pad_r, pad_b], fill=0)
        top, left = top + pad_t, left + pad_l
    if isinstance(img, nf.Tensor):
        return img[..., top : top + height, left : left + width]
    return img[top : top + height, left : left + width].copy()


def center_crop(img, output_size):
    """The central ``output_size`` region (zero padding first if the image is smaller)."""
    _check_image(img, "center_crop")
    crop_height, crop_width = _setup_size(output_size, "center_crop")
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
    _check_image(img, "pad")
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"Got inappropriate fill arg: {fill!r} (expected a number or a tuple)")
    left, top, right, bottom = _parse_padding(padding)
    arr, was_tensor = _as_numpy(img)
    ha, wa = _hw_axes(arr, was_tensor)
    if min(left, top, right, bottom) < 0:  # negative padding: crop those sides first
        sl = [slice(None)] * arr.ndim
        sl[ha] = slice(max(-top, 0), arr.shape[ha] - max(-bottom, 0))
        sl[wa] = slice(max(-left, 0), arr.shape[wa] - max(-right, 0))
        arr = arr[tuple(sl)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    widths = [(0, 0)] * arr.ndim
    widths[ha], widths[wa] = (top, bottom), (left, right)
    if padding_mode == "constant":
        shape = list(arr.shape)
        shape[ha] += top + bottom
        shape[wa] += left + right
        out = np.empty(shape, arr.dtype)
        fill_arr = np.asarray(fill, dtype=np.float64)
        if fill_arr.ndim and fill_arr.size > 1:  # one value per channel
            channels = get_dimensions(img)[0]
            if fill_arr.size != channels:
                raise ValueError(f"pad: fill has {fill_arr.size} values but the image has {channels} channels")
            fill_arr = fill_arr.reshape(-1, 1, 1) if was_tensor else fill_arr.reshape(-1)
        elif fill_arr.ndim:
            fill_arr = fill_arr.reshape(())
        out[...] = fill_arr.astype(arr.dtype) if arr.dtype.kind in "biu" else fill_arr
        sl = [slice(None)] * arr.ndim
        sl[ha] = slice(top, top + arr.shape[ha])
        sl[wa] = slice(left, left + arr.shape[wa])
        out[tuple(sl)] = arr
    else:
        if (
            padding_mode == "reflect"
            and max(top, bottom) >= arr.shape[ha]
            or padding_mode == "reflect"
            and max(left, right) >= arr.shape[wa]
        ):
            raise ValueError(
                f"pad: reflect padding {(left, top, right, bottom)} must be smaller than the image "
                f"size {(arr.shape[ha], arr.shape[wa])} (H, W)"
            )
        out = np.pad(arr, widths, mode=padding_mode)
    return _wrap(out, was_tensor)


def hflip(img):
    """Mirror left to right."""
    _check_image(img, "hflip")
    if isinstance(img, nf.Tensor):
        return img.flip(-1)
    return img[:, ::-1].copy()


def vflip(img):
    """Mirror top to bottom."""
    _check_image(img, "vflip")
    if isinstance(img, nf.Tensor):
        return img.flip(-2)
    return img[::-1].copy()


def _resized_size(h, w, size, max_size):
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


def _linear_weights(in_size, out_size, antialias, dtype):
    """An ``out x in`` matrix of bilinear interpolation weights (half-pixel centres, as
    torch's ``interpolate(mode='bilinear', align_corners=False)``); with ``antialias``
    the triangle filter widens to the scale when shrinking (as PIL and torchvision)."""
    scale = in_size / out_size
    rows = np.arange(out_size)
    weights = np.zeros((out_size, in_size), np.float64)
    if antialias:
        support = scale if scale >= 1.0 else 1.0
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        center = scale * (rows + 0.5)
        xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
        xsize = np.minimum((center + support + 0.5).astype(np.int64), in_size) - xmin
        for k in range(int(xsize.max()) if out_size else 0):
            valid = k < xsize
            j = np.minimum(xmin + k, in_size - 1)
            w = np.maximum(1.0 - np.abs((xmin + k - center + 0.5) * invscale), 0.0) * valid
            np.add.at(weights, (rows, j), w)
        total = weights.sum(axis=1, keepdims=True)
        np.divide(weights, total, out=weights, where=total != 0)
    else:
        src = np.maximum(scale * (rows + 0.5) - 0.5, 0.0)
        i0 = np.minimum(src.astype(np.int64), in_size - 1)
        i1 = np.minimum(i0 + 1, in_size - 1)
        lam = src - i0
        np.add.at(weights, (rows, i0), 1.0 - lam)
        np.add.at(weights, (rows, i1), lam)
    return weights.astype(dtype)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (an int sets the smaller edge, keeping the aspect ratio; (h, w)
    sets both). Bilinear (antialiased when shrinking, as torchvision's default) or nearest.
    Integer images are rounded back to their dtype."""
    _check_image(img, "resize")
    mode = InterpolationMode(
        interpolation.value if isinstance(interpolation, InterpolationMode) else str(interpolation).lower()
    )
    _, h, w = get_dimensions(img)
    out_h, out_w = _resized_size(h, w, size, max_size)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"Resize: output size {(out_h, out_w)} must be positive (input {(h, w)})")
    if (out_h, out_w) == (h, w):
        return img
    arr, was_tensor = _as_numpy(img)
    # Work in (..., H, W) layout.
    x = arr if was_tensor or arr.ndim == 2 else arr.transpose(2, 0, 1)
    if mode is InterpolationMode.NEAREST:
        rows = np.minimum(np.floor(np.arange(out_h) * (h / out_h)).astype(np.int64), h - 1)
        cols = np.minimum(np.floor(np.arange(out_w) * (w / out_w)).astype(np.int64), w - 1)
        out = x[..., rows[:, None], cols[None, :]]
    else:
        work = np.float64 if x.dtype == np.float64 else np.float32
        wh = _linear_weights(h, out_h, antialias, work)
        ww = _linear_weights(w, out_w, antialias, work)
        out = wh @ x.astype(work, copy=False) @ ww.T
        if x.dtype.kind in "biu":
            info = np.iinfo(x.dtype) if x.dtype.kind != "b" else None
            out = np.rint(out)
            if info is not None:
                out = np.clip(out, info.min, info.max)
            out = out.astype(x.dtype)
        elif out.dtype != x.dtype:
            out = out.astype(x.dtype)
    if not was_tensor and arr.ndim == 3:
        out = out.transpose(1, 2, 0)
    return _wrap(np.ascontiguousarray(out), was_tensor)


# -- transforms ------------------------------------------------------------------------


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
    """``H x W`` or ``H x W x C`` numpy array -> ``C x H x W`` tensor; uint8 becomes
    float32 in [0, 1] (divided by 255), float arrays keep their values and dtype."""

    def __call__(self, pic):
        return to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        return normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Pad:
    """Pad the image's borders (see :func:`pad`)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        _parse_padding(padding)
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError(f"Got inappropriate fill arg: {fill!r} (expected a number or a tuple)")
        if padding_mode not in _PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """A random ``size`` region, after optional padding (torchvision's semantics:
    ``pad_if_needed`` pads both sides of a too-small edge by the shortfall)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size, "RandomCrop")
        if padding is not None:
            _parse_padding(padding)
        if padding_mode not in _PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random crop, drawn from the global generator."""
        _, h, w = get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = int(nf.randint(0, h - th + 1, (1,)).item())
        j = int(nf.randint(0, w - tw + 1, (1,)).item())
        return i, j, th, tw

    def _padded(self, img):
        """``img`` with ``padding``, then (``pad_if_needed``) with the shortfall."""
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return img

    def __call__(self, img):
        _check_image(img, "RandomCrop")
        img = self._padded(img)
        i, j, h, w = self.get_params(img, self.size)
        return crop(img, i, j, h, w)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


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
        return nf.from_numpy(windows[np.arange(len(x)), :, tops.numpy(), lefts.numpy()])


class RandomHorizontalFlip:
    """Mirror left to right with probability ``p`` (one draw from the global generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if nf.rand(1).item() < self.p:
            return hflip(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class BatchRandomHorizontalFlip:
    """:class:`RandomHorizontalFlip` for each image of a batch ``(N, C, H, W)``: each is
    mirrored with probability ``p`` (one draw per image from the global generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, batch):
        _check_batch(batch, "BatchRandomHorizontalFlip")
        flipped = nf.rand(batch.shape[0]).numpy() < self.p
        x = batch.detach().numpy()
        return nf.from_numpy(np.where(flipped[:, None, None, None], x[..., ::-1], x))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror top to bottom with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if nf.rand(1).item() < self.p:
            return vflip(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class Resize:
    """Resize to ``size``: an int matches the smaller edge (aspect ratio kept, as
    torchvision), a pair (h, w) sets both. Bilinear by default, antialiased when
    shrinking (torchvision's default); ``interpolation='nearest'`` for nearest."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not (
            isinstance(size, numbers.Integral)
            and not isinstance(size, bool)
            or isinstance(size, Sequence)
            and len(size) in (1, 2)
        ):
            raise TypeError(f"Size should be int or sequence of one or two ints. Got {size!r}")
        self.size = size
        self.interpolation = InterpolationMode(
            interpolation.value if isinstance(interpolation, InterpolationMode) else str(interpolation).lower()
        )
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (
            f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


class CenterCrop:
    """The central ``size`` region (zero padding when the image is smaller)."""

    def __init__(self, size):
        self.size = _setup_size(size, "CenterCrop")

    def __call__(self, img):
        return center_crop(img, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


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


# ``transforms.functional``, importable as in torchvision:
#     import numpyflow.vision.transforms.functional as F
functional = types.ModuleType(__name__ + ".functional", "The functions behind the transforms.")
for _name in (
    "to_tensor",
    "normalize",
    "crop",
    "center_crop",
    "pad",
    "hflip",
    "vflip",
    "resize",
    "get_dimensions",
    "InterpolationMode",
):
    setattr(functional, _name, globals()[_name])
sys.modules[functional.__name__] = functional
del _name
