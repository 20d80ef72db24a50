"""numpyflow/ops/scan.py: cummax, cummin and logcumsumexp against PyTorch (values, indices,
gradients), finite differences and float32; PyTorch's tie and NaN rules; errors."""

import numpy as np
import pytest
from cases import Case
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf

ND = [((2, 3, 4),), ((2, 1, 3),)]
GRAD_ND = [((2, 3, 2),)]


def _with_repeats(L, a):
    """``a`` (last dim) followed by its own running maximum's first entries again, so the
    running extremes meet ties."""
    return L.cat([a, a[..., :1], a[..., 1:2]], -1)


CASES = [
    Case("cummax", lambda L, a: L.cummax(a, 1), ND + [((0, 3),)], grad_shapes=GRAD_ND),
    Case("cummax_last_dim", lambda L, a: a.cummax(-1), [((3, 4),), ((5,),), ((),)]),
    Case("cummin", lambda L, a: a.cummin(0), ND + [((),)], grad_shapes=GRAD_ND),
    Case("cummin_values", lambda L, a: L.cummin(a, -1).values * 3, [((2, 5),)]),
    Case("cummax_with_ties", lambda L, a: L.cummax(_with_repeats(L, a), -1), [((2, 4),)]),
    Case("cummin_with_ties", lambda L, a: L.cummin(_with_repeats(L, a), -1), [((2, 4),)]),
    Case("logcumsumexp", lambda L, a: L.logcumsumexp(a, 1), ND + [((0, 3),)], grad_shapes=GRAD_ND),
    Case("logcumsumexp_scalar_and_vector", lambda L, a: a.logcumsumexp(0), [((),), ((5,),)]),
    Case("logcumsumexp_large", lambda L, a: L.logcumsumexp(a * 300, -1), [((2, 4),)], rtol=1e-8),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


@needs_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
def test_running_extremes_follow_pytorchs_tie_and_nan_rules(name, dtype):
    values = [1.0, 3.0, 2.0, 3.0, 0.0, 0.0, 5.0, 1.0]
    if dtype.startswith("float"):
        values = [1.0, 3.0, 2.0, 3.0, np.nan, 5.0, np.nan, 1.0, 0.0, 0.0]
    a = np.asarray(values).astype(dtype)
    ours = getattr(nf, name)(nf.tensor(a), 0)
    theirs = getattr(torch, name)(torch.tensor(a), 0)
    assert_close(ours.values, theirs.values, what=name)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.values.dtype == nf.tensor(a).dtype and ours.indices.dtype == nf.int64


@needs_torch
def test_gradient_with_ties_goes_where_pytorch_sends_it():
    a = [1.0, 3.0, 2.0, 3.0, 0.5, 3.0]
    for name in ("cummax", "cummin"):
        ours = nf.tensor(a, dtype=nf.float64, requires_grad=True)
        theirs = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        seed = np.arange(1.0, 7.0)
        getattr(nf, name)(ours, 0).values.backward(nf.tensor(seed))
        getattr(torch, name)(theirs, 0).values.backward(torch.tensor(seed))
        assert_close(ours.grad, theirs.grad, what=name)


def test_results_are_named_tuples():
    result = nf.cummax(nf.tensor([1.0, 0.0, 2.0]), 0)
    values, indices = result
    assert result.values is values and result.indices is indices and type(result).__name__ == "cummax"
    assert indices.tolist() == [0, 0, 2]


@needs_torch
def test_logcumsumexp_handles_infinities_as_pytorch():
    a = np.array([[1.0, -np.inf, np.inf, 2.0], [-np.inf, -np.inf, 0.0, 1e308]])
    assert_close(nf.logcumsumexp(nf.tensor(a), 1), torch.logcumsumexp(torch.tensor(a), 1))


@needs_torch
def test_logcumsumexp_gradient_stays_finite_for_large_inputs():
    a = np.array([800.0, -900.0, 805.0, 1000.0])
    seed = np.array([1.0, -2.0, 0.0, 0.5])
    ours = nf.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    nf.logcumsumexp(ours, 0).backward(nf.tensor(seed))
    torch.logcumsumexp(theirs, 0).backward(torch.tensor(seed))
    assert np.all(np.isfinite(ours.grad.numpy()))
    assert_close(ours.grad, theirs.grad, rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.cummax(L.ones(2, 3), 2),
        lambda L: L.cummin(L.ones(()), 1),
        lambda L: L.logcumsumexp(L.ones(3, dtype=L.int64), 0),
        lambda L: L.logcumsumexp(L.ones(3), -2),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_every_op_is_a_tensor_method():
    for name in ("cummax", "cummin", "logcumsumexp"):
        assert getattr(nf.Tensor, name) is getattr(nf, name), name


@st.composite
def _tied_arrays(draw):
    """Float arrays of 1 to 3 dims drawn from a few values (NaN included) and a dim."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    values = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.5, 0.0, 0.5, 2.0, np.nan])))
    return values, draw(st.integers(-len(shape), len(shape) - 1))


@needs_torch
@given(case=_tied_arrays())
def test_running_extremes_match_pytorch_over_shapes(case):
    a, dim = case
    seed = np.random.default_rng(0).standard_normal(a.shape)
    for name in ("cummax", "cummin"):
        ours, theirs = nf.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        o, t = getattr(nf, name)(ours, dim), getattr(torch, name)(theirs, dim)
        assert_close(o.values, t.values, what=name)
        np.testing.assert_array_equal(o.indices.numpy(), t.indices.numpy())
        o.values.backward(nf.tensor(seed))
        t.values.backward(torch.tensor(seed))
        assert_close(ours.grad, theirs.grad, what=f"{name} gradient")
    finite = np.nan_to_num(a) * 100
    assert_close(nf.logcumsumexp(nf.tensor(finite), dim), torch.logcumsumexp(torch.tensor(finite), dim), rtol=1e-12)
