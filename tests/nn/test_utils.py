"""numpyflow/nn/utils.py against PyTorch."""

import math

import numpy as np
import pytest
from reference import assert_close, needs_torch, torch

import numpyflow as nf
from numpyflow import nn


def _grads(lib, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    params = [lib.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (5,), (2, 2, 2))]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)) * 3)
    return params


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    ours, theirs = _grads(nf), _grads(torch)
    total_o = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(total_o, total_t, 1e-10, 1e-12)
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad, 1e-10, 1e-12)


def test_clip_grad_norm_nonfinite_raises_when_asked():
    p = nf.ones(2, requires_grad=True)
    p.grad = nf.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


@needs_torch
def test_clip_grad_value_matches_pytorch():
    ours, theirs = _grads(nf), _grads(torch)
    nn.utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for a, b in zip(ours, theirs):
        assert_close(a.grad, b.grad)


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 2 + 2 + 2 + 1,)
    nn.utils.vector_to_parameters(nf.arange(11, dtype=nf.float32), model.parameters())
    assert model[0].weight.tolist() == [[0, 1, 2], [3, 4, 5]] and model[1].bias.tolist() == [10]
