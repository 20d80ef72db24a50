"""numpyflow/ops/bitwise_shift.py: bitwise_left_shift and bitwise_right_shift against
PyTorch: every integer dtype, shifts out of range, Python ints on either side,
broadcasting, promotion and errors."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
NAMES = ["bitwise_left_shift", "bitwise_right_shift"]


def _same(ours, theirs):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_shifts_match_pytorch_including_out_of_range_amounts(name, dtype):
    info = np.iinfo(dtype)
    values = np.array([0, 1, 3, 100, info.max, info.min, info.min + 1], dtype=np.int64).astype(dtype)
    if info.min < 0:
        values = np.concatenate([values, np.array([-1, -8, -100], dtype=dtype)])
    bits = info.bits
    amounts = np.array([0, 1, 2, bits - 1, bits, bits + 1, 64, 100] + ([-1, -5] if info.min < 0 else []), dtype=dtype)
    a = np.repeat(values, len(amounts))
    b = np.tile(amounts, len(values))
    _same(getattr(nf, name)(nf.tensor(a), nf.tensor(b)), getattr(torch, name)(torch.tensor(a), torch.tensor(b)))


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_python_ints_on_either_side_and_broadcasting_match_pytorch(name):
    a = np.array([[1, -8, 5], [7, 0, -3]], dtype=np.int32)
    s = np.array([[1], [3]], dtype=np.int32)
    cases = [
        lambda L: getattr(L, name)(L.tensor(a), 2),
        lambda L: getattr(L, name)(L.tensor(a), 300),
        lambda L: getattr(L, name)(L.tensor(a.astype(np.int8)), 9),
        lambda L: getattr(L, name)(3, L.tensor(s)),
        lambda L: getattr(L, name)(L.tensor(a), L.tensor(s)),
        lambda L: getattr(L, name)(L.tensor(a.astype(np.int8)), L.tensor(s.astype(np.int64))),
        lambda L: getattr(L, name)(L.tensor(np.array([True, False])), 1),
        lambda L: getattr(L.tensor(a), name)(L.tensor(np.int64(2))),
    ]
    for i, call in enumerate(cases):
        ours, theirs = call(nf), call(torch)
        assert ours.shape == tuple(theirs.shape), i
        _same(ours, theirs)


def test_methods_are_the_functions():
    for name in NAMES:
        assert getattr(nf.Tensor, name) is getattr(nf, name)
    x = nf.tensor([1, 2, 4])
    assert x.bitwise_left_shift(1).tolist() == [2, 4, 8]
    assert x.bitwise_right_shift(1).tolist() == [0, 1, 2]


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.bitwise_left_shift(L.tensor([1.0, 2.0]), 1),
        lambda L: L.bitwise_right_shift(L.tensor([1, 2]), 1.5),
        lambda L: L.bitwise_left_shift(L.tensor([True]), L.tensor([True])),
        lambda L: L.bitwise_left_shift(L.tensor([1, 2]), L.tensor([1, 2, 3])),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_errors_name_the_op():
    with pytest.raises(NotImplementedError, match="bitwise_left_shift"):
        nf.bitwise_left_shift(nf.tensor([1.0]), 1)
    with pytest.raises(RuntimeError, match="bitwise_right_shift"):
        nf.bitwise_right_shift(nf.tensor([1, 2]), nf.tensor([1, 2, 3]))


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_0d_inputs_give_a_0d_result_as_pytorch(name):
    for a, b in [(np.int64(5), 1), (np.int64(5), np.int64(2)), (np.int32(-8), np.int32(1))]:
        ours = getattr(nf, name)(nf.tensor(a), nf.tensor(b) if isinstance(b, np.generic) else b)
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b) if isinstance(b, np.generic) else b)
        assert tuple(ours.shape) == tuple(theirs.shape) == ()
        assert ours.item() == theirs.item()
