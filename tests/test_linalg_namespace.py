"""numpyflow/linalg/: the ``nf.linalg`` namespace mirrors ``torch.linalg``'s names, result
types and errors."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

NAMES = [
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]


def test_linalg_is_a_namespace_of_numpyflow():
    import numpyflow.linalg

    assert nf.linalg is numpyflow.linalg
    for name in NAMES:
        assert callable(getattr(nf.linalg, name)), name
    assert set(nf.linalg.__all__) == set(NAMES) | {"LinAlgError"}


@needs_torch
def test_every_name_exists_in_torch_linalg():
    for name in nf.linalg.__all__:
        assert hasattr(torch.linalg, name), name


def test_linalg_error_is_a_runtime_error():
    assert issubclass(nf.linalg.LinAlgError, RuntimeError)


def test_result_types_have_pytorchs_field_names():
    a = nf.tensor(np.random.default_rng(0).standard_normal((3, 3)))
    sym = a + a.mT
    assert nf.linalg.qr(a)._fields == ("Q", "R")
    assert nf.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert nf.linalg.eigh(sym)._fields == ("eigenvalues", "eigenvectors")
    assert nf.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    q, r = nf.linalg.qr(a)
    assert (q @ r).allclose(a)


def test_result_types_pickle():
    import pickle

    out = nf.linalg.slogdet(nf.eye(2, dtype=nf.float64))
    back = pickle.loads(pickle.dumps(out))
    assert back._fields == ("sign", "logabsdet") and float(back.sign) == 1.0


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])

ERRORS = [
    ("inv_singular", lambda L, t: L.linalg.inv(t(SINGULAR)), "linalg"),
    ("solve_singular", lambda L, t: L.linalg.solve(t(SINGULAR), t(np.ones((2, 1)))), "linalg"),
    ("cholesky_not_pd", lambda L, t: L.linalg.cholesky(t(NOT_PD)), "linalg"),
    ("inv_not_square", lambda L, t: L.linalg.inv(t(np.ones((2, 3)))), "runtime"),
    ("det_not_square", lambda L, t: L.linalg.det(t(np.ones((2, 3)))), "runtime"),
    ("eigh_not_square", lambda L, t: L.linalg.eigh(t(np.ones((2, 3)))), "runtime"),
    ("cholesky_not_square", lambda L, t: L.linalg.cholesky(t(np.ones((3, 2)))), "runtime"),
    ("inv_vector", lambda L, t: L.linalg.inv(t(np.ones(3))), "runtime"),
    ("svd_vector", lambda L, t: L.linalg.svd(t(np.ones(3))), "runtime"),
    ("qr_bad_mode", lambda L, t: L.linalg.qr(t(np.ones((2, 2))), mode="full"), "runtime"),
    ("eigh_bad_uplo", lambda L, t: L.linalg.eigh(t(np.eye(2)), UPLO="X"), "runtime"),
    ("inv_integer", lambda L, t: L.linalg.inv(t(np.eye(2, dtype=np.int64))), "runtime"),
    ("solve_shape_mismatch", lambda L, t: L.linalg.solve(t(np.eye(2)), t(np.ones((3, 1)))), "runtime"),
    ("solve_batch_mismatch", lambda L, t: L.linalg.solve(t(np.ones((2, 2, 2))), t(np.ones((3, 2, 1)))), "runtime"),
    ("vector_norm_integer", lambda L, t: L.linalg.vector_norm(t(np.ones(3, dtype=np.int64))), "runtime"),
    ("norm_3d_with_ord", lambda L, t: L.linalg.norm(t(np.ones((2, 2, 2))), 2), "runtime"),
    (
        "solve_triangular_vector",
        lambda L, t: L.linalg.solve_triangular(t(np.eye(2)), t(np.ones(2)), upper=True),
        "runtime",
    ),
    ("multi_dot_one", lambda L, t: L.linalg.multi_dot([t(np.eye(2))]), "runtime"),
    (
        "multi_dot_3d_middle",
        lambda L, t: L.linalg.multi_dot([t(np.eye(2)), t(np.ones((1, 2, 2))), t(np.eye(2))]),
        "runtime",
    ),
    ("matrix_norm_bad_ord", lambda L, t: L.linalg.matrix_norm(t(np.ones((2, 2))), 3), "runtime"),
]


@pytest.mark.parametrize("name,fn,kind", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_pytorchs_types(name, fn, kind):
    expected = nf.linalg.LinAlgError if kind == "linalg" else RuntimeError
    with pytest.raises(expected) as ours:
        fn(nf, nf.tensor)
    assert any(word in str(ours.value) for word in ("linalg", "UPLO", "mode", "multi_dot"))
    if torch is not None:
        expected_torch = torch.linalg.LinAlgError if kind == "linalg" else RuntimeError
        with pytest.raises(expected_torch):
            fn(torch, torch.tensor)


def test_qr_mode_r_is_not_differentiable():
    a = nf.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        nf.linalg.qr(a, mode="r").R.sum().backward()


def test_qr_complete_tall_is_not_differentiable():
    a = nf.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    q, r = nf.linalg.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="complete"):
        (q.sum() + r.sum()).backward()


def test_det_of_a_batch_keeps_the_batch_shape():
    a = nf.tensor(np.random.default_rng(0).standard_normal((4, 2, 3, 3)))
    assert nf.linalg.det(a).shape == (4, 2)
    sign, logabsdet = nf.linalg.slogdet(a)
    assert (sign * logabsdet.exp()).allclose(nf.linalg.det(a))
