"""numpyflow/ops/pointwise.py: hypot, fmax/fmin, frac, sgn, the sign and infinity tests,
degree conversions, logit, nan_to_num, float_power, heaviside, gcd/lcm, ldexp, sinc, erfc,
i0, nextafter, positive, fix and clamp_min/clamp_max against PyTorch (values, dtypes and
gradients), finite differences (first and second derivatives) and float32."""

import warnings

import numpy as np
import pytest
from cases import GRAD_BINARY, GRAD_UNARY, UNARY_SHAPES, Case, binary, unary
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf

CASES = [
    binary("hypot", lambda L, a, b: L.hypot(a, b), values=("away", "away")),
    binary("hypot_method", lambda L, a, b: a.hypot(b), values=("away", "normal")),
    binary("fmax", lambda L, a, b: L.fmax(a, b)),
    binary("fmin_method", lambda L, a, b: a.fmin(b)),
    unary("frac", lambda L, a: L.frac(a * 3), values="away"),
    Case("sgn", lambda L, a: L.sgn(a), UNARY_SHAPES, "away", grad_shapes=GRAD_UNARY, reference_grad=False),
    unary("deg2rad", lambda L, a: L.deg2rad(a)),
    unary("rad2deg_method", lambda L, a: a.rad2deg()),
    unary("logit", lambda L, a: L.logit(a * 0.5 + 0.5), values="unit"),
    unary("logit_eps", lambda L, a: a.logit(eps=0.2), values="unit"),
    unary("nan_to_num", lambda L, a: L.nan_to_num(L.log(a)), values="away"),
    unary("nan_to_num_values", lambda L, a: a.nan_to_num(nan=1.5, posinf=2.0, neginf=-3.0)),
    binary("ldexp", lambda L, a, b: L.ldexp(a, b)),
    binary("nextafter", lambda L, a, b: L.nextafter(a, b)),
    binary("nextafter_method", lambda L, a, b: a.nextafter(b)),
    unary("sinc", lambda L, a: L.sinc(a * 2)),
    unary("erfc", lambda L, a: L.erfc(a * 2)),
    unary("erfc_tail", lambda L, a: a.erfc(), values="pos"),
    unary("i0", lambda L, a: L.i0(a * 3)),
    unary("i0_method", lambda L, a: a.i0()),
    unary("positive", lambda L, a: L.positive(a) * 2),
    unary("fix", lambda L, a: L.fix(a * 3), values="away"),
    unary("clamp_min", lambda L, a: L.clamp_min(a, 0.2)),
    unary("clamp_max_method", lambda L, a: a.clamp_max(-0.1)),
    Case(
        "clamp_min_tensor",
        lambda L, a, b: L.clamp_min(a, b),
        [((2, 3), (3,))],
        grad_shapes=[((2, 3), (3,))],
    ),
    Case("clamp_max_tensor", lambda L, a, b: a.clamp_max(b), [((2, 3), (2, 1))], grad_shapes=[((2, 3), (2, 1))]),
    Case(
        "fmax_fmin_ties",
        lambda L, a, b: (L.fmax(a, b), L.fmin(a, b)),
        [((4, 3), (3,))],
        values="int",
        finite_differences=False,
    ),
    Case("sinc_at_zero", lambda L, a: L.sinc(a * 0), UNARY_SHAPES, grad_shapes=GRAD_UNARY, second=False),
    Case("fmax_nan", lambda L, a, b: L.fmax(a, L.log(b)), [((2, 3), (3,))], grad_shapes=GRAD_BINARY, second=False),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)

# float_power computes in float64 whatever its inputs: no float32 run.
FLOAT64_CASES = [
    unary("float_power_scalar", lambda L, a: L.float_power(a, 3)),
    binary("float_power", lambda L, a, b: L.float_power(a, b), values=("pos", "normal")),
    unary("float_power_rscalar", lambda L, a: L.float_power(2.5, a)),
]
(test_float_power_matches_pytorch, test_float_power_gradcheck, test_float_power_gradgradcheck, _) = op_tests(
    FLOAT64_CASES
)

SPECIAL = np.array([-np.inf, -1e4, -30.0, -2.5, -1.0, -0.0, 0.0, 1e-8, 0.5, 1.0, 2.0, 5.5, 27.0, 1e4, np.inf, np.nan])


def _both(name, *arrays, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = getattr(nf, name)(*(nf.tensor(a) for a in arrays), **kwargs)
    theirs = getattr(torch, name)(*(torch.tensor(a) for a in arrays), **kwargs)
    return ours, theirs


@needs_torch
@pytest.mark.parametrize(
    "name",
    ["frac", "sgn", "signbit", "isposinf", "isneginf", "isreal", "deg2rad", "rad2deg", "logit", "sinc"]
    + ["erfc", "i0", "nan_to_num", "fix", "positive"],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_special_values_match_pytorch(name, dtype):
    ours, theirs = _both(name, SPECIAL.astype(dtype))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    rtol = 1e-13 if dtype == "float64" else 2e-6
    assert_close(ours, theirs, rtol=rtol, atol=0, what=name)


@needs_torch
@pytest.mark.parametrize("name", ["hypot", "fmax", "fmin", "nextafter", "heaviside", "float_power", "ldexp"])
def test_binary_special_values_match_pytorch(name):
    a = np.repeat(SPECIAL, len(SPECIAL))
    b = np.tile(SPECIAL, len(SPECIAL))
    if name == "ldexp":
        b = np.tile(np.arange(-8, 8), len(SPECIAL)).astype(np.float64)
    ours, theirs = _both(name, a, b)
    assert ours.dtype == nf.float64
    assert_close(ours, theirs, rtol=1e-13, atol=0, what=name)


@needs_torch
@pytest.mark.parametrize(
    "name",
    ["sgn", "signbit", "isposinf", "isneginf", "isreal", "deg2rad", "rad2deg", "logit", "sinc", "erfc", "i0"]
    + ["nan_to_num", "fix", "positive", "fmax", "fmin", "gcd", "lcm", "heaviside", "float_power", "ldexp"],
)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_inputs_match_pytorch(name, dtype):
    a = np.array([0, 1, 2, 5, 1, 3]).astype(dtype)
    binary_op = name in ("fmax", "fmin", "gcd", "lcm", "heaviside", "float_power", "ldexp")
    args = (a, a[::-1].copy()) if binary_op else (a,)
    try:
        theirs = getattr(torch, name)(*(torch.tensor(v) for v in args))
    except (RuntimeError, NotImplementedError, TypeError) as error:
        with pytest.raises(type(error)):
            getattr(nf, name)(*(nf.tensor(v) for v in args))
        return
    ours = getattr(nf, name)(*(nf.tensor(v) for v in args))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], name
    assert_close(ours, theirs, rtol=1e-6, what=f"{name} {dtype}")


@needs_torch
def test_gcd_and_lcm_of_negative_and_zero_match_pytorch():
    a = np.array([-12, 0, 7, -4, 0, 9])
    b = np.array([18, 5, 0, -6, 0, -3])
    for name in ("gcd", "lcm"):
        ours, theirs = _both(name, a, b)
        assert np.array_equal(ours.numpy(), theirs.numpy()), name


@needs_torch
def test_i0_second_derivative_at_zero_matches_pytorch():
    x = nf.tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True)
    (g,) = nf.autograd.grad(nf.i0(x).sum(), x, create_graph=True)
    (gg,) = nf.autograd.grad(g.sum(), x)
    tx = torch.tensor([0.0, 1.5, -2.0], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.i0(tx).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    assert_close(gg, tgg, rtol=1e-10, what="i0''")


def test_predicates_and_integer_ops_have_no_gradient():
    x = nf.tensor([1.0, -2.0], requires_grad=True)
    for out in (nf.signbit(x), nf.isposinf(x), nf.isneginf(x), nf.isreal(x)):
        assert not out.requires_grad


def test_positive_of_bool_is_an_error_and_otherwise_the_input():
    with pytest.raises(RuntimeError, match="bool"):
        nf.positive(nf.tensor([True]))
    x = nf.tensor([1.0])
    assert nf.positive(x) is x


def test_heaviside_of_mixed_dtypes_and_hypot_of_integers_are_errors():
    with pytest.raises(RuntimeError, match="heaviside"):
        nf.heaviside(nf.tensor([1, 2]), nf.tensor([0.5]))
    with pytest.raises(NotImplementedError, match="hypot"):
        nf.hypot(nf.tensor([3, 4]), nf.tensor([4, 3]))
    with pytest.raises(TypeError, match="hypot"):
        nf.hypot(nf.tensor([3.0]), 4.0)


def test_float_power_computes_in_double_precision():
    x = nf.tensor(np.array([1.1, 2.0], np.float32))
    assert nf.float_power(x, 2).dtype == nf.float64
