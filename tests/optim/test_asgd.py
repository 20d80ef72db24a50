"""numpyflow/optim/asgd.py: ASGD against PyTorch's, and its checks."""

import numpy as np
import pytest
from optim_reference import PyTorchParity

import numpyflow as nf

# t0 (the step where averaging starts) small enough that ten steps average.
CONFIGS = {
    "default": dict(),
    "lr": dict(lr=0.05),
    "averaging": dict(lr=0.05, t0=3),
    "averaging_from_the_start": dict(lr=0.05, t0=0),
    "decay_terms": dict(lr=0.05, lambd=0.1, alpha=0.5, t0=4),
    "weight_decay": dict(lr=0.05, weight_decay=0.1, t0=2),
    "maximize": dict(lr=0.05, maximize=True, t0=5),
    "everything": dict(lr=0.05, lambd=0.2, alpha=1.5, t0=1.5, weight_decay=0.3, maximize=True),
    # (foreach=True would compare with PyTorch's multi-tensor ASGD, which computes eta in float32
    # arithmetic where the single-tensor one, the reference here, rounds a double)
    "flags": dict(lr=0.05, foreach=False, capturable=False),
}


class TestASGD(PyTorchParity):
    NAME = "ASGD"
    CONFIGS = CONFIGS
    GROUPS = (dict(lr=0.01, t0=4), [([0], dict(lr=0.2, t0=2)), ([1, 2], dict(lambd=0.05, weight_decay=0.1))])
    LINEAR = {"t0_weight_decay": dict(lr=0.1, t0=3, weight_decay=0.01)}
    COMPLEX = "everything"
    ROUND_TRIP = ("everything", [([0, 2], {}), ([1], dict(lr=0.2))])
    # float64 weights: loading casts eta and mu (float32 when saved) to float64, as PyTorch does
    LOADED = "averaging"
    LOADED_DTYPES = [np.float32, np.float64]
    BAD = [
        (dict(lr=-0.01), r"Invalid learning rate: -0\.01"),
        (dict(weight_decay=-0.5), r"Invalid weight_decay value: -0\.5"),
    ]


def test_asgd_ax_is_the_weights_until_t0_then_their_running_average():
    p = nf.nn.Parameter(nf.zeros(1, dtype=nf.float64))
    opt = nf.optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    weights = []
    for _ in range(5):
        p.grad = nf.ones(1, dtype=nf.float64)
        opt.step()
        weights.append(p.item())
    state = opt.state[p]
    assert list(state) == ["step", "eta", "mu", "ax"]
    assert state["eta"].dtype == nf.float32 and state["mu"].dtype == nf.float32 and state["eta"].shape == ()
    # step t averages with the mu of step t - 1, 1 / max(1, t - 1 - t0): ax copies the weights
    # through step t0 + 2 = 4, then averages them from there on
    np.testing.assert_allclose(state["ax"].item(), np.mean(weights[3:]), rtol=1e-7)
    np.testing.assert_allclose(state["mu"].item(), 1 / 3, rtol=1e-7)
    np.testing.assert_allclose(weights, -0.1 * np.arange(1, 6), rtol=1e-7)  # lambd = 0: eta stays lr


def test_asgd_accepts_any_lambd_alpha_and_t0_like_pytorch_but_only_numbers():
    nf.optim.ASGD([nf.nn.Parameter(nf.zeros(2))], lambd=-1.0, alpha=-2.0, t0=-5)
    with pytest.raises(TypeError, match="option 't0' must be a number"):
        nf.optim.ASGD([nf.nn.Parameter(nf.zeros(2))], t0="10")
