"""numpyflow/optim/adagrad.py: Adagrad against PyTorch's, and its checks."""

import numpy as np
import pytest
from optim_reference import compare_on_linear_model, compare_with_pytorch, state_dict_round_trip
from reference import needs_torch

import numpyflow as nf

CONFIGS = {
    "default": dict(lr=0.1),
    "lr_decay": dict(lr=0.1, lr_decay=0.05),
    "weight_decay": dict(lr=0.1, weight_decay=0.2),
    "initial_accumulator": dict(lr=0.1, initial_accumulator_value=0.5),
    "maximize": dict(lr=0.1, maximize=True),
    "everything": dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1, eps=1e-3, maximize=True),
}


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_adagrad_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("Adagrad", options, dtype)


@needs_torch
def test_adagrad_param_groups_with_their_own_lr_and_decay_match_pytorch():
    groups = [([0, 2], dict(lr=0.5)), ([1], dict(lr_decay=0.1, weight_decay=0.3))]
    compare_with_pytorch("Adagrad", dict(lr=0.1), np.float32, groups=groups)


@needs_torch
def test_adagrad_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("Adagrad", CONFIGS["lr_decay"])


def test_adagrad_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip("Adagrad", CONFIGS["everything"], np.float32, groups=[([2, 0], {}), ([1], dict(lr=0.3))])


def test_adagrad_state_exists_from_construction_like_pytorch():
    p = nf.nn.Parameter(nf.zeros(2, 2))
    opt = nf.optim.Adagrad([p], initial_accumulator_value=0.25)
    state = opt.state_dict()["state"][0]
    assert list(state) == ["step", "sum"] and state["step"].item() == 0.0
    np.testing.assert_array_equal(state["sum"].numpy(), np.full((2, 2), 0.25, np.float32))


def test_adagrad_initializes_state_of_a_group_added_later_at_its_first_step():
    p, q = nf.nn.Parameter(nf.zeros(2)), nf.nn.Parameter(nf.zeros(2))
    opt = nf.optim.Adagrad([p], lr=0.1)
    opt.add_param_group({"params": [q], "initial_accumulator_value": 1.0})
    assert q not in opt.state
    q.grad = nf.tensor([1.0, -1.0])
    opt.step()
    np.testing.assert_allclose(opt.state[q]["sum"].numpy(), [2.0, 2.0])
    np.testing.assert_allclose(q.detach().numpy(), [-0.1 / np.sqrt(2.0), 0.1 / np.sqrt(2.0)], rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), r"Invalid learning rate: -0\.1"),
        (dict(lr_decay=-1.0), r"Invalid lr_decay value: -1\.0"),
        (dict(weight_decay=-1.0), r"Invalid weight_decay value: -1\.0"),
        (dict(initial_accumulator_value=-1.0), r"Invalid initial_accumulator_value value: -1\.0"),
        (dict(eps=-1e-10), r"Invalid epsilon value: -1e-10"),
    ],
)
def test_adagrad_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.Adagrad([nf.nn.Parameter(nf.zeros(2))], **kwargs)
