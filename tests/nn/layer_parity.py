"""Run the same layer in NumpyFlow and PyTorch with the same weights and compare."""

import numpy as np
from reference import assert_close, torch

import numpyflow as nf


def copy_state(torch_module, nf_module):
    """Load a torch module's state_dict into the numpyflow module (same key names)."""
    sd = {k: nf.tensor(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()}
    nf_module.load_state_dict(sd)


def compare(nf_module, torch_module, inputs, rtol=1e-9, atol=1e-10, grad=True, seed=0):
    """Forward and backward through both with the same inputs (arrays) and upstream
    gradient; compare outputs, input gradients, parameter gradients and buffers."""
    copy_state(torch_module, nf_module)
    ours_in = [nf.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    theirs_in = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in inputs]
    ours = nf_module(*ours_in)
    theirs = torch_module(*theirs_in)
    assert_close(ours, theirs, rtol, atol, "forward")
    if grad:
        seed_grad = np.random.default_rng(seed).standard_normal(tuple(theirs.shape)).astype(inputs[0].dtype)
        ours.backward(nf.tensor(seed_grad))
        theirs.backward(torch.tensor(seed_grad))
        for a, b in zip(ours_in, theirs_in):
            if b.grad is not None:
                assert_close(a.grad, b.grad, rtol, atol, "input gradient")
        ours_p = dict(nf_module.named_parameters())
        for name, p in torch_module.named_parameters():
            if p.grad is not None:
                assert_close(ours_p[name].grad, p.grad, rtol, atol, f"gradient of {name}")
    ours_b = dict(nf_module.named_buffers())
    for name, b in torch_module.named_buffers():
        assert_close(ours_b[name], b, rtol, atol, f"buffer {name}")
    return ours, theirs
