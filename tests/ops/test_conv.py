"""numpyflow/ops/conv.py: conv2d and conv_transpose2d against PyTorch (forward, input,
weight and bias gradients, float64 and float32), finite differences (first and second
derivatives), double backward against PyTorch (every kernel strategy), Hypothesis over
random geometries, and errors."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.ops import conv as conv_module
from numpyflow.ops.conv import conv2d, conv_transpose2d

F = torch.nn.functional if torch is not None else None
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}


def _raises(exc_type, *fragments):
    """pytest.raises that also checks every fragment appears (literally) in the message."""
    return pytest.raises(exc_type, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


def _values(shape, rng, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def _compare_with_torch(ours_fn, torch_fn, shapes, dtype, seed=0, what=""):
    """Run both functions on the same inputs (``None`` shapes give ``None`` inputs), seed
    backward with the same random gradient and compare the output and every gradient."""
    rng = np.random.default_rng(seed)
    arrays = [None if s is None else _values(s, rng, dtype) for s in shapes]
    ours_in = [None if a is None else nf.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note about 'same' padding copies
        theirs = torch_fn(*theirs_in)
    ours = ours_fn(*ours_in)
    tol = TOL[dtype]
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
    assert ours.dtype == (nf.float64 if dtype == np.float64 else nf.float32)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), err_msg=f"{what} forward", **tol)
    seed_grad = _values(tuple(theirs.shape), rng, dtype)
    ours.backward(nf.tensor(seed_grad))
    theirs.backward(torch.tensor(seed_grad))
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if a is None:
            continue
        assert a.grad is not None, f"{what}: input {i} got no gradient"
        assert a.grad.dtype == a.dtype, f"{what}: gradient of input {i} is {a.grad.dtype}, input is {a.dtype}"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), err_msg=f"{what} grad of input {i}", **tol)


# -- configurations ---------------------------------------------------------------------------
# (name, input shape, weight shape, bias, keyword arguments)

CONV2D = [
    ("1x1", (2, 3, 5, 5), (4, 3, 1, 1), True, {}),
    ("1x1_stride2", (2, 4, 7, 6), (3, 4, 1, 1), False, dict(stride=2)),
    ("3x3", (2, 3, 6, 6), (4, 3, 3, 3), True, {}),
    ("3x3_pad1", (1, 3, 7, 7), (5, 3, 3, 3), True, dict(padding=1)),
    ("3x3_stride2_pad1_even", (2, 3, 8, 8), (4, 3, 3, 3), False, dict(stride=2, padding=1)),
    ("3x3_stride2_pad1_odd", (2, 3, 9, 7), (4, 3, 3, 3), True, dict(stride=2, padding=1)),
    ("5x5_pad2", (2, 2, 9, 8), (3, 2, 5, 5), True, dict(padding=2)),
    ("5x5_stride2_valid", (1, 2, 11, 12), (2, 2, 5, 5), False, dict(stride=2, padding="valid")),
    ("non_square_kernel", (2, 3, 7, 9), (4, 3, 2, 4), True, dict(padding=(1, 2))),
    ("non_square_stride", (2, 3, 9, 9), (4, 3, 3, 3), True, dict(stride=(1, 3), padding=(0, 1))),
    ("dilation2", (2, 3, 9, 9), (4, 3, 3, 3), True, dict(dilation=2, padding=2)),
    ("dilation_2x1_stride2", (1, 2, 10, 9), (3, 2, 3, 2), False, dict(dilation=(2, 1), stride=2, padding=1)),
    ("same_3x3", (2, 3, 6, 7), (4, 3, 3, 3), True, dict(padding="same")),
    ("same_even_kernel", (2, 3, 6, 7), (4, 3, 4, 2), True, dict(padding="same")),
    ("same_dilated", (1, 2, 7, 6), (3, 2, 3, 3), False, dict(padding="same", dilation=2)),
    ("groups2", (2, 4, 6, 6), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ("groups2_stride2", (2, 4, 7, 7), (4, 2, 3, 3), False, dict(groups=2, stride=2, padding=1)),
    ("depthwise", (2, 4, 6, 6), (4, 1, 3, 3), True, dict(groups=4, padding=1)),
    ("depthwise_multiplier2_stride2", (2, 3, 7, 8), (6, 1, 3, 3), False, dict(groups=3, stride=2, padding=1)),
    ("padding_larger_than_kernel", (1, 2, 4, 4), (3, 2, 3, 3), True, dict(padding=3, stride=2)),
    ("padding_larger_than_kernel_stride1", (1, 2, 4, 3), (3, 2, 2, 2), True, dict(padding=(3, 2))),
    ("batch1_large_channels", (1, 16, 5, 5), (8, 16, 3, 3), True, dict(padding=1)),
    ("many_channels_stride1", (2, 20, 5, 6), (6, 20, 3, 3), True, dict(padding=1)),
    ("many_channels_dilated", (2, 20, 7, 6), (5, 20, 3, 2), False, dict(padding=(2, 1), dilation=2)),
    ("output_1x1", (2, 3, 3, 3), (2, 3, 3, 3), True, {}),
    ("stride_skips_input_edge", (2, 2, 8, 8), (3, 2, 3, 3), True, dict(stride=3)),
]

CONV_TRANSPOSE2D = [
    ("3x3", (2, 3, 4, 5), (3, 4, 3, 3), True, {}),
    ("stride2_pad1_outpad1", (2, 3, 4, 4), (3, 2, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ("stride2_k4", (1, 2, 3, 5), (2, 3, 4, 4), False, dict(stride=2, padding=1)),
    ("1x1_stride2", (2, 4, 3, 3), (4, 2, 1, 1), True, dict(stride=2)),
    ("non_square", (2, 3, 4, 5), (3, 2, 3, 2), True, dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0))),
    ("dilation2", (1, 2, 4, 4), (2, 3, 3, 3), True, dict(dilation=2, padding=1)),
    ("dilation_outpad", (1, 2, 4, 4), (2, 3, 3, 3), False, dict(dilation=2, output_padding=1)),
    ("groups2", (2, 4, 3, 4), (4, 3, 3, 3), True, dict(groups=2, stride=2, padding=1, output_padding=1)),
    ("depthwise", (2, 3, 4, 4), (3, 1, 3, 3), True, dict(groups=3, padding=1)),
    ("large_padding", (1, 2, 5, 5), (2, 2, 3, 3), True, dict(padding=2)),
]


def _ids(configs):
    return [c[0] for c in configs]


def _call_conv(fn, bias, kw):
    return lambda x, w, b=None: fn(x, w, b, **kw) if bias else fn(x, w, **kw)


# -- against PyTorch ----------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,xs,ws,bias,kw", CONV2D, ids=_ids(CONV2D))
def test_conv2d_matches_pytorch(name, xs, ws, bias, kw, dtype):
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    _compare_with_torch(_call_conv(conv2d, bias, kw), _call_conv(F.conv2d, bias, kw), shapes, dtype, what=name)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,xs,ws,bias,kw", CONV_TRANSPOSE2D, ids=_ids(CONV_TRANSPOSE2D))
def test_conv_transpose2d_matches_pytorch(name, xs, ws, bias, kw, dtype):
    shapes = [xs, ws] + ([(ws[1] * kw.get("groups", 1),)] if bias else [])
    _compare_with_torch(
        _call_conv(conv_transpose2d, bias, kw), _call_conv(F.conv_transpose2d, bias, kw), shapes, dtype, what=name
    )


@needs_torch
@pytest.mark.parametrize("fn_name", ["conv2d", "conv_transpose2d"])
def test_unbatched_3d_input_matches_pytorch(fn_name):
    ours_fn = {"conv2d": conv2d, "conv_transpose2d": conv_transpose2d}[fn_name]
    kw = dict(stride=2, padding=1)
    _compare_with_torch(
        lambda x, w, b: ours_fn(x, w, b, **kw),
        lambda x, w, b: getattr(F, fn_name)(x, w, b, **kw),
        [(3, 7, 6), (3, 3, 3, 3), (3,)],
        np.float64,
        what=fn_name,
    )


@needs_torch
def test_realistic_resnet_shapes_match_pytorch_in_float32():
    for xs, ws, kw in [
        ((2, 16, 32, 32), (16, 16, 3, 3), dict(padding=1)),
        ((2, 16, 32, 32), (32, 16, 3, 3), dict(stride=2, padding=1)),
        ((2, 16, 32, 32), (32, 16, 1, 1), dict(stride=2)),
    ]:
        _compare_with_torch(
            lambda x, w: conv2d(x, w, **kw), lambda x, w: F.conv2d(x, w, **kw), [xs, ws], np.float32, what=str(xs)
        )


@needs_torch
@pytest.mark.parametrize(
    "fn_name,xs,ws,kw",
    [
        ("conv2d", (1, 2, 5, 5), (3, 2, 3, 3), dict(stride=2, padding=1)),
        ("conv2d", (2, 4, 5, 4), (4, 2, 3, 2), dict(groups=2, padding="same", dilation=(1, 2))),
        ("conv_transpose2d", (1, 2, 3, 3), (2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ],
    ids=["conv2d_strided", "conv2d_grouped_same", "conv_transpose2d"],
)
def test_double_backward_matches_pytorch(fn_name, xs, ws, kw):
    """A gradient penalty: d/d(x, w) of sum(dL/dx ** 2) + sum(dL/dw ** 2), L = sum(y * t)."""
    rng = np.random.default_rng(5)
    x, w = _values(xs, rng), _values(ws, rng)
    ours_fn = {"conv2d": conv2d, "conv_transpose2d": conv_transpose2d}[fn_name]
    results = []
    for lib, fn in ((nf, ours_fn), (torch, getattr(F, fn_name))):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = fn(xt, wt, **kw)
        target = lib.tensor(np.linspace(-1, 1, int(np.prod(tuple(y.shape)))).reshape(tuple(y.shape)))
        gx, gw = lib.autograd.grad((y * target).sum(), [xt, wt], create_graph=True)
        penalty = (gx * gx).sum() + (gw * gw).sum()
        penalty.backward()
        results.append((penalty.item(), xt.grad.numpy(), wt.grad.numpy()))
    (p1, gx1, gw1), (p2, gx2, gw2) = results
    assert p1 == pytest.approx(p2, rel=1e-10)
    np.testing.assert_allclose(gx1, gx2, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw1, gw2, rtol=1e-10, atol=1e-10)


@needs_torch
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_conv2d_matches_pytorch_on_random_geometries(data):
    groups = data.draw(st.sampled_from([1, 1, 2, 3]), "groups")
    cin = groups * data.draw(st.integers(1, 2), "in per group")
    cout = groups * data.draw(st.integers(1, 2), "out per group")
    kh, kw = data.draw(st.integers(1, 4), "kh"), data.draw(st.integers(1, 4), "kw")
    sh, sw = data.draw(st.integers(1, 3), "sh"), data.draw(st.integers(1, 3), "sw")
    dh, dw = data.draw(st.integers(1, 2), "dh"), data.draw(st.integers(1, 2), "dw")
    ph, pw = data.draw(st.integers(0, 3), "ph"), data.draw(st.integers(0, 3), "pw")
    H = data.draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9), "H")
    W = data.draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9), "W")
    n = data.draw(st.integers(1, 2), "batch")
    bias = data.draw(st.booleans(), "bias")
    kw_ = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups)
    shapes = [(n, cin, H, W), (cout, cin // groups, kh, kw)] + ([(cout,)] if bias else [])
    _compare_with_torch(
        _call_conv(conv2d, bias, kw_), _call_conv(F.conv2d, bias, kw_), shapes, np.float64, what=str(kw_)
    )


@needs_torch
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_conv_transpose2d_matches_pytorch_on_random_geometries(data):
    groups = data.draw(st.sampled_from([1, 1, 2]), "groups")
    cin = groups * data.draw(st.integers(1, 2), "in per group")
    cout_g = data.draw(st.integers(1, 2), "out per group")
    kh, kw = data.draw(st.integers(1, 4), "kh"), data.draw(st.integers(1, 4), "kw")
    sh, sw = data.draw(st.integers(1, 3), "sh"), data.draw(st.integers(1, 3), "sw")
    dh, dw = data.draw(st.integers(1, 2), "dh"), data.draw(st.integers(1, 2), "dw")
    oph = data.draw(st.integers(0, max(sh, dh) - 1), "oph")
    opw = data.draw(st.integers(0, max(sw, dw) - 1), "opw")
    H, W = data.draw(st.integers(1, 6), "H"), data.draw(st.integers(1, 6), "W")
    ph = data.draw(st.integers(0, ((H - 1) * sh + dh * (kh - 1) + oph) // 2), "ph")
    pw = data.draw(st.integers(0, ((W - 1) * sw + dw * (kw - 1) + opw) // 2), "pw")
    kw_ = dict(stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw), dilation=(dh, dw), groups=groups)
    shapes = [(2, cin, H, W), (cin, cout_g, kh, kw), (cout_g * groups,)]
    _compare_with_torch(
        lambda x, w, b: conv_transpose2d(x, w, b, **kw_),
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw_),
        shapes,
        np.float64,
        what=str(kw_),
    )


# -- finite differences -----------------------------------------------------------------------

GRADCHECK = [
    ("conv2d_pad1", lambda x, w, b: conv2d(x, w, b, padding=1), [(1, 2, 4, 4), (2, 2, 3, 3), (2,)]),
    (
        "conv2d_stride2_groups2",
        lambda x, w, b: conv2d(x, w, b, stride=2, padding=1, groups=2),
        [(1, 2, 5, 4), (2, 1, 3, 2), (2,)],
    ),
    (
        "conv2d_same_dilated",
        lambda x, w, b: conv2d(x, w, b, padding="same", dilation=2),
        [(1, 1, 5, 5), (2, 1, 3, 3), (2,)],
    ),
    (
        "conv2d_depthwise_stride2",
        lambda x, w, b: conv2d(x, w, b, stride=2, groups=2),
        [(2, 2, 4, 4), (2, 1, 2, 2), (2,)],
    ),
    (
        "conv_transpose2d_stride2",
        lambda x, w, b: conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(1, 2, 3, 3), (2, 2, 3, 3), (2,)],
    ),
    (
        "conv_transpose2d_stride1",
        lambda x, w, b: conv_transpose2d(x, w, b, padding=1),
        [(1, 2, 3, 3), (2, 1, 3, 3), (1,)],
    ),
    (
        "conv_transpose2d_groups_dilation",
        lambda x, w, b: conv_transpose2d(x, w, b, groups=2, dilation=2),
        [(1, 2, 2, 3), (2, 1, 2, 2), (2,)],
    ),
]


@pytest.mark.parametrize("name,fn,shapes", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradients_match_finite_differences(name, fn, shapes):
    rng = np.random.default_rng(1)
    inputs = [nf.tensor(_values(s, rng), requires_grad=True) for s in shapes]
    assert nf.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("name,fn,shapes", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_second_derivatives_match_finite_differences(name, fn, shapes):
    rng = np.random.default_rng(2)
    inputs = [nf.tensor(_values(s, rng), requires_grad=True) for s in shapes]
    assert nf.autograd.gradgradcheck(fn, inputs, atol=1e-4)


def test_gradgradcheck_with_only_the_input_requiring_grad():
    rng = np.random.default_rng(3)
    x = nf.tensor(_values((1, 2, 4, 4), rng), requires_grad=True)
    w = nf.tensor(_values((2, 2, 3, 3), rng))
    assert nf.autograd.gradgradcheck(lambda x: conv2d(x, w, stride=2, padding=1), [x], atol=1e-4)


def test_gradgradcheck_with_only_the_weight_requiring_grad():
    rng = np.random.default_rng(4)
    x = nf.tensor(_values((1, 2, 4, 4), rng))
    w = nf.tensor(_values((2, 2, 3, 3), rng), requires_grad=True)
    assert nf.autograd.gradgradcheck(lambda w: conv2d(x, w, padding=1), [w], atol=1e-4)


# -- double backward, one case per kernel strategy ------------------------------------------
# (name, input shape, weight shape, keyword arguments, (strategy, input gradient by a
# stride-1 convolution)): small enough for gradgradcheck; the strategy is asserted, so
# each case covers the kernels it names.

STRATEGIES = [
    ("1x1", (1, 2, 3, 3), (3, 2, 1, 1), {}, ("Pointwise", None)),
    ("1x1_strided", (1, 2, 5, 4), (2, 2, 1, 1), dict(stride=2), ("Pointwise", None)),
    ("few_channels", (1, 2, 4, 4), (3, 2, 3, 3), dict(padding=1), ("FewChannels", False)),
    ("few_channels_input_grad_by_conv", (1, 3, 4, 4), (2, 3, 3, 3), dict(padding=1), ("FewChannels", True)),
    ("few_channels_strided", (1, 2, 5, 4), (3, 2, 3, 3), dict(stride=2, padding=1), ("FewChannels", False)),
    ("taps_many_channels", (1, 17, 4, 4), (2, 17, 3, 3), dict(padding=1), ("Taps/Im2col", True)),
    ("taps_few_channels", (2, 16, 4, 3), (3, 16, 3, 2), dict(padding=(1, 0)), ("Taps/Im2col", True)),
    ("taps_im2col_weight_grad", (2, 8, 4, 3), (9, 8, 3, 3), dict(padding=1), ("Taps/Im2col", False)),
    ("taps_strided", (1, 8, 5, 4), (3, 8, 3, 3), dict(stride=2, padding=1), ("Taps/Im2col", False)),
    ("grouped", (1, 2, 4, 4), (4, 1, 3, 3), dict(groups=2, padding=1), ("Im2col", False)),
    ("grouped_input_grad_by_conv", (1, 4, 4, 4), (4, 2, 3, 3), dict(groups=2, padding=1), ("Im2col", True)),
    ("dilated", (1, 2, 6, 6), (3, 2, 3, 3), dict(dilation=2, padding=2), ("FewChannels", False)),
    ("dilated_taps", (1, 12, 6, 6), (3, 12, 3, 3), dict(dilation=2, padding=2), ("Taps/Im2col", True)),
    ("dilated_strided", (1, 2, 7, 6), (3, 2, 3, 2), dict(dilation=(2, 1), stride=2, padding=1), ("FewChannels", False)),
    ("im2col_deep_strided", (1, 129, 3, 2), (2, 129, 3, 3), dict(stride=2, padding=1), ("Im2col", False)),
]


@pytest.fixture
def chosen_strategies(monkeypatch):
    """The kernel strategies conv.py picks, as ``(class name, input_grad_by_conv)``."""
    picked = []
    real = conv_module.strategy_for

    def spy(*args):
        kernels = real(*args)
        rest = getattr(kernels, "rest", None)  # Taps: the forward's, and its gradients' strategy
        name = type(kernels).__name__ + (f"/{type(rest).__name__}" if rest is not None else "")
        picked.append((name, getattr(rest or kernels, "input_grad_by_conv", None)))
        return kernels

    monkeypatch.setattr(conv_module, "strategy_for", spy)
    return picked


def _first_and_second_derivatives(lib, fn, arrays, wrt, kw):
    """First derivatives of ``conv2d(x, w, b)`` for the upstream gradient ``g`` (a leaf)
    with a graph, then the derivatives of a random projection of them with respect to
    ``g`` and whichever of ``x, w`` require grad (None where there is no dependence)."""
    x, w, b, g, *projections = arrays
    xt, wt = lib.tensor(x, requires_grad="x" in wrt), lib.tensor(w, requires_grad="w" in wrt)
    bt, gt = lib.tensor(b, requires_grad=True), lib.tensor(g, requires_grad=True)
    leaves = [t for t in (xt, wt) if t.requires_grad]
    firsts = lib.autograd.grad(fn(xt, wt, bt, **kw), leaves + [bt], grad_outputs=gt, create_graph=True)
    projection = sum((f * lib.tensor(p)).sum() for f, p in zip(firsts, projections))
    seconds = lib.autograd.grad(projection, leaves + [gt], allow_unused=True)
    return [f.detach().numpy() for f in firsts] + [None if s is None else s.numpy() for s in seconds]


@needs_torch
@pytest.mark.parametrize("wrt", ["xw", "x", "w"])
@pytest.mark.parametrize("name,xs,ws,kw,strategy", STRATEGIES, ids=_ids(STRATEGIES))
def test_double_backward_of_every_strategy_matches_pytorch(chosen_strategies, name, xs, ws, kw, strategy, wrt):
    rng = np.random.default_rng(11)
    y_shape = tuple(F.conv2d(torch.zeros(xs, dtype=torch.float64), torch.zeros(ws, dtype=torch.float64), **kw).shape)
    grad_shapes = [s for s, v in ((xs, "x"), (ws, "w")) if v in wrt] + [(ws[0],)]
    arrays = [_values(s, rng) for s in [xs, ws, (ws[0],), y_shape] + grad_shapes]
    ours = _first_and_second_derivatives(nf, conv2d, arrays, wrt, kw)
    assert chosen_strategies[0] == strategy
    theirs = _first_and_second_derivatives(torch, F.conv2d, arrays, wrt, kw)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert (a is None) == (b is None), f"{name}: derivative {i} is {a} here, {b} in PyTorch"
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8, err_msg=f"{name}: derivative {i}")


@pytest.mark.parametrize("name,xs,ws,kw,strategy", STRATEGIES, ids=_ids(STRATEGIES))
def test_every_strategy_passes_gradgradcheck(chosen_strategies, name, xs, ws, kw, strategy):
    rng = np.random.default_rng(12)
    inputs = [nf.tensor(_values(s, rng), requires_grad=True) for s in (xs, ws, (ws[0],))]
    assert nf.autograd.gradgradcheck(lambda x, w, b: conv2d(x, w, b, **kw), inputs, atol=1e-4)
    assert chosen_strategies[0] == strategy


def test_gradients_with_and_without_a_graph_agree():
    """The gradient op runs the same kernels whether or not the engine records a graph."""
    rng = np.random.default_rng(13)
    x = nf.tensor(_values((2, 3, 6, 6), rng), requires_grad=True)
    w = nf.tensor(_values((4, 3, 3, 3), rng), requires_grad=True)
    y = conv2d(x, w, stride=2, padding=1)
    g = nf.tensor(_values(tuple(y.shape), rng))
    plain = nf.autograd.grad(y, [x, w], grad_outputs=g, retain_graph=True)
    graphed = nf.autograd.grad(y, [x, w], grad_outputs=g, create_graph=True)
    for a, b in zip(plain, graphed):
        assert a.grad_fn is None and b.grad_fn.name() == "ConvolutionBackwardBackward0"
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_convolution_backward_leaves_out_the_outputs_not_asked_for():
    rng = np.random.default_rng(14)
    x, w, g = _values((1, 2, 5, 5), rng), _values((3, 2, 3, 3), rng), _values((1, 3, 3, 3), rng)
    geom = conv2d(nf.tensor(x, requires_grad=True), nf.tensor(w)).grad_fn.geom
    backward = conv_module.ConvolutionBackward.apply
    gx, gw = backward(nf.tensor(g), nf.tensor(x), nf.tensor(w), geom, (x.shape, w.shape), (True, False))
    assert gx is not None and gw is None
    gx, gw = backward(nf.tensor(g), nf.tensor(x), None, geom, (x.shape, w.shape), (False, True))
    assert gx is None and tuple(gw.shape) == w.shape


# -- dtypes, layouts, bookkeeping ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,ws,kw",
    [
        (conv2d, (4, 3, 3, 3), dict(padding=1)),
        (conv2d, (4, 3, 3, 3), dict(stride=2, padding=1)),
        (conv_transpose2d, (3, 4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
        (conv_transpose2d, (3, 4, 3, 3), dict(padding=1)),
    ],
    ids=["conv2d", "conv2d_stride2", "conv_transpose2d_stride2", "conv_transpose2d"],
)
def test_float32_in_gives_float32_out_and_float32_gradients(fn, ws, kw):
    rng = np.random.default_rng(6)
    x = nf.tensor(_values((2, 3, 6, 6), rng, np.float32), requires_grad=True)
    w = nf.tensor(_values(ws, rng, np.float32), requires_grad=True)
    b = nf.tensor(_values((ws[0] if fn is conv2d else ws[1],), rng, np.float32), requires_grad=True)
    y = fn(x, w, b, **kw)
    assert y.dtype == nf.float32
    (y * y).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == nf.float32
    (gx,) = nf.autograd.grad((fn(x, w, b, **kw) ** 2).sum(), [x], create_graph=True)
    assert gx.dtype == nf.float32


def test_grad_fn_is_named_like_pytorchs():
    x = nf.randn(1, 2, 5, 5, requires_grad=True)
    w = nf.randn(3, 2, 3, 3, requires_grad=True)
    assert conv2d(x, w).grad_fn.name() == "ConvolutionBackward0"
    assert conv_transpose2d(x, w.transpose(0, 1)).grad_fn.name() == "ConvolutionBackward0"


@needs_torch
def test_non_contiguous_input_and_weight():
    rng = np.random.default_rng(7)
    x = _values((2, 6, 7, 3), rng)  # used as (2, 3, 7, 6) via transpose
    w = _values((3, 3, 4, 3), rng)  # used as (4, 3, 3, 3) via permute
    ours = conv2d(nf.tensor(x).transpose(1, 3), nf.tensor(w).permute(2, 0, 1, 3), padding=1, stride=2)
    theirs = F.conv2d(torch.tensor(x).transpose(1, 3), torch.tensor(w).permute(2, 0, 1, 3), padding=1, stride=2)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-10)


def test_empty_batch_gives_empty_output_and_gradients():
    x = nf.zeros(0, 3, 6, 6, requires_grad=True)
    w = nf.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, padding=1)
    assert tuple(y.shape) == (0, 4, 6, 6)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 6, 6)
    np.testing.assert_array_equal(w.grad.numpy(), 0)


@needs_torch
def test_several_convolutions_before_one_backward():
    """Three convolutions of the same shape recorded before one backward: each keeps what
    its backward needs."""
    rng = np.random.default_rng(8)
    xs = [_values((8, 16, 24, 24), rng) for _ in range(3)]
    w = _values((16, 16, 3, 3), rng)
    results = []
    for lib, fn in ((nf, conv2d), (torch, F.conv2d)):
        wt = lib.tensor(w, requires_grad=True)
        xts = [lib.tensor(x, requires_grad=True) for x in xs]
        ys = [fn(xt, wt, padding=1) for xt in xts]
        (ys[0] * ys[1] + ys[2]).sum().backward()
        results.append([wt.grad.numpy()] + [xt.grad.numpy() for xt in xts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-9)


def test_backward_twice_with_retain_graph_gives_the_same_gradients():
    rng = np.random.default_rng(9)
    x = nf.tensor(_values((2, 3, 8, 8), rng, np.float32), requires_grad=True)
    w = nf.tensor(_values((4, 3, 3, 3), rng, np.float32), requires_grad=True)
    y = conv2d(x, w, stride=2, padding=1).sum()
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy(), x.grad.numpy().copy()
    w.grad = None
    x.grad = None
    conv2d(nf.randn(2, 3, 8, 8), w, stride=2, padding=1)  # another call in between
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), first[0])
    np.testing.assert_array_equal(x.grad.numpy(), first[1])


def test_input_changed_in_place_after_forward_is_detected():
    x = nf.randn(1, 2, 5, 5)
    w = nf.randn(3, 2, 3, 3, requires_grad=True)
    y = conv2d(x, w)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_numpy_arrays_are_accepted_as_inputs():
    y = conv2d(np.ones((1, 2, 4, 4)), np.ones((1, 2, 3, 3)))
    np.testing.assert_array_equal(y.numpy(), np.full((1, 1, 2, 2), 18.0))


# -- errors ----------------------------------------------------------------------------------


def test_channel_mismatch_names_both_shapes():
    with _raises(
        RuntimeError, "conv2d: input has 3 channels but the weight expects 1", "(8, 3, 28, 28)", "(16, 1, 3, 3)"
    ):
        conv2d(nf.zeros(8, 3, 28, 28), nf.zeros(16, 1, 3, 3))


def test_grouped_channel_mismatch_mentions_groups():
    with _raises(RuntimeError, "conv2d: input has 4 channels but the weight expects 6", "groups=3"):
        conv2d(nf.zeros(1, 4, 5, 5), nf.zeros(6, 2, 3, 3), groups=3)


@pytest.mark.parametrize(
    "xs,ws,kw,fragments",
    [
        ((8, 8), (4, 2, 3, 3), {}, ["conv2d", "3-D (unbatched) or 4-D", "(8, 8)"]),
        ((1, 1, 2, 8, 8), (4, 2, 3, 3), {}, ["conv2d", "(1, 1, 2, 8, 8)"]),
        ((1, 2, 8, 8), (4, 2, 3), {}, ["conv2d", "4-D weight", "(4, 2, 3)"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(stride=0), ["conv2d", "stride must be positive", "(0, 0)"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(stride=(1, 1, 1)), ["conv2d", "stride", "(1, 1, 1)"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(dilation=(1, 0)), ["conv2d", "dilation must be positive"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(padding=-1), ["conv2d", "negative padding", "(-1, -1)"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(padding="full"), ["conv2d", "invalid padding string", "'full'"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(padding="same", stride=2), ["conv2d", "padding='same'", "strided"]),
        ((1, 2, 8, 8), (4, 2, 3, 3), dict(groups=0), ["conv2d", "groups must be positive"]),
        ((1, 4, 8, 8), (3, 2, 3, 3), dict(groups=2), ["conv2d", "3 output channels", "not divisible by groups=2"]),
        ((1, 2, 2, 2), (4, 2, 3, 3), {}, ["conv2d", "kernel", "larger than the padded input", "2x2", "(1, 2, 2, 2)"]),
        ((1, 2, 4, 4), (4, 2, 3, 3), dict(dilation=2), ["conv2d", "5x5", "larger than the padded input"]),
    ],
)
def test_conv2d_bad_arguments_raise_runtime_errors_naming_the_problem(xs, ws, kw, fragments):
    with _raises(RuntimeError, *fragments):
        conv2d(nf.zeros(*xs), nf.zeros(*ws), **kw)


def test_bias_of_the_wrong_size_is_rejected():
    with _raises(RuntimeError, "conv2d", "bias", "4 elements", "(3,)"):
        conv2d(nf.zeros(1, 2, 5, 5), nf.zeros(4, 2, 3, 3), nf.zeros(3))


def test_mixed_dtypes_are_rejected():
    with _raises(RuntimeError, "conv2d", "same dtype", "float64", "float32"):
        conv2d(nf.zeros(1, 2, 5, 5, dtype=nf.float64), nf.zeros(4, 2, 3, 3))


def test_integer_tensors_are_rejected():
    with _raises(RuntimeError, "conv2d", "floating-point", "int64"):
        conv2d(nf.zeros(1, 2, 5, 5, dtype=nf.int64), nf.zeros(4, 2, 3, 3, dtype=nf.int64))


def test_non_tensor_input_is_a_type_error():
    with _raises(TypeError, "conv2d", "input", "list"):
        conv2d([[1.0]], nf.zeros(1, 1, 1, 1))
    with _raises(TypeError, "conv2d", "stride", "1.5"):
        conv2d(nf.zeros(1, 1, 3, 3), nf.zeros(1, 1, 1, 1), stride=1.5)


@pytest.mark.parametrize(
    "xs,ws,kw,fragments",
    [
        ((1, 3, 4, 4), (2, 4, 3, 3), {}, ["conv_transpose2d: input has 3 channels but the weight expects 2"]),
        (
            (1, 2, 4, 4),
            (2, 4, 3, 3),
            dict(stride=2, output_padding=2),
            ["conv_transpose2d", "output padding", "smaller than either stride or dilation"],
        ),
        ((1, 2, 1, 1), (2, 4, 1, 1), dict(padding=1), ["conv_transpose2d", "output size is too small", "-1x-1"]),
        ((1, 4, 4, 4), (4, 3, 3, 3), dict(groups=3), ["conv_transpose2d", "not divisible by groups=3"]),
        ((1, 2, 4, 4), (2, 4, 3, 3), dict(padding="same"), ["conv_transpose2d", "padding", "'same'"]),
    ],
)
def test_conv_transpose2d_bad_arguments_raise_runtime_errors(xs, ws, kw, fragments):
    with _raises(RuntimeError, *fragments):
        conv_transpose2d(nf.zeros(*xs), nf.zeros(*ws), **kw)
