"""numpyflow/optim/rprop.py: Rprop against PyTorch's, its step-size rule and its checks."""

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
    "etas": dict(lr=0.05, etas=(0.3, 1.5)),
    "tight_step_sizes": dict(lr=0.05, step_sizes=(0.03, 0.08)),  # both clamps bite within ten steps
    "maximize": dict(lr=0.05, maximize=True),
    "everything": dict(lr=0.05, etas=(0.7, 1.1), step_sizes=(1e-3, 0.06), maximize=True),
    "flags": dict(lr=0.05, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_rprop_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("Rprop", options, dtype)


@needs_torch
def test_rprop_param_groups_with_their_own_options_match_pytorch():
    groups = [([0], dict(lr=0.2, etas=(0.4, 1.3))), ([1, 2], dict(step_sizes=(1e-4, 0.02)))]
    compare_with_pytorch("Rprop", dict(lr=0.01), np.float32, groups=groups)


@needs_torch
def test_rprop_trains_a_linear_model_with_a_closure_like_pytorch():
    compare_on_linear_model("Rprop", dict(lr=0.05))


@needs_torch
def test_rprop_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("Rprop", CONFIGS["everything"])


def test_rprop_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip("Rprop", CONFIGS["everything"], np.float32, groups=[([1], {}), ([0, 2], dict(lr=0.2))])


@needs_torch
def test_rprop_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    load_pytorch_state_and_continue("Rprop", CONFIGS["etas"])


def test_rprop_step_sizes_grow_while_the_sign_holds_and_shrink_when_it_flips():
    p = nf.nn.Parameter(nf.zeros(2, dtype=nf.float64))
    opt = nf.optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    moves = []
    for g in ([1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [1.0, 1.0]):
        before = p.detach().numpy().copy()
        p.grad = nf.tensor(g, dtype=nf.float64)
        opt.step()
        moves.append(p.detach().numpy() - before)
    # first weight: 0.1, then 0.2, then 0.3 (clamped), 0.3; second: 0.1, no move on the
    # flip (its step size halves to 0.05 and its gradient is forgotten), 0.05, 0.1
    np.testing.assert_allclose(np.array(moves)[:, 0], [-0.1, -0.2, -0.3, -0.3])
    np.testing.assert_allclose(np.array(moves)[:, 1], [-0.1, 0.0, -0.05, -0.1])
    state = opt.state[p]
    assert list(state) == ["step", "prev", "step_size"]
    np.testing.assert_allclose(state["step_size"].numpy(), [0.3, 0.1])


BAD = [
    (dict(lr=-0.01), r"Invalid learning rate: -0\.01"),
    (dict(etas=(1.5, 1.2)), r"Invalid eta values: 1\.5, 1\.2"),
    (dict(etas=(0.5, 0.9)), r"Invalid eta values: 0\.5, 0\.9"),
    (dict(etas=(0.0, 1.2)), r"Invalid eta values: 0\.0, 1\.2"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_rprop_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.Rprop([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.Rprop([torch.zeros(2, requires_grad=True)], **kwargs)
