"""Transform classes: hand-computed expectations, torchvision's documented semantics, and
torch.nn.functional where it computes the same thing (resize, reflect/edge padding); the
random transforms' draws, repeated under ``nf.manual_seed``; pipelines on Pillow images
giving what the same pipelines give on tensors.

torchvision is not installed here: its draw order is read from its source (0.2x) --
RandomResizedCrop and RandomErasing: uniform area, uniform log-ratio, (noise,) randint top,
randint left, ten tries; ColorJitter: randperm(4) then one uniform per factor asked for;
RandomRotation: one uniform angle; flips and RandomGrayscale: one rand(1) < p.
"""

import math
import warnings

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


def img(h=4, w=5, c=None, dtype=np.uint8):
    shape = (h, w) if c is None else (h, w, c)
    return (np.arange(int(np.prod(shape))) % 251).astype(dtype).reshape(shape)


# -- ToTensor, Normalize, Compose, Lambda ----------------------------------------------------


def test_to_tensor_scales_uint8_gray_to_float32_chw_in_unit_range():
    x = np.array([[0, 255], [51, 102]], np.uint8)
    t = T.ToTensor()(x)
    assert t.dtype == nf.float32 and tuple(t.shape) == (1, 2, 2)
    np.testing.assert_array_equal(t.numpy(), (x / np.float32(255)).astype(np.float32)[None])


def test_to_tensor_moves_channels_first():
    x = img(3, 4, 3)
    t = T.ToTensor()(x).numpy()
    assert t.shape == (3, 3, 4) and t.flags.c_contiguous
    np.testing.assert_array_equal(t[2, 1, 3], np.float32(x[1, 3, 2]) / np.float32(255))


def test_to_tensor_keeps_float_values_and_dtype():
    x = np.random.default_rng(0).random((2, 3, 2)).astype(np.float32)
    t = T.ToTensor()(x)
    assert t.dtype == nf.float32
    np.testing.assert_array_equal(t.numpy(), x.transpose(2, 0, 1))
    assert T.ToTensor()(x.astype(np.float64)).dtype == nf.float64


def test_to_tensor_rejects_tensors_and_wrong_ranks():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(nf.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4"):
        T.ToTensor()(np.zeros((1, 1, 1, 1), np.uint8))


def test_normalize_subtracts_mean_and_divides_by_std_per_channel():
    x = nf.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 2, 2))
    out = T.Normalize((1.0, 2.0, 3.0), (1.0, 2.0, 4.0))(x).numpy()
    expected = (
        np.arange(12, dtype=np.float32).reshape(3, 2, 2) - np.array([1, 2, 3], np.float32)[:, None, None]
    ) / np.array([1, 2, 4], np.float32)[:, None, None]
    np.testing.assert_array_equal(out, expected)
    assert x.numpy()[0, 0, 0] == 0  # not in place by default


def test_normalize_works_on_batches_and_in_place_when_asked():
    x = nf.ones(2, 1, 2, 2)
    out = T.Normalize([0.5], [0.25], inplace=True)(x)
    assert out is x and x.tolist() == [[[[2.0, 2.0], [2.0, 2.0]]]] * 2


def test_normalize_passes_gradients_through():
    x = nf.ones(2, 3, 3, requires_grad=True)
    T.Normalize((0.5, 0.0), (2.0, 4.0))(x).sum().backward()
    assert x.grad[:, 0, 0].tolist() == [0.5, 0.25]


@pytest.mark.parametrize(
    "tensor, mean, std, error, message",
    [
        (nf.ones(1, 2, 2), (0.0,), (0.0,), ValueError, "std evaluated to zero"),
        (nf.ones(1, 2, 2, dtype=nf.int64), (0.0,), (1.0,), TypeError, "should be a float tensor"),
        (nf.ones(2, 2), (0.0,), (1.0,), ValueError, "tensor image of size \\(..., C, H, W\\)"),
        (nf.ones(3, 2, 2), (0.0, 0.0), (1.0, 1.0), ValueError, "got 2 values of mean for an image with 3 channels"),
    ],
)
def test_normalize_rejects_bad_input_with_clear_errors(tensor, mean, std, error, message):
    with pytest.raises(error, match=message):
        T.Normalize(mean, std)(tensor)


def test_compose_applies_transforms_in_order_and_lambda_wraps_a_function():
    t = T.Compose([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 10)])
    assert t(1) == 20
    assert "Lambda()" in repr(t)
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)


def test_functional_module_is_importable_like_torchvision():
    import numpyflow.vision.transforms.functional as F

    assert F.hflip(np.array([[1, 2, 3]])).tolist() == [[3, 2, 1]]


# -- Pad -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "padding, ltrb", [(1, (1, 1, 1, 1)), ((2,), (2, 2, 2, 2)), ((1, 2), (1, 2, 1, 2)), ((1, 2, 3, 0), (1, 2, 3, 0))]
)
def test_pad_constant_follows_torchvision_padding_order(padding, ltrb):
    x = img(3, 4)
    out = T.Pad(padding, fill=7)(x)
    left, top, right, bottom = ltrb
    expected = np.pad(x, ((top, bottom), (left, right)), constant_values=7)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.uint8


def test_pad_symmetric_and_reflect_differ_by_repeating_the_edge():
    x = np.array([[1, 2, 3]], np.uint8)
    assert T.Pad((2, 0), padding_mode="reflect")(x).tolist() == [[3, 2, 1, 2, 3, 2, 1]]
    assert T.Pad((2, 0), padding_mode="symmetric")(x).tolist() == [[2, 1, 1, 2, 3, 3, 2]]
    assert T.Pad((2, 0), padding_mode="edge")(x).tolist() == [[1, 1, 1, 2, 3, 3, 3]]


@needs_torch
@pytest.mark.parametrize("mode, torch_mode", [("reflect", "reflect"), ("edge", "replicate"), ("constant", "constant")])
def test_pad_on_tensors_matches_torch_pad(mode, torch_mode):
    x = np.random.default_rng(1).random((2, 3, 5, 6)).astype(np.float32)
    ours = T.Pad((1, 2, 3, 1), padding_mode=mode)(nf.from_numpy(x))
    theirs = torch.nn.functional.pad(torch.from_numpy(x), (1, 3, 2, 1), mode=torch_mode)
    assert isinstance(ours, nf.Tensor)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_pad_fills_each_channel_with_its_own_value():
    out = T.Pad(1, fill=(10, 20, 30))(np.zeros((1, 1, 3), np.uint8))
    assert out.shape == (3, 3, 3)
    assert out[0, 0].tolist() == [10, 20, 30] and out[1, 1].tolist() == [0, 0, 0]


def test_negative_padding_crops():
    x = img(4, 4)
    np.testing.assert_array_equal(T.Pad((-1, 0, 0, -2))(x), x[:2, 1:])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"padding": (1, 2, 3)}, ValueError),
        ({"padding": "1"}, TypeError),
        ({"padding": 1, "padding_mode": "wrap"}, ValueError),
    ],
)
def test_pad_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        T.Pad(**kwargs)


# -- crops and flips -------------------------------------------------------------------------


def test_random_crop_repeats_with_the_same_seed_and_is_a_window_of_the_padded_image():
    x = img(6, 6)
    t = T.RandomCrop(4, padding=2)
    padded = np.pad(x, 2)
    seen = set()
    for seed in range(40):
        nf.manual_seed(seed)
        a = t(x)
        nf.manual_seed(seed)
        np.testing.assert_array_equal(t(x), a)
        windows = [(i, j) for i in range(7) for j in range(7) if np.array_equal(padded[i : i + 4, j : j + 4], a)]
        assert windows
        seen.update(windows)
    assert len(seen) > 20  # offsets are spread over the 7 x 7 possible ones


def test_random_crop_of_an_array_and_of_its_tensor_pick_the_same_window():
    x = img(8, 8, 3)
    t = T.RandomCrop((3, 5))
    nf.manual_seed(4)
    a = t(x)
    nf.manual_seed(4)
    b = t(nf.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))))
    np.testing.assert_array_equal(a.transpose(2, 0, 1), b.numpy())


def test_random_crop_of_the_full_size_draws_nothing():
    x = img(4, 4)
    nf.manual_seed(0)
    np.testing.assert_array_equal(T.RandomCrop(4)(x), x)
    after = nf.rand(1).item()
    nf.manual_seed(0)
    assert nf.rand(1).item() == after


def test_random_crop_pad_if_needed_pads_both_sides_by_the_shortfall():
    x = np.ones((2, 3), np.uint8)
    t = T.RandomCrop((4, 5), pad_if_needed=True)
    # torchvision pads (5 - 3) = 2 on the left and the right, (4 - 2) = 2 on top and bottom.
    padded = np.pad(x, 2)
    for seed in range(10):
        nf.manual_seed(seed)
        out = t(x)
        assert out.shape == (4, 5)
        assert any(np.array_equal(padded[i : i + 4, j : j + 5], out) for i in range(3) for j in range(3))
    with pytest.raises(ValueError, match=r"Required crop size \(4, 5\) is larger than input image size \(2, 3\)"):
        T.RandomCrop((4, 5))(x)


def test_random_horizontal_flip_follows_p_and_the_seed():
    x = img(2, 3)
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    nf.manual_seed(0)
    flips = [T.RandomHorizontalFlip(0.3)(x) is not x for _ in range(400)]
    nf.manual_seed(0)
    assert [T.RandomHorizontalFlip(0.3)(x) is not x for _ in range(400)] == flips
    assert 80 < sum(flips) < 160


def test_flips_of_tensors_mirror_the_last_dims():
    t = nf.arange(6).reshape(1, 2, 3)
    assert T.RandomHorizontalFlip(1.0)(t).tolist() == [[[2, 1, 0], [5, 4, 3]]]
    assert T.RandomVerticalFlip(1.0)(t).tolist() == [[[3, 4, 5], [0, 1, 2]]]


# -- batch transforms: the per-image transform, for each image of (N, C, H, W) ---------------------


def batch(n=6, c=2, h=5, w=5):
    return nf.from_numpy((np.arange(n * c * h * w) % 97).astype(np.float32).reshape(n, c, h, w))


def windows_of(image, h, w):
    """Every h x w window of a (C, H, W) array."""
    return [
        image[:, i : i + h, j : j + w] for i in range(image.shape[1] - h + 1) for j in range(image.shape[2] - w + 1)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=5, padding=2, fill=(-1.0, -2.0)),
        dict(size=(3, 4), padding=(1, 2), padding_mode="reflect"),
        dict(size=(7, 6), pad_if_needed=True, padding_mode="edge"),
        dict(size=4),
    ],
)
def test_batch_random_crop_cuts_each_image_as_random_crop_would_cut_it_alone(kwargs):
    x = batch()
    per_image = T.RandomCrop(**kwargs)
    nf.manual_seed(0)
    out = T.BatchRandomCrop(**kwargs)(x).numpy()
    assert out.shape == (6, 2) + per_image.size and out.dtype == np.float32
    for image, cut in zip(x, out):
        padded = per_image._padded(image).numpy()
        assert any(np.array_equal(cut, window) for window in windows_of(padded, *per_image.size))


def test_batch_random_crop_takes_the_windows_get_params_draws():
    x = batch(n=8)
    nf.manual_seed(3)
    out = T.BatchRandomCrop(4, padding=1, fill=-5.0)(x).numpy()
    padded = T.functional.pad(x, 1, fill=-5.0)
    nf.manual_seed(3)
    tops, lefts, h, w = T.BatchRandomCrop.get_params(padded, (4, 4))
    for k in range(8):
        expected = T.functional.crop(padded[k], tops[k].item(), lefts[k].item(), h, w).numpy()
        np.testing.assert_array_equal(out[k], expected)


def test_batch_random_crop_draws_a_window_per_image_and_repeats_with_the_seed():
    x = nf.from_numpy(np.tile(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), (200, 1, 1, 1)))
    crop = T.BatchRandomCrop(4, padding=1)
    nf.manual_seed(1)
    out = crop(x).numpy()
    nf.manual_seed(1)
    np.testing.assert_array_equal(crop(x).numpy(), out)
    padded = np.pad(x.numpy()[0], ((0, 0), (1, 1), (1, 1)))
    offsets = {next(k for k, win in enumerate(windows_of(padded, 4, 4)) if np.array_equal(win, cut)) for cut in out}
    assert offsets == set(range(9))  # all 3 x 3 offsets occur among 200 images


def test_batch_random_crop_of_the_full_size_draws_nothing():
    x = batch()
    nf.manual_seed(0)
    np.testing.assert_array_equal(T.BatchRandomCrop(5)(x).numpy(), x.numpy())
    after = nf.rand(1).item()
    nf.manual_seed(0)
    assert nf.rand(1).item() == after


def test_batch_random_horizontal_flip_mirrors_each_image_with_probability_p():
    x = batch(n=400, c=1, h=2, w=3)
    mirrored = x.numpy()[..., ::-1]
    np.testing.assert_array_equal(T.BatchRandomHorizontalFlip(p=1.0)(x).numpy(), mirrored)
    np.testing.assert_array_equal(T.BatchRandomHorizontalFlip(p=0.0)(x).numpy(), x.numpy())
    nf.manual_seed(0)
    out = T.BatchRandomHorizontalFlip(p=0.3)(x).numpy()
    nf.manual_seed(0)
    expected_flips = nf.rand(400).numpy() < 0.3  # one draw per image, as RandomHorizontalFlip draws
    flips = np.array([np.array_equal(o, m) for o, m in zip(out, mirrored)])
    assert (flips == expected_flips).all() and 80 < flips.sum() < 160
    assert all(np.array_equal(o, i) for o, i, f in zip(out, x.numpy(), flips) if not f)


@pytest.mark.parametrize("transform", [T.BatchRandomCrop(4), T.BatchRandomHorizontalFlip()])
@pytest.mark.parametrize("bad", [nf.zeros(1, 4, 4), np.zeros((2, 1, 4, 4), np.float32)], ids=["3d", "array"])
def test_batch_transforms_want_a_batch_tensor(transform, bad):
    with pytest.raises(ValueError, match=r"expected a batch of images, a Tensor of shape \(N, C, H, W\)"):
        transform(bad)


@pytest.mark.parametrize(
    "h, w, size, top, left", [(5, 5, 2, 2, 2), (6, 6, 3, 2, 2), (4, 4, 3, 0, 0), (7, 4, (3, 2), 2, 1)]
)
def test_center_crop_offsets_round_half_to_even_like_torchvision(h, w, size, top, left):
    x = img(h, w)
    th, tw = (size, size) if isinstance(size, int) else size
    np.testing.assert_array_equal(T.CenterCrop(size)(x), x[top : top + th, left : left + tw])


def test_center_crop_larger_than_the_image_pads_with_zeros():
    x = np.full((2, 2), 9, np.uint8)
    out = T.CenterCrop(4)(x)
    assert out.tolist() == [[0, 0, 0, 0], [0, 9, 9, 0], [0, 9, 9, 0], [0, 0, 0, 0]]
    out = T.CenterCrop(3)(x)  # odd shortfall: the extra row/column goes right and bottom
    assert out.tolist() == [[9, 9, 0], [9, 9, 0], [0, 0, 0]]


# -- Resize ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, size, expected",
    [
        ((10, 20), 5, (5, 10)),
        ((20, 10), 5, (10, 5)),
        ((7, 10), 4, (4, 5)),
        ((7, 10), [4], (4, 5)),
        ((8, 8), (3, 6), (3, 6)),
        ((6, 9), 12, (12, 18)),
    ],
)
def test_resize_int_matches_the_smaller_edge_keeping_aspect_ratio(shape, size, expected):
    assert T.Resize(size)(np.zeros(shape, np.float32)).shape == expected


def test_resize_to_the_same_size_returns_the_input():
    x = img(4, 6)
    assert T.Resize(4)(x) is x


def test_resize_respects_max_size_for_the_longer_edge():
    assert T.Resize(4, max_size=6)(np.zeros((4, 8), np.float32)).shape == (3, 6)


@needs_torch
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("shape, size", [((10, 13), (4, 5)), ((7, 9), (15, 20)), ((32, 32), (17, 9)), ((28, 28), 14)])
def test_bilinear_resize_of_tensors_matches_torch_interpolate(shape, size, antialias):
    x = np.random.default_rng(2).random((2, 3) + shape).astype(np.float32)
    out = T.Resize(size, antialias=antialias)(nf.from_numpy(x))
    hw = (size, size) if isinstance(size, int) else size
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(x), size=hw, mode="bilinear", align_corners=False, antialias=antialias
    )
    assert out.dtype == nf.float32
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=2e-6)


@needs_torch
def test_nearest_resize_matches_torch_interpolate():
    x = np.random.default_rng(3).random((1, 2, 7, 5)).astype(np.float32)
    out = T.Resize((3, 11), interpolation=T.InterpolationMode.NEAREST)(nf.from_numpy(x))
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=(3, 11), mode="nearest")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_resize_of_a_uint8_hwc_array_rounds_back_to_uint8_per_channel():
    x = np.zeros((2, 2, 2), np.uint8)
    x[..., 0] = [[0, 100], [100, 200]]
    x[..., 1] = 50
    out = T.Resize((1, 1))(x)  # shrinking 2x2 -> 1x1 averages all four pixels
    assert out.dtype == np.uint8 and out.shape == (1, 1, 2)
    assert out[0, 0].tolist() == [100, 50]


def test_resize_upscaling_interpolates_between_pixels():
    x = np.array([[0.0, 1.0]], np.float32)
    out = T.Resize((1, 4))(x)
    np.testing.assert_allclose(out, [[0.0, 0.25, 0.75, 1.0]])


# -- RandomResizedCrop -------------------------------------------------------------------------


def rgb(h=12, w=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def chw(hwc):
    return nf.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))


def test_random_resized_crop_params_respect_scale_and_ratio_and_repeat_with_the_seed():
    x = nf.zeros(3, 40, 50)
    seen = []
    for seed in range(60):
        nf.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(x, (0.1, 0.6), (0.5, 2.0))
        nf.manual_seed(seed)
        assert T.RandomResizedCrop.get_params(x, (0.1, 0.6), (0.5, 2.0)) == (i, j, h, w)
        assert 0 <= i <= 40 - h and 0 <= j <= 50 - w
        # rounding h and w moves area and ratio a little past their bounds
        assert 0.1 * 2000 * 0.85 <= h * w <= 0.6 * 2000 * 1.15 and 0.5 * 0.85 <= w / h <= 2.0 * 1.15
        seen.append((i, j, h, w))
    assert len(set(seen)) > 50


def test_random_resized_crop_draws_area_then_log_ratio_then_top_and_left():
    x = nf.zeros(1, 30, 30)
    nf.manual_seed(11)
    i, j, h, w = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
    nf.manual_seed(11)
    area = 900 * nf.empty(1).uniform_(0.08, 1.0).item()
    log_lo, log_hi = np.log(np.float32(3 / 4)), np.log(np.float32(4 / 3))
    ratio = float(np.exp(np.float32(nf.empty(1).uniform_(float(log_lo), float(log_hi)).item())))
    assert (h, w) == (int(round(math.sqrt(area / ratio))), int(round(math.sqrt(area * ratio))))
    assert i == nf.randint(0, 30 - h + 1, (1,)).item() and j == nf.randint(0, 30 - w + 1, (1,)).item()


def test_random_resized_crop_falls_back_to_a_central_crop():
    # An area of 100% at a ratio far from the image's never fits: ten misses, then the
    # central crop of the nearest allowed ratio.
    x = nf.zeros(1, 10, 40)
    assert T.RandomResizedCrop.get_params(x, (1.0, 1.0), (0.5, 1.0)) == (0, 15, 10, 10)
    x = nf.zeros(1, 40, 10)
    assert T.RandomResizedCrop.get_params(x, (1.0, 1.0), (2.0, 3.0)) == (17, 0, 5, 10)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_random_resized_crop_of_a_tensor_is_torch_interpolate_of_the_drawn_window(mode):
    x = np.random.default_rng(1).random((3, 37, 29)).astype(np.float32)
    t = T.RandomResizedCrop((9, 11), interpolation=mode, antialias=False)
    for seed in range(5):
        nf.manual_seed(seed)
        out = t(nf.from_numpy(x))
        nf.manual_seed(seed)
        i, j, h, w = t.get_params(nf.from_numpy(x), t.scale, t.ratio)
        ref = torch.nn.functional.interpolate(
            torch.from_numpy(x[None, :, i : i + h, j : j + w]), size=(9, 11), mode=mode, align_corners=False
        )[0]
        assert out.dtype == nf.float32 and tuple(out.shape) == (3, 9, 11)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=2e-6)


@needs_pil
def test_random_resized_crop_of_a_pil_image_is_pillows_crop_and_resize():
    img = Image.fromarray(rgb())
    t = T.RandomResizedCrop(8)
    nf.manual_seed(2)
    out = t(img)
    nf.manual_seed(2)
    i, j, h, w = t.get_params(img, t.scale, t.ratio)
    expected = img.crop((j, i, j + w, i + h)).resize((8, 8), Image.Resampling.BILINEAR)
    assert out.mode == "RGB" and out.size == (8, 8)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_random_resized_crop_checks_its_arguments_and_repr():
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        T.RandomResizedCrop(4, scale=0.5)
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomResizedCrop(4, scale=(1.0, 0.5))
    assert repr(T.RandomResizedCrop(4)) == (
        "RandomResizedCrop(size=(4, 4), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)"
    )


# -- RandomRotation ------------------------------------------------------------------------------


def test_random_rotation_draws_one_uniform_angle_and_rotates_by_it():
    x = nf.from_numpy(np.random.default_rng(2).random((3, 8, 9)).astype(np.float32))
    t = T.RandomRotation((10, 30), interpolation=T.InterpolationMode.BILINEAR, fill=0.5)
    nf.manual_seed(4)
    out = t(x)
    nf.manual_seed(4)
    angle = nf.empty(1).uniform_(10.0, 30.0).item()
    assert 10 <= angle <= 30
    np.testing.assert_array_equal(out.numpy(), F.rotate(x, angle, "bilinear", fill=[0.5] * 3).numpy())


def test_random_rotation_repeats_with_the_seed_on_every_kind():
    arr = rgb()
    kinds = [arr, chw(arr)] + ([Image.fromarray(arr)] if Image is not None else [])
    t = T.RandomRotation(45, expand=True)
    for img in kinds:
        nf.manual_seed(9)
        a = np.asarray(t(img))
        nf.manual_seed(9)
        np.testing.assert_array_equal(np.asarray(t(img)), a)


@needs_pil
def test_random_rotation_of_a_pil_image_fills_with_pillows_fillcolor():
    img = Image.fromarray(np.full((6, 6, 3), 100, np.uint8))
    out = np.asarray(T.RandomRotation((45, 45), fill=(1, 2, 3))(img))
    assert out[0, 0].tolist() == [1, 2, 3] and out[3, 3].tolist() == [100, 100, 100]


def test_random_rotation_checks_its_arguments_and_repr():
    assert T.RandomRotation(30).degrees == [-30.0, 30.0]
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-1)
    with pytest.raises(ValueError, match="must be of len 2"):
        T.RandomRotation((1, 2, 3))
    with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
        T.RandomRotation(3, fill=object())
    assert (
        repr(T.RandomRotation(3)) == "RandomRotation(degrees=[-3.0, 3.0], interpolation=nearest, expand=False, fill=0)"
    )


# -- Grayscale, RandomGrayscale, ColorJitter --------------------------------------------------------


def test_grayscale_output_channels_dtype_and_range():
    x = chw(rgb())
    one, three = T.Grayscale()(x), T.Grayscale(3)(x)
    assert tuple(one.shape) == (1, 12, 16) and tuple(three.shape) == (3, 12, 16) and one.dtype == nf.uint8
    f = T.Grayscale()(x.float() / 255)
    assert f.dtype == nf.float32 and 0 <= float(f.min()) and float(f.max()) <= 1
    if Image is not None:
        assert T.Grayscale()(Image.fromarray(rgb())).mode == "L"
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        T.Grayscale(2)


def test_random_grayscale_keeps_the_channel_count_and_follows_p():
    x = chw(rgb())
    gray = T.RandomGrayscale(p=1.0)(x)
    assert tuple(gray.shape) == (3, 12, 16) and np.array_equal(gray.numpy()[0], gray.numpy()[2])
    assert T.RandomGrayscale(p=0.0)(x) is x


def test_color_jitter_ranges_follow_torchvisions_check_input():
    t = T.ColorJitter(brightness=0.5, contrast=(0.2, 1.5), saturation=0, hue=0.1)
    assert t.brightness == (0.5, 1.5) and t.contrast == (0.2, 1.5) and t.saturation is None and t.hue == (-0.1, 0.1)
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)  # clipped at zero
    assert T.ColorJitter(brightness=(1, 1)).brightness is None
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non negative"):
        T.ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple with length 2"):
        T.ColorJitter(contrast=(1, 2, 3))
    assert repr(t) == "ColorJitter(brightness=(0.5, 1.5), contrast=(0.2, 1.5), saturation=None, hue=(-0.1, 0.1))"


def test_color_jitter_draws_an_order_then_the_factors_and_applies_them_in_that_order():
    x = chw(rgb()).float() / 255
    t = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.2)
    nf.manual_seed(5)
    out = t(x)
    nf.manual_seed(5)
    order = nf.randperm(4).tolist()
    factors = [nf.empty(1).uniform_(*r).item() for r in (t.brightness, t.contrast, t.saturation, t.hue)]
    assert all(lo <= f <= hi for f, (lo, hi) in zip(factors, (t.brightness, t.contrast, t.saturation, t.hue)))
    adjust = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
    expected = x
    for k in order:
        expected = adjust[k](expected, factors[k])
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert out.dtype == nf.float32 and 0 <= float(out.min()) and float(out.max()) <= 1


def test_color_jitter_repeats_with_the_seed_and_keeps_uint8_and_pil_images():
    arr = rgb()
    kinds = [chw(arr), arr] + ([Image.fromarray(arr)] if Image is not None else [])
    t = T.ColorJitter(0.5, 0.5, 0.5, 0.1)
    for img in kinds:
        nf.manual_seed(1)
        a = t(img)
        nf.manual_seed(1)
        b = t(img)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert type(a) is type(img)
        assert np.asarray(a).dtype == np.uint8 and np.asarray(a).shape == np.asarray(img).shape


def test_color_jitter_without_factors_draws_only_the_order():
    x = nf.rand(3, 2, 2)
    nf.manual_seed(0)
    assert T.ColorJitter()(x).tolist() == x.tolist()
    after = nf.rand(1).item()
    nf.manual_seed(0)
    nf.randperm(4)
    assert nf.rand(1).item() == after


# -- RandomErasing ---------------------------------------------------------------------------------


def test_random_erasing_erases_one_window_with_the_value_and_nothing_else():
    x = nf.ones(3, 20, 24)
    t = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))
    nf.manual_seed(0)
    out = t(x).numpy()
    nf.manual_seed(0)
    nf.rand(1)  # the p draw
    i, j, h, w, v = t.get_params(x, t.scale, t.ratio, [0.1, 0.2, 0.3])
    assert out.dtype == np.float32 and out.shape == (3, 20, 24)
    window = out[:, i : i + h, j : j + w]
    np.testing.assert_allclose(window, np.broadcast_to(np.float32([0.1, 0.2, 0.3])[:, None, None], window.shape))
    out[:, i : i + h, j : j + w] = 1
    assert (out == 1).all() and x.numpy().min() == 1  # not in place by default
    assert 0.02 * 480 * 0.8 <= h * w <= 0.33 * 480 * 1.25


def test_random_erasing_random_value_is_standard_normal_noise_and_repeats_with_the_seed():
    x = nf.zeros(1, 30, 30)
    t = T.RandomErasing(p=1.0, scale=(0.2, 0.3), value="random")
    nf.manual_seed(3)
    a = t(x).numpy()
    nf.manual_seed(3)
    np.testing.assert_array_equal(t(x).numpy(), a)
    noise = a[a != 0]
    assert noise.size > 100 and abs(noise.mean()) < 0.3 and 0.7 < noise.std() < 1.3


def test_random_erasing_p_in_place_fallback_and_errors():
    x = nf.zeros(3, 8, 8)
    assert T.RandomErasing(p=0.0)(x) is x
    assert T.RandomErasing(p=1.0, value=1, inplace=True)(x) is x and x.numpy().sum() > 0
    # An area as big as the image never fits (h < H and w < W are required): untouched.
    y = nf.zeros(3, 8, 8)
    i, j, h, w, v = T.RandomErasing.get_params(y, (1.0, 1.0), (1.0, 1.0), [0.0])
    assert (i, j, h, w) == (0, 0, 8, 8) and v is y
    with pytest.raises(TypeError, match="Tensor image"):
        T.RandomErasing(p=1.0)(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="it should have either a single value or 3"):
        T.RandomErasing(p=1.0, value=(1, 2))(nf.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 2))
    with pytest.raises(ValueError, match="probability should be between 0 and 1"):
        T.RandomErasing(p=1.5)


def test_random_erasing_keeps_uint8():
    x = nf.full((3, 10, 10), 200, dtype=nf.uint8)
    out = T.RandomErasing(p=1.0, value=7)(x)
    assert out.dtype == nf.uint8 and set(np.unique(out.numpy()).tolist()) == {7, 200}


# -- pipelines on Pillow images -------------------------------------------------------------------


@needs_pil
@pytest.mark.parametrize(
    "steps",
    [
        [T.RandomCrop(8, padding=2), T.RandomHorizontalFlip()],
        [T.RandomCrop((9, 10), pad_if_needed=True, padding_mode="reflect"), T.RandomVerticalFlip()],
        [T.CenterCrop(10), T.Pad((1, 2), padding_mode="edge"), T.CenterCrop((14, 12))],
        [T.RandomRotation(30), T.RandomGrayscale(p=0.5)],
    ],
    ids=["crop-flip", "crop-reflect-vflip", "centercrop-pad", "rotate-gray"],
)
def test_a_pipeline_on_a_pil_image_gives_what_it_gives_on_the_tensor(steps):
    """The same draws and the same pixels: PIL -> transforms -> ToTensor equals
    ToTensor -> transforms on the tensor (nearest rotation may differ on a few edge pixels)."""
    arr = rgb(9, 11)
    for seed in range(8):
        nf.manual_seed(seed)
        via_pil = T.Compose(steps + [T.ToTensor()])(Image.fromarray(arr)).numpy()
        nf.manual_seed(seed)
        via_tensor = T.Compose([T.ToTensor()] + steps)(Image.fromarray(arr)).numpy()
        assert via_pil.shape == via_tensor.shape
        if isinstance(steps[0], T.RandomRotation):
            assert np.mean(np.abs(via_pil - via_tensor) > 1.5 / 255) < 0.05
        else:
            np.testing.assert_array_equal(via_pil, via_tensor)


@needs_pil
def test_a_typical_training_pipeline_on_pil_images():
    pipeline = T.Compose(
        [
            T.RandomResizedCrop(16),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.4, 0.4, 0.4, 0.1),
            T.ToTensor(),
            T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
            T.RandomErasing(),
        ]
    )
    nf.manual_seed(0)
    out = pipeline(Image.fromarray(rgb(30, 40)))
    assert out.dtype == nf.float32 and tuple(out.shape) == (3, 16, 16)
    assert -2.0 <= float(out.min()) and float(out.max()) <= 2.0
    nf.manual_seed(0)
    np.testing.assert_array_equal(pipeline(Image.fromarray(rgb(30, 40))).numpy(), out.numpy())


@needs_pil
def test_resize_then_to_tensor_on_pil_is_close_to_to_tensor_then_resize():
    img = Image.fromarray(rgb(20, 30))
    a = T.Compose([T.Resize(10), T.ToTensor()])(img).numpy()
    b = T.Compose([T.ToTensor(), T.Resize(10)])(img).numpy()
    assert a.shape == b.shape == (3, 10, 15) and np.abs(a - b).max() <= 1.0 / 255


def test_normalize_rejects_pil_images_and_arrays():
    with pytest.raises(TypeError, match="should be a numpyflow Tensor"):
        T.Normalize((0.5,), (0.5,))(np.zeros((2, 2), np.float32))


@needs_pil
def test_to_pil_image_class_and_reprs():
    assert repr(T.ToPILImage()) == "ToPILImage()" and repr(T.ToPILImage("RGB")) == "ToPILImage(mode=RGB)"
    assert T.ToPILImage()(nf.rand(3, 4, 5)).size == (5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.ToPILImage()(nf.randn(3, 4, 5) * 10)  # out of range: wraps, without numpy's cast warning
