"""numpyflow/optim/nadam.py: NAdam against PyTorch's, and its checks."""

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
    "decoupled_weight_decay": dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "momentum_decay": dict(lr=0.05, momentum_decay=0.3),
    "no_momentum_decay": dict(lr=0.05, momentum_decay=0.0),
    "maximize": dict(lr=0.05, maximize=True),
    "small_betas": dict(lr=0.05, betas=(0.3, 0.6)),  # lerp weight >= 0.5 takes PyTorch's other branch
    "everything": dict(
        lr=0.05, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.2, momentum_decay=0.1, decoupled_weight_decay=True,
        maximize=True,
    ),
    "flags": dict(lr=0.05, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}  # fmt: skip
FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_nadam_matches_pytorch_weights_and_state_over_ten_steps(options, dtype):
    compare_with_pytorch("NAdam", options, dtype)


@needs_torch
def test_nadam_param_groups_with_their_own_options_match_pytorch():
    groups = [([0], dict(lr=0.2, decoupled_weight_decay=True)), ([1, 2], dict(momentum_decay=0.05))]
    compare_with_pytorch("NAdam", dict(lr=0.01, weight_decay=0.1), np.float32, groups=groups)


@needs_torch
@pytest.mark.parametrize("decoupled", [False, True], ids=["l2", "decoupled"])
def test_nadam_trains_a_linear_model_with_a_closure_like_pytorch(decoupled):
    compare_on_linear_model("NAdam", dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=decoupled))


@needs_torch
def test_nadam_updates_complex_parameters_as_pairs_of_reals_like_pytorch():
    compare_complex_with_pytorch("NAdam", CONFIGS["everything"])


def test_nadam_state_dict_round_trip_continues_like_ten_straight_steps():
    state_dict_round_trip("NAdam", CONFIGS["everything"], np.float32, groups=[([0, 1], {}), ([2], dict(lr=0.2))])


@needs_torch
@FLOATS
def test_nadam_loads_a_pytorch_state_dict_and_continues_like_pytorch(dtype):
    # float64 weights: loading casts mu_product (float32 when saved) to float64, as PyTorch does
    load_pytorch_state_and_continue("NAdam", CONFIGS["decoupled_weight_decay"], dtype)


def test_nadam_mu_product_is_a_scalar_tensor_of_the_default_float_dtype_like_pytorch():
    p = nf.nn.Parameter(nf.zeros(3, dtype=nf.float64))
    opt = nf.optim.NAdam([p])
    for _ in range(2):
        p.grad = nf.ones(3, dtype=nf.float64)
        opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    mu_product = state["mu_product"]
    assert mu_product.dtype == nf.float32 and mu_product.shape == ()  # float32 even for float64 weights
    mu = [0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2)]
    np.testing.assert_allclose(mu_product.item(), mu[0] * mu[1], rtol=1e-6)


def test_nadam_decoupled_weight_decay_shrinks_weights_apart_from_the_gradient():
    p = nf.nn.Parameter(nf.tensor([2.0]))
    opt = nf.optim.NAdam([p], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    p.grad = nf.tensor([0.0])
    opt.step()  # zero gradient: only the decay moves the weight
    np.testing.assert_allclose(p.item(), 2.0 * (1 - 0.1 * 0.5), rtol=1e-7)


BAD = [
    (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
    (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
    (dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1\.0"),
    (dict(betas=(0.9, 1.5)), r"Invalid beta parameter at index 1: 1\.5"),
    (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
    (dict(momentum_decay=-4e-3), r"Invalid momentum_decay value: -0\.004"),
]


@pytest.mark.parametrize("kwargs, message", BAD)
def test_nadam_rejects_invalid_options_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nf.optim.NAdam([nf.nn.Parameter(nf.zeros(2))], **kwargs)


@needs_torch
@pytest.mark.parametrize("kwargs, message", BAD)
def test_pytorch_rejects_the_same_options_with_the_same_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.NAdam([torch.zeros(2, requires_grad=True)], **kwargs)
