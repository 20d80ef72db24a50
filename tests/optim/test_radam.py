"""numpyflow/optim/radam.py: RAdam against PyTorch's, and its checks."""

import numpy as np
from optim_reference import PyTorchParity

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


class TestRAdam(PyTorchParity):
    NAME = "RAdam"
    CONFIGS = CONFIGS
    GROUPS = (
        dict(lr=0.01, weight_decay=0.1),
        [([0], dict(lr=0.2, decoupled_weight_decay=True)), ([1, 2], dict(betas=(0.5, 0.9)))],
    )
    LINEAR = {
        "l2": dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=False),
        "decoupled": dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True),
    }
    COMPLEX = "everything"
    ROUND_TRIP = ("everything", [([2], {}), ([0, 1], dict(lr=0.2))])
    LOADED = "weight_decay"
    BAD = [
        (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
        (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
        (dict(betas=(-0.1, 0.999)), r"Invalid beta parameter at index 0: -0\.1"),
        (dict(betas=(0.9, 1.0)), r"Invalid beta parameter at index 1: 1\.0"),
        (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
    ]


def test_radam_steps_before_the_rectification_are_bias_corrected_momentum():
    p = nf.nn.Parameter(nf.tensor([1.0, -2.0]))
    opt = nf.optim.RAdam([p], lr=0.1)
    p.grad = nf.tensor([0.5, -4.0])
    opt.step()  # step 1: rho_t = 1 <= 5, so p -= lr * m / (1 - beta1) = lr * g
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.05, -2.0 + 0.4], rtol=1e-6)
    assert list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq"]
