"""numpyflow/dtypes.py: dtype objects, the default dtype and PyTorch's promotion rules."""

import pickle

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

DTYPE_NAMES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
SCALARS = {"py_bool": True, "py_int": 2, "py_float": 1.5}
# How an operand is given: a tensor with dims, a 0-d tensor, or a Python scalar.
RANKS = ("dim", "zero_dim")


def _operand(m, dtype_name, rank):
    data = [1, 2] if rank == "dim" else 1
    if dtype_name == "bool":
        data = [True, True] if rank == "dim" else True
    return m.tensor(data, dtype=getattr(m, dtype_name))


def _name(d):
    return str(d).split(".")[-1]


OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "eq": lambda a, b: a == b,
}


def _mismatches(make_a, make_b):
    """[(op, ours, torch's)] where the result dtypes differ; errors count as a dtype."""
    bad = []
    for op_name, op in OPS.items():
        results = []
        for m in (nf, torch):
            try:
                results.append(_name(op(make_a(m), make_b(m)).dtype))
            except Exception as e:  # noqa: BLE001 - the exception type is the result
                results.append(f"{type(e).__name__}")
        if results[0] != results[1]:
            bad.append((op_name, results[0], results[1]))
    return bad


TENSOR_PAIRS = [(a, b, ra, rb) for a in DTYPE_NAMES for b in DTYPE_NAMES for ra in RANKS for rb in RANKS]


@needs_torch
@pytest.mark.parametrize("a,b,rank_a,rank_b", TENSOR_PAIRS, ids=[f"{a}_{ra}-{b}_{rb}" for a, b, ra, rb in TENSOR_PAIRS])
def test_tensor_tensor_promotion_matches_pytorch(a, b, rank_a, rank_b):
    bad = _mismatches(lambda m: _operand(m, a, rank_a), lambda m: _operand(m, b, rank_b))
    assert not bad, f"(op, numpyflow, torch): {bad}"


SCALAR_PAIRS = [(d, s, r, side) for d in DTYPE_NAMES for s in SCALARS for r in RANKS for side in ("left", "right")]


@needs_torch
@pytest.mark.parametrize(
    "dtype_name,scalar,rank,side", SCALAR_PAIRS, ids=[f"{d}_{r}-{s}-{side}" for d, s, r, side in SCALAR_PAIRS]
)
def test_tensor_scalar_promotion_matches_pytorch(dtype_name, scalar, rank, side):
    value = SCALARS[scalar]
    tensor = lambda m: _operand(m, dtype_name, rank)  # noqa: E731
    number = lambda m: value  # noqa: E731
    bad = _mismatches(tensor, number) if side == "right" else _mismatches(number, tensor)
    assert not bad, f"(op, numpyflow, torch): {bad}"


# -- promotion rules spelled out (no torch needed) ------------------------------------------


def test_python_float_does_not_promote_a_float_tensor():
    assert (nf.tensor([1.0], dtype=nf.float16) * 2.0).dtype is nf.float16
    assert (nf.tensor([1.0]) * 2.0).dtype is nf.float32
    assert (nf.tensor([1.0], dtype=nf.float64) * 2.0).dtype is nf.float64


def test_python_float_turns_an_int_tensor_into_the_default_float():
    assert (nf.tensor([1, 2]) * 1.5).dtype is nf.float32
    assert (nf.tensor([1, 2], dtype=nf.uint8) + 0.5).dtype is nf.float32


def test_python_int_keeps_the_tensor_integer_type():
    assert (nf.tensor([1, 2], dtype=nf.uint8) + 1).dtype is nf.uint8
    assert (nf.tensor([1, 2], dtype=nf.int32) * 3).dtype is nf.int32


def test_python_int_turns_a_bool_tensor_into_int64():
    assert (nf.tensor([True, False]) + 1).dtype is nf.int64


def test_zero_dim_tensor_of_the_same_category_does_not_promote():
    assert (nf.tensor([1.0]) + nf.tensor(1.0, dtype=nf.float64)).dtype is nf.float32
    assert (nf.tensor([1], dtype=nf.int32) + nf.tensor(1)).dtype is nf.int32


def test_zero_dim_tensor_of_a_higher_category_wins():
    assert (nf.tensor([1], dtype=nf.int32) + nf.tensor(1.0, dtype=nf.float64)).dtype is nf.float64
    assert (nf.tensor([1], dtype=nf.uint8) * nf.tensor(1.0, dtype=nf.float16)).dtype is nf.float16


def test_dimensioned_tensors_promote_normally():
    assert (nf.tensor([1], dtype=nf.int32) + nf.tensor([1], dtype=nf.int64)).dtype is nf.int64
    assert (nf.tensor([1], dtype=nf.uint8) + nf.tensor([1], dtype=nf.int32)).dtype is nf.int32
    assert (nf.tensor([1.0], dtype=nf.float16) + nf.tensor([1.0])).dtype is nf.float32
    assert (nf.tensor([1], dtype=nf.int64) + nf.tensor([1.0], dtype=nf.float16)).dtype is nf.float16


def test_uint8_and_int8_promote_to_int16():
    assert (nf.tensor([1], dtype=nf.uint8) + nf.tensor([1], dtype=nf.int8)).dtype is nf.int16


def test_true_division_of_integers_gives_the_default_float():
    assert (nf.tensor([1, 2]) / nf.tensor([2, 2])).dtype is nf.float32
    assert (nf.tensor([1, 2]) / 2).dtype is nf.float32
    assert (nf.tensor([1, 2]) / 2).tolist() == [0.5, 1.0]


def test_comparison_gives_bool():
    for a in (nf.tensor([1, 2]), nf.tensor([1.0, 2.0]), nf.tensor([True, False])):
        assert (a == 1).dtype is nf.bool
        assert (a < 2).dtype is nf.bool
    assert (nf.tensor([1, 2]) == nf.tensor([1.0, 2.5])).tolist() == [True, False]


# -- result_type / promote_types ------------------------------------------------------------


def test_result_type_follows_the_rank_rules():
    assert nf.result_type(nf.tensor([1, 2]), 1.0) is nf.float32
    assert nf.result_type(nf.tensor([1, 2], dtype=nf.uint8), 5) is nf.uint8
    assert nf.result_type(nf.tensor([1.0]), nf.tensor(1.0, dtype=nf.float64)) is nf.float32
    assert nf.result_type(nf.tensor([1]), nf.tensor(1.0, dtype=nf.float64)) is nf.float64
    assert nf.result_type(nf.tensor([True]), True) is nf.bool
    assert nf.result_type(nf.tensor([True]), 1) is nf.int64


def test_result_type_of_two_python_scalars():
    assert nf.result_type(1, 2) is nf.int64
    assert nf.result_type(1, 2.0) is nf.float32
    assert nf.result_type(True, False) is nf.bool


@needs_torch
@pytest.mark.parametrize("a", DTYPE_NAMES)
@pytest.mark.parametrize("b", list(SCALARS) + [f"{d}_zero_dim" for d in DTYPE_NAMES])
def test_result_type_matches_pytorch(a, b):
    def args(m):
        x = _operand(m, a, "dim")
        y = SCALARS[b] if b in SCALARS else _operand(m, b[: -len("_zero_dim")], "zero_dim")
        return x, y

    assert _name(nf.result_type(*args(nf))) == _name(torch.result_type(*args(torch)))


@needs_torch
@pytest.mark.parametrize("a", DTYPE_NAMES)
@pytest.mark.parametrize("b", DTYPE_NAMES)
def test_promote_types_matches_pytorch(a, b):
    ours = nf.promote_types(getattr(nf, a), getattr(nf, b))
    assert isinstance(ours, nf.dtype)
    assert _name(ours) == _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


def test_promote_types_examples():
    assert nf.promote_types(nf.uint8, nf.int8) is nf.int16
    assert nf.promote_types(nf.int64, nf.float16) is nf.float16
    assert nf.promote_types(nf.bool, nf.uint8) is nf.uint8
    assert nf.promote_types(nf.float16, nf.float32) is nf.float32


# -- dtype objects -----------------------------------------------------------------------


def test_dtypes_compare_equal_to_numpy_types():
    assert nf.float32 == np.float32
    assert nf.float32 == np.dtype("float32")
    assert nf.int64 == np.int64
    assert nf.bool == np.bool_
    assert nf.float32 != np.float64
    assert nf.float32 != nf.float64


def test_dtype_repr_names_numpyflow():
    assert repr(nf.float32) == "numpyflow.float32"
    assert repr(nf.int64) == "numpyflow.int64"
    assert repr(nf.bool) == "numpyflow.bool"
    assert str(nf.float16) == "numpyflow.float16"


def test_dtype_aliases_are_the_same_objects():
    assert nf.float is nf.float32
    assert nf.double is nf.float64
    assert nf.half is nf.float16
    assert nf.long is nf.int64
    assert nf.int is nf.int32
    assert nf.short is nf.int16


def test_dtype_properties():
    assert nf.float32.is_floating_point and not nf.int64.is_floating_point
    assert nf.int8.is_signed and not nf.uint8.is_signed and not nf.bool.is_signed
    assert nf.float64.itemsize == 8 and nf.float16.itemsize == 2 and nf.bool.itemsize == 1


def test_dtypes_are_hashable_and_pickle_to_the_same_object():
    assert {nf.float32: 1}[nf.float32] == 1
    assert pickle.loads(pickle.dumps(nf.float64)) is nf.float64


def test_tensor_dtype_is_the_dtype_object():
    assert nf.zeros(1, dtype=np.float64).dtype is nf.float64
    assert nf.zeros(1, dtype="int32").dtype is nf.int32
    assert nf.zeros(1, dtype=float).dtype is nf.float32
    assert nf.zeros(1, dtype=int).dtype is nf.int64
    assert nf.zeros(1, dtype=bool).dtype is nf.bool


# -- default dtype -------------------------------------------------------------------------


@pytest.fixture
def restore_default_dtype():
    before = nf.get_default_dtype()
    yield
    nf.set_default_dtype(before)


def test_default_dtype_is_float32():
    assert nf.get_default_dtype() is nf.float32


def test_set_default_dtype_changes_new_float_tensors(restore_default_dtype):
    nf.set_default_dtype(nf.float64)
    assert nf.get_default_dtype() is nf.float64
    assert nf.tensor([1.5]).dtype is nf.float64
    assert nf.zeros(2).dtype is nf.float64
    assert nf.ones(2).dtype is nf.float64
    assert nf.rand(2).dtype is nf.float64
    assert nf.randn(2).dtype is nf.float64
    assert nf.arange(0.0, 1.0, 0.5).dtype is nf.float64
    assert nf.full((2,), 1.5).dtype is nf.float64
    assert (nf.tensor([1, 2]) / 2).dtype is nf.float64
    assert (nf.tensor([1, 2]) * 1.5).dtype is nf.float64
    assert nf.tensor([1, 2]).dtype is nf.int64


def test_set_default_dtype_keeps_full_precision_of_python_floats(restore_default_dtype):
    nf.set_default_dtype(nf.float64)
    assert nf.tensor([0.1]).tolist() == [0.1]


def test_set_default_dtype_rejects_integer_types(restore_default_dtype):
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        nf.set_default_dtype(nf.int64)
    assert nf.get_default_dtype() is nf.float32


def test_restoring_the_default_dtype(restore_default_dtype):
    nf.set_default_dtype(nf.float64)
    nf.set_default_dtype(nf.float32)
    assert nf.tensor([1.5]).dtype is nf.float32
