"""numpyflow/nn/init.py: PyTorch's gains, fans, bounds and distributions."""

import math

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.nn import init


@needs_torch
@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@needs_torch
@pytest.mark.parametrize("shape", [(30, 20), (16, 8, 3, 3), (4, 2, 5)])
def test_fans_match_pytorch(shape):
    ours = init._calculate_fan_in_and_fan_out(nf.empty(*shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert ours == theirs


def _std(fn, shape=(256, 128, 3, 3), **kw):
    t = nf.empty(*shape)
    fn(t, **kw)
    return t.numpy()


def test_distributions_have_the_documented_bounds_and_spread():
    nf.manual_seed(0)
    fan_in, fan_out = 128 * 9, 256 * 9
    w = _std(init.xavier_uniform_)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound and w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert _std(init.xavier_normal_, gain=2.0).std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    w = _std(init.kaiming_uniform_, a=math.sqrt(5))
    assert np.abs(w).max() <= 1 / math.sqrt(fan_in)
    assert _std(init.kaiming_normal_, mode="fan_out", nonlinearity="relu").std() == pytest.approx(
        math.sqrt(2 / fan_out), rel=0.01
    )
    w = _std(init.trunc_normal_, shape=(200_000,), mean=1.0, std=2.0, a=-1.0, b=2.0)
    assert w.min() >= -1.0 and w.max() <= 2.0
    # the mean of N(1, 4) truncated to [-1, 2]: mu + sigma * (phi(a') - phi(b')) / (Phi(b') - Phi(a'))
    a_, b_ = -1.0, 0.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    assert w.mean() == pytest.approx(1.0 + 2.0 * (phi(a_) - phi(b_)) / (Phi(b_) - Phi(a_)), abs=0.01)


def test_constant_zeros_ones_eye_and_no_graph():
    w = nf.empty(3, 3, requires_grad=True)
    init.constant_(w, 0.5)
    assert w.tolist() == [[0.5] * 3] * 3 and w.is_leaf and w.requires_grad
    init.zeros_(w)
    assert not w.detach().numpy().any()
    init.ones_(w)
    assert w.detach().numpy().all()
    init.eye_(w)
    assert w.tolist() == np.eye(3).tolist()


def test_seeded_initialisation_repeats():
    nf.manual_seed(5)
    a = nf.nn.Linear(10, 10).weight.detach().numpy().copy()
    nf.manual_seed(5)
    b = nf.nn.Linear(10, 10).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)
