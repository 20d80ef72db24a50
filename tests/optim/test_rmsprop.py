"""numpyflow/optim/rmsprop.py: RMSprop against PyTorch's, and its checks."""

import numpy as np
import pytest
from optim_reference import compare_on_linear_model, compare_with_pytorch, state_dict_round_trip
from reference import needs_torch

import numpyflow as nf

CONFIGS = {
    "default": dict(lr=0.01),
    "centered": dict(lr=0.01, centered=True),
    "momentum": dict(lr=0.01, momentum=0.9),
    "centered_momentum_decay": dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
    "maximize": dict(lr=0.01, maximize=True, momentum=0.3),
    "small_alpha_centered": dict(lr=0.01, alpha=0.3, centered=True),  # lerp weight 0.7: PyTorch's other branch
    "large_eps": dict(lr=0.01, eps=1e-2, weight_decay=0.5),
}


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_rmsprop_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("RMSprop", options, dtype)


@needs_torch
def test_rmsprop_param_groups_with_their_own_lr_and_momentum_match_pytorch():
    groups = [([0], dict(lr=0.1, centered=True)), ([1, 2], dict(momentum=0.9))]
    compare_with_pytorch("RMSprop", dict(lr=0.01), np.float32, groups=groups)


@needs_torch
def test_rmsprop_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("RMSprop", CONFIGS["centered_momentum_decay"])


def test_rmsprop_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip(
        "RMSprop", CONFIGS["centered_momentum_decay"], np.float32, groups=[([0], {}), ([1, 2], dict(lr=0.05))]
    )


def test_rmsprop_keeps_only_the_state_its_options_need():
    p = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.RMSprop([p])
    p.grad = nf.ones(3)
    opt.step()
    assert list(opt.state[p]) == ["step", "square_avg"]
    q = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.RMSprop([q], momentum=0.9, centered=True)
    q.grad = nf.ones(3)
    opt.step()
    assert list(opt.state[q]) == ["step", "square_avg", "momentum_buffer", "grad_avg"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.01), r"Invalid learning rate: -0\.01"),
        (dict(eps=-1.0), r"Invalid epsilon value: -1\.0"),
        (dict(momentum=-0.9), r"Invalid momentum value: -0\.9"),
        (dict(weight_decay=-0.1), r"Invalid weight_decay value: -0\.1"),
        (dict(alpha=-0.99), r"Invalid alpha value: -0\.99"),
    ],
)
def test_rmsprop_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.RMSprop([nf.nn.Parameter(nf.zeros(2))], **kwargs)
