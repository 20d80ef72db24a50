"""numpyflow/ops/linalg_decomp.py (``numpyflow.linalg``): each function against PyTorch,
finite differences (first and second derivatives) and float32.

Inputs are made well conditioned inside each case (``a + 3 I``, ``a a^T + 3 I``, ``a + a^T``)
so the derivatives are smooth; ``svd`` and ``eigh`` vectors are compared through their
absolute values, which do not depend on each vector's sign."""

import math

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import linalg_legacy


def _eye(L, a):
    return L.eye(a.shape[-1], dtype=a.dtype)


def _wc(L, a):  # well conditioned
    return a + 3 * _eye(L, a)


def _spd(L, a):  # symmetric positive-definite
    return a @ a.mT + 3 * _eye(L, a)


def _sym(L, a):  # symmetric, distinct eigenvalues (almost surely)
    return a + a.mT


SQUARE = [((3, 3),), ((2, 3, 3),), ((1, 1),), ((0, 2, 2),)]
GRAD_SQUARE = [((3, 3),), ((2, 2, 2),)]
MATRICES = [((4, 3),), ((3, 3),), ((2, 4),), ((2, 4, 3),)]
GRAD_MATRICES = [((4, 3),), ((3, 3),), ((2, 4),), ((2, 3, 2),)]
VECTORS = [((5,),), ((2, 3, 4),)]


def square(name, fn, **kw):
    return Case(name, fn, SQUARE, grad_shapes=GRAD_SQUARE, **kw)


def matrices(name, fn, **kw):
    return Case(name, fn, MATRICES, grad_shapes=GRAD_MATRICES, **kw)


def _svd_abs(full):
    def fn(L, a):
        U, S, Vh = L.linalg.svd(a, full_matrices=full)
        k = S.shape[-1]
        return U[..., :k].abs(), S, Vh[..., :k, :].abs()

    return fn


def _eigh_abs(uplo):
    def fn(L, a):
        w, v = L.linalg.eigh(_sym(L, a), UPLO=uplo)
        return w, v.abs()

    return fn


def _qr(mode):
    def fn(L, a):
        return tuple(L.linalg.qr(a, mode=mode))

    return fn


CASES = [
    square("inv", lambda L, a: L.linalg.inv(_wc(L, a))),
    square("inv_raw", lambda L, a: L.linalg.inv(a), second=False, finite_differences=False),
    square("det", lambda L, a: L.linalg.det(_wc(L, a))),
    square("det_raw", lambda L, a: L.linalg.det(a), finite_differences=False),
    square("slogdet", lambda L, a: tuple(L.linalg.slogdet(a - 3 * _eye(L, a)))),
    Case(
        "solve_matrix",
        lambda L, a, b: L.linalg.solve(_wc(L, a), b),
        [((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((1, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2))],
        grad_shapes=[((3, 3), (3, 2)), ((2, 2, 2), (2, 1)), ((1, 2, 2), (2, 2, 1))],
    ),
    Case(
        "solve_vector",
        lambda L, a, b: L.linalg.solve(_wc(L, a), b),
        [((3, 3), (3,)), ((2, 3, 3), (2, 3)), ((2, 3, 3), (3,))],
        grad_shapes=[((3, 3), (3,)), ((2, 2, 2), (2, 2))],
    ),
    Case(
        "solve_right",
        lambda L, a, b: L.linalg.solve(_wc(L, a), b, left=False),
        [((3, 3), (2, 3)), ((2, 3, 3), (1, 4, 3))],
        grad_shapes=[((3, 3), (2, 3))],
    ),
    square("cholesky", lambda L, a: L.linalg.cholesky(_spd(L, a))),
    square("cholesky_upper", lambda L, a: L.linalg.cholesky(_spd(L, a), upper=True)),
    matrices("qr_reduced", _qr("reduced")),
    Case("qr_complete_wide", _qr("complete"), [((2, 4),), ((3, 3),), ((2, 2, 3),)], grad_shapes=[((2, 4),)]),
    Case("qr_complete_tall", _qr("complete"), [((4, 3),), ((2, 3, 2),)], differentiable=False),
    Case("qr_r", lambda L, a: L.linalg.qr(a, mode="r").R, MATRICES, differentiable=False),
    matrices("svd_reduced", _svd_abs(False)),
    matrices("svd_full", _svd_abs(True)),
    matrices("svdvals", lambda L, a: L.linalg.svdvals(a)),
    square("eigh", _eigh_abs("L")),
    square("eigh_upper", _eigh_abs("U")),
    square("eigvalsh", lambda L, a: L.linalg.eigvalsh(_sym(L, a))),
    Case("eigvalsh_reads_one_triangle", lambda L, a: L.linalg.eigvalsh(a, UPLO="U"), SQUARE, differentiable=False),
    Case(
        "pinv", lambda L, a: L.linalg.pinv(a), [((4, 3),), ((2, 4),), ((2, 3, 2),)], grad_shapes=[((4, 3),), ((2, 4),)]
    ),
    # norms
    Case("vector_norm_2", lambda L, a: L.linalg.vector_norm(a), VECTORS, values="away"),
    Case("vector_norm_1_dim", lambda L, a: L.linalg.vector_norm(a, 1, dim=-1), VECTORS, values="away"),
    Case(
        "vector_norm_3_dims_keepdim",
        lambda L, a: L.linalg.vector_norm(a, 3, (0, -1), True),
        [((2, 3, 4),)],
        values="away",
    ),
    Case("vector_norm_0_5", lambda L, a: L.linalg.vector_norm(a, 0.5, 1), [((2, 3),)], values="away"),
    Case("vector_norm_inf", lambda L, a: L.linalg.vector_norm(a, math.inf, 1), [((2, 3),)], values="away"),
    Case("vector_norm_neg_inf", lambda L, a: L.linalg.vector_norm(a, -math.inf), [((2, 3),)], values="away"),
    Case("vector_norm_0", lambda L, a: L.linalg.vector_norm(a.relu(), 0, 1), [((2, 3),)], differentiable=False),
    Case("vector_norm_keepdim_all", lambda L, a: L.linalg.vector_norm(a, keepdim=True), [((2, 3),)], values="away"),
    *[
        Case(f"matrix_norm_{o}", (lambda o: lambda L, a: L.linalg.matrix_norm(a, o))(o), [((3, 4),), ((2, 3, 2),)])
        for o in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)
    ],
    Case("matrix_norm_dims_keepdim", lambda L, a: L.linalg.matrix_norm(a, "nuc", (0, 2), True), [((3, 2, 2),)]),
    Case("matrix_norm_1_dims", lambda L, a: L.linalg.matrix_norm(a, 1, (2, 0)), [((3, 2, 2),)]),
    Case("norm_flat", lambda L, a: L.linalg.norm(a), [((2, 3, 2),)], values="away"),
    Case("norm_matrix_ord", lambda L, a: L.linalg.norm(a, 2), [((3, 2),)]),
    Case("norm_vector_ord", lambda L, a: L.linalg.norm(a, 3), [((4,),)], values="away"),
    Case("norm_vector_dim", lambda L, a: L.linalg.norm(a, dim=1, keepdim=True), [((2, 3),)], values="away"),
    Case(
        "solve_triangular",
        lambda L, a, b: L.linalg.solve_triangular(_wc(L, a), b, upper=True),
        [((3, 3), (3, 2)), ((2, 3, 3), (1, 3, 2))],
        grad_shapes=[((3, 3), (3, 2))],
    ),
    Case(
        "solve_triangular_lower_right_unit",
        lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
        [((3, 3), (2, 3))],
    ),
    square("matrix_power_3", lambda L, a: L.linalg.matrix_power(a, 3)),
    square("matrix_power_0", lambda L, a: L.linalg.matrix_power(a, 0)),
    square("matrix_power_neg_2", lambda L, a: L.linalg.matrix_power(_wc(L, a), -2)),
    Case(
        "multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [((3,), (3, 2), (2, 4)), ((2, 3), (3, 2), (2,))]
    ),
    Case("vecdot", lambda L, a, b: L.linalg.vecdot(a, b, dim=1), [((2, 3), (3,)), ((2, 3, 2), (1, 3, 1))]),
    Case("norm_matrix_dim", lambda L, a: L.linalg.norm(a, "fro", dim=(0, 1)), [((2, 3, 2),)]),
]


def _top(L):
    """PyTorch's top-level function namespace, or numpyflow's module of them (not wired
    into ``numpyflow.*`` yet)."""
    return linalg_legacy if L is nf else L


def _legacy_svd(some):
    def fn(L, a):
        U, S, V = _top(L).svd(a, some=some)
        k = S.shape[-1]
        return U[..., :k].abs(), S, V[..., :k].abs()

    return fn


LEGACY = [
    square("top_det", lambda L, a: _top(L).det(_wc(L, a))),
    square("top_inverse", lambda L, a: _top(L).inverse(_wc(L, a))),
    square("top_logdet", lambda L, a: _top(L).logdet(_spd(L, a))),
    square("top_slogdet", lambda L, a: tuple(_top(L).slogdet(a - 3 * _eye(L, a)))),
    square("top_cholesky", lambda L, a: _top(L).cholesky(_spd(L, a))),
    Case("top_pinverse", lambda L, a: _top(L).pinverse(a), [((4, 3),), ((2, 4),)]),
    matrices("top_svd", _legacy_svd(True)),
    matrices("top_svd_not_some", _legacy_svd(False)),
    Case("top_qr", lambda L, a: tuple(_top(L).qr(a)), MATRICES, grad_shapes=GRAD_MATRICES),
    Case("top_qr_not_some", lambda L, a: tuple(_top(L).qr(a, some=False)), [((2, 4),), ((3, 3),)]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES + LEGACY)


@needs_torch
def test_top_level_result_types_have_pytorchs_field_names():
    a = np.random.default_rng(0).standard_normal((3, 2))
    assert linalg_legacy.qr(nf.tensor(a))._fields == ("Q", "R")
    assert linalg_legacy.svd(nf.tensor(a))._fields == ("U", "S", "V")
    assert linalg_legacy.slogdet(nf.tensor(a[:2]))._fields == ("sign", "logabsdet")
    U, S, V = linalg_legacy.svd(nf.tensor(a), compute_uv=False)
    tU, tS, tV = torch.svd(torch.tensor(a), compute_uv=False)
    assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape) and not U.numpy().any()
    assert_close(S, tS, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("fn", ["vector_norm", "matrix_norm", "norm"])
def test_norm_dtype_argument_computes_in_that_dtype(fn):
    a = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    ours = getattr(nf.linalg, fn)(nf.tensor(a), dtype=nf.float64)
    theirs = getattr(torch.linalg, fn)(torch.tensor(a), dtype=torch.float64)
    assert ours.dtype == nf.float64
    assert_close(ours, theirs, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_svd_reconstructs_and_matches_pytorch_shapes(full, shape):
    a = np.random.default_rng(0).standard_normal(shape)
    U, S, Vh = nf.linalg.svd(nf.tensor(a), full_matrices=full)
    tU, tS, tVh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert (U.shape, S.shape, Vh.shape) == (tuple(tU.shape), tuple(tS.shape), tuple(tVh.shape))
    k = S.shape[-1]
    rebuilt = (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]
    assert_close(rebuilt, a, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(4, 3), (2, 4), (2, 3, 3)])
def test_qr_shapes_match_pytorch(mode, shape):
    a = np.random.default_rng(0).standard_normal(shape)
    Q, R = nf.linalg.qr(nf.tensor(a), mode=mode)
    tQ, tR = torch.linalg.qr(torch.tensor(a), mode=mode)
    assert Q.shape == tuple(tQ.shape) and R.shape == tuple(tR.shape)
    if mode != "r":
        assert_close(Q @ R, a, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("ord", [2, 3, 0.5, 1, math.inf])
def test_vector_norm_gradient_at_zero_is_zero_as_pytorch(ord):
    a = np.array([[0.0, 0.0], [0.0, 1.5]])
    x, t = nf.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    nf.linalg.vector_norm(x, ord, dim=1).sum().backward()
    torch.linalg.vector_norm(t, ord, dim=1).sum().backward()
    assert_close(x.grad, t.grad, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"hermitian": True}, {"rtol": 0.5}, {"atol": 1.0}])
def test_matrix_rank_matches_pytorch(kw):
    rng = np.random.default_rng(0)
    low = rng.standard_normal((3, 4, 2)) @ rng.standard_normal((3, 2, 4))
    for a in (low, low + low.swapaxes(-1, -2), rng.standard_normal((2, 3, 5))):
        if kw.get("hermitian") and a.shape[-1] != a.shape[-2]:
            continue
        ours = nf.linalg.matrix_rank(nf.tensor(a), **kw)
        theirs = torch.linalg.matrix_rank(torch.tensor(a), **kw)
        assert ours.dtype == nf.int64
        assert ours.tolist() == theirs.tolist()
