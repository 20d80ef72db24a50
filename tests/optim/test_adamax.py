"""numpyflow/optim/adamax.py: Adamax against PyTorch's, and its checks."""

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
    "lr": dict(lr=0.05),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "maximize": dict(lr=0.05, maximize=True),
    "small_betas": dict(lr=0.05, betas=(0.3, 0.6)),  # lerp weight >= 0.5 takes PyTorch's other branch
    "decay_maximize_betas": dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.2, maximize=True),
    "large_eps": dict(lr=0.05, eps=0.5),  # |g| + eps decides the infinity norm
    "flags": dict(lr=0.05, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_adamax_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("Adamax", options, dtype)


@needs_torch
def test_adamax_param_groups_with_their_own_options_match_pytorch():
    groups = [([0, 1], dict(lr=0.2, betas=(0.5, 0.9))), ([2], dict(weight_decay=0.2))]
    compare_with_pytorch("Adamax", dict(lr=0.01), np.float32, groups=groups)


@needs_torch
def test_adamax_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("Adamax", dict(lr=0.05, weight_decay=0.01))


@needs_torch
def test_adamax_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("Adamax", CONFIGS["decay_maximize_betas"])


def test_adamax_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip(
        "Adamax", CONFIGS["decay_maximize_betas"], np.float32, groups=[([1], {}), ([0, 2], dict(lr=0.2))]
    )


@needs_torch
def test_adamax_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    load_pytorch_state_and_continue("Adamax", CONFIGS["weight_decay"])


def test_adamax_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    p = nf.nn.Parameter(nf.tensor([1.0, -2.0, 3.0]))
    opt = nf.optim.Adamax([p], lr=0.1)
    p.grad = nf.tensor([0.5, -4.0, 1e-3])
    opt.step()  # m = 0.1 g, u = |g| + eps: the first step is lr * sign(g)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-5)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_inf"]


BAD = [
    (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
    (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
    (dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1\.0"),
    (dict(betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0\.1"),
    (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_adamax_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.Adamax([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.Adamax([torch.zeros(2, requires_grad=True)], **kwargs)
