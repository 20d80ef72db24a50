"""The in-place activations of ``nn.functional`` (``F.relu_``, ``F.elu_``, ...) against PyTorch."""

import numpy as np
import pytest

import numpyflow as nf
import numpyflow.nn.functional as F
from tests.reference import assert_close, needs_torch, torch

X = np.random.default_rng(3).uniform(-3.0, 3.0, (4, 5))

CASES = [
    ("relu_", (), {}),
    ("elu_", (), {}),
    ("elu_", (0.5,), {}),
    ("leaky_relu_", (), {}),
    ("leaky_relu_", (0.2,), {}),
    ("hardtanh_", (), {}),
    ("hardtanh_", (-2.0, 0.5), {}),
    ("threshold_", (0.5, -7.0), {}),
    ("celu_", (), {}),
    ("celu_", (2.0,), {}),
    ("selu_", (), {}),
    ("rrelu_", (), {}),
    ("rrelu_", (0.1, 0.3), {}),
]
IDS = [f"{n}{a}" for n, a, _ in CASES]


def _torch_f():
    return torch.nn.functional


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inplace_activation_matches_torch_and_returns_its_input(name, args, kwargs, dtype):
    xn, xt = nf.tensor(X.astype(dtype)), torch.tensor(X.astype(dtype))
    version = xn._version
    assert getattr(F, name)(xn, *args, **kwargs) is xn
    getattr(_torch_f(), name)(xt, *args, **kwargs)
    assert str(xn.dtype).split(".")[-1] == str(xt.dtype).split(".")[-1]
    assert_close(xn, xt, rtol=1e-6, atol=1e-6)
    assert xn._version > version


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_inplace_activation_is_the_function_with_inplace_true(name, args, kwargs):
    if name == "relu_":
        pytest.skip("nf.nn.functional.relu (ops/elementwise.py) takes no inplace= yet")
    a, b = nf.tensor(X), nf.tensor(X)
    getattr(F, name)(a, *args, **kwargs)
    out = getattr(F, name[:-1])(b, *args, inplace=True, **kwargs)
    assert out is b
    assert_close(a, b)


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_gradient_flows_through_inplace_activation_on_non_leaf(name, args, kwargs):
    xn = nf.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    w = np.random.default_rng(4).normal(size=X.shape)
    yn = getattr(F, name)(xn * 1.5, *args, **kwargs)
    yt = getattr(_torch_f(), name)(xt * 1.5, *args, **kwargs)
    assert yn.grad_fn is not None
    (yn * nf.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_close(xn.grad, xt.grad, rtol=1e-7, atol=1e-9)


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_inplace_activation_on_leaf_requiring_grad_is_a_runtime_error(name, args, kwargs):
    xt = torch.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(_torch_f(), name)(xt, *args, **kwargs)
    xn = nf.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(F, name)(xn, *args, **kwargs)
    assert_close(xn, X)


def test_inplace_activation_saved_input_modified_is_detected():
    x = nf.tensor(X, requires_grad=True)
    y = x * 1.0
    z = y * y  # saves y
    F.elu_(y)
    with pytest.raises(RuntimeError):
        z.sum().backward()


def test_inplace_activations_are_exported_by_nn_functional():
    for name in ["relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "celu_", "selu_", "rrelu_"]:
        assert name in F.__all__
