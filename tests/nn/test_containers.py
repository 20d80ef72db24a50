"""numpyflow/nn/containers.py."""

from collections import OrderedDict

import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow import nn


def test_sequential_indexing_slicing_append_insert_delete():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    seq.insert(1, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Linear", "Identity", "ReLU", "Linear", "Sigmoid"]
    del seq[1]
    assert [k for k, _ in seq.named_children()] == ["0", "1", "2", "3"]
    assert seq(nf.ones(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError):
        seq[10]


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(seq.act, nn.Tanh)


def test_module_list_registers_and_iterates():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and len(list(ml.parameters())) == 8
    assert list(ml.state_dict())[0] == "0.weight"
    ml.extend([nn.ReLU()])
    assert isinstance(ml[-1], nn.ReLU)


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert "a" in md and len(md) == 2
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md["c"] = nn.Linear(1, 2)
    assert list(md.keys()) == ["a", "b", "c"]


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nf.ones(2), nf.zeros(3)])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pd = nn.ParameterDict({"w": nf.ones(2)})
    assert list(pd.state_dict()) == ["w"]


def test_parameter_dict_edits_like_a_dict_and_keeps_registration_in_step():
    pd = nn.ParameterDict({"a": nf.ones(2)})
    pd.update([("b", nf.zeros(3)), ("c", nf.zeros(1))])
    assert list(pd.keys()) == ["a", "b", "c"] and isinstance(pd["b"], nn.Parameter)
    del pd["a"]
    assert pd.pop("c").shape == (1,)
    assert [name for name, _ in pd.named_parameters()] == ["b"] and "b" in pd and len(pd) == 1
    pd.clear()
    assert list(pd.parameters()) == []


def test_module_dict_takes_pairs_or_a_mapping():
    md = nn.ModuleDict([("fc", nn.Linear(2, 2))])
    md.update({"act": nn.ReLU()})
    assert list(md) == ["fc", "act"] and [n for n, _ in md.named_children()] == ["fc", "act"]
    assert md.pop("act").__class__ is nn.ReLU and list(md.keys()) == ["fc"]


@needs_torch
def test_module_list_repr_folds_runs_of_equal_entries_as_pytorch():
    def build(lib):
        inner = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Tanh())
        return lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.ReLU(), inner, lib.nn.ReLU()])

    assert repr(build(nf)) == repr(build(torch))
    assert repr(nf.nn.ModuleList()) == repr(torch.nn.ModuleList())
