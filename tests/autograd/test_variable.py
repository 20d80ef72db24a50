"""``nf.autograd.Variable``: the deprecated wrapper returns a Tensor, as in PyTorch."""

import warnings

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.autograd import Variable


def _both(fn):
    """``fn(lib, Variable)`` for numpyflow and PyTorch."""
    out = [fn(nf, Variable)]
    if torch is not None:
        out.append(fn(torch, torch.autograd.Variable))
    return out


def test_variable_returns_a_leaf_tensor_sharing_memory_with_the_requires_grad_asked_for():
    def probe(lib, V):
        t = lib.ones(3)
        v = V(t, requires_grad=True)
        with lib.no_grad():
            v[0] = 5.0
        return type(v) is lib.Tensor, v is t, v.requires_grad, t.requires_grad, v.is_leaf, v.grad_fn, float(t[0])

    for result in _both(probe):
        assert result == (True, False, True, False, True, None, 5.0)


def test_variable_cuts_its_input_from_the_graph():
    def probe(lib, V):
        a = lib.ones(2, requires_grad=True)
        c = V(a * 2)
        return c.requires_grad, c.grad_fn, c.is_leaf, c.tolist()

    for result in _both(probe):
        assert result == (False, None, True, [2.0, 2.0])


def test_variable_trains_like_the_old_scripts_did():
    w = Variable(nf.tensor([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_positional_requires_grad_and_an_empty_variable():
    for lib, V in [(nf, Variable)] + ([(torch, torch.autograd.Variable)] if torch is not None else []):
        assert V(lib.ones(2), True).requires_grad
        empty = V()
        assert isinstance(empty, lib.Tensor) and tuple(empty.shape) == (0,) and empty.dtype == lib.float32


def test_every_tensor_is_an_instance_of_variable():
    assert isinstance(nf.ones(2), Variable)
    assert isinstance(nf.nn.Parameter(nf.ones(2)), Variable)
    assert not isinstance(np.ones(2), Variable) and not isinstance(3, Variable)


@needs_torch
@pytest.mark.parametrize(
    "args,kwargs,error",
    [
        ((3,), {}, TypeError),
        ((np.ones(2),), {}, TypeError),
        (("long",), {"requires_grad": True}, RuntimeError),
        (("float",), {"foo": 1}, TypeError),
        (("float", True, True), {}, ValueError),
    ],
)
def test_bad_arguments_raise_pytorchs_exception_types(args, kwargs, error):
    for lib, V in ((nf, Variable), (torch, torch.autograd.Variable)):
        made = {"long": lambda: lib.ones(2, dtype=lib.long), "float": lambda: lib.ones(2)}
        real = tuple(made[a]() if isinstance(a, str) else a for a in args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error):
                V(*real, **kwargs)


@needs_torch
def test_volatile_warns_with_pytorchs_text_and_has_no_effect():
    for lib, V in ((nf, Variable), (torch, torch.autograd.Variable)):
        name = "nf" if lib is nf else "torch"
        with pytest.warns(UserWarning) as record:
            v = V(lib.ones(2), volatile=True)
        assert str(record[0].message) == (
            f"volatile was removed and now has no effect. Use `with {name}.no_grad():` instead."
        )
        assert not v.requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
        Variable(3)
