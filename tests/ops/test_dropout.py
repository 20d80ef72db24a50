"""numpyflow/ops/dropout.py: dropout statistics, determinism under manual_seed, gradients,
in-place use, whole-channel dropout and errors."""

import warnings

import numpy as np
import pytest
from cases import Case
from reference import torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import dropout as dropout_ops


def F(L):
    """The functions under test: torch.nn.functional's, or this module's."""
    return L.nn.functional if L is torch else dropout_ops


CASES = [
    Case("dropout_eval_is_identity", lambda L, x: F(L).dropout(x, 0.5, training=False) * 2, [((3, 4),)]),
    Case("dropout_p0_is_identity", lambda L, x: F(L).dropout(x, 0.0) * 2, [((3, 4),)]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    nf.manual_seed(0)
    x = nf.ones(200, 500)
    y = dropout_ops.dropout(x, p=0.3).numpy()
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, np.float32(1 / 0.7)], rtol=1e-7)
    assert abs(y.mean() - 1.0) < 0.02  # the expectation is preserved


def test_dropout_repeats_under_manual_seed():
    x = nf.randn(50, 40)
    nf.manual_seed(123)
    a = dropout_ops.dropout(x, 0.5).numpy()
    nf.manual_seed(123)
    b = dropout_ops.dropout(x, 0.5).numpy()
    c = dropout_ops.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_gradient_is_the_scaled_mask():
    nf.manual_seed(1)
    x = nf.randn(30, 20, dtype=nf.float64, requires_grad=True)
    y = dropout_ops.dropout(x, 0.25)
    y.backward(nf.ones_like(y))
    kept = y.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy(), kept / 0.75)
    (g,) = nf.autograd.grad(dropout_ops.dropout(x, 0.25).sum(), [x], create_graph=True)
    assert g.dtype == nf.float64


def test_dropout_extremes_and_identity():
    x = nf.randn(4, 5, requires_grad=True)
    assert dropout_ops.dropout(x, 0.5, training=False) is x
    assert dropout_ops.dropout(x, 0.0) is x
    y = dropout_ops.dropout(x, 1.0)
    assert not np.any(y.detach().numpy())
    y.sum().backward()
    assert not np.any(x.grad.numpy())


def test_dropout_float32_stays_float32():
    x = nf.randn(8, 8, requires_grad=True)
    y = dropout_ops.dropout(x, 0.5)
    y.sum().backward()
    assert y.dtype == nf.float32 and x.grad.dtype == nf.float32


def test_dropout_inplace_writes_into_the_input():
    nf.manual_seed(2)
    x = nf.ones(10, 10)
    y = dropout_ops.dropout(x, 0.5, inplace=True)
    assert y is x
    assert np.any(x.numpy() == 0) and np.any(x.numpy() == 2)


def test_dropout2d_drops_whole_channels():
    nf.manual_seed(3)
    y = dropout_ops.dropout2d(nf.ones(8, 16, 5, 5), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # each channel all zero or all scaled
    assert 0 < np.mean(per_channel[..., 0] == 0) < 1
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y3 = dropout_ops.dropout2d(nf.ones(4, 6, 7), 0.5).numpy()
    assert any("3D input" in str(m.message) for m in w)
    assert np.all(y3.min(-1) == y3.max(-1))


def test_dropout_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        dropout_ops.dropout(nf.randn(3), 1.5)
