"""numpyflow/ops/interpolation.py: interpolate against PyTorch (its source-index rules over
many sizes and scales, forward and gradients), finite differences (first and second
derivatives), float32 and errors."""

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import interpolation as interpolation_ops


def F(L):
    """The functions under test: torch.nn.functional's, or this module's."""
    return L.nn.functional if L is torch else interpolation_ops


def _interp(name, shapes, grad_shapes=None, **kw):
    return Case(f"interpolate_{name}", lambda L, x: F(L).interpolate(x, **kw), shapes, grad_shapes=grad_shapes)


IMG = [((2, 3, 4, 5),), ((1, 1, 3, 3),)]
IMG_GRAD = [((1, 2, 2, 3),)]


CASES = [
    _interp("nearest_scale_2", IMG, IMG_GRAD, scale_factor=2),
    _interp("nearest_size", IMG, IMG_GRAD, size=(7, 3)),
    _interp("nearest_fractional_scale", IMG, IMG_GRAD, scale_factor=(1.5, 0.6)),
    _interp("nearest_exact", IMG, IMG_GRAD, size=(5, 8), mode="nearest-exact"),
    _interp("bilinear", IMG, IMG_GRAD, size=(6, 7), mode="bilinear"),
    _interp("bilinear_align_corners", IMG, IMG_GRAD, size=(6, 4), mode="bilinear", align_corners=True),
    _interp("bilinear_scale_factor", IMG, IMG_GRAD, scale_factor=1.7, mode="bilinear"),
    _interp("bilinear_downsample", [((2, 2, 6, 7),)], [((1, 1, 5, 4),)], size=(3, 2), mode="bilinear"),
    _interp("linear_3d", [((2, 3, 5),)], [((1, 2, 4),)], scale_factor=2.5, mode="linear"),
    _interp(
        "trilinear_align_corners",
        [((1, 2, 2, 3, 2),)],
        [((1, 1, 2, 2, 2),)],
        size=(3, 4, 3),
        mode="trilinear",
        align_corners=True,
    ),
    _interp("nearest_3d", [((2, 3, 5),)], scale_factor=3),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


# -- interpolate: PyTorch's index rules, exactly --------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "mode,align", [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)]
)
def test_interpolate_source_indices_match_pytorch_over_many_sizes(dtype, mode, align):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 13, 33)).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for size in [(1, 1), (2, 5), (6, 16), (13, 33), (26, 66), (31, 67), (40, 17)]:
        ours = interpolation_ops.interpolate(nf.tensor(x), size=size, mode=mode, align_corners=align)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=align)
        assert_close(ours, theirs, rtol=tol, atol=tol, what=f"size {size}")
    if align:
        return
    for scale in [0.3, 0.7, 1 / 3, 1.1, 1.5, 2.5, 3.0]:
        ours = interpolation_ops.interpolate(nf.tensor(x), scale_factor=scale, mode=mode)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale, mode=mode)
        assert_close(ours, theirs, rtol=tol, atol=tol, what=f"scale_factor {scale}")


def test_interpolate_nearest_copies_input_values():
    x = nf.arange(6.0).reshape(1, 1, 2, 3)
    y = interpolation_ops.interpolate(x, scale_factor=2)
    assert y.numpy()[0, 0].tolist() == [[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [3, 3, 4, 4, 5, 5]]


def test_interpolate_argument_errors():
    x = nf.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        interpolation_ops.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        interpolation_ops.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        interpolation_ops.interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        interpolation_ops.interpolate(nf.randn(1, 2, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        interpolation_ops.interpolate(x, scale_factor=2, mode="bicubic")


def _uint8_image(shape, seed):
    x = np.random.default_rng(seed).integers(0, 256, size=shape).astype(np.uint8)
    x[..., 0, :] = 255  # saturated rows: the rounding must not wrap
    return x


UINT8_RESIZES = [
    dict(size=(7, 9)),
    dict(size=(3, 2)),
    dict(size=(11, 4), align_corners=True),
    dict(size=(1, 6)),
    dict(scale_factor=2.0),
    dict(scale_factor=(0.5, 1.7)),
    dict(scale_factor=(1.5, 0.7), recompute_scale_factor=True),
    dict(scale_factor=(3.3, 2.0), align_corners=True),
    dict(size=(5, 5)),  # the input's own size: a copy
]


@needs_torch
@pytest.mark.parametrize("channels", [1, 3, 5])  # PyTorch runs C <= 4 and C > 4 in different kernels
@pytest.mark.parametrize("kw", UINT8_RESIZES, ids=[str(k) for k in UINT8_RESIZES])
def test_bilinear_on_uint8_matches_pytorch_bit_for_bit(channels, kw):
    x = _uint8_image((2, channels, 5, 5), seed=channels)
    ours = interpolation_ops.interpolate(nf.tensor(x), mode="bilinear", **kw)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), mode="bilinear", **kw)
    assert ours.dtype == nf.uint8 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize(
    "shape,kw", [((1, 5, 11, 1), dict(scale_factor=(2.0, 1.0))), ((1, 5, 6, 3), dict(size=(19, 1)))]
)
def test_bilinear_on_uint8_one_pixel_wide_matches_pytorch_channels_last(shape, kw):
    # PyTorch's contiguous (NCHW) uint8 kernel reads wrong weights when the input or output
    # is one pixel wide (results off by up to ~230); its channels-last kernel and the float
    # result agree with each other, and with numpyflow.
    x = _uint8_image(shape, seed=1)
    ours = interpolation_ops.interpolate(nf.tensor(x), mode="bilinear", **kw).numpy()
    channels_last = torch.tensor(x).contiguous(memory_format=torch.channels_last)
    np.testing.assert_array_equal(ours, torch.nn.functional.interpolate(channels_last, mode="bilinear", **kw).numpy())
    exact = torch.nn.functional.interpolate(torch.tensor(x).double(), mode="bilinear", **kw).numpy()
    assert np.abs(ours - exact).max() <= 0.5 + 1e-9


@needs_torch
@pytest.mark.parametrize(
    "dtype,mode,shape",
    [
        ("int64", "bilinear", (1, 1, 4, 4)),
        ("int64", "nearest", (1, 1, 4, 4)),
        ("int8", "nearest-exact", (1, 1, 4, 4)),
        ("bool", "nearest", (1, 1, 4, 4)),
        ("uint8", "linear", (1, 1, 4)),
        ("uint8", "trilinear", (1, 1, 2, 2, 2)),
    ],
)
def test_integer_inputs_without_a_pytorch_kernel_are_not_implemented_errors(dtype, mode, shape):
    x = np.ones(shape, dtype)
    with pytest.raises(NotImplementedError):
        torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2, mode=mode)
    with pytest.raises(NotImplementedError, match=f"interpolate: mode '{mode}' is not implemented for .*{dtype}"):
        interpolation_ops.interpolate(nf.tensor(x), scale_factor=2, mode=mode)


@needs_torch
def test_nearest_on_uint8_matches_pytorch():
    x = _uint8_image((1, 2, 3, 4), seed=2)
    for mode in ("nearest", "nearest-exact"):
        ours = interpolation_ops.interpolate(nf.tensor(x), size=(5, 7), mode=mode)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(5, 7), mode=mode)
        assert ours.dtype == nf.uint8
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
