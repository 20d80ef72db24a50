"""RNNCell, LSTMCell and GRUCell against PyTorch's with the weights copied by key: outputs
and every gradient in float64 (1e-10), PyTorch's names, shapes, initialisation bounds and
errors; gradcheck and gradgradcheck."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def _pair(name, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nf.nn, name)(*args, **kwargs).double()
    ours.load_state_dict({k: nf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _run(lib, cell, x, state):
    x = lib.tensor(x, requires_grad=True)
    if state is None:
        hx = None
    elif isinstance(state, tuple):
        hx = tuple(lib.tensor(s, requires_grad=True) for s in state)
    else:
        hx = lib.tensor(state, requires_grad=True)
    out = cell(x, hx)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(5)
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
    loss.backward()
    leaves = [x] + ([] if hx is None else list(hx) if isinstance(hx, tuple) else [hx])
    grads = [t.grad for t in leaves] + [p.grad for p in cell.parameters()]
    return [o.detach().numpy() for o in outs], [g.numpy() for g in grads]


VARIANTS = [(name, options) for name in CELLS for options in ({}, {"bias": False})] + [
    ("RNNCell", {"nonlinearity": "relu"})
]


@needs_torch
@pytest.mark.parametrize("name,options", VARIANTS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_pytorch_with_every_gradient(name, options, batched, with_state):
    ours, theirs = _pair(name, 3, 4, **options)
    rng = np.random.default_rng(1)
    shape = (2, 3) if batched else (3,)
    x = rng.standard_normal(shape)
    hidden = (2, 4) if batched else (4,)
    state = None
    if with_state:
        state = (
            (rng.standard_normal(hidden), rng.standard_normal(hidden))
            if name == "LSTMCell"
            else rng.standard_normal(hidden)
        )
    a_out, a_grads = _run(nf, ours, x, state)
    b_out, b_grads = _run(torch, theirs, x, state)
    for a, b in zip(a_out + a_grads, b_out + b_grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", CELLS)
def test_names_shapes_and_initialisation_are_pytorchs(name):
    ours, theirs = nf.nn.__dict__[name](5, 7), getattr(torch.nn, name)(5, 7)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    bound = 1 / np.sqrt(7)
    for p in ours.parameters():
        assert p.dtype == nf.float32 and np.abs(p.detach().numpy()).max() <= bound
    assert repr(ours) == repr(theirs)


@needs_torch
def test_errors_are_pytorchs():
    for lib in (nf, torch):
        cell = lib.nn.RNNCell(3, 4)
        with pytest.raises(RuntimeError, match="inconsistent input_size: got 5 expected 3"):
            cell(lib.zeros(2, 5))
        with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
            cell(lib.zeros(2, 3), lib.zeros(3, 4))
        with pytest.raises(ValueError, match="Expected input to be 1D or 2D, got 3D"):
            cell(lib.zeros(2, 2, 3))
        with pytest.raises(RuntimeError, match="Unknown nonlinearity: sig"):
            lib.nn.RNNCell(3, 4, nonlinearity="sig")(lib.zeros(1, 3))


@pytest.mark.parametrize("name", CELLS)
def test_gradcheck_and_gradgradcheck(name):
    nf.manual_seed(0)
    cell = nf.nn.__dict__[name](2, 3).double()
    rng = np.random.default_rng(2)
    x = nf.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    h = nf.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    if name == "LSTMCell":
        c = nf.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        fn, inputs = (lambda x, h, c: cell(x, (h, c))), [x, h, c]
    else:
        fn, inputs = (lambda x, h: cell(x, h)), [x, h]
    assert nf.autograd.gradcheck(fn, inputs)
    assert nf.autograd.gradgradcheck(fn, inputs)
