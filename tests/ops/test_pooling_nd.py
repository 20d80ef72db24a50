"""numpyflow/ops/pooling_nd.py: 1-D and 3-D max, average and adaptive pooling and max
unpooling against PyTorch (values, indices and gradients), finite differences (first and
second derivatives) and float32, over kernel sizes, strides, padding, dilation,
ceil_mode, count_include_pad and divisor_override; ties, NaN and -inf windows pick
PyTorch's index; errors raise PyTorch's exception types."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from cases import Case
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import pooling_nd

OURS = SimpleNamespace(**{name: getattr(pooling_nd, name) for name in pooling_nd.__all__})


def F(L):
    return OURS if L is nf else L.nn.functional


def pool(name, op, shapes, grad_shapes=None, second=True, **kw):
    return Case(
        name,
        lambda L, x: getattr(F(L), op)(x, **kw),
        [(s,) for s in shapes],
        grad_shapes=[(s,) for s in grad_shapes] if grad_shapes else None,
        second=second,
    )


MAX_POOL = {1: pooling_nd.max_pool1d, 2: nf.nn.functional.max_pool2d, 3: pooling_nd.max_pool3d}


def _max_unpool(n):
    """Max-pool (kernel 2), scale the values, unpool them at the pooled indices."""

    def fn(L, x):
        max_pool = MAX_POOL[n] if L is nf else getattr(L.nn.functional, f"max_pool{n}d")
        values, idx = max_pool(x, 2, return_indices=True)
        return getattr(F(L), f"max_unpool{n}d")(values * 2.0, idx, 2)

    return fn


CASES = [
    # 1-D
    pool("max_pool1d", "max_pool1d", [(2, 3, 8), (3, 7)], [(1, 2, 6)], kernel_size=2),
    pool(
        "max_pool1d_pad_dilation_ceil_indices",
        "max_pool1d",
        [(2, 3, 9)],
        [(1, 2, 9)],
        kernel_size=3,
        stride=2,
        padding=1,
        dilation=2,
        ceil_mode=True,
        return_indices=True,
    ),
    pool("avg_pool1d", "avg_pool1d", [(2, 3, 8), (3, 7)], [(1, 2, 6)], kernel_size=3, stride=2),
    pool(
        "avg_pool1d_pad_ceil_exclude_pad",
        "avg_pool1d",
        [(2, 3, 9)],
        [(1, 2, 8)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=False,
    ),
    pool("adaptive_avg_pool1d", "adaptive_avg_pool1d", [(2, 3, 9), (3, 8)], [(1, 2, 7)], output_size=4),
    pool("adaptive_avg_pool1d_upsamples", "adaptive_avg_pool1d", [(2, 3, 3)], [(1, 2, 3)], output_size=(5,)),
    pool(
        "adaptive_max_pool1d_indices",
        "adaptive_max_pool1d",
        [(2, 3, 9), (3, 8)],
        [(1, 2, 7)],
        output_size=4,
        return_indices=True,
    ),
    # 3-D
    pool("max_pool3d", "max_pool3d", [(2, 3, 4, 4, 6), (3, 4, 4, 4)], [(1, 1, 2, 4, 4)], kernel_size=2),
    pool(
        "max_pool3d_pad_ceil_indices",
        "max_pool3d",
        [(2, 3, 5, 6, 7)],
        [(1, 1, 3, 3, 4)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
        return_indices=True,
    ),
    pool(
        "max_pool3d_anisotropic_dilation",
        "max_pool3d",
        [(2, 2, 7, 6, 7)],
        [(1, 1, 5, 2, 4)],
        kernel_size=(3, 2, 2),
        stride=(2, 1, 2),
        padding=(1, 1, 0),
        dilation=(2, 1, 1),
        return_indices=True,
    ),
    pool("max_pool3d_overlapping", "max_pool3d", [(2, 2, 4, 5, 4)], [(1, 1, 3, 3, 3)], kernel_size=2, stride=1),
    pool("avg_pool3d", "avg_pool3d", [(2, 3, 4, 4, 6), (3, 4, 4, 4)], [(1, 1, 2, 4, 4)], kernel_size=2),
    pool(
        "avg_pool3d_pad_ceil",
        "avg_pool3d",
        [(2, 2, 5, 6, 7)],
        [(1, 1, 3, 3, 4)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
    ),
    pool(
        "avg_pool3d_pad_ceil_exclude_pad",
        "avg_pool3d",
        [(2, 2, 5, 6, 7)],
        [(1, 1, 3, 3, 4)],
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
        count_include_pad=False,
    ),
    pool(
        "avg_pool3d_divisor_override",
        "avg_pool3d",
        [(2, 2, 5, 6, 7), (2, 4, 4, 5)],
        [(1, 1, 3, 3, 4)],
        kernel_size=(2, 3, 3),
        stride=2,
        padding=(1, 1, 0),
        divisor_override=5,
    ),
    pool(
        "adaptive_avg_pool3d",
        "adaptive_avg_pool3d",
        [(2, 3, 5, 6, 7), (3, 4, 4, 4)],
        [(1, 1, 3, 3, 4)],
        output_size=(3, 2, None),
    ),
    pool("adaptive_avg_pool3d_divides", "adaptive_avg_pool3d", [(2, 2, 4, 6, 8)], [(1, 1, 2, 4, 4)], output_size=2),
    pool(
        "adaptive_max_pool3d_indices",
        "adaptive_max_pool3d",
        [(2, 2, 5, 6, 7), (2, 4, 4, 6)],
        [(1, 1, 3, 3, 4)],
        output_size=(3, 2, 3),
        return_indices=True,
    ),
    # unpooling (of PyTorch's or our own max-pool indices)
    Case("max_unpool1d", _max_unpool(1), [((2, 3, 8),), ((3, 6),)], grad_shapes=[((1, 2, 6),)]),
    Case("max_unpool2d", _max_unpool(2), [((2, 3, 4, 6),), ((3, 4, 4),)], grad_shapes=[((1, 2, 4, 4),)]),
    Case("max_unpool3d", _max_unpool(3), [((2, 2, 4, 4, 4),), ((2, 4, 2, 4),)], grad_shapes=[((1, 1, 2, 4, 4),)]),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


# -- indices PyTorch picks where the comparison can't decide ------------------------------


def _both(op, x, **kw):
    """``op`` on ``x`` in both libraries: ``(ours, theirs)``, each ``(input, output)``."""
    a, b = nf.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    return (a, getattr(pooling_nd, op)(a, **kw)), (b, getattr(torch.nn.functional, op)(b, **kw))


@needs_torch
@pytest.mark.parametrize("op", ["max_pool3d", "adaptive_max_pool3d"])
def test_3d_max_ties_nan_and_minus_inf_pick_pytorchs_index(op):
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((2, 2, 5, 6, 6)))  # many ties
    x[0, 0, 1, 2, 3] = np.nan
    x[0, 0, 2, 2, 2] = np.nan
    x[1, 1] = -np.inf
    kw = (
        dict(kernel_size=3, stride=2, padding=1, return_indices=True)
        if op == "max_pool3d"
        else dict(output_size=(2, 3, 2), return_indices=True)
    )
    (a, (ov, oi)), (b, (tv, ti)) = _both(op, x, **kw)
    np.testing.assert_array_equal(oi.numpy(), ti.numpy())
    np.testing.assert_array_equal(ov.detach().numpy(), tv.detach().numpy())
    ov.sum().backward()
    tv.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@needs_torch
def test_max_pool3d_gradient_goes_to_the_first_maximum_like_pytorch():
    x = np.zeros((1, 1, 4, 4, 4))  # every window a tie
    (a, ov), (b, tv) = _both("max_pool3d", x, kernel_size=2, stride=1)
    ov.sum().backward()
    tv.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert a.grad.numpy()[0, 0, 0, 0, 0] == 1 and a.grad.numpy().sum() == 27


@needs_torch
def test_max_pool3d_indices_round_trip_through_max_unpool3d():
    rng = np.random.default_rng(3)
    x = nf.tensor(rng.standard_normal((2, 3, 4, 6, 6)))
    values, idx = pooling_nd.max_pool3d(x, 2, return_indices=True)
    restored = pooling_nd.max_unpool3d(values, idx, 2)
    kept = restored.numpy() != 0
    np.testing.assert_array_equal(restored.numpy()[kept], x.numpy()[kept])
    assert kept.sum() == values.numel()


@needs_torch
def test_max_unpool2d_output_size_matches_pytorch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 5, 5))
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ours = pooling_nd.max_unpool2d(nf.tensor(tv.numpy()), nf.tensor(ti.numpy()), 2, output_size=(1, 2, 5, 5))
    theirs = torch.nn.functional.max_unpool2d(tv, ti, 2, output_size=(1, 2, 5, 5))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- errors: PyTorch's exception types ---------------------------------------------------------


def _long(shape, value=0):
    return np.full(shape, value, dtype=np.int64)


ERRORS = [
    ("max_pool1d_4d", "max_pool1d", [(1, 2, 3, 4)], dict(kernel_size=2)),
    ("max_pool1d_padding_too_large", "max_pool1d", [(2, 3, 8)], dict(kernel_size=2, padding=2)),
    (
        "max_pool3d_padding_beyond_half_kernel",
        "max_pool3d",
        [(1, 1, 6, 6, 6)],
        dict(kernel_size=3, padding=2, dilation=2),
    ),
    ("avg_pool1d_zero_kernel", "avg_pool1d", [(2, 3, 8)], dict(kernel_size=0)),
    ("max_pool3d_3d", "max_pool3d", [(2, 4, 4)], dict(kernel_size=2)),
    ("max_pool3d_zero_kernel", "max_pool3d", [(1, 2, 4, 4, 4)], dict(kernel_size=0)),
    ("max_pool3d_output_too_small", "max_pool3d", [(1, 2, 1, 4, 4)], dict(kernel_size=2)),
    (
        "avg_pool3d_input_smaller_than_kernel",
        "avg_pool3d",
        [(1, 1, 1, 3, 3)],
        dict(kernel_size=(2, 1, 1), padding=(1, 0, 0)),
    ),
    ("avg_pool3d_zero_divisor", "avg_pool3d", [(1, 2, 4, 4, 4)], dict(kernel_size=2, divisor_override=0)),
    ("adaptive_avg_pool1d_4d", "adaptive_avg_pool1d", [(1, 2, 3, 4)], dict(output_size=2)),
    ("adaptive_avg_pool1d_negative", "adaptive_avg_pool1d", [(2, 3, 4)], dict(output_size=-1)),
    ("adaptive_avg_pool3d_two_sizes", "adaptive_avg_pool3d", [(1, 2, 3, 4, 4)], dict(output_size=(2, 2))),
    ("max_unpool2d_2d_input", "max_unpool2d", [(2, 2), _long((2, 2))], dict(kernel_size=2)),
    ("max_unpool2d_float_indices", "max_unpool2d", [(1, 1, 2, 2), (1, 1, 2, 2)], dict(kernel_size=2)),
    ("max_unpool2d_index_shape", "max_unpool2d", [(1, 1, 2, 2), _long((1, 1, 2, 3))], dict(kernel_size=2)),
    ("max_unpool2d_index_range", "max_unpool2d", [(1, 1, 2, 2), _long((1, 1, 2, 2), 100)], dict(kernel_size=2)),
    (
        "max_unpool2d_output_size",
        "max_unpool2d",
        [(1, 1, 2, 2), _long((1, 1, 2, 2))],
        dict(kernel_size=2, output_size=(9, 9)),
    ),
    (
        "max_unpool2d_output_size_length",
        "max_unpool2d",
        [(1, 1, 2, 2), _long((1, 1, 2, 2))],
        dict(kernel_size=2, output_size=(4,)),
    ),
]


@needs_torch
@pytest.mark.parametrize("name,op,inputs,kw", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_raise_pytorchs_exception_type(name, op, inputs, kw):
    rng = np.random.default_rng(0)
    arrays = [a if isinstance(a, np.ndarray) else rng.standard_normal(a) for a in inputs]
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, op)(*(torch.tensor(a) for a in arrays), **kw)
    with pytest.raises(theirs.type) as ours:
        getattr(pooling_nd, op)(*(nf.tensor(a) for a in arrays), **kw)
    assert op in str(ours.value), str(ours.value)


# -- random geometries (Hypothesis) ------------------------------------------------------------


def _every_window_reaches_the_input(n, k, s, p, d, ceil_mode):
    n_out = (n + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil_mode else 0)) // s + 1
    if ceil_mode and (n_out - 1) * s >= n + p:
        n_out -= 1
    taps = np.arange(n_out)[:, None] * s - p + np.arange(k) * d
    return bool(((taps >= 0) & (taps < n)).any(axis=1).all())


@needs_torch
@settings(max_examples=40, deadline=None)
@given(data=st.data(), op=st.sampled_from(["max_pool3d", "avg_pool3d"]))
def test_3d_pooling_matches_pytorch_on_random_geometries(data, op):
    k = tuple(data.draw(st.integers(1, 3), f"k{i}") for i in range(3))
    s = tuple(data.draw(st.integers(1, 3), f"s{i}") for i in range(3))
    d = tuple(data.draw(st.integers(1, 2), f"d{i}") for i in range(3)) if op == "max_pool3d" else (1, 1, 1)
    p = tuple(data.draw(st.integers(0, ki // 2), f"p{i}") for i, ki in enumerate(k))
    smallest = [max(1, di * (ki - 1) + 1 - 2 * pi) for ki, di, pi in zip(k, d, p)]
    if op == "avg_pool3d":  # PyTorch's 3-D average pooling wants the unpadded input to hold a kernel
        smallest = [max(m, ki) for m, ki in zip(smallest, k)]
    size = tuple(data.draw(st.integers(m, 6), f"size{i}") for i, m in enumerate(smallest))
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=data.draw(st.booleans(), "ceil_mode"))
    if op == "max_pool3d":
        kw.update(dilation=d, return_indices=True)
    else:
        kw.update(count_include_pad=data.draw(st.booleans(), "count_include_pad"))
        kw.update(divisor_override=data.draw(st.sampled_from([None, None, 3]), "divisor_override"))
    # A window with no tap inside the input (dilation stepping over it) gets an index past
    # its plane from PyTorch, whose backward then writes into the next plane: left out.
    assume(all(_every_window_reaches_the_input(*a, kw["ceil_mode"]) for a in zip(size, k, s, p, d)))
    x = np.random.default_rng(0).standard_normal((2, 2, *size))
    (a, ours), (b, theirs) = _both(op, x, **kw)
    if op == "max_pool3d":
        (ours, oi), (theirs, ti) = ours, theirs
        np.testing.assert_array_equal(oi.numpy(), ti.numpy())
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(theirs.shape))
    ours.backward(nf.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_max_pool3d_window_inside_the_padding_gets_pytorchs_value_and_index():
    x = np.random.default_rng(5).standard_normal((1, 2, 1, 3, 3))
    kw = dict(kernel_size=(2, 3, 1), padding=(1, 1, 0), dilation=(2, 1, 1), return_indices=True)
    (_, (ov, oi)), (_, (tv, ti)) = _both("max_pool3d", x, **kw)
    np.testing.assert_array_equal(ov.detach().numpy(), tv.detach().numpy())  # -inf
    np.testing.assert_array_equal(oi.numpy(), ti.numpy())
