"""numpyflow/optim/adamax.py: Adamax against PyTorch's, and its checks."""

import numpy as np
from optim_reference import PyTorchParity

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


class TestAdamax(PyTorchParity):
    NAME = "Adamax"
    CONFIGS = CONFIGS
    GROUPS = (dict(lr=0.01), [([0, 1], dict(lr=0.2, betas=(0.5, 0.9))), ([2], dict(weight_decay=0.2))])
    LINEAR = {"weight_decay": dict(lr=0.05, weight_decay=0.01)}
    COMPLEX = "decay_maximize_betas"
    ROUND_TRIP = ("decay_maximize_betas", [([1], {}), ([0, 2], dict(lr=0.2))])
    LOADED = "weight_decay"
    BAD = [
        (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
        (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
        (dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1\.0"),
        (dict(betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0\.1"),
        (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
    ]


def test_adamax_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    p = nf.nn.Parameter(nf.tensor([1.0, -2.0, 3.0]))
    opt = nf.optim.Adamax([p], lr=0.1)
    p.grad = nf.tensor([0.5, -4.0, 1e-3])
    opt.step()  # m = 0.1 g, u = |g| + eps: the first step is lr * sign(g)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-5)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_inf"]
