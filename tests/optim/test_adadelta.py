"""numpyflow/optim/adadelta.py: Adadelta against PyTorch's, and its checks."""

import pytest
from optim_reference import PyTorchParity

import numpyflow as nf

CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.5),
    "weight_decay": dict(lr=0.5, weight_decay=0.1),
    "maximize": dict(lr=0.5, maximize=True),
    "small_rho_decay_maximize": dict(lr=0.5, rho=0.3, weight_decay=0.2, maximize=True),
    "large_eps": dict(lr=0.5, eps=1e-2),
    "rho_one": dict(lr=0.5, rho=1.0),  # the bounds PyTorch allows: 0 <= rho <= 1
    "flags": dict(lr=0.5, foreach=True, capturable=False),  # PyTorch then runs its multi-tensor path
}


class TestAdadelta(PyTorchParity):
    NAME = "Adadelta"
    CONFIGS = CONFIGS
    GROUPS = (dict(lr=1.0), [([0], dict(lr=0.1, rho=0.5)), ([1, 2], dict(weight_decay=0.3, maximize=True))])
    LINEAR = {"weight_decay": dict(lr=1.0, weight_decay=0.01)}
    COMPLEX = "small_rho_decay_maximize"
    ROUND_TRIP = ("small_rho_decay_maximize", [([0, 2], {}), ([1], dict(lr=0.1))])
    LOADED = "weight_decay"
    BAD = [
        (dict(lr=-1.0), r"Invalid learning rate: -1\.0"),
        (dict(rho=1.5), r"Invalid rho value: 1\.5"),
        (dict(rho=-0.1), r"Invalid rho value: -0\.1"),
        (dict(eps=-1e-6), r"Invalid epsilon value: -1e-06"),
        (dict(weight_decay=-0.1), r"Invalid weight_decay value: -0\.1"),
    ]


def test_adadelta_state_is_pytorchs():
    p = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.Adadelta([p])
    p.grad = nf.ones(3)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "square_avg", "acc_delta"]
    assert state["step"].dtype == nf.float32 and state["step"].shape == () and state["step"].item() == 1.0
    assert opt.defaults == dict(
        lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False, capturable=False, foreach=None, differentiable=False
    )


def test_adadelta_rejects_a_differentiable_step():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        nf.optim.Adadelta([nf.nn.Parameter(nf.zeros(2))], differentiable=True)
