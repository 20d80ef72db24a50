"""numpyflow/ops/pooling.py: max, average and adaptive pooling against PyTorch (values,
indices, gradients; float64 and float32), tie and NaN rules, finite differences (first
and second derivatives), Hypothesis over random geometries, and errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.ops import pooling
from numpyflow.ops.pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d

F = torch.nn.functional if torch is not None else None
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}


def _raises(exc_type, *fragments):
    return pytest.raises(exc_type, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


def _compare_with_torch(name, x, args, kwargs, dtype=np.float64, seed=0, grad_seed=None):
    """``pooling.<name>`` and ``torch.nn.functional.<name>`` on the same input: values,
    indices (when returned) and the input gradient for the same upstream gradient."""
    tol = TOL[dtype]
    x = np.asarray(x, dtype)
    ours_x = nf.tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    ours = getattr(pooling, name)(ours_x, *args, **kwargs)
    theirs = getattr(F, name)(theirs_x, *args, **kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape), f"{name}: shape {tuple(o.shape)} != {tuple(t.shape)}"
        if t.dtype == torch.int64:
            assert o.dtype == nf.int64
            np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=f"{name} indices")
        else:
            assert o.dtype == ours_x.dtype
            np.testing.assert_allclose(
                o.detach().numpy(), t.detach().numpy(), equal_nan=True, err_msg=f"{name} values", **tol
            )
    if ours[0].numel() == 0:
        return
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(tuple(theirs[0].shape)).astype(dtype) if grad_seed is None else grad_seed.astype(dtype)
    ours[0].backward(nf.tensor(g))
    theirs[0].backward(torch.tensor(g))
    assert ours_x.grad.dtype == ours_x.dtype
    np.testing.assert_allclose(
        ours_x.grad.numpy(), theirs_x.grad.numpy(), equal_nan=True, err_msg=f"{name} gradient", **tol
    )


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- configurations: (input shape, args, kwargs) ----------------------------------------------

MAX_POOL = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 7, 9), (2,), {}),
    ((2, 3, 7, 9), (2,), dict(ceil_mode=True)),
    ((2, 3, 9, 9), (3, 2, 1), {}),
    ((2, 3, 8, 8), (3, 2, 1), dict(ceil_mode=True, return_indices=True)),
    ((1, 2, 7, 7), (3, 1, 1), dict(return_indices=True)),
    ((2, 2, 8, 9), ((2, 3), (1, 2)), dict(padding=(1, 1), return_indices=True)),
    ((2, 2, 9, 9), (3, 2), dict(dilation=2, padding=1, return_indices=True)),
    ((1, 2, 10, 9), ((3, 2), (3, 2)), dict(dilation=(2, 1), ceil_mode=True, return_indices=True)),
    ((3, 7, 6), (2, 1), dict(return_indices=True)),
    ((1, 1, 5, 5), (5,), {}),
    ((4, 2, 6, 6), (1,), dict(stride=2)),
]

AVG_POOL = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 7, 9), (3, 2, 1), {}),
    ((2, 3, 7, 9), (3, 2, 1), dict(count_include_pad=False)),
    ((2, 3, 7, 9), (3, 2, 1), dict(ceil_mode=True)),
    ((2, 3, 7, 9), (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ((2, 3, 8, 7), ((3, 2), (2, 3), (1, 1)), dict(ceil_mode=True)),
    ((2, 3, 8, 8), (3, 2, 1), dict(divisor_override=4)),
    ((2, 3, 7, 7), (2, 2), dict(ceil_mode=True, divisor_override=3)),
    ((3, 6, 5), (2, 1, 1), dict(count_include_pad=False)),
    ((1, 2, 5, 5), (5,), {}),
]

ADAPTIVE_SIZES = [1, (1, 1), 2, (2, 3), (3, 5), (4, None), (None, 2), (7, 7), (10, 9), (5, 1), (0, 2)]


def _ids(configs):
    return [f"{xs}-{args}-{kw}" for xs, args, kw in configs]


# -- against PyTorch ----------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("xs,args,kw", MAX_POOL, ids=_ids(MAX_POOL))
def test_max_pool2d_matches_pytorch(xs, args, kw, dtype):
    _compare_with_torch("max_pool2d", _random(xs), args, kw, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("xs,args,kw", AVG_POOL, ids=_ids(AVG_POOL))
def test_avg_pool2d_matches_pytorch(xs, args, kw, dtype):
    _compare_with_torch("avg_pool2d", _random(xs), args, kw, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("size", ADAPTIVE_SIZES, ids=str)
def test_adaptive_avg_pool2d_matches_pytorch(size, dtype):
    _compare_with_torch("adaptive_avg_pool2d", _random((2, 3, 7, 8)), (size,), {}, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("size", ADAPTIVE_SIZES, ids=str)
def test_adaptive_max_pool2d_matches_pytorch(size, dtype):
    _compare_with_torch("adaptive_max_pool2d", _random((2, 3, 7, 8)), (size,), dict(return_indices=True), dtype)


@needs_torch
@pytest.mark.parametrize(
    "name,size",
    [
        ("adaptive_avg_pool2d", (4, 2)),
        ("adaptive_max_pool2d", (4, 2)),
        ("adaptive_avg_pool2d", 1),
        ("adaptive_max_pool2d", 1),
        ("adaptive_max_pool2d", (2, 1)),
    ],
)
def test_adaptive_pooling_with_sizes_that_divide_the_input_matches_pytorch(name, size):
    _compare_with_torch(name, _random((2, 3, 8, 8)), (size,), {})
    _compare_with_torch(name, _random((3, 8, 6)), (size,), {})


@needs_torch
def test_adaptive_max_pool2d_with_return_indices_on_unbatched_input():
    _compare_with_torch("adaptive_max_pool2d", _random((3, 7, 5)), ((3, 2),), dict(return_indices=True))


@needs_torch
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_max_and_avg_pool2d_match_pytorch_on_random_geometries(data):
    kh, kw = data.draw(st.integers(1, 4), "kh"), data.draw(st.integers(1, 4), "kw")
    sh, sw = data.draw(st.integers(1, 4), "sh"), data.draw(st.integers(1, 4), "sw")
    ph, pw = data.draw(st.integers(0, kh // 2), "ph"), data.draw(st.integers(0, kw // 2), "pw")
    H = data.draw(st.integers(max(1, kh - 2 * ph), 9), "H")
    W = data.draw(st.integers(max(1, kw - 2 * pw), 9), "W")
    ceil_mode = data.draw(st.booleans(), "ceil_mode")
    x = _random((2, 2, H, W), seed=data.draw(st.integers(0, 100), "seed"))
    if data.draw(st.booleans(), "avg"):
        kwargs = dict(ceil_mode=ceil_mode, count_include_pad=data.draw(st.booleans(), "count_include_pad"))
        _compare_with_torch("avg_pool2d", x, ((kh, kw), (sh, sw), (ph, pw)), kwargs)
    else:
        dh, dw = data.draw(st.integers(1, 2), "dh"), data.draw(st.integers(1, 2), "dw")
        ph, pw = min(ph, (dh * (kh - 1) + 1) // 2), min(pw, (dw * (kw - 1) + 1) // 2)
        if data.draw(st.booleans(), "ties"):
            x = np.round(x)  # many equal values: the first maximum must win
        kwargs = dict(dilation=(dh, dw), ceil_mode=ceil_mode, return_indices=True)
        if (H + 2 * ph - dh * (kh - 1) - 1) < 0 or (W + 2 * pw - dw * (kw - 1) - 1) < 0:
            return
        if _some_window_misses_the_input(H, kh, sh, ph, dh, ceil_mode) or _some_window_misses_the_input(
            W, kw, sw, pw, dw, ceil_mode
        ):
            return  # PyTorch then points at (and its backward writes to) an index outside the plane
        _compare_with_torch("max_pool2d", x, ((kh, kw), (sh, sw), (ph, pw)), kwargs)


def _some_window_misses_the_input(n, k, s, p, d, ceil_mode):
    n_out = pooling._pool_output_size(n, k, s, p, d, ceil_mode)
    return any(not any(0 <= o * s - p + i * d < n for i in range(k)) for o in range(n_out))


# -- semantics worth naming ----------------------------------------------------------------------


def test_maxpool_gradient_goes_to_first_maximum():
    x = nf.tensor(np.array([[[[1.0, 3.0], [3.0, 2.0]]]]), requires_grad=True)
    values, idx = max_pool2d(x, 2, return_indices=True)
    values.sum().backward()
    assert idx.item() == 1
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 1.0], [0.0, 0.0]]]])


@needs_torch
def test_maxpool_ties_in_overlapping_windows_match_pytorch():
    _compare_with_torch("max_pool2d", np.ones((1, 2, 6, 6)), (3, 1, 1), dict(return_indices=True))
    _compare_with_torch("max_pool2d", np.round(_random((2, 2, 7, 7))), (3, 2, 1), dict(return_indices=True))
    _compare_with_torch("adaptive_max_pool2d", np.ones((1, 2, 7, 5)), ((3, 4),), dict(return_indices=True))


@needs_torch
def test_maxpool_propagates_nan_and_points_at_it_like_pytorch():
    x = _random((1, 2, 6, 6))
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = x[0, 1, 0, 5] = np.nan
    _compare_with_torch("max_pool2d", x, (3, 2, 1), dict(return_indices=True))
    _compare_with_torch("max_pool2d", x, (2,), dict(return_indices=True))
    _compare_with_torch("adaptive_max_pool2d", x, ((4, 3),), dict(return_indices=True))


@needs_torch
def test_maxpool_window_of_only_minus_infinity_points_inside_the_input():
    x = np.full((1, 1, 5, 5), -np.inf)
    x[0, 0, 4, 4] = 1.0
    _compare_with_torch("max_pool2d", x, (3, 2, 1), dict(return_indices=True))


@needs_torch
def test_maxpool_infinite_upstream_gradient_reaches_only_the_maximum():
    x = _random((1, 1, 6, 6))
    g = np.ones((1, 1, 3, 3))
    g[0, 0, 1, 1] = np.inf
    _compare_with_torch("max_pool2d", x, (3, 2, 1), {}, grad_seed=g)
    _compare_with_torch("max_pool2d", x, (2,), {}, grad_seed=g)


def test_maxpool_indices_are_flat_positions_in_the_unpadded_plane():
    x = nf.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    _, idx = max_pool2d(x, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]])
    assert idx.dtype == nf.int64
    assert not idx.requires_grad


def test_avg_pool2d_count_include_pad_changes_only_the_border_divisor():
    x = nf.ones(1, 1, 4, 4)
    with_pad = avg_pool2d(x, 3, 1, 1).numpy()[0, 0]
    without = avg_pool2d(x, 3, 1, 1, count_include_pad=False).numpy()[0, 0]
    np.testing.assert_allclose(with_pad[0, 0], 4 / 9)
    np.testing.assert_allclose(with_pad[1, 1], 1.0)
    np.testing.assert_allclose(without, np.ones((4, 4)))


def test_adaptive_avg_pool2d_to_one_is_the_global_mean():
    x = _random((2, 3, 5, 7))
    np.testing.assert_allclose(adaptive_avg_pool2d(nf.tensor(x), 1).numpy(), x.mean((2, 3), keepdims=True), rtol=1e-12)


@pytest.mark.parametrize(
    "fn,args",
    [
        (max_pool2d, (3, 2, 1)),
        (avg_pool2d, (3, 2, 1)),
        (adaptive_avg_pool2d, ((3, 2),)),
        (adaptive_max_pool2d, ((3, 2),)),
        (adaptive_avg_pool2d, (2,)),
        (adaptive_max_pool2d, (1,)),
    ],
    ids=["max", "avg", "adaptive_avg", "adaptive_max", "adaptive_avg_divisible", "adaptive_max_global"],
)
def test_float32_in_gives_float32_out_and_float32_gradients(fn, args):
    x = nf.tensor(_random((2, 3, 8, 6)).astype(np.float32), requires_grad=True)
    y = fn(x, *args)
    assert y.dtype == nf.float32
    (y * y).sum().backward()
    assert x.grad.dtype == nf.float32
    (gx,) = nf.autograd.grad((fn(x, *args) ** 2).sum(), [x], create_graph=True)
    assert gx.dtype == nf.float32


def test_grad_fn_names_match_pytorchs():
    x = nf.randn(1, 2, 6, 6, requires_grad=True)
    assert max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert adaptive_avg_pool2d(x, (4, 5)).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert adaptive_max_pool2d(x, (4, 5)).grad_fn.name() == "AdaptiveMaxPool2DBackward0"


def test_empty_batch_gives_empty_output():
    x = nf.zeros(0, 2, 6, 6, requires_grad=True)
    for y in (max_pool2d(x, 2), avg_pool2d(x, 2), adaptive_avg_pool2d(x, 3), adaptive_max_pool2d(x, (4, 5))):
        assert y.shape[0] == 0
        y.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 6, 6)


# -- finite differences -----------------------------------------------------------------------

GRADCHECK = [
    ("max_pool2d", lambda x: max_pool2d(x, 2), (1, 2, 4, 4)),
    ("max_pool2d_overlap_ceil", lambda x: max_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 1, 5, 6)),
    ("max_pool2d_dilated", lambda x: max_pool2d(x, 2, 1, dilation=2), (1, 1, 5, 4)),
    ("avg_pool2d", lambda x: avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 1, 5, 6)),
    ("avg_pool2d_override", lambda x: avg_pool2d(x, 2, 1, divisor_override=3), (1, 2, 3, 4)),
    ("adaptive_avg_pool2d", lambda x: adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    ("adaptive_avg_pool2d_divisible", lambda x: adaptive_avg_pool2d(x, 2), (1, 2, 4, 4)),
    ("adaptive_max_pool2d", lambda x: adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    ("adaptive_max_pool2d_global", lambda x: adaptive_max_pool2d(x, 1), (1, 2, 5, 4)),
    ("max_pool2d_of_square_times_x", lambda x: max_pool2d(x * x, 2) * x[..., ::2, ::2], (1, 1, 4, 4)),
]


@pytest.mark.parametrize("name,fn,shape", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradients_match_finite_differences(name, fn, shape):
    x = nf.tensor(_random(shape, seed=1), requires_grad=True)
    assert nf.autograd.gradcheck(fn, [x])


@pytest.mark.parametrize("name,fn,shape", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_second_derivatives_match_finite_differences(name, fn, shape):
    x = nf.tensor(_random(shape, seed=2), requires_grad=True)
    assert nf.autograd.gradgradcheck(fn, [x], atol=1e-4)


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn,xs,args,kw,fragments",
    [
        (max_pool2d, (8, 8), (2,), {}, ["max_pool2d", "3-D (C, H, W) or 4-D", "(8, 8)"]),
        (max_pool2d, (1, 0, 8, 8), (2,), {}, ["max_pool2d", "non-empty", "(1, 0, 8, 8)"]),
        (max_pool2d, (1, 1, 8, 8), (0,), {}, ["max_pool2d", "kernel_size must be greater than zero"]),
        (max_pool2d, (1, 1, 8, 8), (2, 0), {}, ["max_pool2d", "stride must be greater than zero"]),
        (max_pool2d, (1, 1, 8, 8), ((2, 2, 2),), {}, ["max_pool2d", "kernel_size", "single int, or a tuple of two"]),
        (
            max_pool2d,
            (1, 1, 8, 8),
            (2,),
            dict(padding=2),
            ["max_pool2d", "half of the effective kernel size", "padding=(2, 2)"],
        ),
        (max_pool2d, (1, 1, 8, 8), (2,), dict(dilation=0), ["max_pool2d", "dilation must be greater than zero"]),
        (max_pool2d, (1, 1, 2, 2), (3,), {}, ["max_pool2d", "output size is too small", "2x2", "0x0"]),
        (avg_pool2d, (1, 1, 8, 8), (2,), dict(padding=2), ["avg_pool2d", "half of the effective kernel size"]),
        (avg_pool2d, (1, 1, 2, 2), (3,), {}, ["avg_pool2d", "output size is too small"]),
        (avg_pool2d, (1, 1, 8, 8), (2,), dict(divisor_override=0), ["avg_pool2d", "divisor_override must be non-zero"]),
        (adaptive_avg_pool2d, (8, 8), (2,), {}, ["adaptive_avg_pool2d", "(8, 8)"]),
        (adaptive_avg_pool2d, (1, 1, 8, 8), ((2, 2, 2),), {}, ["adaptive_avg_pool2d", "output_size", "(2, 2, 2)"]),
        (adaptive_avg_pool2d, (1, 1, 8, 8), (-1,), {}, ["adaptive_avg_pool2d", "greater than or equal to 0"]),
        (adaptive_max_pool2d, (1, 1, 8, 8), ((2, -3),), {}, ["adaptive_max_pool2d", "greater than or equal to 0"]),
    ],
)
def test_bad_arguments_raise_runtime_errors_naming_the_op(fn, xs, args, kw, fragments):
    with _raises(RuntimeError, *fragments):
        fn(nf.zeros(*xs), *args, **kw)


INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]


def _int_image(dtype, shape, seed):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    x = rng.integers(max(info.min, -100), min(info.max, 100), size=shape).astype(dtype)
    x[..., :2, :2] = info.min  # windows of only the smallest value: PyTorch's index rule
    return x


def _same_outputs(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for o, t in zip(ours, theirs, strict=True):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@needs_torch
@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((2,), {}),
        ((3, 1, 1), dict(return_indices=True)),
        ((3, 2, 1, 2), dict(ceil_mode=True, return_indices=True)),
        (((2, 3), (1, 2)), dict(padding=(1, 1))),
    ],
)
def test_max_pool2d_takes_integer_inputs_and_keeps_their_dtype_as_pytorch(dtype, args, kwargs):
    x = _int_image(dtype, (2, 3, 6, 7), seed=len(args))
    _same_outputs(max_pool2d(nf.tensor(x), *args, **kwargs), F.max_pool2d(torch.tensor(x), *args, **kwargs))


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(stride=1, padding=1),
        dict(stride=1, padding=1, count_include_pad=False),
        dict(stride=2, ceil_mode=True),
        dict(stride=2, ceil_mode=True, count_include_pad=False, padding=1),
        dict(divisor_override=3),
        dict(divisor_override=-3, padding=1),
    ],
)
def test_avg_pool2d_on_int64_divides_truncating_toward_zero_as_pytorch(kwargs):
    x = np.random.default_rng(0).integers(-50, 50, size=(2, 2, 5, 7))
    _same_outputs(avg_pool2d(nf.tensor(x), 2, **kwargs), F.avg_pool2d(torch.tensor(x), 2, **kwargs))


@needs_torch
@pytest.mark.parametrize(
    "name,dtype",
    [
        ("max_pool2d", "bool"),
        ("avg_pool2d", "uint8"),
        ("avg_pool2d", "int32"),
        ("avg_pool2d", "bool"),
        ("adaptive_avg_pool2d", "int64"),
        ("adaptive_max_pool2d", "int64"),
        ("adaptive_max_pool2d", "uint8"),
    ],
)
def test_integer_dtypes_without_a_pytorch_kernel_are_not_implemented_errors(name, dtype):
    x = np.ones((1, 2, 4, 4), dtype)
    with pytest.raises(NotImplementedError):
        getattr(F, name)(torch.tensor(x), 2)
    with _raises(NotImplementedError, name, dtype, "expected a floating point"):
        getattr(pooling, name)(nf.tensor(x), 2)


@needs_torch
def test_a_bad_geometry_is_reported_before_the_dtype_as_in_pytorch():
    x = np.ones((1, 1, 2, 2), np.uint8)
    with pytest.raises(RuntimeError):
        F.avg_pool2d(torch.tensor(x), 3)
    with _raises(RuntimeError, "avg_pool2d", "output size is too small"):
        avg_pool2d(nf.tensor(x), 3)


def test_non_tensor_input_is_a_type_error():
    with _raises(TypeError, "avg_pool2d", "input", "list"):
        avg_pool2d([[[1.0]]], 1)
