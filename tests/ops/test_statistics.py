"""numpyflow/ops/statistics.py: aminmax, nanmean, bincount, histc, cov, corrcoef, diff and
dist against PyTorch (values, dtypes and gradients), finite differences (first and second
derivatives) and float32; weights, edge cases and errors."""

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf


def _lib_tensor(L, a):
    return L.tensor(a)


CASES = [
    Case("aminmax", lambda L, a: L.aminmax(a), [((3,),), ((2, 3),)], grad_shapes=[((2, 3),)]),
    Case("aminmax_dim", lambda L, a: a.aminmax(dim=1), [((2, 3),), ((2, 3, 2),)], grad_shapes=[((2, 3),)]),
    Case(
        "aminmax_keepdim_ties",
        lambda L, a: L.aminmax(a, dim=0, keepdim=True),
        [((4, 3),)],
        values="int",
        finite_differences=False,
    ),
    Case("nanmean", lambda L, a: L.nanmean(L.log(a)), [((3,),), ((2, 3),)], grad_shapes=[((2, 3),)]),
    Case("nanmean_dim", lambda L, a: a.log().nanmean(dim=1, keepdim=True), [((2, 4),)], grad_shapes=[((2, 4),)]),
    Case("cov", lambda L, a: L.cov(a), [((3,),), ((2, 5),), ((3, 4),)], grad_shapes=[((2, 4),)]),
    Case("cov_correction", lambda L, a: a.cov(correction=0), [((2, 5),)], grad_shapes=[((2, 4),)]),
    Case(
        "cov_weights",
        lambda L, a, w: L.cov(a, fweights=L.tensor([1, 2, 1, 3]), aweights=w),
        [((2, 4), (4,))],
        values=("normal", "pos"),
    ),
    Case("cov_fweights", lambda L, a: L.cov(a, correction=2, fweights=L.tensor([1, 2, 1, 3])), [((3, 4),)]),
    Case("corrcoef", lambda L, a: L.corrcoef(a), [((3, 5),), ((2, 4),)], grad_shapes=[((2, 4),)]),
    Case("corrcoef_method_1d", lambda L, a: a.corrcoef(), [((5,),)]),
    Case("diff", lambda L, a: L.diff(a), [((5,),), ((2, 4),)], grad_shapes=[((2, 4),)]),
    Case("diff_n2_dim0", lambda L, a: a.diff(n=2, dim=0), [((4, 3),), ((1, 3),)], grad_shapes=[((4, 2),)]),
    Case(
        "diff_prepend_append",
        lambda L, a, p, q: L.diff(a, n=2, dim=1, prepend=p, append=q),
        [((2, 3), (2, 1), (2, 2))],
    ),
    Case("dist", lambda L, a, b: L.dist(a, b), [((2, 3), (3,)), ((4,), (4,))]),
    Case("dist_p1", lambda L, a, b: a.dist(b, p=1), [((2, 3), (2, 3))], values=("normal", "away")),
    Case("dist_p3", lambda L, a, b: L.dist(a, b, 3), [((2, 3), (3,))]),
    Case("dist_pinf", lambda L, a, b: L.dist(a, b, float("inf")), [((2, 3), (3,))]),
    # PyTorch has no gradient for p=0 (its backward fails); ours is zero, checked by gradcheck.
    Case("dist_p0", lambda L, a, b: L.dist(a, b, 0), [((2, 3), (3,))], second=False, reference_grad=False),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def _both(name, *args, **kwargs):
    ours = getattr(nf, name)(*(nf.tensor(a) if isinstance(a, np.ndarray) else a for a in args), **kwargs)
    theirs = getattr(torch, name)(*(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args), **kwargs)
    return ours, theirs


@needs_torch
@pytest.mark.parametrize("weights", [None, "float32", "float64", "int64"])
@pytest.mark.parametrize("minlength", [0, 3, 12])
def test_bincount_matches_pytorch(weights, minlength):
    x = np.array([0, 3, 3, 1, 7, 0, 3])
    kwargs = {"minlength": minlength}
    if weights:
        kwargs["weights"] = np.linspace(-1, 2, 7).astype(weights) if weights != "int64" else np.arange(7)
    ours = nf.bincount(nf.tensor(x), **{k: nf.tensor(v) if k == "weights" else v for k, v in kwargs.items()})
    theirs = torch.bincount(torch.tensor(x), **{k: torch.tensor(v) if k == "weights" else v for k, v in kwargs.items()})
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert_close(ours, theirs, rtol=1e-6)


@needs_torch
def test_bincount_of_empty_and_bad_inputs_match_pytorch():
    ours, theirs = _both("bincount", np.array([], dtype=np.int64))
    assert ours.shape == theirs.shape and ours.dtype == nf.int64
    for bad in (np.array([-1, 2]), np.array([[1, 2]]), np.array([1.0, 2.0])):
        with pytest.raises(RuntimeError):
            torch.bincount(torch.tensor(bad))
        with pytest.raises(RuntimeError, match="bincount"):
            nf.bincount(nf.tensor(bad))


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "bins,lo,hi", [(100, 0, 0), (5, 0, 0), (4, -1, 1), (7, -0.5, 3.0), (3, 2, 2), (10, 0.25, 0.75)]
)
def test_histc_matches_pytorch(dtype, bins, lo, hi):
    x = np.concatenate([np.random.default_rng(0).standard_normal(50), [-1.0, 1.0, 0.0, 3.0]]).astype(dtype)
    ours, theirs = _both("histc", x, bins=bins, min=lo, max=hi)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert_close(ours, theirs, rtol=0, atol=0)


@needs_torch
def test_histc_of_constant_and_empty_inputs_match_pytorch():
    for x in (np.full(4, 2.5), np.array([], dtype=np.float64)):
        ours, theirs = _both("histc", x, bins=4)
        assert_close(ours, theirs, rtol=0, atol=0)
    with pytest.raises(NotImplementedError):
        nf.histc(nf.tensor([1, 2]))


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "uint8"])
def test_diff_dtypes_match_pytorch(dtype):
    x = np.array([[0, 1, 1, 0, 3], [2, 2, 0, 1, 1]]).astype(dtype)
    for n in (0, 1, 2, 7):
        ours, theirs = _both("diff", x, n=n)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert_close(ours, theirs, rtol=0, atol=0)


def test_diff_of_a_scalar_is_an_error():
    with pytest.raises(RuntimeError, match="one-dimensional"):
        nf.diff(nf.tensor(1.0))


@needs_torch
def test_aminmax_returns_named_min_and_max_and_rejects_empty():
    x = np.array([[3.0, -1.0, 2.0], [0.5, 4.0, -2.0]])
    ours, theirs = _both("aminmax", x, dim=-1)
    assert_close(ours.min, theirs.min) and assert_close(ours.max, theirs.max)
    lo, hi = nf.aminmax(nf.tensor([True, False]))
    assert lo.dtype == nf.bool and not lo.item() and hi.item()
    with pytest.raises(RuntimeError, match="aminmax"):
        nf.aminmax(nf.zeros(0))


@needs_torch
def test_nanmean_of_all_nan_is_nan_and_integer_input_is_an_error():
    ours, theirs = _both("nanmean", np.array([[np.nan, np.nan], [1.0, np.nan]]), dim=1)
    assert_close(ours, theirs)
    with pytest.raises(RuntimeError, match="nanmean"):
        nf.nanmean(nf.tensor([1, 2]))


@needs_torch
def test_cov_and_corrcoef_of_integer_input_match_pytorch():
    x = np.array([[1, 4, 2, 8], [3, 1, 0, 2]])
    for name in ("cov", "corrcoef"):
        ours, theirs = _both(name, x)
        assert ours.dtype == nf.float32 and theirs.dtype == torch.float32
        assert_close(ours, theirs, rtol=1e-6)


@needs_torch
def test_cov_with_too_few_observations_warns_and_matches_pytorch():
    x = np.array([[1.0], [2.0]])
    with pytest.warns(RuntimeWarning):
        ours = nf.cov(nf.tensor(x))
    with pytest.warns(UserWarning):
        theirs = torch.cov(torch.tensor(x))
    assert_close(ours, theirs)


def test_aminmax_result_pickles_and_reads_as_aminmax():
    import pickle

    result = pickle.loads(pickle.dumps(nf.aminmax(nf.tensor(np.array([1.0, 3.0])))))
    assert result.max.item() == 3.0 and repr(result).startswith("aminmax(min=")


def test_dist_of_integer_tensors_is_an_error():
    with pytest.raises(RuntimeError, match="floating"):
        nf.dist(nf.tensor([1, 2]), nf.tensor([2, 2]))
