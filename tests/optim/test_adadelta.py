"""numpyflow/optim/adadelta.py: Adadelta against PyTorch's, and its checks."""

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

CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.5),
    "weight_decay": dict(lr=0.5, weight_decay=0.1),
    "maximize": dict(lr=0.5, maximize=True),
    "small_rho_decay_maximize": dict(lr=0.5, rho=0.3, weight_decay=0.2, maximize=True),
    "large_eps": dict(lr=0.5, eps=1e-2),
    "rho_one": dict(lr=0.5, rho=1.0),  # the bounds PyTorch allows: 0 <= rho <= 1
    "flags": dict(lr=0.5, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_adadelta_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("Adadelta", options, dtype)


@needs_torch
def test_adadelta_param_groups_with_their_own_options_match_pytorch():
    groups = [([0], dict(lr=0.1, rho=0.5)), ([1, 2], dict(weight_decay=0.3, maximize=True))]
    compare_with_pytorch("Adadelta", dict(lr=1.0), np.float32, groups=groups)


@needs_torch
def test_adadelta_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("Adadelta", dict(lr=1.0, weight_decay=0.01))


@needs_torch
def test_adadelta_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("Adadelta", CONFIGS["small_rho_decay_maximize"])


def test_adadelta_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip(
        "Adadelta", CONFIGS["small_rho_decay_maximize"], np.float32, groups=[([0, 2], {}), ([1], dict(lr=0.1))]
    )


@needs_torch
def test_adadelta_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    load_pytorch_state_and_continue("Adadelta", CONFIGS["weight_decay"])


def test_adadelta_state_is_pytorchs():
    p = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.Adadelta([p])
    p.grad = nf.ones(3)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "square_avg", "acc_delta"]
    assert state["step"].dtype == nf.float32 and state["step"].shape == () and state["step"].item() == 1.0
    assert opt.defaults == dict(
        lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False, capturable=False, foreach=None, differentiable=False
    )


BAD = [
    (dict(lr=-1.0), r"Invalid learning rate: -1\.0"),
    (dict(rho=1.5), r"Invalid rho value: 1\.5"),
    (dict(rho=-0.1), r"Invalid rho value: -0\.1"),
    (dict(eps=-1e-6), r"Invalid epsilon value: -1e-06"),
    (dict(weight_decay=-0.1), r"Invalid weight_decay value: -0\.1"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_adadelta_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.Adadelta([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.Adadelta([torch.zeros(2, requires_grad=True)], **kwargs)


def test_adadelta_rejects_a_differentiable_step():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        nf.optim.Adadelta([nf.nn.Parameter(nf.zeros(2))], differentiable=True)
