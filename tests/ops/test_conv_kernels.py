"""numpyflow/ops/_conv_kernels.py: which strategy ``strategy_for`` picks, every strategy's
kernels against the general im2col path (and PyTorch), the fused gradient pass against the
separate ones, batch chunks over threads, and the stride-phase layout pooling shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow._blas import Blas
from numpyflow.ops import _conv_kernels as kernels
from numpyflow.ops._conv_kernels import ConvGeometry, Im2col, strategy_for


def _geometry(x_shape, w_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """conv2d's geometry (symmetric padding)."""
    (_, _, H, W), (_, _, kh, kw) = x_shape, w_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    return ConvGeometry(kh, kw, sh, sw, dh, dw, ph, ph, pw, pw, groups, H, W, Ho, Wo)


def _arrays(x_shape, w_shape, geom, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    gy = rng.standard_normal((x_shape[0], w_shape[0], geom.Ho, geom.Wo))
    return x, w, gy


def _torch_reference(x, w, gy, geom):
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = torch.nn.functional.conv2d(
        xt, wt, None, (geom.sh, geom.sw), (geom.pt, geom.pl), (geom.dh, geom.dw), geom.groups
    )
    y.backward(torch.tensor(gy))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


def _all_kernels(strategy, x, w, gy):
    """forward, input gradient, weight gradient, then the fused pair."""
    return [
        strategy.forward(x, w, None),
        strategy.input_grad(gy, w, x.shape),
        strategy.weight_grad(x, gy, w.shape),
        *strategy.input_and_weight_grad(x, gy, w),
    ]


def _kind(strategy):
    """The strategy's class name, and its gradient strategy's after a slash (``Taps``)."""
    rest = getattr(strategy, "rest", None)
    return type(strategy).__name__ + (f"/{type(rest).__name__}" if rest is not None else "")


# (name, x shape, w shape, geometry keywords, expected strategy, input gradient by convolution)
CASES = [
    ("1x1", (2, 8, 5, 5), (4, 8, 1, 1), {}, "Pointwise", None),
    ("1x1_strided", (2, 4, 7, 6), (6, 4, 1, 1), dict(stride=(2, 2)), "Pointwise", None),
    ("1x1_padded", (2, 4, 5, 5), (3, 4, 1, 1), dict(padding=(1, 1)), "FewChannels", True),
    ("3x3_few_channels_more_out", (2, 3, 6, 6), (8, 3, 3, 3), dict(padding=(1, 1)), "FewChannels", False),
    ("3x3_eight_channels", (2, 8, 6, 6), (8, 8, 3, 3), dict(padding=(1, 1)), "Taps/Im2col", True),
    ("3x3_eight_channels_more_out", (2, 8, 6, 5), (10, 8, 3, 3), dict(padding=(1, 1)), "Taps/Im2col", False),
    ("3x3_few_channels_same_out", (2, 16, 6, 6), (16, 16, 3, 3), dict(padding=(1, 1)), "Taps/Im2col", True),
    ("3x3_rows_more_out", (2, 12, 5, 6), (16, 12, 3, 3), dict(padding=(1, 2)), "Taps/Im2col", False),
    ("3x3_many_channels", (2, 17, 5, 5), (8, 17, 3, 3), dict(padding=(1, 1)), "Taps/Im2col", True),
    ("3x3_many_channels_more_out", (2, 20, 5, 4), (24, 20, 3, 3), dict(padding=(1, 1)), "Taps/Im2col", False),
    ("3x3_strided", (2, 3, 8, 7), (4, 3, 3, 3), dict(stride=(2, 2), padding=(1, 1)), "FewChannels", False),
    ("grouped", (2, 4, 6, 6), (4, 2, 3, 3), dict(padding=(1, 1), groups=2), "Im2col", True),
    ("dilated", (2, 3, 9, 9), (4, 3, 3, 3), dict(padding=(2, 2), dilation=(2, 2)), "FewChannels", False),
    ("im2col_deep", (2, 257, 4, 3), (3, 257, 3, 3), dict(padding=(1, 1)), "Im2col", False),
    ("im2col_deep_strided", (2, 129, 5, 4), (4, 129, 3, 3), dict(stride=(2, 2), padding=(1, 0)), "Im2col", False),
    (
        "few_channels_strided_dilated",
        (2, 2, 9, 8),
        (3, 2, 3, 2),
        dict(stride=(2, 3), padding=(2, 1), dilation=(2, 2)),
        "FewChannels",
        False,
    ),
    ("dilated_taps", (2, 16, 9, 8), (4, 16, 2, 3), dict(padding=(2, 1), dilation=(2, 3)), "Taps/Im2col", True),
    ("uneven_padding_taps", (2, 16, 7, 6), (20, 16, 3, 3), dict(padding=(0, 2)), "Taps/Im2col", False),
    ("strided_taps", (2, 8, 9, 8), (6, 8, 3, 3), dict(stride=(2, 2), padding=(1, 1)), "Taps/Im2col", False),
    (
        "strided_dilated_taps",
        (2, 12, 11, 9),
        (5, 12, 3, 2),
        dict(stride=(2, 3), padding=(2, 1), dilation=(2, 2)),
        "Taps/Im2col",
        False,
    ),
    ("strided_unpadded_taps", (2, 8, 7, 7), (4, 8, 2, 2), dict(stride=(2, 2)), "Taps/Im2col", False),
    ("unpadded_taps", (2, 16, 6, 7), (24, 16, 3, 4), {}, "Taps/Im2col", False),
]


@pytest.mark.parametrize("name,xs,ws,kw,cls,by_conv", CASES, ids=[c[0] for c in CASES])
def test_strategy_for_picks_by_geometry_and_channels(name, xs, ws, kw, cls, by_conv):
    picked = strategy_for(_geometry(xs, ws, **kw), xs[1], ws[0])
    assert _kind(picked) == cls
    assert getattr(getattr(picked, "rest", picked), "input_grad_by_conv", None) == by_conv


def test_taps_cover_8_to_256_channels_and_the_flipped_convolution_up_to_128():
    for channels, kind, by_conv in [
        (7, "FewChannels", True),
        (8, "Taps/Im2col", True),
        (128, "Taps/Im2col", True),
        (129, "Taps/Im2col", False),
        (256, "Taps/Im2col", False),
        (257, "Im2col", False),
    ]:
        geom = _geometry((1, channels, 6, 6), (4, channels, 3, 3), padding=(1, 1))
        picked = strategy_for(geom, channels, 4)
        assert _kind(picked) == kind, channels
        assert getattr(picked, "rest", picked).input_grad_by_conv == by_conv, channels
    for channels, kind in [(128, "Taps/Im2col"), (129, "Im2col")]:
        geom = _geometry((1, channels, 6, 6), (4, channels, 3, 3), stride=(2, 2), padding=(1, 1))
        assert _kind(strategy_for(geom, channels, 4)) == kind, channels
    assert not strategy_for(_geometry((1, 8, 6, 6), (4, 8, 3, 3)), 8, 4).rows_weight_grad
    assert strategy_for(_geometry((1, 12, 6, 6), (4, 12, 3, 3)), 12, 4).rows_weight_grad


@pytest.mark.parametrize("name,xs,ws,kw,cls,by_conv", CASES, ids=[c[0] for c in CASES])
def test_every_strategy_matches_the_col2im_path(name, xs, ws, kw, cls, by_conv):
    """Each kernel against ``Im2col`` with col2im, the general path that fits any geometry."""
    geom = _geometry(xs, ws, **kw)
    x, w, gy = _arrays(xs, ws, geom)
    ours = _all_kernels(strategy_for(geom, xs[1], ws[0]), x, w, gy)
    general = _all_kernels(Im2col(geom, input_grad_by_conv=False), x, w, gy)
    for what, a, b in zip(
        ["forward", "input grad", "weight grad", "fused input grad", "fused weight grad"], ours, general
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"{name}: {what}")


@needs_torch
@pytest.mark.parametrize("name,xs,ws,kw,cls,by_conv", CASES, ids=[c[0] for c in CASES])
def test_every_strategy_matches_pytorch(name, xs, ws, kw, cls, by_conv):
    geom = _geometry(xs, ws, **kw)
    x, w, gy = _arrays(xs, ws, geom, seed=1)
    y, gx, gw = _torch_reference(x, w, gy, geom)
    for what, a, b in zip(
        ["forward", "input grad", "weight grad", "fused input grad", "fused weight grad"],
        _all_kernels(strategy_for(geom, xs[1], ws[0]), x, w, gy),
        [y, gx, gw, gx, gw],
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"{name}: {what}")


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("name,xs,ws,kw,cls,by_conv", CASES, ids=[c[0] for c in CASES])
def test_many_small_chunks_over_threads_give_the_one_chunk_result(
    monkeypatch, name, xs, ws, kw, cls, by_conv, n_threads
):
    geom = _geometry((7,) + xs[1:], ws, **kw)
    x, w, gy = _arrays((7,) + xs[1:], ws, geom, seed=2)
    whole = _all_kernels(strategy_for(geom, xs[1], ws[0]), x, w, gy)
    before = nf.get_num_threads()
    monkeypatch.setattr(kernels, "CHUNK_BYTES", 1)  # one image per chunk
    nf.set_num_threads(n_threads)
    try:
        chunked = _all_kernels(strategy_for(geom, xs[1], ws[0]), x, w, gy)
    finally:
        nf.set_num_threads(before)
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name,xs,ws,kw,cls,by_conv", CASES, ids=[c[0] for c in CASES])
def test_an_empty_batch_gives_empty_outputs_and_a_zero_weight_gradient(name, xs, ws, kw, cls, by_conv):
    geom = _geometry((0,) + xs[1:], ws, **kw)
    x, w, gy = _arrays((0,) + xs[1:], ws, geom)
    y, gx, gw, fused_gx, fused_gw = _all_kernels(strategy_for(geom, xs[1], ws[0]), x, w, gy)
    assert y.shape == (0, ws[0], geom.Ho, geom.Wo) and gx.shape == fused_gx.shape == x.shape
    np.testing.assert_array_equal(gw, np.zeros(ws))
    np.testing.assert_array_equal(fused_gw, np.zeros(ws))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_keep_float32_and_float64(dtype):
    geom = _geometry((2, 3, 6, 6), (4, 3, 3, 3), stride=(2, 2), padding=(1, 1))
    x, w, gy = (a.astype(dtype) for a in _arrays((2, 3, 6, 6), (4, 3, 3, 3), geom))
    assert all(a.dtype == dtype for a in _all_kernels(strategy_for(geom, 3, 4), x, w, gy))


@pytest.mark.parametrize("stride,padding", [((1, 1), (0, 0)), ((2, 3), (1, 2)), ((3, 2), (2, 0))])
def test_phase_layout_round_trips(stride, padding):
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 8))
    geom = _geometry(x.shape, (1, 3, 3, 3), stride=stride, padding=padding)
    out = kernels.from_phases(kernels.to_phases(x, geom, fill=np.nan), geom, np.empty_like(x))
    np.testing.assert_array_equal(out, x)


@settings(max_examples=80, deadline=None)
@given(
    size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    transposed=st.booleans(),
)
def test_phase_buffer_holds_the_padded_input_by_stride_phase(size, stride, padding, transposed):
    """Phase (a, b) of the buffer is the padded input's rows a, a+sh, ... and columns
    b, b+sw, ... (merged stride-2 copies included), for contiguous and transposed inputs;
    and from_phases takes it back."""
    H, W = size
    x = np.random.default_rng(H * W).standard_normal((3, 2, H, W))
    if transposed:
        x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    geom = _geometry(x.shape, (1, 2, 1, 1), stride=stride, padding=padding)
    Hq, Wq = kernels.plane_dims(geom)
    (sh, sw), (ph, pw) = stride, padding
    padded = np.full((3, 2, sh * Hq, sw * Wq), -1.0)
    padded[:, :, ph : ph + H, pw : pw + W] = x
    expected = padded.reshape(3, 2, Hq, sh, Wq, sw).transpose(0, 1, 3, 5, 2, 4)
    buf = kernels.to_phases(x, geom, fill=-1.0)
    np.testing.assert_array_equal(buf[: expected.size].reshape(expected.shape), expected)
    np.testing.assert_array_equal(kernels.from_phases(buf, geom, np.empty_like(x)), x)


def test_tap_views_see_the_padded_input_under_each_tap():
    x = np.arange(2 * 5 * 6, dtype=np.float64).reshape(1, 2, 5, 6)
    geom = _geometry(x.shape, (1, 2, 2, 3), stride=(2, 2), padding=(1, 1))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    Wq = kernels.plane_dims(geom)[1]
    for i, j, view in kernels.tap_views(kernels.to_phases(x, geom), geom, 1, 2):
        seen = view.reshape(2, geom.Ho, Wq)[:, :, : geom.Wo]
        expected = padded[0, :, i : i + 2 * geom.Ho : 2, j : j + 2 * geom.Wo : 2]
        np.testing.assert_array_equal(seen, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride", [(1, 1), (2, 2)])
def test_taps_without_blas_gemm_fall_back_to_the_gradient_strategy(monkeypatch, dtype, stride):
    geom = _geometry((3, 16, 6, 5), (20, 16, 3, 3), stride=stride, padding=(1, 1))
    x, w, gy = (a.astype(dtype) for a in _arrays((3, 16, 6, 5), (20, 16, 3, 3), geom))
    picked = strategy_for(geom, 16, 20)
    by_taps = picked.forward(x, w, None), picked.input_grad(gy, w, x.shape)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    monkeypatch.setattr(kernels, "blas", lambda: Blas())  # a BLAS whose gemm can't be reached
    for strategy in (picked, picked.rest):
        np.testing.assert_allclose(strategy.forward(x, w, None), by_taps[0], rtol=tol, atol=tol)
        np.testing.assert_allclose(strategy.input_grad(gy, w, x.shape), by_taps[1], rtol=tol, atol=tol)


@settings(max_examples=60, deadline=None)
@given(
    channels=st.integers(8, 20),
    out_channels=st.integers(1, 24),
    size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    batch=st.integers(0, 3),
)
def test_taps_match_im2col_on_any_geometry(channels, out_channels, size, kernel, stride, dilation, padding, batch):
    """The tall layouts (shared gaps at stride 1, one block per phase when strided) against
    the general path, every kernel, over random geometries; chunks of one image."""
    (H, W), (kh, kw) = size, kernel
    if H + 2 * padding[0] < dilation[0] * (kh - 1) + 1 or W + 2 * padding[1] < dilation[1] * (kw - 1) + 1:
        return  # the window does not fit
    xs, ws = (batch, channels, H, W), (out_channels, channels, kh, kw)
    geom = _geometry(xs, ws, stride=stride, padding=padding, dilation=dilation)
    picked = strategy_for(geom, channels, out_channels)
    if getattr(picked, "rest", None) is None:
        return  # 1x1 without padding: Pointwise
    x, w, gy = _arrays(xs, ws, geom, seed=batch)
    before = kernels.CHUNK_BYTES
    kernels.CHUNK_BYTES = 1
    try:
        ours = _all_kernels(picked, x, w, gy)
    finally:
        kernels.CHUNK_BYTES = before
    general = _all_kernels(Im2col(geom, input_grad_by_conv=False), x, w, gy)
    for what, a, b in zip(
        ["forward", "input grad", "weight grad", "fused input grad", "fused weight grad"], ours, general
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=what)
