"""default_collate / default_convert: PyTorch's batching rules."""

import collections

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def plain(obj):
    """A structure of Python values that compares equal for equal nf/torch batches."""
    if isinstance(obj, nf.Tensor) or (torch is not None and isinstance(obj, torch.Tensor)):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, tuple(plain(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


def nf_and_torch(make):
    """The same batch built with numpyflow tensors and with torch tensors."""
    return make(nf), make(torch)


BATCHES = {
    "python floats become float64": lambda m: [1.5, 2.0, -3.25],
    "python ints become int64": lambda m: [1, 2, 3],
    "python bools become bool": lambda m: [True, False],
    "numpy float32 scalars keep float32": lambda m: [np.float32(1.5), np.float32(2)],
    "numpy int32 scalars keep int32": lambda m: [np.int32(1), np.int32(7)],
    "uint8 arrays stack as uint8": lambda m: [np.arange(6, dtype=np.uint8).reshape(2, 3)] * 3,
    "float64 arrays stack as float64": lambda m: [np.ones((2,)), np.zeros((2,))],
    "tensors stack along a new first dim": lambda m: [m.tensor([[1.0, 2.0]]), m.tensor([[3.0, 4.0]])],
    "0-d tensors stack to 1-d": lambda m: [m.tensor(3), m.tensor(4)],
    "tuples of samples give a list of batches": lambda m: [(m.tensor([1.0]), 0), (m.tensor([2.0]), 1)],
    "lists are collated per position": lambda m: [[1, 2.0], [3, 4.0]],
    "dicts are collated per key": lambda m: [
        {"a": 1, "b": np.ones(2, np.float32)},
        {"a": 2, "b": np.zeros(2, np.float32)},
    ],
    "strings stay a list": lambda m: [("x", 1), ("y", 2)],
    "namedtuples keep their type": lambda m: [Point(1, 2.0), Point(3, 4.0)],
    "nested containers recurse": lambda m: [{"p": [np.int64(1), (2.5, "s")]}, {"p": [np.int64(3), (4.5, "t")]}],
    "ordered dicts keep their type": lambda m: [collections.OrderedDict(b=1, a=2)] * 2,
}


@needs_torch
@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate_matches_pytorch(name):
    ours, theirs = nf_and_torch(BATCHES[name])
    from torch.utils.data import default_collate as torch_collate

    assert plain(default_collate(ours)) == plain(torch_collate(theirs))


@needs_torch
@pytest.mark.parametrize(
    "sample",
    [np.ones((2, 2), np.float32), (np.int16(3), [1.0, "a"]), {"k": np.arange(3)}, Point(np.zeros(1), 2), "text", 5],
)
def test_default_convert_matches_pytorch(sample):
    from torch.utils.data import default_convert as torch_convert

    assert plain(default_convert(sample)) == plain(torch_convert(sample))


def test_collated_tensors_hold_copies_not_views_of_samples():
    samples = [np.zeros(3, np.float32), np.ones(3, np.float32)]
    batch = default_collate(samples)
    samples[0][0] = 7
    assert batch.tolist() == [[0, 0, 0], [1, 1, 1]]


def test_collating_tensors_of_different_shapes_is_an_error_naming_both_shapes():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size.*\(2,\).*\(3,\)"):
        default_collate([nf.zeros(2), nf.zeros(3)])


def test_collating_lists_of_different_lengths_is_an_error():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])


@pytest.mark.parametrize(
    "bad", [[object(), object()], [np.array(["a", "b"]), np.array(["c", "d"])], [np.array([None]), np.array([None])]]
)
def test_collating_unsupported_elements_is_a_type_error(bad):
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate(bad)
