"""numpyflow/optim/nadam.py: NAdam against PyTorch's, and its checks."""

import numpy as np
from optim_reference import PyTorchParity

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


class TestNAdam(PyTorchParity):
    NAME = "NAdam"
    CONFIGS = CONFIGS
    GROUPS = (
        dict(lr=0.01, weight_decay=0.1),
        [([0], dict(lr=0.2, decoupled_weight_decay=True)), ([1, 2], dict(momentum_decay=0.05))],
    )
    LINEAR = {
        "l2": dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=False),
        "decoupled": dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True),
    }
    COMPLEX = "everything"
    ROUND_TRIP = ("everything", [([0, 1], {}), ([2], dict(lr=0.2))])
    # float64 weights: loading casts mu_product (float32 when saved) to float64, as PyTorch does
    LOADED = "decoupled_weight_decay"
    LOADED_DTYPES = [np.float32, np.float64]
    BAD = [
        (dict(lr=-1e-3), r"Invalid learning rate: -0\.001"),
        (dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
        (dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1\.0"),
        (dict(betas=(0.9, 1.5)), r"Invalid beta parameter at index 1: 1\.5"),
        (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
        (dict(momentum_decay=-4e-3), r"Invalid momentum_decay value: -0\.004"),
    ]


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
