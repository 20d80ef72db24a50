"""numpyflow/optim/rprop.py: Rprop against PyTorch's, its step-size rule and its checks."""

import numpy as np
from optim_reference import PyTorchParity

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


class TestRprop(PyTorchParity):
    NAME = "Rprop"
    CONFIGS = CONFIGS
    GROUPS = (dict(lr=0.01), [([0], dict(lr=0.2, etas=(0.4, 1.3))), ([1, 2], dict(step_sizes=(1e-4, 0.02)))])
    LINEAR = {"lr": dict(lr=0.05)}
    COMPLEX = "everything"
    ROUND_TRIP = ("everything", [([1], {}), ([0, 2], dict(lr=0.2))])
    LOADED = "etas"
    BAD = [
        (dict(lr=-0.01), r"Invalid learning rate: -0\.01"),
        (dict(etas=(1.5, 1.2)), r"Invalid eta values: 1\.5, 1\.2"),
        (dict(etas=(0.5, 0.9)), r"Invalid eta values: 0\.5, 0\.9"),
        (dict(etas=(0.0, 1.2)), r"Invalid eta values: 0\.0, 1\.2"),
    ]


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
