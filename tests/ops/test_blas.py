"""numpyflow/ops/blas.py: each op against PyTorch, finite differences (first and second
derivatives) and float32."""

import warnings

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def _cross_default(L, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return L.cross(a, b)


BLAS_OPS = [
    Case("addmm", lambda L, c, a, b: L.addmm(c, a, b), [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))]),
    Case("addmm_beta_alpha", lambda L, c, a, b: c.addmm(a, b, beta=0.5, alpha=-2.0), [((2, 1), (2, 3), (3, 2))]),
    Case("addmm_beta_zero", lambda L, c, a, b: L.addmm(c, a, b, beta=0), [((2, 2), (2, 3), (3, 2))]),
    Case("addmm_empty_inner", lambda L, c, a, b: L.addmm(c, a, b, alpha=2), [((2, 2), (2, 0), (0, 2))]),
    Case("addmv", lambda L, c, a, v: L.addmv(c, a, v, beta=2, alpha=0.5), [((2,), (2, 3), (3,)), ((), (2, 3), (3,))]),
    Case("addr", lambda L, c, u, v: c.addr(u, v, alpha=3), [((2, 3), (2,), (3,)), ((3,), (2,), (3,))]),
    Case(
        "baddbmm",
        lambda L, c, a, b: L.baddbmm(c, a, b, beta=-1, alpha=2),
        [((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((4,), (2, 2, 3), (2, 3, 4))],
        grad_shapes=[((2, 2, 2), (2, 2, 3), (2, 3, 2))],
    ),
    Case(
        "addbmm",
        lambda L, c, a, b: c.addbmm(a, b, alpha=0.5),
        [((2, 4), (3, 2, 3), (3, 3, 4))],
        grad_shapes=[((2, 2), (2, 2, 3), (2, 3, 2))],
    ),
    Case("mv", lambda L, a, v: L.mv(a, v), [((2, 3), (3,)), ((0, 3), (3,))]),
    Case("mv_method", lambda L, a, v: a.mv(v), [((3, 2), (2,))]),
    Case("trace", lambda L, a: L.trace(a), [((3, 3),), ((2, 4),), ((0, 2),)]),
    Case("trace_method", lambda L, a: a.trace(), [((4, 2),)]),
    Case(
        "kron",
        lambda L, a, b: L.kron(a, b),
        [((2, 3), (2, 2)), ((2,), (3, 2)), ((), (2,)), ((2, 1, 2), (2,))],
        grad_shapes=[((2, 3), (2, 2)), ((), (2,))],
    ),
    Case("cross_dim", lambda L, a, b: L.cross(a, b, dim=-1), [((2, 3), (2, 3)), ((1, 3), (4, 3))]),
    Case("cross_method_dim0", lambda L, a, b: a.cross(b, 0), [((3, 2), (3, 2))]),
    Case(
        "cross_default_first_dim_of_size_3",
        _cross_default,
        [((2, 3, 3), (2, 3, 3)), ((3,), (3,))],
        grad_shapes=[((3,), (3,)), ((2, 3), (2, 3))],
    ),
    Case("tensordot_int", lambda L, a, b: L.tensordot(a, b, dims=1), [((2, 3), (3, 2))]),
    Case(
        "tensordot_lists",
        lambda L, a, b: L.tensordot(a, b, dims=([1, 0], [0, 2])),
        [((3, 2, 2), (2, 2, 3))],
        grad_shapes=[((2, 2, 2), (2, 2, 2))],
    ),
    Case(
        "tensordot_size_one_broadcasts",
        lambda L, a, b: L.tensordot(a, b, dims=([0, 1], [2, 0])),
        [((1, 1, 1), (2, 1, 2))],
    ),
    Case("tensordot_zero", lambda L, a, b: L.tensordot(a, b, dims=0), [((2,), (3,))]),
    Case("chain_matmul", lambda L, a, b, c: L.chain_matmul(a, b, c), [((2, 3), (3, 2), (2, 2))]),
    Case("chain_matmul_one", lambda L, a: L.chain_matmul(a), [((2, 3),)]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(BLAS_OPS)


def _outcome(lib, fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is the point
        return type(e).__name__
    outs = out if isinstance(out, tuple) else (out,)
    return [(o.tolist(), str(o.dtype).split(".")[-1], tuple(o.shape)) for o in outs]


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.addmm(
            L.zeros(2, 2, dtype=L.int64), L.ones(2, 2, dtype=L.int64), L.ones(2, 2, dtype=L.int64), alpha=3
        ),
        lambda L: L.addmm(
            L.ones(2, 2, dtype=L.int64), L.ones(2, 2, dtype=L.int64), L.ones(2, 2, dtype=L.int64), alpha=1.5
        ),
        lambda L: L.addmv(L.zeros(2, dtype=L.int32), L.ones(2, 2, dtype=L.int32), L.ones(2, dtype=L.int32)),
        lambda L: L.addr(L.zeros(2, 2, dtype=L.bool), L.tensor([True, False]), L.tensor([True, True])),
        lambda L: L.addr(L.ones(2, 2, dtype=L.bool), L.tensor([True, False]), L.tensor([True, True]), beta=0),
        lambda L: L.addbmm(
            L.zeros(2, 2, dtype=L.int32), L.ones(3, 2, 2, dtype=L.int32), L.ones(3, 2, 2, dtype=L.int32)
        ),
        lambda L: L.trace(L.arange(6, dtype=L.int32).reshape(2, 3)),
        lambda L: L.trace(L.ones(2, 2, dtype=L.uint8)),
        lambda L: L.kron(L.arange(3), L.tensor([[1.0, 2.0]])),
        lambda L: L.cross(L.tensor([1, 0, 0]), L.tensor([0, 1, 0])),
        lambda L: L.tensordot(L.arange(6).reshape(2, 3), L.arange(6).reshape(3, 2), dims=L.tensor(1)),
        lambda L: L.tensordot(L.ones(1, 2, dtype=L.int32), L.arange(6, dtype=L.int32).reshape(3, 2), dims=([0], [0])),
        lambda L: L.addmm(L.full((2, 2), float("nan")), L.ones(2, 3), L.ones(3, 2), beta=0),
        lambda L: L.addmm(L.zeros(2, 2), L.ones(2, 3), L.ones(3, 2, dtype=L.float64)),
        lambda L: L.addmm(L.zeros(2, 2), L.ones(2, 3), L.ones(2, 2)),
        lambda L: L.addmm(L.zeros(3, 3), L.ones(2, 3), L.ones(3, 2)),
        lambda L: L.mv(L.ones(2, 3), L.ones(2)),
        lambda L: L.trace(L.ones(2, 2, 2)),
        lambda L: L.cross(L.ones(2, 2), L.ones(2, 2), dim=1),
        lambda L: L.cross(L.ones(3, dtype=L.int32), L.ones(3, dtype=L.int64)),
        lambda L: L.baddbmm(L.zeros(2, 2, 2), L.ones(2, 2, 3), L.ones(3, 3, 2)),
    ],
)
def test_values_dtypes_and_errors_match_pytorch(fn):
    assert _outcome(nf, fn) == _outcome(torch, fn)


@needs_torch
def test_cross_without_dim_warns_as_pytorch():
    with pytest.warns(UserWarning, match="without specifying the dim"):
        nf.cross(nf.ones(3), nf.ones(3))


def test_addmm_with_beta_zero_ignores_nan_but_passes_a_zero_gradient():
    c = nf.tensor(np.full((2, 2), np.nan), requires_grad=True)
    a = nf.ones(2, 3, dtype=nf.float64, requires_grad=True)
    out = nf.addmm(c, a, nf.ones(3, 2, dtype=nf.float64), beta=0)
    out.sum().backward()
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert c.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_blas_ops_are_tensor_methods_as_in_pytorch():
    for name in ("addmm", "addmv", "addr", "baddbmm", "addbmm", "mv", "trace", "kron", "cross"):
        assert hasattr(nf.Tensor, name), name
