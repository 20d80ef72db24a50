"""transforms.functional: each function on the three image kinds (Pillow images, Tensors,
numpy H x W [x C] arrays), its values against torch's own ops where torch computes the same
thing (``interpolate``, ``grid_sample``), against independent references (``colorsys``, numpy,
``np.rot90``) or hand-computed expectations otherwise.

torchvision is not installed here. Where a test says "torchvision's tensor algorithm", the
reference is written from torchvision 0.2x's ``_functional_tensor.py`` in torch ops (its
luma weights 0.2989/0.587/0.114 truncated back to the dtype, ``_blend`` clamped to [0, 1] or
[0, 255], hue through HSV, rotation as an affine grid through ``grid_sample`` with a ones
channel marking where ``fill`` goes); Pillow images go through Pillow as torchvision's
``_functional_pil`` does (ImageEnhance, ``Image.rotate``, ``Image.resize``, ``ImageOps.expand``).
"""

import colorsys
import math

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.vision import transforms as T
from numpyflow.vision.transforms import functional as F

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the machine
    Image = None

needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")


def rgb(h=6, w=7, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def chw(hwc):
    return nf.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def hwc(t):
    return t.numpy().transpose(1, 2, 0)


# -- conversions -----------------------------------------------------------------------------


@needs_pil
@pytest.mark.parametrize("mode, channels", [("L", 1), ("RGB", 3), ("RGBA", 4), ("LA", 2)])
def test_to_tensor_of_8_bit_pil_images_is_float32_chw_divided_by_255(mode, channels):
    arr = np.random.default_rng(1).integers(0, 256, (5, 4, channels), dtype=np.uint8)
    img = Image.fromarray(arr[:, :, 0] if channels == 1 else arr, mode=mode)
    t = F.to_tensor(img)
    assert t.dtype == nf.float32 and tuple(t.shape) == (channels, 5, 4)
    np.testing.assert_array_equal(t.numpy(), arr.transpose(2, 0, 1) / np.float32(255))


@needs_pil
def test_to_tensor_keeps_the_values_of_i_and_f_images_and_makes_1_bit_images_0_or_1():
    ints = np.arange(12, dtype=np.int32).reshape(3, 4) * 1000
    t = F.to_tensor(Image.fromarray(ints))
    assert t.dtype == nf.int32 and t.numpy()[0].tolist() == ints.tolist()
    floats = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    t = F.to_tensor(Image.fromarray(floats))
    assert t.dtype == nf.float32 and np.array_equal(t.numpy()[0], floats)
    bits = np.array([[True, False], [False, True]])
    t = F.to_tensor(Image.fromarray(bits))
    assert t.dtype == nf.float32 and t.numpy()[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]


@needs_pil
def test_to_tensor_of_a_palette_image_gives_its_indices_scaled():
    img = Image.fromarray(np.array([[0, 1], [2, 3]], np.uint8)).convert("P")
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    np.testing.assert_array_equal(F.to_tensor(img).numpy()[0], np.array(img) / np.float32(255))


@needs_pil
def test_pil_to_tensor_keeps_uint8_values_and_rejects_other_inputs():
    arr = rgb()
    t = T.PILToTensor()(Image.fromarray(arr))
    assert t.dtype == nf.uint8 and tuple(t.shape) == (3, 6, 7)
    np.testing.assert_array_equal(hwc(t), arr)
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        T.PILToTensor()(arr)


@needs_pil
def test_to_pil_image_scales_floats_by_255_and_truncates():
    x = nf.tensor([[[0.0, 0.5, 1.0], [0.999, 0.2, 0.004]]])  # (1, 2, 3)
    img = T.ToPILImage()(x)
    assert img.mode == "L" and img.size == (3, 2)
    assert np.asarray(img).tolist() == [[0, 127, 255], [254, 51, 1]]


@needs_pil
@pytest.mark.parametrize(
    "shape, dtype, mode",
    [((3, 4, 5), np.uint8, "RGB"), ((4, 4, 5), np.uint8, "RGBA"), ((2, 4, 5), np.uint8, "LA"), ((4, 5), np.uint8, "L")],
)
def test_to_pil_image_picks_the_mode_from_the_channels(shape, dtype, mode):
    arr = np.random.default_rng(0).integers(0, 256, shape).astype(dtype)
    img = F.to_pil_image(nf.from_numpy(arr))
    assert img.mode == mode and img.size == (5, 4)
    np.testing.assert_array_equal(np.asarray(img), arr if arr.ndim == 2 else arr.transpose(1, 2, 0))


@needs_pil
def test_to_pil_image_of_one_channel_follows_the_dtype_and_checks_the_mode():
    assert F.to_pil_image(nf.zeros(1, 2, 2, dtype=nf.int32)).mode == "I"
    assert F.to_pil_image(nf.zeros(1, 2, 2), mode="F").mode == "F"
    assert F.to_pil_image(np.zeros((2, 2, 1), np.int16)).mode == "I;16"
    assert F.to_pil_image(nf.zeros(3, 2, 2, dtype=nf.uint8), mode="HSV").mode == "HSV"
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied"):
        F.to_pil_image(nf.zeros(1, 2, 2), mode="RGB")
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(nf.zeros(3, 2, 2), mode="RGBA")
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([[0]])
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(nf.zeros(3, 2, 2, dtype=nf.int64))


@needs_pil
def test_to_pil_image_then_to_tensor_is_the_identity_on_uint8():
    x = chw(rgb())
    np.testing.assert_array_equal(F.to_tensor(F.to_pil_image(x)).numpy(), x.numpy() / np.float32(255))


def test_to_pil_array_gives_the_pixels_to_pil_image_would_hold():
    x = nf.tensor([[[-0.2, 0.5], [1.3, 2.0]]])
    out = F.to_pil_array(x)
    # truncated toward zero and wrapped modulo 256: -51 -> 205, 331 -> 75, 510 -> 254
    assert out.dtype == np.uint8 and out.tolist() == [[205, 127], [75, 254]]
    assert F.to_pil_array(np.zeros((2, 2, 3), np.float32)).shape == (2, 2, 3)


@pytest.mark.parametrize(
    "values, dtype, expected",
    [
        ([0, 128, 255], nf.float32, [0.0, 128 / 255, 1.0]),
        ([0.0, 0.5, 1.0], nf.uint8, [0, 127, 255]),
        ([0, 1, 255], nf.int16, [0, 128, 32640]),
    ],
)
def test_convert_image_dtype_rescales_as_torchvision(values, dtype, expected):
    src = nf.tensor(values, dtype=nf.uint8 if dtype != nf.uint8 else nf.float32)
    out = T.ConvertImageDtype(dtype)(src)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), np.asarray(expected, dtype.numpy), rtol=1e-6)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(nf.zeros(2), nf.int64)


# -- geometry on Pillow images: the same pixels as on arrays -------------------------------------


@needs_pil
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, (1, 3), (1, 2, 0, 3), (-1, 2, 1, -2)])
def test_pad_of_a_pil_image_gives_the_pixels_pad_of_its_array_gives(mode, padding):
    arr = rgb()
    out = F.pad(Image.fromarray(arr), padding, fill=(9, 8, 7), padding_mode=mode)
    assert out.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(out), F.pad(arr, padding, fill=(9, 8, 7), padding_mode=mode))


@needs_pil
def test_pad_keeps_a_palette_image_a_palette_image():
    img = Image.fromarray(np.array([[0, 1], [2, 3]], np.uint8)).convert("P")
    img.putpalette(list(range(12)))
    for mode in ("constant", "reflect"):
        out = F.pad(img, 1, padding_mode=mode)
        assert out.mode == "P" and out.getpalette()[:12] == list(range(12)) and out.size == (4, 4)


@needs_pil
def test_crop_center_crop_and_flips_of_pil_images_match_the_array_results():
    arr = rgb(7, 9)
    img = Image.fromarray(arr)
    for f in (
        lambda x: F.crop(x, 1, 2, 3, 4),
        lambda x: F.crop(x, -1, 7, 3, 4),  # partly outside: zeros, as PIL's crop
        lambda x: F.center_crop(x, 4),
        lambda x: F.center_crop(x, (10, 12)),
        F.hflip,
        F.vflip,
    ):
        out = f(img)
        assert out.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(out), f(arr))


@needs_pil
def test_get_dimensions_of_the_three_kinds():
    arr = rgb(4, 5)
    assert F.get_dimensions(Image.fromarray(arr)) == [3, 4, 5]
    assert F.get_dimensions(arr) == [3, 4, 5] and F.get_dimensions(arr[:, :, 0]) == [1, 4, 5]
    assert F.get_dimensions(chw(arr)) == [3, 4, 5] and F.get_image_size(chw(arr)) == [5, 4]
    assert F.get_image_num_channels(Image.fromarray(arr).convert("L")) == 1


@needs_pil
def test_resize_of_a_pil_image_is_pillows_resize_of_the_torchvision_size():
    img = Image.fromarray(rgb(10, 20))
    out = F.resize(img, 5)
    assert out.size == (10, 5)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img.resize((10, 5), Image.Resampling.BILINEAR)))
    out = F.resize(img, (4, 6), interpolation=T.InterpolationMode.BICUBIC)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img.resize((6, 4), Image.Resampling.BICUBIC)))
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        F.resize(img, 5, antialias=False)


@needs_pil
def test_resize_of_pil_and_of_its_float_tensor_agree_to_rounding():
    img = Image.fromarray(rgb(16, 16))
    ours = F.resize(F.to_tensor(img), [7, 9]).numpy()
    pil = F.to_tensor(F.resize(img, [7, 9])).numpy()
    assert np.abs(ours - pil).max() <= 1.0 / 255


# -- resize on tensors: torch.nn.functional.interpolate -----------------------------------------


@needs_torch
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(5, 6), (20, 27), (11, 7)])
def test_resize_of_tensors_matches_torch_interpolate(mode, antialias, size):
    x = np.random.default_rng(0).random((2, 3, 11, 13)).astype(np.float32)
    out = F.resize(nf.from_numpy(x), list(size), interpolation=mode, antialias=antialias)
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(x), size=size, mode=mode, align_corners=False, antialias=antialias
    )
    assert out.dtype == nf.float32
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=2e-6)


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("size", [(5, 6), (20, 27), (7, 3), (33, 39), (22, 26)])
def test_nearest_resize_of_tensors_matches_torch_interpolate_exactly(mode, size):
    x = np.random.default_rng(1).random((1, 2, 11, 13)).astype(np.float32)
    out = F.resize(nf.from_numpy(x), list(size), interpolation=T.InterpolationMode(mode))
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


@needs_torch
def test_bicubic_resize_of_uint8_rounds_and_clamps_like_torchvision():
    x = np.random.default_rng(2).integers(0, 256, (3, 9, 9), dtype=np.uint8)
    out = F.resize(nf.from_numpy(x), [5, 17], interpolation="bicubic", antialias=False)
    ref = torch.nn.functional.interpolate(torch.from_numpy(x[None]).float(), size=(5, 17), mode="bicubic")
    ref = ref.clamp(0, 255).round().to(torch.uint8)[0]
    assert out.dtype == nf.uint8
    assert np.abs(out.numpy().astype(int) - ref.numpy().astype(int)).max() <= 1  # float rounding at .5


def test_resize_of_tensors_rejects_pil_only_filters():
    with pytest.raises(ValueError, match="supported for PIL images only"):
        F.resize(nf.zeros(1, 4, 4), [2, 2], interpolation=T.InterpolationMode.LANCZOS)


def test_interpolation_takes_the_enum_its_value_or_a_pillow_constant():
    assert T.Resize(3, interpolation=3).interpolation is T.InterpolationMode.BICUBIC
    assert T.Resize(3, interpolation="nearest").interpolation is T.InterpolationMode.NEAREST
    with pytest.raises(TypeError, match="interpolation should be an InterpolationMode"):
        T.Resize(3, interpolation="cubic")


# -- rotate -------------------------------------------------------------------------------------


def torch_rotate(x, angle, mode, expand=False, center=None, fill=None):
    """torchvision's tensor rotate, in torch ops: the inverse rotation matrix about the
    centre, the affine grid normalised by the input size, grid_sample (zeros outside), and
    a ones channel saying where ``fill`` goes."""
    h, w = x.shape[-2:]
    cx, cy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    rot = math.radians(-angle)
    m = [math.cos(rot), math.sin(rot), 0.0, -math.sin(rot), math.cos(rot), 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    ow, oh = w, h
    if expand:
        pts = torch.tensor(
            [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]]
        )
        new = pts @ torch.tensor(m).view(2, 3).T
        lo, hi = (
            new.min(0).values + torch.tensor([w * 0.5, h * 0.5]),
            new.max(0).values + torch.tensor([w * 0.5, h * 0.5]),
        )
        size = torch.ceil(torch.trunc(hi / 1e-4) * 1e-4) - torch.floor(torch.trunc(lo / 1e-4) * 1e-4)
        ow, oh = int(size[0]), int(size[1])
    theta = torch.tensor(m, dtype=torch.float32).view(1, 2, 3)
    base = torch.empty(1, oh, ow, 3)
    base[..., 0] = torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow)
    base[..., 1] = torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh).unsqueeze(-1)
    base[..., 2] = 1
    grid = (base.view(1, oh * ow, 3) @ (theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h]))).view(1, oh, ow, 2)
    img = torch.from_numpy(x).float()[None]
    if fill is not None:
        img = torch.cat([img, torch.ones_like(img[:, :1])], dim=1)
    out = torch.nn.functional.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:].expand_as(out[:, :-1])
        colour = torch.tensor(fill, dtype=out.dtype).view(1, -1, 1, 1).expand_as(out)
        out = torch.where(mask < 0.5, colour, out) if mode == "nearest" else out * mask + (1.0 - mask) * colour
    return out[0].numpy()


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize(
    "angle, expand, center, fill",
    [
        (37.3, False, None, None),
        (-61.7, True, None, None),
        (20.9, False, (2, 3), [0.25, 0.5, 0.75]),
        (133.1, True, None, [1.0]),
    ],
)
def test_rotate_of_tensors_matches_torchvisions_grid_sample_algorithm(mode, angle, expand, center, fill):
    x = np.random.default_rng(3).random((3, 9, 12)).astype(np.float32)
    out = F.rotate(nf.from_numpy(x), angle, interpolation=mode, expand=expand, center=center, fill=fill)
    ref = torch_rotate(x, angle, mode, expand, center, fill)
    assert out.numpy().shape == ref.shape and out.dtype == nf.float32
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_rotating_a_square_by_90_degrees_is_rot90_on_every_kind():
    arr = rgb(6, 6)
    np.testing.assert_array_equal(hwc(F.rotate(chw(arr), 90)), np.rot90(arr))
    np.testing.assert_array_equal(F.rotate(arr, -90), np.rot90(arr, -1))
    if Image is not None:
        np.testing.assert_array_equal(np.asarray(F.rotate(Image.fromarray(arr), 90)), np.rot90(arr))


@needs_pil
@pytest.mark.parametrize("angle, expand", [(37.5, False), (37.5, True), (-100.0, True)])
def test_nearest_rotation_of_tensors_lands_on_pillows_pixels(angle, expand):
    arr = rgb(16, 16)
    ours = hwc(F.rotate(chw(arr), angle, expand=expand))
    pil = np.asarray(F.rotate(Image.fromarray(arr), angle, expand=expand))
    assert ours.shape == pil.shape
    assert (ours != pil).mean() < 0.01


def test_rotate_of_uint8_rounds_back_and_fills_the_corners():
    x = nf.full((1, 5, 5), 200, dtype=nf.uint8)
    out = F.rotate(x, 45.0, fill=[7.0]).numpy()[0]
    assert out.dtype == np.uint8 and out[2, 2] == 200 and out[0, 0] == 7
    out = F.rotate(x, 45.0, interpolation="bilinear", fill=[7.0]).numpy()[0]
    # the corner pixel is covered a little: 200 * c + 7 * (1 - c), rounded
    assert out.dtype == np.uint8 and out[2, 2] == 200 and 7 < out[0, 0] < 200


# -- colour -------------------------------------------------------------------------------------


def torch_gray(img):
    r, g, b = img.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)


def torch_blend(img1, img2, ratio):
    bound = 1.0 if img1.is_floating_point() else 255.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def torch_colour(name, img, factor):
    """torchvision's tensor brightness / contrast / saturation: blends in torch ops."""
    if name == "brightness":
        return torch_blend(img, torch.zeros_like(img), factor)
    if name == "saturation":
        return torch_blend(img, torch_gray(img), factor)
    dtype = img.dtype if img.is_floating_point() else torch.float32
    mean = torch.mean(torch_gray(img).to(dtype), dim=(-3, -2, -1), keepdim=True)
    return torch_blend(img, mean, factor)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
@pytest.mark.parametrize("name", ["brightness", "contrast", "saturation"])
@pytest.mark.parametrize("factor", [0.0, 0.4, 1.0, 1.7])
def test_colour_adjustments_of_tensors_match_torchvisions_blends(name, factor, dtype):
    rng = np.random.default_rng(4)
    x = (
        rng.random((2, 3, 5, 6)).astype(np.float32)
        if dtype == np.float32
        else rng.integers(0, 256, (2, 3, 5, 6), dtype=np.uint8)
    )
    out = getattr(F, f"adjust_{name}")(nf.from_numpy(x), factor).numpy()
    ref = torch_colour(name, torch.from_numpy(x), factor).numpy()
    assert out.dtype == x.dtype and out.shape == x.shape
    if dtype == np.uint8:  # truncation after a float32 mean may land one level apart
        assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    else:
        np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("hue", [-0.5, -0.2, 0.0, 0.3, 0.5])
def test_adjust_hue_of_float_tensors_rotates_the_hue_as_colorsys_does(hue):
    x = np.random.default_rng(5).random((3, 4, 5)).astype(np.float32)
    out = F.adjust_hue(nf.from_numpy(x), hue).numpy()
    ref = np.empty_like(x)
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            ref[:, i, j] = colorsys.hsv_to_rgb((h + hue) % 1.0, s, v)
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_adjust_hue_of_uint8_goes_through_float_and_back():
    x = chw(rgb())
    out = F.adjust_hue(x, 0.25).numpy()
    via_float = F.adjust_hue(x.float() / 255, 0.25).numpy()
    np.testing.assert_array_equal(out, np.floor(via_float * np.float32(255.999)).astype(np.uint8))


@needs_pil
@pytest.mark.parametrize(
    "name, factor, tolerance",
    [
        ("adjust_brightness", 0.6, 1),
        ("adjust_brightness", 1.7, 1),
        ("adjust_contrast", 0.5, 1),
        ("adjust_contrast", 1.8, 1),
        ("adjust_saturation", 0.3, 1),
        ("adjust_saturation", 1.9, 1),
        ("adjust_hue", 0.2, 12),  # Pillow's HSV has 8-bit hue
    ],
)
def test_colour_adjustments_of_pil_images_agree_with_the_tensor_ones(name, factor, tolerance):
    arr = rgb(16, 16, seed=6)
    pil = np.asarray(getattr(F, name)(Image.fromarray(arr), factor)).astype(int)
    ten = hwc(getattr(F, name)(chw(arr), factor)).astype(int)
    assert np.abs(pil - ten).max() <= tolerance


@needs_pil
def test_colour_adjustments_of_gray_pil_images():
    img = Image.fromarray(rgb()[:, :, 0])
    assert F.adjust_hue(img, 0.3) is img
    assert np.asarray(F.adjust_brightness(img, 0)).max() == 0
    assert F.adjust_saturation(img, 0.5).mode == "L"


def test_colour_factor_checks():
    x = nf.rand(3, 2, 2)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative"):
        F.adjust_brightness(x, -1)
    with pytest.raises(ValueError, match=r"hue_factor \(0.6\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(x, 0.6)
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 4"):
        F.adjust_saturation(nf.rand(4, 2, 2), 0.5)


@needs_torch
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_rgb_to_grayscale_of_tensors_matches_torchvisions_luma(dtype):
    rng = np.random.default_rng(7)
    x = (
        rng.integers(0, 256, (2, 3, 4, 5), dtype=np.uint8)
        if dtype == np.uint8
        else rng.random((2, 3, 4, 5)).astype(dtype)
    )
    out = F.rgb_to_grayscale(nf.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, torch_gray(torch.from_numpy(x)).numpy())
    three = F.rgb_to_grayscale(nf.from_numpy(x), num_output_channels=3).numpy()
    assert three.shape == x.shape and all(np.array_equal(three[:, k], out[:, 0]) for k in range(3))


@needs_pil
def test_grayscale_of_pil_images_is_pillows_convert_l():
    arr = rgb()
    img = Image.fromarray(arr)
    one = F.rgb_to_grayscale(img)
    assert one.mode == "L"
    np.testing.assert_array_equal(np.asarray(one), np.asarray(img.convert("L")))
    three = F.rgb_to_grayscale(img, num_output_channels=3)
    assert three.mode == "RGB" and np.array_equal(np.asarray(three)[:, :, 2], np.asarray(one))
    assert F.to_grayscale(img).mode == "L"
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(arr)


def test_grayscale_of_arrays_keeps_the_array_layout():
    arr = rgb()
    assert F.rgb_to_grayscale(arr).shape == (6, 7, 1)
    assert F.rgb_to_grayscale(arr[:, :, 0]).shape == (6, 7)
    assert F.rgb_to_grayscale(arr[:, :, 0], num_output_channels=3).shape == (6, 7, 3)


def test_erase_sets_the_window_and_leaves_the_input_alone_unless_in_place():
    x = nf.zeros(2, 4, 5)
    out = F.erase(x, 1, 2, 2, 3, nf.tensor([[[1.0]], [[2.0]]]))
    assert out.numpy()[:, 1:3, 2:5].tolist() == [[[1.0] * 3] * 2, [[2.0] * 3] * 2]
    assert out.numpy().sum() == 18 and x.numpy().sum() == 0
    same = F.erase(x, 0, 0, 1, 1, 5.0, inplace=True)
    assert same is x and x.numpy()[0, 0, 0] == 5.0
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(np.zeros((4, 4)), 0, 0, 1, 1, 0)
