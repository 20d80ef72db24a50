"""numpyflow/optim/radam.py: RAdam against PyTorch's, and its checks."""

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

# With beta2 = 0.999 the rectification starts at step 6 (rho_t > 5), so ten steps run both
# branches; with beta2 = 0.6 rho_t never exceeds 5 and every step is plain momentum.
CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.05),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "decoupled_weight_decay": dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "maximize": dict(lr=0.05, maximize=True),
    "small_betas": dict(lr=0.05, betas=(0.3, 0.6)),
    "fast_rectification": dict(lr=0.05, betas=(0.5, 0.9)),  # rho_t > 5 from step 3
    "everything": dict(
        lr=0.05, betas=(0.7, 0.95), eps=1e-3, weight_decay=0.2, decoupled_weight_decay=True, maximize=True
    ),
    "flags": dict(lr=0.05, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_radam_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("RAdam", options, dtype)


@needs_torch
def test_radam_param_groups_with_their_own_options_match_pytorch():
    groups = [([0], dict(lr=0.2, decoupled_weight_decay=True)), ([1, 2], dict(betas=(0.5, 0.9)))]
    compare_with_pytorch("RAdam", dict(lr=0.01, weight_decay=0.1), np.float32, groups=groups)


@needs_torch
@pytest.mark.parametrize("decoupled", [False, True], ids=["l2", "decoupled"])
def test_radam_trains_a_linear_model_with_a_closure_like_pytorch(decoupled):
    compare_on_linear_model("RAdam", dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=decoupled))


@needs_torch
def test_radam_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("RAdam", CONFIGS["everything"])


def test_radam_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip("RAdam", CONFIGS["everything"], np.float32, groups=[([2], {}), ([0, 1], dict(lr=0.2))])


@needs_torch
def test_radam_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    load_pytorch_state_and_continue("RAdam", CONFIGS["weight_decay"])


def test_radam_steps_before_the_rectification_are_bias_corrected_momentum():
    p = nf.nn.Parameter(nf.tensor([1.0, -2.0]))
    opt = nf.optim.RAdam([p], lr=0.1)
    p.grad = nf.tensor([0.5, -4.0])
    opt.step()  # step 1: rho_t = 1 <= 5, so p -= lr * m / (1 - beta1) = lr * g
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.05, -2.0 + 0.4], rtol=1e-6)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq"]


BAD = [
    (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
    (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
    (dict(betas=(-0.1, 0.999)), r"Invalid beta parameter at index 0: -0\.1"),
    (dict(betas=(0.9, 1.0)), r"Invalid beta parameter at index 1: 1\.0"),
    (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_radam_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.RAdam([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.RAdam([torch.zeros(2, requires_grad=True)], **kwargs)
