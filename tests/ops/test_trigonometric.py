"""numpyflow/ops/trigonometric.py: the inverse trigonometric and hyperbolic functions and
their aliases against PyTorch (values and gradients), finite differences (first and
second derivatives) and float32; domains, dtypes and errors."""

import warnings

import numpy as np
import pytest
from cases import binary, unary
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf

CASES = [
    unary("asin", lambda L, a: L.asin(a), values="unit"),
    unary("arcsin_method", lambda L, a: a.arcsin(), values="unit"),
    unary("acos", lambda L, a: a.acos(), values="unit"),
    unary("arccos", lambda L, a: L.arccos(a), values="unit"),
    unary("atan", lambda L, a: L.atan(a)),
    unary("arctan_method", lambda L, a: a.arctan()),
    binary("atan2", lambda L, a, b: L.atan2(a, b)),
    binary("arctan2_method", lambda L, a, b: a.arctan2(b)),
    unary("sinh", lambda L, a: L.sinh(a)),
    unary("cosh", lambda L, a: a.cosh()),
    unary("sinh_large", lambda L, a: L.sinh(a * 20)),
    unary("cosh_large", lambda L, a: L.cosh(a * 20)),
    unary("asinh", lambda L, a: L.asinh(a * 3)),
    unary("arcsinh_method", lambda L, a: a.arcsinh()),
    unary("acosh", lambda L, a: L.acosh(a + 1.0), values="pos"),
    unary("arccosh_method", lambda L, a: (a + 1.0).arccosh(), values="pos"),
    unary("atanh", lambda L, a: a.atanh(), values="unit"),
    unary("arctanh", lambda L, a: L.arctanh(a), values="unit"),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)

NAMES = ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh"]
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
}


@needs_torch
@pytest.mark.parametrize("name", NAMES + list(ALIASES))
def test_special_values_and_out_of_domain_match_pytorch_without_warnings(name):
    a = np.array([-np.inf, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 1.5, np.inf, np.nan, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = getattr(nf, name)(nf.tensor(a))
    assert_close(ours, getattr(torch, name)(torch.tensor(a)), rtol=1e-12, atol=0, what=name)
    assert np.array_equal(np.signbit(ours.numpy()), np.signbit(getattr(torch, name)(torch.tensor(a)).numpy()))


@needs_torch
def test_atan2_quadrants_and_signed_zeros_match_pytorch():
    y = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, 1.0, -1.0, np.inf, -np.inf, np.nan])
    x = np.array([0.0, 0.0, -0.0, -0.0, -1.0, -1.0, 0.0, np.inf, np.inf, -np.inf, 1.0])
    assert_close(nf.atan2(nf.tensor(y), nf.tensor(x)), torch.atan2(torch.tensor(y), torch.tensor(x)), rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("name", NAMES + ["atan2"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_inputs_compute_in_the_default_float_dtype(name, dtype):
    a = np.array([0, 1, 2, 1]).astype(dtype)
    args = (a, a[::-1].copy()) if name == "atan2" else (a,)
    ours = getattr(nf, name)(*(nf.tensor(v) for v in args))
    theirs = getattr(torch, name)(*(torch.tensor(v) for v in args))
    assert ours.dtype == nf.float32 and theirs.dtype == torch.float32
    assert_close(ours, theirs, rtol=1e-6, what=f"{name} {dtype}")


@needs_torch
def test_atan2_promotes_mixed_dtypes_as_pytorch():
    for ya, xa in ((np.float32, np.float64), (np.int64, np.float32), (np.float64, np.int32)):
        y, x = np.array([1, 2], ya), np.array([3, -1], xa)
        ours = nf.atan2(nf.tensor(y), nf.tensor(x))
        theirs = torch.atan2(torch.tensor(y), torch.tensor(x))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert_close(ours, theirs, rtol=1e-6)


def test_aliases_are_the_same_functions():
    for alias, name in list(ALIASES.items()) + [("arctan2", "atan2")]:
        assert getattr(nf, alias) is getattr(nf, name)
        assert getattr(nf.Tensor, alias) is getattr(nf, name)
        assert getattr(nf.Tensor, name) is getattr(nf, name)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.atan2(L.ones(3), 2.0),
        lambda L: L.atan2(2.0, L.ones(3)),
        lambda L: L.atan2(L.ones(3), L.ones(2)),
        lambda L: L.asin([0.5]) if L is torch else L.asin(object()),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_atan2_broadcast_error_names_the_op():
    with pytest.raises(RuntimeError, match="atan2"):
        nf.atan2(nf.ones(3), nf.ones(2))
