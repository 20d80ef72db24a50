"""numpyflow/ops/conv_nd.py: conv1d, conv3d, conv_transpose1d and conv_transpose3d against
PyTorch (values and gradients), finite differences (first and second derivatives) and
float32, over strides, paddings ('same', 'valid'), dilations, groups and unbatched
inputs; and their errors, which raise PyTorch's exception types."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from cases import Case
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import conv_nd

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

OURS = SimpleNamespace(**{name: getattr(conv_nd, name) for name in conv_nd.__all__})


def F(L):
    return OURS if L is nf else L.nn.functional


def conv(name, op, shapes, grad_shapes, **kw):
    """A case calling ``op(x, w[, b], **kw)`` (a bias when three shapes are given)."""
    return Case(name, lambda L, *t: getattr(F(L), op)(*t, **kw), shapes, grad_shapes=grad_shapes)


CASES = [
    # conv1d
    conv("conv1d", "conv1d", [((2, 3, 7), (4, 3, 3), (4,))], [((1, 2, 5), (2, 2, 3), (2,))]),
    conv(
        "conv1d_stride2_pad1_dilation2_groups2",
        "conv1d",
        [((2, 4, 9), (6, 2, 3))],
        [((1, 2, 7), (2, 1, 3))],
        stride=2,
        padding=1,
        dilation=2,
        groups=2,
    ),
    conv("conv1d_same_even_kernel", "conv1d", [((2, 3, 6), (2, 3, 4), (2,))], [((1, 2, 5), (2, 2, 4))], padding="same"),
    conv(
        "conv1d_valid_tuple_args",
        "conv1d",
        [((2, 2, 8), (3, 2, 2))],
        [((1, 1, 6), (2, 1, 2))],
        padding="valid",
        stride=(3,),
    ),
    conv(
        "conv1d_depthwise", "conv1d", [((2, 3, 6), (3, 1, 3), (3,))], [((1, 3, 4), (3, 1, 3))], groups=3, padding=(1,)
    ),
    conv("conv1d_unbatched", "conv1d", [((3, 7), (2, 3, 3), (2,))], [((2, 5), (2, 2, 3))], padding=2, stride=2),
    # conv3d
    conv("conv3d", "conv3d", [((2, 3, 4, 5, 4), (4, 3, 2, 3, 2), (4,))], [((1, 1, 3, 3, 3), (1, 1, 2, 2, 2), (1,))]),
    conv(
        "conv3d_stride_pad_dilation_groups",
        "conv3d",
        [((2, 4, 6, 5, 6), (6, 2, 3, 2, 3))],
        [((1, 2, 3, 2, 3), (2, 1, 2, 1, 1))],
        stride=(2, 1, 2),
        padding=(1, 0, 1),
        dilation=(2, 1, 1),
        groups=2,
    ),
    conv(
        "conv3d_same_dilated",
        "conv3d",
        [((1, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,))],
        [((1, 1, 3, 3, 2), (1, 1, 2, 2, 2))],
        padding="same",
        dilation=(2, 1, 1),
    ),
    conv(
        "conv3d_valid_stride3",
        "conv3d",
        [((2, 2, 7, 5, 5), (2, 2, 2, 2, 2))],
        [((1, 1, 4, 3, 2), (1, 1, 2, 2, 1))],
        stride=3,
    ),
    conv(
        "conv3d_kernel_depth_1",
        "conv3d",
        [((2, 3, 3, 4, 4), (2, 3, 1, 3, 3), (2,))],
        [((1, 1, 2, 3, 3), (1, 1, 1, 2, 2))],
        padding=1,
    ),
    conv(
        "conv3d_padding_beyond_kernel",
        "conv3d",
        [((1, 2, 2, 3, 3), (2, 2, 2, 2, 2))],
        [((1, 1, 2, 2, 2), (1, 1, 2, 2, 2))],
        padding=2,
        stride=2,
    ),
    conv(
        "conv3d_depthwise",
        "conv3d",
        [((2, 3, 4, 4, 4), (3, 1, 3, 3, 3))],
        [((1, 3, 2, 2, 2), (3, 1, 2, 1, 1))],
        groups=3,
        padding=1,
    ),
    conv("conv3d_unbatched", "conv3d", [((2, 4, 4, 5), (3, 2, 2, 2, 3), (3,))], [((1, 3, 3, 3), (1, 1, 2, 2, 2))]),
    # conv_transpose1d
    conv(
        "conv_transpose1d_stride2_outpad_groups2",
        "conv_transpose1d",
        [((2, 4, 5), (4, 3, 3), (6,))],
        [((1, 2, 3), (2, 2, 3), (4,))],
        stride=2,
        padding=1,
        output_padding=1,
        groups=2,
    ),
    conv(
        "conv_transpose1d_dilation",
        "conv_transpose1d",
        [((2, 3, 4), (3, 2, 3))],
        [((1, 2, 3), (2, 2, 2))],
        dilation=2,
        output_padding=1,
    ),
    conv(
        "conv_transpose1d_unbatched", "conv_transpose1d", [((3, 4), (3, 2, 2), (2,))], [((2, 3), (2, 2, 2))], stride=3
    ),
    # conv_transpose3d
    conv(
        "conv_transpose3d",
        "conv_transpose3d",
        [((2, 3, 3, 4, 3), (3, 2, 2, 3, 2), (2,))],
        [((1, 1, 2, 2, 2), (1, 1, 2, 2, 2), (1,))],
    ),
    conv(
        "conv_transpose3d_stride_pad_outpad_groups",
        "conv_transpose3d",
        [((2, 4, 3, 4, 3), (4, 3, 3, 2, 3), (6,))],
        [((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (2,))],
        stride=(2, 1, 2),
        padding=(1, 0, 1),
        output_padding=(1, 0, 1),
        groups=2,
    ),
    conv(
        "conv_transpose3d_dilation_outpad_beyond_stride",
        "conv_transpose3d",
        [((1, 2, 3, 3, 3), (2, 2, 3, 2, 2))],
        [((1, 1, 2, 2, 2), (1, 1, 2, 2, 2))],
        dilation=2,
        output_padding=1,
    ),
    conv(
        "conv_transpose3d_unbatched",
        "conv_transpose3d",
        [((2, 3, 3, 3), (2, 2, 2, 2, 2))],
        [((1, 2, 2, 2), (1, 1, 2, 2, 2))],
        padding=1,
        stride=2,
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


# -- behaviour beyond the cases ---------------------------------------------------------------


@needs_torch
def test_conv3d_realistic_float32_matches_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 6, 10, 10)).astype(np.float32)
    w = (rng.standard_normal((16, 8, 3, 3, 3)) * 0.1).astype(np.float32)
    ours = conv_nd.conv3d(nf.tensor(x), nf.tensor(w), stride=(1, 2, 2), padding=1)
    theirs = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), stride=(1, 2, 2), padding=1)
    assert ours.dtype == nf.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_conv1d_is_conv2d_on_a_height_of_one():
    rng = np.random.default_rng(1)
    x, w = nf.tensor(rng.standard_normal((2, 3, 9))), nf.tensor(rng.standard_normal((4, 3, 3)))
    y1 = conv_nd.conv1d(x, w, stride=2, padding=1)
    y2 = nf.nn.functional.conv2d(x.unsqueeze(2), w.unsqueeze(2), stride=(1, 2), padding=(0, 1)).squeeze(2)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    rng = np.random.default_rng(2)
    x = nf.tensor(rng.standard_normal((2, 4, 5, 6, 5)))
    w = nf.tensor(rng.standard_normal((6, 2, 3, 2, 3)))
    kw = dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
    y = conv_nd.conv3d(x, w, **kw)
    g = nf.tensor(rng.standard_normal(tuple(y.shape)))
    shape = tuple(x.shape)
    out_pad = tuple(
        shape[2 + d]
        - ((y.shape[2 + d] - 1) * kw["stride"][d] - 2 * kw["padding"][d] + kw["dilation"][d] * (w.shape[2 + d] - 1) + 1)
        for d in range(3)
    )
    z = conv_nd.conv_transpose3d(g, w, output_padding=out_pad, **kw)
    assert tuple(z.shape) == shape
    np.testing.assert_allclose(float((y * g).sum()), float((x * z).sum()), rtol=1e-10)


# -- errors: PyTorch's exception types ---------------------------------------------------------


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape)


ERRORS = [
    ("conv1d_4d_input", "conv1d", ((1, 2, 3, 8), (4, 2, 3)), {}),
    ("conv1d_weight_rank", "conv1d", ((2, 3, 8), (1, 4, 3, 3)), {}),
    ("conv1d_channels", "conv1d", ((2, 3, 8), (4, 2, 3)), {}),
    ("conv1d_same_strided", "conv1d", ((2, 3, 8), (4, 3, 3)), dict(padding="same", stride=2)),
    ("conv1d_bad_padding_string", "conv1d", ((2, 3, 8), (4, 3, 3)), dict(padding="full")),
    ("conv1d_padding_pair", "conv1d", ((2, 3, 8), (4, 3, 3)), dict(padding=(1, 2))),
    ("conv1d_zero_stride", "conv1d", ((2, 3, 8), (4, 3, 3)), dict(stride=0)),
    ("conv1d_negative_padding", "conv1d", ((2, 3, 8), (4, 3, 3)), dict(padding=-1)),
    ("conv1d_kernel_too_large", "conv1d", ((2, 3, 2), (4, 3, 3)), {}),
    ("conv1d_groups_mismatch", "conv1d", ((2, 3, 8), (4, 1, 3)), dict(groups=2)),
    ("conv3d_3d_input", "conv3d", ((3, 4, 4), (2, 3, 2, 2, 2)), {}),
    ("conv3d_padding_pair", "conv3d", ((1, 3, 4, 4, 4), (2, 3, 2, 2, 2)), dict(padding=(1, 1))),
    ("conv3d_kernel_too_large", "conv3d", ((1, 3, 1, 4, 4), (2, 3, 2, 2, 2)), {}),
    ("conv_transpose1d_output_padding", "conv_transpose1d", ((2, 3, 8), (3, 2, 3)), dict(stride=2, output_padding=2)),
    ("conv_transpose1d_same", "conv_transpose1d", ((2, 3, 8), (3, 2, 3)), dict(padding="same")),
    ("conv_transpose3d_channels", "conv_transpose3d", ((1, 2, 3, 3, 3), (3, 2, 2, 2, 2)), {}),
]


@needs_torch
@pytest.mark.parametrize("name,op,shapes,kw", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_raise_pytorchs_exception_type(name, op, shapes, kw):
    arrays = [_x(*s) for s in shapes]
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, op)(*(torch.tensor(a) for a in arrays), **kw)
    with pytest.raises(theirs.type) as ours:
        getattr(conv_nd, op)(*(nf.tensor(a) for a in arrays), **kw)
    assert op in str(ours.value) or ours.type is TypeError, str(ours.value)


def test_mixed_dtypes_are_an_error():
    with pytest.raises(RuntimeError, match="conv3d"):
        conv_nd.conv3d(nf.tensor(_x(1, 2, 3, 3, 3)), nf.tensor(_x(2, 2, 2, 2, 2).astype(np.float32)))


# -- random geometries (Hypothesis) ------------------------------------------------------------


def _compare(ours_fn, theirs_fn, shapes, seed=0):
    """Forward and every input's gradient of both, float64, for one random cotangent."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours_in = [nf.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = ours_fn(*ours_in), theirs_fn(*theirs_in)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
    seed_grad = rng.standard_normal(tuple(theirs.shape))
    ours.backward(nf.tensor(seed_grad))
    theirs.backward(torch.tensor(seed_grad))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-10)


def _dims(data, n, name):
    return tuple(data.draw(st.integers(*name[1]), f"{name[0]}{i}") for i in range(n))


@needs_torch
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_conv3d_matches_pytorch_on_random_geometries(data):
    groups = data.draw(st.sampled_from([1, 1, 2]), "groups")
    cin, cout = groups * data.draw(st.integers(1, 2), "in per group"), groups * data.draw(st.integers(1, 2), "out")
    k, s, d, p = (_dims(data, 3, (name, r)) for name, r in (("k", (1, 3)), ("s", (1, 2)), ("d", (1, 2)), ("p", (0, 2))))
    size = tuple(
        data.draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 5), f"size{i}")
        for i, (ki, di, pi) in enumerate(zip(k, d, p))
    )
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    shapes = [(2, cin, *size), (cout, cin // groups, *k), (cout,)]
    _compare(
        lambda x, w, b: conv_nd.conv3d(x, w, b, **kw), lambda x, w, b: torch.nn.functional.conv3d(x, w, b, **kw), shapes
    )


@needs_torch
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_conv_transpose3d_matches_pytorch_on_random_geometries(data):
    groups = data.draw(st.sampled_from([1, 1, 2]), "groups")
    cin, cout_g = groups * data.draw(st.integers(1, 2), "in per group"), data.draw(st.integers(1, 2), "out")
    k, s, d = (_dims(data, 3, (name, r)) for name, r in (("k", (1, 3)), ("s", (1, 2)), ("d", (1, 2))))
    op = tuple(data.draw(st.integers(0, max(si, di) - 1), f"op{i}") for i, (si, di) in enumerate(zip(s, d)))
    size = _dims(data, 3, ("size", (1, 4)))
    p = tuple(
        data.draw(st.integers(0, ((n - 1) * si + di * (ki - 1) + oi) // 2), f"p{i}")
        for i, (n, si, di, ki, oi) in enumerate(zip(size, s, d, k, op))
    )
    kw = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
    shapes = [(2, cin, *size), (cin, cout_g, *k), (cout_g * groups,)]
    _compare(
        lambda x, w, b: conv_nd.conv_transpose3d(x, w, b, **kw),
        lambda x, w, b: torch.nn.functional.conv_transpose3d(x, w, b, **kw),
        shapes,
    )
