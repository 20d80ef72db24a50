"""numpyflow/optim/sgd.py: SGD against PyTorch's, its momentum rules and its checks."""

import numpy as np
import pytest
from optim_reference import compare_on_linear_model, compare_with_pytorch, state_dict_round_trip
from reference import needs_torch

import numpyflow as nf

CONFIGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.1, momentum=0.9),
    "momentum_dampening": dict(lr=0.05, momentum=0.8, dampening=0.3),
    "nesterov": dict(lr=0.1, momentum=0.9, nesterov=True),
    "weight_decay": dict(lr=0.1, weight_decay=0.05),
    "maximize_momentum_decay": dict(lr=0.1, momentum=0.5, weight_decay=0.1, maximize=True),
    "nesterov_decay_maximize": dict(lr=0.02, momentum=0.95, nesterov=True, weight_decay=0.01, maximize=True),
}


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_sgd_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("SGD", options, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_sgd_param_groups_with_their_own_lr_and_momentum_match_pytorch(dtype):
    groups = [([0], dict(lr=0.3)), ([1, 2], dict(momentum=0.5, nesterov=True))]
    compare_with_pytorch("SGD", dict(lr=0.1, momentum=0.9), dtype, groups=groups)


@needs_torch
@pytest.mark.parametrize(
    "options",
    [CONFIGS["plain"], dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.01)],
    ids=["plain", "nesterov_decay"],
)
def test_sgd_trains_a_linear_model_with_a_closure_like_pytorch(options):
    compare_on_linear_model("SGD", options)


@pytest.mark.parametrize("options", [CONFIGS["momentum_dampening"], CONFIGS["nesterov"]], ids=["dampening", "nesterov"])
def test_sgd_state_dict_round_trip_continues_like_ten_straight_steps(options):
    state_dict_round_trip("SGD", options, np.float32, groups=[([0, 2], {}), ([1], dict(lr=0.01))])


def test_sgd_first_momentum_buffer_is_the_gradient_itself_without_dampening():
    p = nf.nn.Parameter(nf.tensor([1.0, 2.0]))
    opt = nf.optim.SGD([p], lr=0.5, momentum=0.9, dampening=0.5, weight_decay=0.25)
    p.grad = nf.tensor([4.0, -8.0])
    opt.step()
    g = np.array([4.0, -8.0], np.float32) + np.float32(0.25) * np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].numpy(), g)  # not (1 - dampening) * g
    np.testing.assert_allclose(p.detach().numpy(), np.array([1.0, 2.0]) - 0.5 * g, rtol=1e-7)
    p.grad = nf.tensor([0.0, 0.0])
    opt.step()  # later steps: buf = momentum * buf + (1 - dampening) * g
    np.testing.assert_allclose(
        opt.state[p]["momentum_buffer"].numpy(), 0.9 * g + 0.5 * 0.25 * (np.array([1.0, 2.0]) - 0.5 * g), rtol=1e-6
    )


def test_sgd_without_momentum_keeps_no_state():
    p = nf.nn.Parameter(nf.tensor([1.0, 2.0]))
    opt = nf.optim.SGD([p], lr=0.1)
    p.grad = nf.tensor([1.0, 1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.9], rtol=1e-7)


def test_sgd_skips_parameters_without_gradient():
    p, q = nf.nn.Parameter(nf.tensor([1.0])), nf.nn.Parameter(nf.tensor([2.0]))
    opt = nf.optim.SGD([p, q], lr=0.1, momentum=0.9)
    p.grad = nf.tensor([1.0])
    opt.step()
    assert q.item() == 2.0 and q not in opt.state and "momentum_buffer" in opt.state[p]


def test_sgd_float32_parameters_and_state_stay_float32():
    p = nf.nn.Parameter(nf.randn(4, 3))
    opt = nf.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-4)
    for _ in range(2):
        p.grad = nf.randn(4, 3)
        opt.step()
    assert p.dtype == nf.float32 and opt.state[p]["momentum_buffer"].dtype == nf.float32


def test_sgd_updates_the_parameter_in_place_so_views_see_it():
    p = nf.nn.Parameter(nf.zeros(2, 3))
    view = p.detach()[0]
    version = p._version
    opt = nf.optim.SGD([p], lr=1.0)
    p.grad = nf.ones(2, 3)
    opt.step()
    np.testing.assert_array_equal(view.numpy(), [-1.0, -1.0, -1.0])
    assert p._version > version


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), "Invalid learning rate: -0.1"),
        (dict(lr=float("nan")), "Invalid learning rate: nan"),
        (dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
        (dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
        (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (
            dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
    ],
)
def test_sgd_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        nf.optim.SGD([nf.nn.Parameter(nf.zeros(2))], **kwargs)


def test_sgd_rejects_invalid_options_in_a_param_group():
    p, q = nf.nn.Parameter(nf.zeros(2)), nf.nn.Parameter(nf.zeros(2))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        nf.optim.SGD([{"params": [p]}, {"params": [q], "momentum": 0.0}], lr=0.1, momentum=0.9, nesterov=True)
