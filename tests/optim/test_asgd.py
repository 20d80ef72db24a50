"""numpyflow/optim/asgd.py: ASGD against PyTorch's, and its checks."""

import numpy as np
import pytest
from optim_reference import (
    compare_complex_with_pytorch,
    compare_on_linear_model,
    compare_with_pytorch,
    load_pytorch_state_and_continue,
    state_dict_round_trip,
)
from reference import needs_torch, torch

import numpyflow as nf

# t0 (the step where averaging starts) small enough that ten steps average.
CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.05),
    "averaging": dict(lr=0.05, t0=3),
    "averaging_from_the_start": dict(lr=0.05, t0=0),
    "decay_terms": dict(lr=0.05, lambd=0.1, alpha=0.5, t0=4),
    "weight_decay": dict(lr=0.05, weight_decay=0.1, t0=2),
    "maximize": dict(lr=0.05, maximize=True, t0=5),
    "everything": dict(lr=0.05, lambd=0.2, alpha=1.5, t0=1.5, weight_decay=0.3, maximize=True),
    # (foreach=True would compare with PyTorch's multi-tensor ASGD, which computes eta in float32
    # arithmetic where the single-tensor one, the reference here, rounds a double)
    "flags": dict(lr=0.05, foreach=False, capturable=False),
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_asgd_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("ASGD", options, dtype)


@needs_torch
def test_asgd_param_groups_with_their_own_options_match_pytorch():
    groups = [([0], dict(lr=0.2, t0=2)), ([1, 2], dict(lambd=0.05, weight_decay=0.1))]
    compare_with_pytorch("ASGD", dict(lr=0.01, t0=4), np.float32, groups=groups)


@needs_torch
def test_asgd_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("ASGD", dict(lr=0.1, t0=3, weight_decay=0.01))


@needs_torch
def test_asgd_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("ASGD", CONFIGS["everything"])


def test_asgd_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip("ASGD", CONFIGS["everything"], np.float32, groups=[([0, 2], {}), ([1], dict(lr=0.2))])


@needs_torch
@FLOATS
def test_asgd_loads_a_pytorch_state_dict_and_continues_like_pytorch(dtype):
    # float64 weights: loading casts eta and mu (float32 when saved) to float64, as PyTorch does
    load_pytorch_state_and_continue("ASGD", CONFIGS["averaging"], dtype)


def test_asgd_ax_is_the_weights_until_t0_then_their_running_average():
    p = nf.nn.Parameter(nf.zeros(1, dtype=nf.float64))
    opt = nf.optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    weights = []
    for _ in range(5):
        p.grad = nf.ones(1, dtype=nf.float64)
        opt.step()
        weights.append(p.item())
    state = opt.state[p]
    assert list(state) == ["step", "eta", "mu", "ax"]
    assert state["eta"].dtype == nf.float32 and state["mu"].dtype == nf.float32 and state["eta"].shape == ()
    # step t averages with the mu of step t - 1, 1 / max(1, t - 1 - t0): ax copies the weights
    # through step t0 + 2 = 4, then averages them from there on
    np.testing.assert_allclose(state["ax"].item(), np.mean(weights[3:]), rtol=1e-7)
    np.testing.assert_allclose(state["mu"].item(), 1 / 3, rtol=1e-7)
    np.testing.assert_allclose(weights, -0.1 * np.arange(1, 6), rtol=1e-7)  # lambd = 0: eta stays lr


BAD = [
    (dict(lr=-0.01), r"Invalid learning rate: -0\.01"),
    (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_asgd_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.ASGD([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.ASGD([torch.zeros(2, requires_grad=True)], **kwargs)


def test_asgd_accepts_any_lambd_alpha_and_t0_like_pytorch_but_only_numbers():
    nf.optim.ASGD([nf.nn.Parameter(nf.zeros(2))], lambd=-1.0, alpha=-2.0, t0=-5)
    with pytest.raises(TypeError, match="option 't0' must be a number"):
        nf.optim.ASGD([nf.nn.Parameter(nf.zeros(2))], t0="10")
