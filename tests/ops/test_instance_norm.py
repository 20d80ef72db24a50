"""numpyflow/ops/instance_norm.py: instance_norm (with and without affine parameters and
running statistics, training and evaluation) and local_response_norm against PyTorch
(values and gradients), finite differences (first and second derivatives) and float32;
the in-place running-statistics update; errors raise PyTorch's exception types."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import instance_norm as instance_norm_module

OURS = SimpleNamespace(**{name: getattr(instance_norm_module, name) for name in instance_norm_module.__all__})


def F(L):
    return OURS if L is nf else L.nn.functional


def _stats(L, x, c):
    """Fixed running statistics in ``x``'s dtype (not inputs of the case: they don't
    require grad)."""
    mean = L.tensor(np.linspace(-0.5, 0.5, c)).to(x.dtype)
    var = L.tensor(np.linspace(0.5, 2.0, c)).to(x.dtype)
    return mean, var


def _with_stats(training, momentum=0.1):
    def fn(L, x, w, b):
        mean, var = _stats(L, x, x.shape[1])
        return F(L).instance_norm(x, mean, var, w, b, use_input_stats=training, momentum=momentum, eps=1e-3)

    return fn


CASES = [
    Case(
        "instance_norm", lambda L, x: F(L).instance_norm(x), [((2, 3, 5),), ((2, 3, 4, 4),)], grad_shapes=[((2, 2, 4),)]
    ),
    Case(
        "instance_norm_affine_5d",
        lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b, eps=1e-3),
        [((2, 3, 2, 3, 2), (3,), (3,)), ((1, 2, 3, 3), (2,), (2,))],
        grad_shapes=[((2, 2, 2, 2, 2), (2,), (2,))],
    ),
    Case(
        "instance_norm_weight_only",
        lambda L, x, w: F(L).instance_norm(x, weight=w),
        [((2, 3, 6), (3,))],
        grad_shapes=[((1, 3, 5), (3,))],
    ),
    Case(
        "instance_norm_running_stats_training",
        _with_stats(True, momentum=0.3),
        [((2, 3, 5), (3,), (3,)), ((3, 2, 3, 3), (2,), (2,))],
        grad_shapes=[((2, 2, 4), (2,), (2,))],
    ),
    Case(
        "instance_norm_running_stats_eval",
        _with_stats(False),
        [((2, 3, 5), (3,), (3,)), ((3, 2, 3, 3), (2,), (2,))],
        grad_shapes=[((2, 2, 4), (2,), (2,))],
    ),
    Case(
        "local_response_norm_3d",
        lambda L, x: F(L).local_response_norm(x, 3, alpha=0.1, beta=0.6, k=2.0),
        [((2, 5, 4),)],
        grad_shapes=[((2, 4, 3),)],
    ),
    Case(
        "local_response_norm_4d_even_size",
        lambda L, x: F(L).local_response_norm(x, 2, alpha=0.5),
        [((2, 4, 3, 3),)],
        grad_shapes=[((1, 3, 2, 3),)],
    ),
    Case(
        "local_response_norm_5d_size_beyond_channels",
        lambda L, x: F(L).local_response_norm(x, 5, alpha=0.2, beta=1.0, k=0.5),
        [((2, 3, 2, 3, 2),)],
        grad_shapes=[((1, 3, 2, 2, 2),)],
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("use_input_stats", [True, False], ids=["training", "eval"])
def test_running_statistics_update_like_pytorch(use_input_stats, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 5)).astype(dtype) * 2 + 1
    mean0 = rng.standard_normal(3).astype(dtype)
    var0 = rng.uniform(0.5, 2.0, 3).astype(dtype)
    ours = [nf.tensor(mean0.copy()), nf.tensor(var0.copy())]
    theirs = [torch.tensor(mean0.copy()), torch.tensor(var0.copy())]
    instance_norm_module.instance_norm(nf.tensor(x), *ours, use_input_stats=use_input_stats, momentum=0.2)
    torch.nn.functional.instance_norm(torch.tensor(x), *theirs, use_input_stats=use_input_stats, momentum=0.2)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for a, b in zip(ours, theirs):
        assert a.dtype == (nf.float64 if dtype == np.float64 else nf.float32)
        np.testing.assert_allclose(a.numpy(), b.numpy(), **tol)
    if not use_input_stats:
        np.testing.assert_allclose(ours[0].numpy(), mean0, **tol)


def test_running_mean_alone_is_updated():
    x = nf.tensor(np.arange(24.0).reshape(2, 3, 4))
    mean = nf.zeros(3, dtype=nf.float64)
    instance_norm_module.instance_norm(x, running_mean=mean, momentum=1.0)
    np.testing.assert_allclose(mean.numpy(), x.numpy().mean(axis=(0, 2)))


def test_local_response_norm_of_an_empty_input_is_the_input():
    x = nf.zeros(0, 3, 4)
    assert instance_norm_module.local_response_norm(x, 2) is x


ERRORS = [
    ("one_spatial_element", "instance_norm", [(2, 3, 1)], {}),
    ("no_spatial_dims", "instance_norm", [(2, 3)], {}),
    ("eval_without_running_stats", "instance_norm", [(2, 3, 4)], dict(use_input_stats=False)),
    ("weight_size", "instance_norm", [(2, 3, 4)], dict(weight=(4,))),
    ("running_mean_size", "instance_norm", [(2, 3, 4)], dict(running_mean=(4,), running_var=(4,))),
    ("lrn_2d_input", "local_response_norm", [(2, 3)], dict(size=2)),
]


@needs_torch
@pytest.mark.parametrize("name,op,shapes,kw", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_raise_pytorchs_exception_type(name, op, shapes, kw):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    extra = {k: rng.standard_normal(v) if isinstance(v, tuple) else v for k, v in kw.items()}

    def call(lib, fn):
        return fn(
            *(lib.tensor(a) for a in arrays),
            **{k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in extra.items()},
        )

    with pytest.raises(Exception) as theirs:
        call(torch, getattr(torch.nn.functional, op))
    with pytest.raises(theirs.type):
        call(nf, getattr(instance_norm_module, op))
