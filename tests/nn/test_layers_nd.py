"""The 1-D/3-D convolution and pooling layers, max unpooling, instance and local response
normalization, the padding layers, pixel shuffle, fold/unfold and upsampling against
their PyTorch counterparts: same weights (by state_dict), same inputs, same outputs,
gradients and buffers; the same reprs, state_dict keys and shapes, and PyTorch's
exception types for bad arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from layer_parity import compare
from reference import assert_close, needs_torch, torch

import numpyflow as nf

NN = nf.nn
T = torch.nn if torch is not None else None
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")


def layer(name, cls, args, kwargs, shape, train=True):
    """A layer built the same way in both libraries: ``cls(*args, **kwargs)``."""
    return name, cls, args, kwargs, shape, train


LAYERS = [
    # convolutions
    layer("conv1d", "Conv1d", (3, 4, 3), {}, (2, 3, 9)),
    layer(
        "conv1d_stride_dilation_groups",
        "Conv1d",
        (4, 6, 3),
        dict(stride=2, padding=2, dilation=2, groups=2, bias=False),
        (2, 4, 11),
    ),
    layer("conv1d_same", "Conv1d", (2, 3, 4), dict(padding="same"), (2, 2, 7)),
    layer("conv1d_valid", "Conv1d", (2, 3, 2), dict(padding="valid"), (2, 2, 7)),
    layer("conv1d_reflect", "Conv1d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 7)),
    layer("conv1d_replicate", "Conv1d", (2, 3, 3), dict(padding=1, padding_mode="replicate"), (2, 2, 7)),
    layer("conv1d_circular", "Conv1d", (2, 3, 3), dict(padding=1, padding_mode="circular", stride=2), (2, 2, 7)),
    layer("conv1d_same_reflect", "Conv1d", (2, 3, 4), dict(padding="same", padding_mode="reflect"), (2, 2, 7)),
    layer("conv1d_unbatched", "Conv1d", (3, 2, 3), dict(padding=1), (3, 8)),
    layer("conv3d", "Conv3d", (2, 3, 3), dict(padding=1), (2, 2, 4, 5, 4)),
    layer(
        "conv3d_anisotropic_groups",
        "Conv3d",
        (4, 4, (2, 3, 1)),
        dict(stride=(1, 2, 1), groups=2, bias=False),
        (2, 4, 3, 5, 4),
    ),
    layer("conv3d_reflect", "Conv3d", (2, 2, 3), dict(padding=1, padding_mode="reflect"), (1, 2, 4, 4, 4)),
    layer("conv3d_circular_same", "Conv3d", (2, 2, 2), dict(padding="same", padding_mode="circular"), (1, 2, 3, 4, 4)),
    layer("conv_transpose1d", "ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5)),
    layer(
        "conv_transpose1d_groups_dilation",
        "ConvTranspose1d",
        (4, 6, 3),
        dict(groups=2, dilation=2, bias=False),
        (2, 4, 5),
    ),
    layer(
        "conv_transpose3d", "ConvTranspose3d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 3, 2, 3)
    ),
    layer(
        "conv_transpose3d_groups",
        "ConvTranspose3d",
        (4, 2, (2, 1, 3)),
        dict(groups=2, stride=(2, 1, 1)),
        (1, 4, 2, 3, 3),
    ),
    # pooling
    layer("maxpool1d", "MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), (2, 3, 10)),
    layer("maxpool3d", "MaxPool3d", (2,), {}, (2, 2, 4, 4, 6)),
    layer("maxpool3d_pad_ceil", "MaxPool3d", (3, 2, 1), dict(ceil_mode=True), (2, 2, 5, 6, 5)),
    layer("avgpool1d", "AvgPool1d", (3, 2, 1), dict(count_include_pad=False, ceil_mode=True), (2, 3, 10)),
    layer("avgpool3d", "AvgPool3d", (3, 2, 1), {}, (2, 2, 5, 6, 5)),
    layer(
        "avgpool3d_exclude_pad_divisor",
        "AvgPool3d",
        ((2, 3, 3), 2, (1, 1, 0)),
        dict(divisor_override=4),
        (2, 2, 5, 6, 5),
    ),
    layer("adaptive_avgpool1d", "AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    layer("adaptive_avgpool3d", "AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 2, 5, 6, 7)),
    layer("adaptive_maxpool1d", "AdaptiveMaxPool1d", (3,), {}, (2, 3, 10)),
    layer("adaptive_maxpool3d", "AdaptiveMaxPool3d", (2,), {}, (2, 2, 5, 6, 7)),
    # normalization
    layer("instancenorm1d", "InstanceNorm1d", (3,), {}, (2, 3, 6)),
    layer("instancenorm1d_unbatched", "InstanceNorm1d", (3,), dict(affine=True), (3, 6)),
    layer("instancenorm2d_affine", "InstanceNorm2d", (3,), dict(affine=True), (2, 3, 4, 5)),
    layer(
        "instancenorm2d_running_stats",
        "InstanceNorm2d",
        (3,),
        dict(affine=True, track_running_stats=True),
        (2, 3, 4, 5),
    ),
    layer(
        "instancenorm2d_running_stats_eval",
        "InstanceNorm2d",
        (3,),
        dict(track_running_stats=True, momentum=0.3),
        (2, 3, 4, 5),
        train=False,
    ),
    layer("instancenorm2d_no_tracking_eval", "InstanceNorm2d", (3,), dict(affine=True), (2, 3, 4, 5), train=False),
    layer(
        "instancenorm3d",
        "InstanceNorm3d",
        (2,),
        dict(affine=True, bias=False, momentum=None, track_running_stats=True),
        (2, 2, 3, 4, 3),
    ),
    layer("local_response_norm", "LocalResponseNorm", (3,), dict(alpha=0.1, beta=0.5, k=2.0), (2, 5, 4, 4)),
    # padding
    layer("reflection_pad1d", "ReflectionPad1d", (2,), {}, (2, 3, 5)),
    layer("reflection_pad2d", "ReflectionPad2d", ((1, 2, 0, 3),), {}, (2, 3, 5, 4)),
    layer("reflection_pad3d", "ReflectionPad3d", (1,), {}, (1, 2, 3, 4, 3)),
    layer("replication_pad1d", "ReplicationPad1d", ((3, 1),), {}, (2, 3, 5)),
    layer("replication_pad2d", "ReplicationPad2d", (2,), {}, (2, 3, 4, 4)),
    layer("replication_pad3d", "ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), {}, (1, 2, 3, 3, 3)),
    layer("circular_pad1d", "CircularPad1d", (2,), {}, (2, 3, 5)),
    layer("circular_pad2d", "CircularPad2d", ((1, 0, 2, 1),), {}, (2, 3, 4, 4)),
    layer("circular_pad3d", "CircularPad3d", (1,), {}, (1, 2, 3, 3, 3)),
    layer("zero_pad1d", "ZeroPad1d", ((1, 2),), {}, (2, 3, 5)),
    layer("zero_pad2d", "ZeroPad2d", (2,), {}, (2, 3, 4, 4)),
    layer("zero_pad2d_crops", "ZeroPad2d", ((-1, 1, 0, -2),), {}, (2, 3, 4, 4)),
    layer("zero_pad3d", "ZeroPad3d", (1,), {}, (1, 2, 2, 3, 3)),
    layer("constant_pad1d", "ConstantPad1d", (2, 3.5), {}, (2, 3, 5)),
    layer("constant_pad2d", "ConstantPad2d", ((1, 0, 2, 1), -1.0), {}, (2, 3, 4, 4)),
    layer("constant_pad3d", "ConstantPad3d", (1, 0.5), {}, (1, 2, 2, 3, 3)),
    # shuffling, blocks, resizing
    layer("pixel_shuffle", "PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    layer("pixel_unshuffle", "PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    layer("unfold", "Unfold", ((2, 3),), dict(dilation=(1, 2), padding=1, stride=2), (2, 3, 6, 7)),
    layer("fold", "Fold", ((4, 5), 2), dict(padding=1, stride=2), (2, 8, 9)),
    layer("upsample_nearest", "Upsample", (), dict(scale_factor=2), (2, 3, 4, 5)),
    layer("upsample_size_nearest_1d", "Upsample", (), dict(size=7), (2, 3, 4)),
    layer("upsample_bilinear", "Upsample", (), dict(size=(6, 7), mode="bilinear"), (2, 3, 4, 5)),
    layer(
        "upsample_bilinear_align_corners",
        "Upsample",
        (),
        dict(scale_factor=(2, 1.5), mode="bilinear", align_corners=True),
        (2, 3, 4, 4),
    ),
    layer("upsample_trilinear", "Upsample", (), dict(scale_factor=2, mode="trilinear"), (1, 2, 2, 3, 2)),
    layer("upsampling_nearest2d", "UpsamplingNearest2d", (), dict(scale_factor=3), (2, 3, 2, 3)),
    layer("upsampling_bilinear2d", "UpsamplingBilinear2d", (), dict(size=(5, 4)), (2, 3, 3, 3)),
]


def _pair(entry):
    name, cls, args, kwargs, shape, train = entry
    ours, theirs = getattr(NN, cls)(*args, **kwargs), getattr(T, cls)(*args, **kwargs)
    if not train:
        ours.eval()
        theirs.eval()
    return ours, theirs


@needs_torch
@pytest.mark.parametrize("entry", LAYERS, ids=[e[0] for e in LAYERS])
def test_layer_matches_pytorch_float64(entry):
    ours, theirs = _pair(entry)
    ours.double()
    theirs.double()
    x = np.random.default_rng(0).standard_normal(entry[4])
    compare(ours, theirs, [x], rtol=1e-9, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("entry", LAYERS, ids=[e[0] for e in LAYERS])
def test_layer_matches_pytorch_float32(entry):
    ours, theirs = _pair(entry)
    x = np.random.default_rng(1).standard_normal(entry[4]).astype(np.float32)
    out, _ = compare(ours, theirs, [x], rtol=1e-4, atol=1e-5)
    assert out.dtype == nf.float32


@needs_torch
@pytest.mark.parametrize("entry", LAYERS, ids=[e[0] for e in LAYERS])
def test_repr_and_state_dict_match_pytorch(entry):
    ours, theirs = _pair(entry)
    assert repr(ours) == repr(theirs)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key, value in theirs_sd.items():
        assert tuple(ours_sd[key].shape) == tuple(value.shape), key
        assert str(ours_sd[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


ATTRIBUTES = {
    "Conv1d": (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "transposed",
        "output_padding",
        "groups",
        "padding_mode",
        "_reversed_padding_repeated_twice",
    ),
    "Conv3d": ("kernel_size", "stride", "padding", "dilation", "output_padding", "_reversed_padding_repeated_twice"),
    "ConvTranspose1d": ("kernel_size", "stride", "padding", "dilation", "output_padding", "transposed"),
    "ConvTranspose3d": ("kernel_size", "stride", "padding", "dilation", "output_padding", "transposed"),
    "MaxPool1d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool1d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "AvgPool3d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "InstanceNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "Upsample": ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"),
    "UpsamplingBilinear2d": ("name", "size", "scale_factor", "mode", "align_corners"),
    "ConstantPad2d": ("padding", "value"),
    "ZeroPad1d": ("padding", "value"),
    "ReflectionPad3d": ("padding",),
    "Fold": ("output_size", "kernel_size", "dilation", "padding", "stride"),
}


@needs_torch
@pytest.mark.parametrize(
    "entry", [e for e in LAYERS if e[1] in ATTRIBUTES], ids=[e[0] for e in LAYERS if e[1] in ATTRIBUTES]
)
def test_attributes_match_pytorch(entry):
    ours, theirs = _pair(entry)
    for attr in ATTRIBUTES[entry[1]]:
        assert getattr(ours, attr) == getattr(theirs, attr), attr


# -- layers beyond one input, one output --------------------------------------------------------


@needs_torch
@pytest.mark.parametrize(
    "cls,args,shape",
    [
        ("MaxPool1d", (3, 2, 1), (2, 3, 9)),
        ("MaxPool3d", (2, 1), (2, 2, 3, 4, 4)),
        ("AdaptiveMaxPool3d", ((2, 3, 2),), (2, 2, 5, 6, 5)),
    ],
)
def test_pooling_layers_return_pytorchs_indices(cls, args, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    ours, oi = getattr(NN, cls)(*args, return_indices=True)(nf.tensor(x))
    theirs, ti = getattr(T, cls)(*args, return_indices=True)(torch.tensor(x))
    assert_close(ours, theirs)
    np.testing.assert_array_equal(oi.numpy(), ti.numpy())


@needs_torch
@pytest.mark.parametrize("n,shape", [(1, (2, 3, 9)), (2, (2, 3, 5, 6)), (3, (2, 2, 3, 4, 5))])
def test_max_unpool_layers_invert_max_pool_like_pytorch(n, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    pool_t = getattr(T, f"MaxPool{n}d")(2, return_indices=True)
    values, idx = pool_t(torch.tensor(x))
    output_size = shape[-n:]  # odd sizes: the default would be smaller
    ours_in = nf.tensor(values.numpy(), requires_grad=True)
    theirs_in = values.detach().clone().requires_grad_(True)
    ours = getattr(NN, f"MaxUnpool{n}d")(2)(ours_in, nf.tensor(idx.numpy()), output_size=output_size)
    theirs = getattr(T, f"MaxUnpool{n}d")(2)(theirs_in, idx, output_size=output_size)
    assert_close(ours, theirs)
    g = np.random.default_rng(4).standard_normal(shape)
    ours.backward(nf.tensor(g))
    theirs.backward(torch.tensor(g))
    assert_close(ours_in.grad, theirs_in.grad)
    assert repr(getattr(NN, f"MaxUnpool{n}d")(2, 1)) == repr(getattr(T, f"MaxUnpool{n}d")(2, 1))


@needs_torch
@pytest.mark.parametrize(
    "cls,args,in_shape,out_size",
    [
        ("ConvTranspose1d", (3, 2, 3), (2, 3, 4), (8,)),
        ("ConvTranspose3d", (2, 2, 3), (1, 2, 2, 3, 2), (1, 2, 4, 6, 3)),
    ],
)
def test_conv_transpose_output_size_matches_pytorch(cls, args, in_shape, out_size):
    ours_layer, theirs_layer = getattr(NN, cls)(*args, stride=2, padding=1), getattr(T, cls)(*args, stride=2, padding=1)
    ours_layer.load_state_dict({k: nf.tensor(v.detach().numpy()) for k, v in theirs_layer.state_dict().items()})
    x = np.random.default_rng(5).standard_normal(in_shape).astype(np.float32)
    ours = ours_layer(nf.tensor(x), output_size=out_size)
    theirs = theirs_layer(torch.tensor(x), output_size=out_size)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        theirs_layer(torch.tensor(x), output_size=tuple(s + 5 for s in out_size[-1:]))
    with pytest.raises(ValueError):
        ours_layer(nf.tensor(x), output_size=tuple(s + 5 for s in out_size[-1:]))


@needs_torch
def test_instance_norm_keeps_num_batches_tracked_like_pytorch():
    ours, theirs = NN.InstanceNorm1d(3, track_running_stats=True), T.InstanceNorm1d(3, track_running_stats=True)
    x = np.random.default_rng(6).standard_normal((2, 3, 5))
    for _ in range(2):
        ours(nf.tensor(x))
        theirs(torch.tensor(x).float())
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item())
    assert ours.num_batches_tracked.dtype == nf.int64
    assert_close(ours.running_mean, theirs.running_mean, rtol=1e-5, atol=1e-6)


def test_conv_layers_initialise_like_pytorch():
    layer_ = NN.Conv3d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 27)
    assert tuple(layer_.weight.shape) == (8, 4, 3, 3, 3)
    assert np.abs(layer_.weight.detach().numpy()).max() <= bound
    assert np.abs(layer_.bias.detach().numpy()).max() <= bound
    assert tuple(NN.ConvTranspose1d(4, 6, 3, groups=2).weight.shape) == (4, 3, 3)


# -- errors: PyTorch's exception types ---------------------------------------------------------

CONSTRUCTOR_ERRORS = [
    ("Conv1d", (3, 4, 3), dict(groups=2)),
    ("Conv1d", (4, 3, 3), dict(groups=2)),
    ("Conv1d", (2, 2, 3), dict(groups=0)),
    ("Conv1d", (2, 2, 3), dict(padding="same", stride=2)),
    ("Conv3d", (2, 2, 3), dict(padding="full")),
    ("Conv3d", (2, 2, 3), dict(padding_mode="mirror")),
    ("ConvTranspose1d", (2, 2, 3), dict(padding_mode="reflect")),
    ("ConvTranspose3d", (2, 2, 3), dict(padding_mode="circular")),
]


@needs_torch
@pytest.mark.parametrize("cls,args,kwargs", CONSTRUCTOR_ERRORS, ids=lambda v: str(v))
def test_constructor_errors_raise_pytorchs_exception_type(cls, args, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(T, cls)(*args, **kwargs)
    with pytest.raises(theirs.type):
        getattr(NN, cls)(*args, **kwargs)


FORWARD_ERRORS = [
    ("InstanceNorm1d", (3,), dict(), (2, 3, 4, 4)),
    ("InstanceNorm2d", (3,), dict(), (3, 4)),
    ("InstanceNorm3d", (3,), dict(affine=True), (2, 4, 3, 3, 3)),
    ("InstanceNorm2d", (3,), dict(), (2, 3, 1, 1)),
    ("Conv1d", (3, 2, 3), dict(), (2, 4, 8)),
    ("Conv3d", (3, 2, 3), dict(), (2, 3, 8, 8)),
    ("MaxPool3d", (2,), dict(), (4, 4)),
    ("ReflectionPad1d", (4,), dict(), (2, 3, 4)),
    ("PixelShuffle", (2,), dict(), (2, 3, 4, 4)),
    ("Fold", ((4, 4), 2), dict(), (2, 8, 5)),
]


@needs_torch
@pytest.mark.parametrize("cls,args,kwargs,shape", FORWARD_ERRORS, ids=lambda v: str(v))
def test_forward_errors_raise_pytorchs_exception_type(cls, args, kwargs, shape):
    x = np.random.default_rng(7).standard_normal(shape)
    with pytest.raises(Exception) as theirs:
        getattr(T, cls)(*args, **kwargs).double()(torch.tensor(x))
    with pytest.raises(theirs.type):
        getattr(NN, cls)(*args, **kwargs)(nf.tensor(x))


def test_instance_norm_without_affine_warns_on_a_channel_mismatch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        NN.InstanceNorm1d(4)(nf.randn(2, 3, 5))
    assert any("does not match num_features" in str(w.message) for w in caught)
