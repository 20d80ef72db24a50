"""numpyflow/utils/checkpoint.py: checkpointed calls give the plain run's results and
gradients (inputs and the parameters of modules used inside, dropout included), run the
function again in backward, warn and fail as PyTorch."""

import warnings

import numpy as np
import pytest

import numpyflow as nf
from numpyflow import nn
from numpyflow.utils.checkpoint import checkpoint, checkpoint_sequential


def _model():
    nf.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 2)
    )


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + ([x.grad.numpy().copy()] if x.grad is not None else [])


def _plain(model, x, seed=1):
    model.zero_grad()
    x.grad = None
    nf.manual_seed(seed)
    y = model(x)
    (y * y).sum().backward()
    return y.detach().numpy(), _grads(model, x)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_with_dropout_matches_the_plain_run(use_reentrant):
    model = _model()
    x = nf.randn(5, 4, requires_grad=True)
    ref_y, ref_g = _plain(model, x)
    model.zero_grad()
    x.grad = None
    nf.manual_seed(1)
    y = checkpoint(model, x, use_reentrant=use_reentrant)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ref_y)
    for a, b in zip(_grads(model, x), ref_g):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("use_reentrant", [True, False])
@pytest.mark.parametrize("segments", [1, 2, 3, 7])
def test_checkpoint_sequential_matches_the_plain_run(use_reentrant, segments):
    model = _model()
    x = nf.randn(5, 4, requires_grad=True)
    ref_y, ref_g = _plain(model, x)
    model.zero_grad()
    x.grad = None
    nf.manual_seed(1)
    y = checkpoint_sequential(model, segments, x, use_reentrant=use_reentrant)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ref_y)
    for a, b in zip(_grads(model, x), ref_g):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_parameter_grads_accumulate():
    model = _model().eval()
    x = nf.randn(5, 4, requires_grad=True)
    _, once = _plain(model, x)
    checkpoint(model, x, use_reentrant=True).pow(2).sum().backward()
    for p, g in zip(model.parameters(), once):
        np.testing.assert_allclose(p.grad.numpy(), 2 * g, rtol=1e-6, atol=1e-7)


def test_checkpoint_recomputes_the_function_in_backward():
    calls = []

    def f(a, b):
        calls.append(nf.is_grad_enabled())
        return (a * b).sin(), a.exp()

    a = nf.randn(3, requires_grad=True, dtype=nf.float64)
    b = nf.randn(3, requires_grad=True, dtype=nf.float64)
    u, v = checkpoint(f, a, b, use_reentrant=True)
    assert calls == [False] and u.requires_grad and v.requires_grad
    (u.sum() + 2 * v.sum()).backward()
    assert calls == [False, True]
    with nf.no_grad():
        np.testing.assert_allclose(a.grad.numpy(), (b * (a * b).cos() + 2 * a.exp()).numpy())
        np.testing.assert_allclose(b.grad.numpy(), (a * (a * b).cos()).numpy())


def test_checkpoint_restores_the_generator_after_recomputing():
    model = _model()
    x = nf.randn(5, 4, requires_grad=True)
    nf.manual_seed(4)
    y = checkpoint(model, x, use_reentrant=False)
    state = nf.get_rng_state()
    y.sum().backward()
    after = nf.randn(3).numpy()
    nf.set_rng_state(state)
    np.testing.assert_array_equal(after, nf.randn(3).numpy())


def test_checkpoint_non_reentrant_gives_parameters_grads_when_no_input_requires_grad():
    model = _model().eval()
    x = nf.randn(5, 4)
    _, ref = _plain(model, x)
    model.zero_grad()
    y = checkpoint(model, x, use_reentrant=False)
    (y * y).sum().backward()
    for a, b in zip(_grads(model, x), ref):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_non_reentrant_passes_keyword_arguments():
    x = nf.randn(3, requires_grad=True, dtype=nf.float64)
    y = checkpoint(lambda t, scale=1.0: t * scale, x, scale=3.0, use_reentrant=False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale=1.0: t * scale, x, scale=3.0, use_reentrant=True)


def test_checkpoint_warns_when_use_reentrant_is_not_given():
    x = nf.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        checkpoint_sequential([nf.sin, nf.cos], 2, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda t: t * 2, x, use_reentrant=False)


def test_checkpoint_reentrant_warns_when_no_input_requires_grad():
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        checkpoint(lambda t: t * 2, nf.randn(3), use_reentrant=True)


def test_checkpoint_under_no_grad_just_runs_the_function():
    x = nf.randn(3, requires_grad=True)
    with nf.no_grad():
        y = checkpoint(lambda t: t * 2, x, use_reentrant=False)
    assert not y.requires_grad


def test_checkpoint_double_backward_is_a_clear_error():
    x = nf.randn(3, requires_grad=True, dtype=nf.float64)
    y = checkpoint(lambda t: t.sin(), x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="checkpoint: double backward"):
        nf.autograd.grad(y.sum(), x, create_graph=True)


def test_checkpoint_second_backward_without_retain_graph_is_an_error():
    x = nf.randn(3, requires_grad=True, dtype=nf.float64)
    y = checkpoint(lambda t: t.sin(), x, use_reentrant=False).sum()
    y.backward()
    with pytest.raises(RuntimeError):
        y.backward()


def test_utils_exposes_checkpoint():
    assert nf.utils.checkpoint.checkpoint is checkpoint


def test_checkpoint_mixes_tensor_and_other_arguments():
    x = nf.randn(3, requires_grad=True, dtype=nf.float64)
    y = nf.randn(3, dtype=nf.float64)
    z = nf.randn(3, requires_grad=True, dtype=nf.float64)
    out = checkpoint(lambda a, k, b, c: a * k + b * c, x, 2.0, y, z, use_reentrant=True)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
    np.testing.assert_allclose(z.grad.numpy(), y.numpy())
