"""numpyflow/nn/module.py: registration, iteration, modes, state dicts, hooks, repr."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.scale = nn.Parameter(nf.ones(1))
        self.register_buffer("steps", nf.zeros(1))
        self.register_buffer("cache", nf.zeros(2), persistent=False)
        self.plain = 3

    def forward(self, x):
        return self.bn(self.conv(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(8, 4), nn.ReLU())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.layers(self.block(x)))


def test_attributes_register_parameters_buffers_and_children():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "block.scale",
        "block.conv.weight",
        "block.conv.bias",
        "block.bn.weight",
        "block.bn.bias",
        "layers.1.weight",
        "layers.1.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps",
        "block.cache",
        "block.bn.running_mean",
        "block.bn.running_var",
        "block.bn.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_children()] == ["block", "layers", "head"]
    assert [n for n, _ in net.named_modules()][:4] == ["", "block", "block.conv", "block.bn"]
    assert net.block.plain == 3 and "plain" not in dict(net.block.named_parameters())
    assert len(list(net.modules())) == 9


def test_state_dict_keys_skip_non_persistent_buffers():
    keys = list(Net().state_dict())
    assert "block.cache" not in keys
    assert keys[:4] == ["block.scale", "block.steps", "block.conv.weight", "block.conv.bias"]
    assert "block.bn.num_batches_tracked" in keys


def test_state_dict_values_are_detached_and_share_memory():
    net = Net()
    sd = net.state_dict()
    assert not sd["head.weight"].requires_grad
    sd["head.weight"].numpy()[0, 0] = 123.0
    assert net.head.weight.detach().numpy()[0, 0] == 123.0


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (n, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=n)


def test_load_state_dict_reports_missing_unexpected_and_size_mismatch_without_changing_anything():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    sd = Net().state_dict()
    del sd["head.bias"]
    sd["extra.weight"] = nf.zeros(1)
    sd["head.weight"] = nf.zeros(5, 4)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "head.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for head.weight: copying a param with shape (5, 4)" in msg
    assert "the shape in current model is (2, 4)" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_load_state_dict_non_strict_returns_key_lists():
    net = Net()
    sd = Net().state_dict()
    del sd["head.bias"]
    sd["extra"] = nf.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["extra"]


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.block.bn.training
    net.eval()
    assert not net.training and not net.block.bn.training and not net.layers[1].training
    net.train()
    assert net.layers[2].training


def test_zero_grad_sets_none_or_zero():
    net = Net()
    net(nf.randn(2, 1, 4, 4)).sum().backward()
    assert net.head.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert net.head.weight.grad is not None and not net.head.weight.grad.numpy().any()
    net.zero_grad()
    assert net.head.weight.grad is None


def test_requires_grad_and_apply():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Conv2d"


def test_to_double_keeps_parameter_objects_and_integer_buffers():
    net = Net()
    w = net.head.weight
    net.double()
    assert net.head.weight is w and w.dtype == nf.float64
    assert net.block.bn.num_batches_tracked.dtype == nf.int64
    assert net.block.bn.running_mean.dtype == nf.float64
    net.float()
    assert w.dtype == nf.float32


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(nf.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1 + np.zeros((3, 2)), rtol=1e-6)
    assert calls == [nf.Size([3, 2])]
    h1.remove()
    h2.remove()
    lin(nf.ones(1, 2))
    assert len(calls) == 1


def test_assigning_wrong_types_to_registered_names_is_an_error():
    net = Net()
    with pytest.raises(TypeError, match="parameter 'weight'"):
        net.head.weight = nf.zeros(2, 4)
    with pytest.raises(TypeError, match="child module 'head'"):
        net.head = 3
    net.head = None
    assert "head" not in [n for n, _ in net.named_children()]


def test_missing_attribute_error_names_module():
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        Net().nope


def test_get_submodule_and_parameter():
    net = Net()
    assert net.get_submodule("block.bn") is net.block.bn
    assert net.get_parameter("layers.1.weight") is net.layers[1].weight
    with pytest.raises(AttributeError):
        net.get_submodule("block.nothing")


@needs_torch
def test_repr_matches_pytorch_for_a_small_model():
    ours = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8, 10),
        nn.Dropout(0.1),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(8),
        torch.nn.ReLU(inplace=True),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
        torch.nn.Dropout(0.1),
    )
    assert repr(ours) == repr(theirs)


def test_parameters_are_deduplicated_when_shared():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def _registration_script(lib):
    """Re-assign and re-register entries of a small model the way real code does; the
    orders that ``state_dict``, ``children()`` and the buffers then follow."""

    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(2, 3)
            self.act = lib.nn.ReLU()
            self.fc2 = lib.nn.Linear(3, 1)
            self.register_buffer("first", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)
            self.register_buffer("last", lib.zeros(1))

    m = Model()
    m.fc1.weight = lib.nn.Parameter(lib.zeros(3, 2))  # a parameter replaced in place
    m.fc1.register_parameter("bias", lib.nn.Parameter(lib.zeros(3)))
    m.fc1 = lib.nn.Linear(2, 3)  # a child replaced: keeps its place
    m.act = None
    m.act = lib.nn.Tanh()  # set to None and back
    m.add_module("fc2", lib.nn.Linear(3, 1))
    m.register_buffer("first", lib.ones(1))
    m.scratch = lib.nn.Buffer(lib.ones(1), persistent=True)  # now persistent, same place
    m.last = lib.ones(1)
    return (
        list(m.state_dict()),
        [type(c).__name__ for c in list(m.children())[:-1]],
        [n for n, _ in m.named_buffers()],
        [n for n, _ in m.fc1.named_parameters()],
    )


@needs_torch
def test_reassigning_a_child_parameter_or_buffer_keeps_its_registration_order_as_pytorch():
    ours = _registration_script(nf)
    assert ours == _registration_script(torch)
    assert ours[0][:3] == ["first", "scratch", "last"] and ours[0][3:5] == ["fc1.weight", "fc1.bias"]


@needs_torch
def test_sequential_item_assignment_keeps_the_item_in_place():
    for lib in (nf, torch):
        seq = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.ReLU())
        seq[0] = lib.nn.Sigmoid()
        assert [type(c).__name__ for c in list(seq.children())[:-1]] == ["Sigmoid", "Tanh"], lib.__name__


def _register_over(lib, kind, taken):
    m = lib.nn.Linear(2, 2)
    m.plain = 3
    m.register_buffer("buf", lib.zeros(1))
    m.add_module("child", lib.nn.ReLU())
    register = {
        "parameter": lambda: m.register_parameter(taken, lib.nn.Parameter(lib.zeros(1))),
        "buffer": lambda: m.register_buffer(taken, lib.zeros(1)),
        "module": lambda: m.add_module(taken, lib.nn.ReLU()),
    }[kind]
    register()


@needs_torch
@pytest.mark.parametrize("kind", ["parameter", "buffer", "module"])
@pytest.mark.parametrize("taken", ["plain", "buf", "child", "weight", "forward"])
def test_registering_a_name_taken_by_something_else_is_a_key_error_as_in_pytorch(kind, taken):
    own = {"parameter": "weight", "buffer": "buf", "module": "child"}[kind]
    if taken == own:  # re-registering into the same table is allowed
        _register_over(nf, kind, taken)
        _register_over(torch, kind, taken)
        return
    with pytest.raises(KeyError):
        _register_over(torch, kind, taken)
    with pytest.raises(KeyError, match=f"attribute '{taken}' already exists"):
        _register_over(nf, kind, taken)


@needs_torch
def test_assigning_a_buffer_over_a_child_or_a_parameter_is_a_type_error_as_in_pytorch():
    for lib in (nf, torch):
        m = lib.nn.Linear(2, 2)
        m.add_module("child", lib.nn.ReLU())
        with pytest.raises(TypeError):
            m.child = lib.nn.Buffer(lib.zeros(1))
        with pytest.raises(TypeError):
            m.weight = lib.nn.Buffer(lib.zeros(1))
