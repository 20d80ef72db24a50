"""numpyflow/optim/adam.py: Adam and AdamW against PyTorch's, and their checks."""

import numpy as np
import pytest
from optim_reference import (
    RTOL,
    assert_same_state,
    close,
    compare_on_linear_model,
    compare_with_pytorch,
    gradient_sequence,
    initial_arrays,
    make_params,
    run,
    state_dict_round_trip,
    to_array,
)
from reference import needs_torch, torch

import numpyflow as nf

ADAM = {
    "default": dict(lr=0.05),
    "amsgrad": dict(lr=0.05, amsgrad=True),
    "weight_decay": dict(lr=0.05, weight_decay=0.1),
    "maximize": dict(lr=0.05, maximize=True),
    "amsgrad_decay_maximize": dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True),
    "small_betas": dict(lr=0.05, betas=(0.3, 0.6)),  # lerp weight >= 0.5 takes PyTorch's other branch
    "large_eps": dict(lr=0.05, eps=1e-2),
    "decoupled_weight_decay": dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
}
ADAMW = {
    "default": dict(lr=0.05),
    "weight_decay_amsgrad": dict(lr=0.05, weight_decay=0.3, amsgrad=True),
    "maximize": dict(lr=0.05, maximize=True),
    "no_weight_decay": dict(lr=0.05, weight_decay=0.0),
}
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", ADAM.values(), ids=ADAM.keys())
def test_adam_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("Adam", options, dtype)


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", ADAMW.values(), ids=ADAMW.keys())
def test_adamw_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("AdamW", options, dtype)


@needs_torch
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_param_groups_with_their_own_lr_and_betas_match_pytorch(name):
    groups = [([0, 1], dict(lr=0.2, amsgrad=True)), ([2], dict(betas=(0.5, 0.9), weight_decay=0.2))]
    compare_with_pytorch(name, dict(lr=0.01), np.float32, groups=groups)


@needs_torch
@pytest.mark.parametrize("name, options", [("Adam", ADAM["amsgrad"]), ("AdamW", ADAMW["weight_decay_amsgrad"])])
def test_trains_a_linear_model_with_a_closure_like_pytorch(name, options):
    compare_on_linear_model(name, options)


@needs_torch
def test_adam_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    arrays = [a + 1j * b for a, b in zip(initial_arrays(np.float64), initial_arrays(np.float64, seed=5))]
    grads = [
        [a + 1j * b for a, b in zip(s, t)]
        for s, t in zip(gradient_sequence(np.float64, 10), gradient_sequence(np.float64, 10, seed=7))
    ]
    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours = run(nf, nf.optim.Adam(ours_p, lr=0.05, amsgrad=True), ours_p, grads)
    theirs = run(torch, torch.optim.Adam(theirs_p, lr=0.05, amsgrad=True), theirs_p, grads)
    for p, q in zip(ours_p, theirs_p):
        close(to_array(p), to_array(q), RTOL[np.float64], "complex parameter")
    assert_same_state(ours, theirs, RTOL[np.float64])


@pytest.mark.parametrize(
    "name, options", [("Adam", ADAM["amsgrad_decay_maximize"]), ("AdamW", ADAMW["weight_decay_amsgrad"])]
)
def test_state_dict_round_trip_continues_like_ten_straight_steps(name, options):
    state_dict_round_trip(name, options, np.float32, groups=[([1], {}), ([0, 2], dict(lr=0.2))])


@needs_torch
def test_adam_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    arrays = initial_arrays(np.float32)
    grads = gradient_sequence(np.float32, 10)
    theirs_p = make_params(torch, arrays)
    theirs = run(torch, torch.optim.Adam(theirs_p, lr=0.05, amsgrad=True), theirs_p, grads[:5])
    ours_p = make_params(nf, [to_array(p) for p in theirs_p])
    ours = nf.optim.Adam(ours_p)
    ours.load_state_dict(theirs.state_dict())
    assert isinstance(ours.state[ours_p[0]]["exp_avg"], nf.Tensor)
    run(nf, ours, ours_p, grads[5:])
    run(torch, theirs, theirs_p, grads[5:])
    for p, q in zip(ours_p, theirs_p):
        close(to_array(p), to_array(q), RTOL[np.float32], "parameter")
    assert_same_state(ours, theirs, RTOL[np.float32])


def test_adam_step_counter_is_a_float32_tensor_like_pytorch():
    p = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.Adam([p])
    for _ in range(3):
        p.grad = nf.ones(3)
        opt.step()
    step = opt.state[p]["step"]
    assert isinstance(step, nf.Tensor) and step.dtype == nf.float32 and step.shape == () and step.item() == 3.0


def test_adam_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    p = nf.nn.Parameter(nf.tensor([1.0, -2.0, 3.0]))
    opt = nf.optim.Adam([p], lr=0.1)
    p.grad = nf.tensor([0.5, -4.0, 1e-3])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-5)


def test_adamw_decays_weights_apart_from_the_gradient():
    p = nf.nn.Parameter(nf.tensor([2.0]))
    opt = nf.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = nf.tensor([0.0])
    opt.step()  # zero gradient: only the decay moves the weight
    np.testing.assert_allclose(p.item(), 2.0 * (1 - 0.1 * 0.5), rtol=1e-7)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert nf.optim.AdamW([nf.nn.Parameter(nf.zeros(1))]).defaults["weight_decay"] == 1e-2


def test_float32_parameters_and_state_stay_float32():
    p = nf.nn.Parameter(nf.randn(4, 3))
    opt = nf.optim.Adam([p], amsgrad=True, weight_decay=1e-3)
    for _ in range(2):
        p.grad = nf.randn(4, 3)
        opt.step()
    assert p.dtype == nf.float32
    assert all(opt.state[p][k].dtype == nf.float32 for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))


@pytest.mark.parametrize("cls", [nf.optim.Adam, nf.optim.AdamW])
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
        (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
        (dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1\.0"),
        (dict(betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0\.1"),
        (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
        (dict(betas=(0.9,)), r"betas must be a pair"),
    ],
)
def test_rejects_invalid_options_naming_the_value(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([nf.nn.Parameter(nf.zeros(2))], **kwargs)


def test_adam_rejects_a_differentiable_step():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        nf.optim.Adam([nf.nn.Parameter(nf.zeros(2))], differentiable=True)
