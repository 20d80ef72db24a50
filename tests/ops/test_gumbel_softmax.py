"""numpyflow/ops/gumbel_softmax.py: seeded noise, soft samples on the simplex, hard
one-hot samples with the soft sample's (straight-through) gradient."""

import numpy as np
from reference import needs_torch, torch

import numpyflow as nf


def test_gumbel_softmax_repeats_under_manual_seed_and_sums_to_one():
    logits = nf.randn(4, 5)
    nf.manual_seed(3)
    a = nf.nn.functional.gumbel_softmax(logits, tau=0.5)
    nf.manual_seed(3)
    b = nf.nn.functional.gumbel_softmax(logits, tau=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    assert np.allclose(a.numpy().sum(-1), 1.0, atol=1e-6)
    assert a.dtype == nf.float32


def test_gumbel_softmax_hard_is_one_hot_with_soft_gradient():
    logits = nf.randn(3, 4, dtype=nf.float64, requires_grad=True)
    nf.manual_seed(0)
    hard = nf.nn.functional.gumbel_softmax(logits, tau=2.0, hard=True, dim=0)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and np.allclose(h.sum(0), 1.0)
    seed = np.random.default_rng(0).standard_normal((3, 4))
    hard.backward(nf.tensor(seed))
    nf.manual_seed(0)
    logits2 = nf.tensor(logits.detach().numpy(), requires_grad=True)
    soft = nf.nn.functional.gumbel_softmax(logits2, tau=2.0, dim=0)
    soft.backward(nf.tensor(seed))
    assert np.allclose(logits.grad.numpy(), logits2.grad.numpy())
    assert np.array_equal(h, (soft.detach().numpy() == soft.detach().numpy().max(0, keepdims=True)).astype(float))


@needs_torch
def test_gumbel_softmax_gradient_matches_pytorch_softmax_given_the_same_noise():
    """With the noise fixed, the sample is softmax((logits + g) / tau): PyTorch's gradient."""
    x = np.random.default_rng(1).standard_normal((2, 6))
    nf.manual_seed(5)
    t = nf.tensor(x, requires_grad=True)
    y = nf.nn.functional.gumbel_softmax(t, tau=0.7)
    nf.manual_seed(5)
    g = -np.log(nf.random.default_generator.numpy_generator.standard_exponential((2, 6)))
    tt = torch.tensor(x, requires_grad=True)
    ref = torch.softmax((tt + torch.tensor(g)) / 0.7, -1)
    assert np.allclose(y.detach().numpy(), ref.detach().numpy())
    seed = np.random.default_rng(2).standard_normal((2, 6))
    y.backward(nf.tensor(seed))
    ref.backward(torch.tensor(seed))
    assert np.allclose(t.grad.numpy(), tt.grad.numpy())
