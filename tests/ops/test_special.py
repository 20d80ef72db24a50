"""numpyflow/ops/special.py (and its kernels, ops/_special_kernels.py): erfinv, lgamma,
digamma, polygamma, logaddexp, logaddexp2, copysign and xlogy against PyTorch (values and
gradients), finite differences (first and second derivatives) and float32; the numpy
kernels against high-precision references; special values, dtypes and errors."""

import numpy as np
import pytest
from cases import Case, binary, unary
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import _special_kernels as kernels


def _gamma_case(name, fn, rtol=1e-9):
    """A case over the three regimes of the gamma kernels: the Taylor series near the
    roots (0.5..2), the recurrence and Stirling series (2.5..10) and the reflection
    formula for negative non-integers (-0.86..-0.14)."""
    return Case(
        name,
        lambda L, a, b, c: fn(L, L.cat([a, b * 5, c * 0.4 - 0.5])),
        [((3,), (2,), (2,)), ((2, 3), (1, 3), (4, 3))],
        values=("pos", "pos", "unit"),
        rtol=rtol,
        grad_shapes=[((3,), (2,), (2,))],
    )


# PyTorch's polygamma(1, x) (in digamma's gradient) is accurate to about 5e-10 only.
CASES = [
    unary("erfinv", lambda L, a: L.erfinv(a), values="unit"),
    unary("erfinv_method", lambda L, a: (a * 1.1).erfinv(), values="unit"),
    _gamma_case("lgamma", lambda L, x: L.lgamma(x)),
    _gamma_case("lgamma_method", lambda L, x: x.lgamma()),
    _gamma_case("digamma", lambda L, x: L.digamma(x), rtol=1e-8),
    _gamma_case("digamma_method", lambda L, x: x.digamma(), rtol=1e-8),
    _gamma_case("polygamma_1", lambda L, x: L.polygamma(1, x), rtol=1e-8),
    _gamma_case("polygamma_2", lambda L, x: L.polygamma(2, x)),
    _gamma_case("polygamma_3", lambda L, x: L.polygamma(3, x)),
    _gamma_case("polygamma_0", lambda L, x: L.polygamma(0, x), rtol=1e-8),
    unary("lgamma_all_shapes", lambda L, a: L.lgamma(a), values="pos"),
    binary("logaddexp", lambda L, a, b: L.logaddexp(a, b)),
    binary("logaddexp_method_large", lambda L, a, b: (a * 500).logaddexp(b * 500)),
    binary("logaddexp2", lambda L, a, b: L.logaddexp2(a, b)),
    binary("logaddexp2_method_large", lambda L, a, b: (a * 900).logaddexp2(b * 900)),
    binary("copysign", lambda L, a, b: L.copysign(a, b), values=("away", "away")),
    binary("copysign_method", lambda L, a, b: a.copysign(b), values=("away", "away")),
    unary("copysign_scalar", lambda L, a: L.copysign(a, -2.0), values="away"),
    unary("copysign_scalar_positive", lambda L, a: a.copysign(0.0), values="away"),
    binary("xlogy", lambda L, a, b: L.xlogy(a, b), values=("normal", "pos")),
    binary("xlogy_method", lambda L, a, b: a.xlogy(b), values=("normal", "pos")),
    unary("xlogy_scalar_other", lambda L, a: L.xlogy(a, 3.0)),
    unary("xlogy_scalar_input", lambda L, a: L.xlogy(2.5, a), values="pos"),
    Case(
        "xlogy_zeros",
        lambda L, a, b: L.xlogy(a * L.tensor([0.0, 1.0, 0.0], dtype=a.dtype), b),
        [((2, 3), (2, 3))],
        values=("normal", "pos"),
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


# -- the numpy kernels against high-precision references -----------------------------------


@pytest.fixture
def numpy_kernels(monkeypatch):
    """The kernels' own numpy code, even where scipy is installed."""
    monkeypatch.setattr(kernels, "scipy_special", None)
    return kernels


def _grid():
    rng = np.random.default_rng(0)
    return np.concatenate(
        [
            rng.uniform(-20, 20, 300),
            rng.uniform(0, 3, 300),
            10 ** rng.uniform(-8, 5, 100),
            -(10 ** rng.uniform(-8, 1.3, 100)),
            np.array([1.0, 2.0, 0.5, 1.5, 2.5, 1.4616321449683622, 1e-300, 170.5, 9.999999, 10.0, 12.0]),
        ]
    )


def _relative_error(ours, reference):
    reference = np.asarray(reference, dtype=np.float64)
    scale = np.maximum(np.abs(reference), 1.0)  # absolute near zeros of the function
    return np.max(np.abs(ours - reference) / scale)


def test_lgamma_kernel_is_exact_to_double_precision(numpy_kernels):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = _grid()
    x = x[~((x <= 0) & (x == np.floor(x)))]
    reference = np.array([float(mpmath.loggamma(mpmath.mpf(v)).real) for v in x])
    ours = numpy_kernels.lgamma(x)
    assert _relative_error(ours, reference) < 2e-15
    positive = x > 0  # relative accuracy everywhere on the positive axis, roots 1 and 2 included
    np.testing.assert_allclose(ours[positive], reference[positive], rtol=4e-15, atol=0)
    roots = np.array([1.0, 2.0, 1.0 + 1e-9, 2.0 - 1e-9, 1.0 - 2**-40])
    ours = numpy_kernels.lgamma(roots)
    assert ours[0] == 0.0 and ours[1] == 0.0
    reference = [float(mpmath.loggamma(mpmath.mpf(v))) for v in roots[2:]]
    np.testing.assert_allclose(ours[2:], reference, rtol=4e-15)


def test_digamma_and_polygamma_kernels_are_exact_to_double_precision(numpy_kernels):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = _grid()[::3]
    x = x[~((x <= 0) & (x == np.floor(x)))]
    reference = [float(mpmath.digamma(mpmath.mpf(v))) for v in x]
    assert _relative_error(numpy_kernels.digamma(x), reference) < 4e-15
    for n in (1, 2, 3, 6):
        reference = np.array([float(mpmath.polygamma(n, mpmath.mpf(v))) for v in x])
        ours = numpy_kernels.polygamma(n, x)
        finite = np.abs(reference) < 1e300
        np.testing.assert_allclose(ours[finite], reference[finite], rtol=5e-14, err_msg=f"polygamma({n})")


def test_erfinv_kernel_is_exact_to_double_precision_up_to_the_tails(numpy_kernels):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rng = np.random.default_rng(1)
    y = np.concatenate(
        [rng.uniform(-1, 1, 400), 1 - 10 ** rng.uniform(-16, -1, 100), -(1 - 10 ** rng.uniform(-16, -1, 50))]
    )
    y = np.concatenate([y, [0.0, 1e-300, 0.5, 0.5 + 1e-16, np.nextafter(1.0, 0.0)]])
    reference = np.array([float(mpmath.erfinv(mpmath.mpf(v))) for v in y])
    np.testing.assert_allclose(numpy_kernels.erfinv(y), reference, rtol=2e-15, atol=1e-300)


@needs_torch
@pytest.mark.parametrize("name", ["lgamma", "digamma", "erfinv"])
def test_special_values_match_pytorch(name, numpy_kernels):
    a = np.array([0.0, -0.0, -1.0, -2.0, -2.5, 1e-310, np.inf, -np.inf, np.nan, 1e308, 1.0, -1.0 + 1e-6, 1.5, -1.5])
    ours = getattr(nf, name)(nf.tensor(a))
    theirs = getattr(torch, name)(torch.tensor(a))
    assert_close(ours, theirs, rtol=1e-9, atol=0, what=name)  # (PyTorch's digamma near a pole: 1e-11)


@needs_torch
def test_polygamma_special_values_match_pytorch(numpy_kernels):
    a = np.array([0.0, -2.5, 1.5, np.nan, 1e-5, 40.0, -1.0 + 1e-6])
    for n in (1, 2, 3, 4):
        assert_close(nf.polygamma(n, nf.tensor(a)), torch.polygamma(n, torch.tensor(a)), rtol=1e-8, what=f"n={n}")


def test_polygamma_vanishes_at_infinity(numpy_kernels):
    # (PyTorch gives 0 for n = 1 but NaN for n >= 2 there; the limit is 0.)
    for n in (1, 2, 3):
        assert nf.polygamma(n, nf.tensor([np.inf])).item() == 0.0
        assert np.isnan(nf.polygamma(n, nf.tensor([-np.inf])).item())


@needs_torch
def test_xlogy_special_values_match_pytorch():
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0, np.nan])
    y = np.array([0.0, np.nan, np.inf, -1.0, 0.0, -1.0, np.inf, 1.0])
    assert_close(nf.xlogy(nf.tensor(x), nf.tensor(y)), torch.xlogy(torch.tensor(x), torch.tensor(y)))


@needs_torch
def test_copysign_uses_the_sign_of_negative_zero_as_pytorch():
    a, b = np.array([1.0, 3.0, -0.0, 2.0]), np.array([-0.0, 0.0, 1.0, -np.inf])
    ours = nf.copysign(nf.tensor(a), nf.tensor(b))
    theirs = torch.copysign(torch.tensor(a), torch.tensor(b))
    assert_close(ours, theirs)
    assert np.array_equal(np.signbit(ours.numpy()), np.signbit(theirs.numpy()))


@needs_torch
def test_gradient_at_zero_and_of_the_sign_source_match_pytorch():
    a, b = [1.0, -2.0, 0.0], [-1.0, -3.0, 2.0]
    ours_a, ours_b = nf.tensor(a, requires_grad=True), nf.tensor(b, requires_grad=True)
    theirs_a, theirs_b = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    nf.copysign(ours_a, ours_b).sum().backward()
    torch.copysign(theirs_a, theirs_b).sum().backward()
    assert_close(ours_a.grad, theirs_a.grad)
    assert_close(ours_b.grad, theirs_b.grad)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.lgamma(L.tensor([1, 2, 3])),
        lambda L: L.digamma(L.tensor([1, 2, 3], dtype=L.int32)),
        lambda L: L.erfinv(L.tensor([0, 1])),
        lambda L: L.polygamma(2, L.tensor([1, 2])),
        lambda L: L.copysign(L.tensor([1, -3]), -1),
        lambda L: L.copysign(L.tensor([1], dtype=L.int32), L.tensor([-1.0], dtype=L.float64)),
        lambda L: L.xlogy(L.tensor([1, 3]), L.tensor([1, 3])),
        lambda L: L.xlogy(2, L.tensor([1, 3])),
        lambda L: L.xlogy(L.tensor([1], dtype=L.int32), 2.0),
        lambda L: L.logaddexp(L.tensor([1.0], dtype=L.float32), L.tensor([1.0], dtype=L.float64)),
    ],
)
def test_integer_and_mixed_dtypes_promote_as_pytorch(call):
    ours, theirs = call(nf), call(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert_close(ours, theirs, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.polygamma(-1, L.ones(2)),
        lambda L: L.polygamma(1.5, L.ones(2)),
        lambda L: L.logaddexp(L.ones(2), 2.0),
        lambda L: L.logaddexp2(1.0, L.ones(2)),
        lambda L: L.logaddexp(L.tensor([1, 2]), L.tensor([1, 2])),
        lambda L: L.logaddexp(L.ones(2), L.ones(3)),
        lambda L: L.xlogy(L.ones(2), L.ones(3)),
        lambda L: L.copysign(L.ones(2), L.ones(3)),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_every_op_is_a_tensor_method_but_polygamma():
    for name in ("erfinv", "lgamma", "digamma", "logaddexp", "logaddexp2", "copysign", "xlogy"):
        assert getattr(nf.Tensor, name) is getattr(nf, name), name
    # ``x.polygamma(n)`` takes its arguments in the other order: tensor.py binds it.
    assert nf.ops.special.TENSOR_METHODS.count("polygamma") == 0


def test_higher_derivatives_of_lgamma_follow_the_polygamma_chain():
    x = nf.tensor([0.7, 3.2], dtype=nf.float64, requires_grad=True)
    (g1,) = nf.autograd.grad(nf.lgamma(x).sum(), x, create_graph=True)
    (g2,) = nf.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = nf.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.detach().numpy(), nf.digamma(x).detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(g2.detach().numpy(), nf.polygamma(1, x).detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(g3.numpy(), nf.polygamma(2, x).detach().numpy(), rtol=1e-15)
