"""numpyflow/ops/likelihood_loss.py: kl_div, poisson_nll_loss and gaussian_nll_loss
against PyTorch (every reduction and option, values and gradients), finite differences
and float32; warnings and errors as PyTorch's."""

import warnings

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def F(L):
    return L.nn.functional


def _quiet(fn):
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args)

    return run


CASES = []
for red in ("mean", "sum", "none", "batchmean"):
    CASES += [
        Case(
            f"kl_div_{red}",
            _quiet(lambda L, x, t, red=red: F(L).kl_div(x, t, reduction=red)),
            [((3, 4), (3, 4))],
            ("normal", "pos"),
        ),
        Case(
            f"kl_div_log_target_{red}",
            _quiet(lambda L, x, t, red=red: F(L).kl_div(x, t, reduction=red, log_target=True)),
            [((3, 4), (3, 4))],
        ),
    ]
for red in ("mean", "sum", "none"):
    CASES += [
        Case(
            f"poisson_nll_{red}",
            lambda L, x, t, red=red: F(L).poisson_nll_loss(x, t, reduction=red),
            [((3, 4), (3, 4))],
            ("normal", "pos"),
        ),
        Case(
            f"gaussian_nll_{red}",
            lambda L, x, t, v, red=red: F(L).gaussian_nll_loss(x, t, v, reduction=red),
            [((3, 4), (3, 4), (3, 4))],
            ("normal", "normal", "pos"),
        ),
    ]
CASES += [
    Case(
        "poisson_nll_rates_full",
        lambda L, x, t: F(L).poisson_nll_loss(x, t * 3, log_input=False, full=True),
        [((3, 4), (3, 4))],
        ("pos", "pos"),
    ),
    Case(
        "gaussian_nll_one_variance_per_sample_full",
        lambda L, x, t, v: F(L).gaussian_nll_loss(x, t, v, full=True),
        [((3, 4), (3, 4), (3,))],
        ("normal", "normal", "pos"),
    ),
    Case(
        "gaussian_nll_variance_column",
        lambda L, x, t, v: F(L).gaussian_nll_loss(x, t, v, reduction="sum"),
        [((3, 4), (3, 4), (3, 1))],
        ("normal", "normal", "pos"),
    ),
    Case(
        "gaussian_nll_tiny_variance_clamped",
        lambda L, x, t, v: F(L).gaussian_nll_loss(x, t, v * 1e-9, eps=1e-3),
        [((3, 4), (3, 4), (3, 4))],
        ("normal", "normal", "pos"),
        finite_differences=False,
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def test_kl_div_mean_warns_as_pytorch_and_batchmean_divides_by_the_batch():
    x, t = nf.randn(4, 3), nf.rand(4, 3)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = nf.nn.functional.kl_div(x, t)
    total = nf.nn.functional.kl_div(x, t, reduction="sum")
    assert mean.item() == pytest.approx(total.item() / 12)
    assert nf.nn.KLDivLoss(reduction="batchmean")(x, t).item() == pytest.approx(total.item() / 4)


def test_kl_div_of_a_zero_target_counts_nothing():
    x = nf.tensor([[-1.0, -2.0]])
    t = nf.tensor([[0.0, 1.0]])
    assert nf.nn.functional.kl_div(x, t, reduction="sum").item() == pytest.approx(2.0)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: F(L).gaussian_nll_loss(L.ones(4, 3), L.ones(4, 3), L.ones(4, 2)),
        lambda L: F(L).gaussian_nll_loss(L.ones(4, 3), L.ones(4, 3), -L.ones(4, 3)),
        lambda L: F(L).gaussian_nll_loss(L.ones(4, 3), L.ones(4, 3), L.ones(4, 3), reduction="avg"),
        lambda L: F(L).kl_div(L.ones(2), L.ones(2), reduction="avg"),
    ],
)
def test_mistakes_raise_pytorchs_exception_and_message(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value), match=str(theirs.value)):
        call(nf)


def test_gaussian_nll_takes_a_number_as_the_variance():
    x, t = nf.randn(4, 3), nf.randn(4, 3)
    assert nf.nn.GaussianNLLLoss()(x, t, 1.0).item() == pytest.approx(
        nf.nn.functional.gaussian_nll_loss(x, t, nf.ones(4, 3)).item()
    )
    assert np.isfinite(nf.nn.PoissonNLLLoss(full=True)(x, t.abs()).item())
