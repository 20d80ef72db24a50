"""numpyflow/creation.py: tensors from data, filled, ranges and random samples."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf


def _dtype_name(d):
    return str(d).split(".")[-1]


def _same_as_torch(make, values=True, rtol=0.0):
    """Run ``make(module)`` with numpyflow and torch; compare dtype, shape and values."""
    ours = make(nf)
    theirs = make(torch)
    assert isinstance(ours, nf.Tensor)
    assert _dtype_name(ours.dtype) == _dtype_name(theirs.dtype), "dtype"
    assert tuple(ours.shape) == tuple(theirs.shape), "shape"
    if values:
        a = ours.detach().numpy()
        b = theirs.detach().numpy()
        if rtol:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=0)
        else:
            np.testing.assert_array_equal(a, b)
    return ours


# -- nf.tensor ----------------------------------------------------------------------------


def test_tensor_from_python_floats_is_float32():
    t = nf.tensor([1.5, 2.0, -3.25])
    assert t.dtype is nf.float32
    assert t.tolist() == [1.5, 2.0, -3.25]


def test_tensor_from_python_ints_is_int64():
    t = nf.tensor([[1, 2], [3, 4]])
    assert t.dtype is nf.int64
    assert t.shape == (2, 2)


def test_tensor_from_python_bools_is_bool():
    t = nf.tensor([True, False])
    assert t.dtype is nf.bool
    assert t.tolist() == [True, False]


def test_tensor_from_mixed_ints_and_floats_is_float32():
    assert nf.tensor([1, 2.5]).dtype is nf.float32
    assert nf.tensor((1, 2.5)).dtype is nf.float32


def test_tensor_from_a_python_scalar_is_zero_dim():
    f = nf.tensor(5.5)
    i = nf.tensor(5)
    b = nf.tensor(False)
    assert f.shape == () and f.dtype is nf.float32
    assert i.shape == () and i.dtype is nf.int64
    assert b.shape == () and b.dtype is nf.bool


def test_tensor_from_an_empty_list_is_float32_of_shape_0():
    t = nf.tensor([])
    assert t.dtype is nf.float32 and t.shape == (0,)
    assert nf.tensor([[]]).shape == (1, 0)


@pytest.mark.parametrize(
    "np_dtype,expected",
    [
        (np.int32, nf.int32),
        (np.float64, nf.float64),
        (np.float16, nf.float16),
        (np.uint8, nf.uint8),
        (np.int8, nf.int8),
        (np.int16, nf.int16),
        (np.bool_, nf.bool),
        (np.float32, nf.float32),
        (np.int64, nf.int64),
    ],
)
def test_tensor_from_a_numpy_array_keeps_its_dtype(np_dtype, expected):
    t = nf.tensor(np.array([1, 0, 1], dtype=np_dtype))
    assert t.dtype is expected


def test_tensor_from_a_numpy_array_copies():
    a = np.array([1.0, 2.0])
    t = nf.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_tensor_from_numpy_scalars_keeps_their_dtype():
    assert nf.tensor(np.float64(1.5)).dtype is nf.float64
    assert nf.tensor(np.int32(3)).dtype is nf.int32
    assert nf.tensor([np.float64(1.5), np.float64(2.5)]).dtype is nf.float64


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([np.float32(1.5), 2.5]),
        lambda m: m.tensor([1, np.float64(2.5)]),
    ],
    ids=["float32_scalar_then_python_float", "python_int_then_float64_scalar"],
)
def test_tensor_from_lists_mixing_numpy_scalars_and_numbers_matches_pytorch(make):
    _same_as_torch(make)


def test_tensor_with_dtype_float64_keeps_full_precision():
    t = nf.tensor([0.1, 1 / 3], dtype=nf.float64)
    assert t.dtype is nf.float64
    assert t.tolist() == [0.1, 1 / 3]
    assert nf.tensor(0.1, dtype=nf.float64).item() == 0.1


def test_tensor_with_dtype_float64_from_a_large_int_is_exact():
    assert nf.tensor([16777217], dtype=nf.float64).tolist() == [16777217.0]
    assert nf.tensor([2**40 + 1], dtype=nf.int64).tolist() == [2**40 + 1]


def test_tensor_with_an_integer_dtype_truncates_floats():
    t = nf.tensor([1.7, -1.7], dtype=nf.int64)
    assert t.dtype is nf.int64 and t.tolist() == [1, -1]


def test_tensor_with_a_float_dtype_from_ints():
    t = nf.tensor([1, 2], dtype=nf.float32)
    assert t.dtype is nf.float32 and t.tolist() == [1.0, 2.0]


def test_tensor_from_a_list_of_zero_dim_tensors():
    t = nf.tensor([nf.tensor(1.0), nf.tensor(2.0)])
    assert t.dtype is nf.float32 and t.tolist() == [1.0, 2.0]
    i = nf.tensor([nf.tensor(1), nf.tensor(2)])
    assert i.dtype is nf.int64 and i.tolist() == [1, 2]


def test_tensor_from_a_tensor_copies_and_drops_history():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    t = nf.tensor(x)
    assert not t.requires_grad and t.is_leaf
    t[0] = 7.0
    assert x.detach().tolist() == [1.0, 2.0]


def test_tensor_with_requires_grad():
    t = nf.tensor([1.5], requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_tensor_of_ragged_lists_raises_value_error():
    with pytest.raises(ValueError):
        nf.tensor([[1, 2], [3]])


def test_tensor_of_a_string_raises_type_error():
    with pytest.raises(TypeError):
        nf.tensor("a")


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor([1.5, 2]),
        lambda m: m.tensor([1, 2]),
        lambda m: m.tensor([True, False]),
        lambda m: m.tensor([True, 2]),
        lambda m: m.tensor([True, 2.5]),
        lambda m: m.tensor(5),
        lambda m: m.tensor(5.5),
        lambda m: m.tensor([]),
        lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.uint8),
        lambda m: m.tensor([1, 0, 2], dtype=m.bool),
        lambda m: m.tensor([0.1, 1 / 3], dtype=m.float64),
        lambda m: m.tensor(np.array([1, 2], dtype=np.int32)),
        lambda m: m.tensor(np.array([1.0, 2.0], dtype=np.float16)),
    ],
)
def test_tensor_matches_pytorch(make):
    _same_as_torch(make)


# -- as_tensor / from_numpy ---------------------------------------------------------------


def test_as_tensor_shares_memory_with_a_numpy_array():
    a = np.array([1.0, 2.0])
    t = nf.as_tensor(a)
    assert t.dtype is nf.float64
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    t[1] = 6.0
    assert a.tolist() == [5.0, 6.0]


def test_as_tensor_of_a_tensor_is_the_same_tensor():
    t = nf.tensor([1.0, 2.0])
    assert nf.as_tensor(t) is t


def test_as_tensor_with_another_dtype_converts():
    a = np.array([1, 2], dtype=np.int32)
    t = nf.as_tensor(a, dtype=nf.float64)
    assert t.dtype is nf.float64 and t.tolist() == [1.0, 2.0]
    assert nf.as_tensor(nf.tensor([1.0]), dtype=nf.float64).dtype is nf.float64


def test_as_tensor_of_python_data_follows_tensor_rules():
    assert nf.as_tensor([1, 2]).dtype is nf.int64
    assert nf.as_tensor([1.5, 2]).dtype is nf.float32
    assert nf.as_tensor([0.1], dtype=nf.float64).tolist() == [0.1]


def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = nf.from_numpy(a)
    t[1] = 7.0
    assert a.tolist() == [1.0, 7.0]
    a[0] = 3.0
    assert t.tolist() == [3.0, 7.0]


@pytest.mark.parametrize(
    "np_dtype,expected",
    [
        (np.float16, nf.float16),
        (np.int8, nf.int8),
        (np.uint8, nf.uint8),
        (np.float64, nf.float64),
        (np.bool_, nf.bool),
    ],
)
def test_from_numpy_keeps_the_array_dtype(np_dtype, expected):
    assert nf.from_numpy(np.zeros(2, dtype=np_dtype)).dtype is expected


def test_from_numpy_of_a_non_contiguous_array_keeps_layout_and_values():
    a = np.arange(6.0).reshape(2, 3).T
    t = nf.from_numpy(a)
    assert t.shape == (3, 2)
    assert t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_from_numpy_of_a_list_raises_type_error():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        nf.from_numpy([1, 2])


# -- zeros / ones / full / empty ------------------------------------------------------------


@pytest.mark.parametrize("fn", [nf.zeros, nf.ones, nf.empty])
def test_filled_constructors_accept_varargs_tuple_and_list(fn):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype is nf.float32
    assert fn(()).shape == ()
    assert fn(0).shape == (0,)


def test_zeros_and_ones_values_and_dtypes():
    assert nf.zeros(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    o = nf.ones(3, dtype=nf.int64)
    assert o.dtype is nf.int64 and o.tolist() == [1, 1, 1]
    b = nf.ones(2, dtype=nf.bool)
    assert b.dtype is nf.bool and b.tolist() == [True, True]


def test_zeros_with_requires_grad():
    t = nf.zeros(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_zeros_with_a_negative_size_raises_runtime_error():
    with pytest.raises(RuntimeError, match="zeros"):
        nf.zeros(-1)


def test_zeros_with_a_float_size_raises_type_error():
    with pytest.raises(TypeError, match="zeros"):
        nf.zeros(2.5)


def test_full_infers_float32_from_a_float_fill_value():
    t = nf.full((2, 3), 1.5)
    assert t.dtype is nf.float32
    assert t.tolist() == [[1.5] * 3] * 2


def test_full_infers_int64_from_an_int_fill_value():
    t = nf.full((2,), 7)
    assert t.dtype is nf.int64 and t.tolist() == [7, 7]


def test_full_infers_bool_from_a_bool_fill_value():
    t = nf.full((2,), True)
    assert t.dtype is nf.bool and t.tolist() == [True, True]


def test_full_with_an_explicit_dtype():
    assert nf.full((2,), 7, dtype=nf.float64).dtype is nf.float64
    t = nf.full([2], 1.5, dtype=nf.int32)
    assert t.dtype is nf.int32 and t.tolist() == [1, 1]


def test_full_with_a_zero_dim_tensor_fill_value():
    t = nf.full((2, 2), nf.tensor(3.0))
    assert t.dtype is nf.float32 and t.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_full_of_an_empty_shape_is_zero_dim():
    t = nf.full((), 2.5)
    assert t.shape == () and t.item() == 2.5


def test_like_constructors_take_shape_and_dtype_of_the_input():
    src = nf.tensor([[1, 2, 3]], dtype=nf.int32)
    for t in (nf.zeros_like(src), nf.ones_like(src), nf.empty_like(src), nf.full_like(src, 4)):
        assert t.shape == (1, 3)
        assert t.dtype is nf.int32
    assert nf.zeros_like(src).tolist() == [[0, 0, 0]]
    assert nf.ones_like(src).tolist() == [[1, 1, 1]]
    assert nf.full_like(src, 4).tolist() == [[4, 4, 4]]


def test_like_constructors_with_a_dtype_override():
    t = nf.ones_like(nf.tensor([1, 2]), dtype=nf.float32)
    assert t.dtype is nf.float32 and t.tolist() == [1.0, 1.0]


def test_full_like_casts_the_fill_value_to_the_input_dtype():
    t = nf.full_like(nf.tensor([1, 2]), 2.7)
    assert t.dtype is nf.int64 and t.tolist() == [2, 2]
    f = nf.full_like(nf.tensor([1.0, 2.0]), 7)
    assert f.dtype is nf.float32 and f.tolist() == [7.0, 7.0]


def test_like_constructors_do_not_copy_requires_grad():
    src = nf.tensor([1.0, 2.0], requires_grad=True)
    assert not nf.zeros_like(src).requires_grad
    assert nf.ones_like(src, requires_grad=True).requires_grad


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3),
        lambda m: m.zeros((2, 3)),
        lambda m: m.zeros([2, 3]),
        lambda m: m.zeros(()),
        lambda m: m.zeros(0),
        lambda m: m.zeros(2, dtype=m.int32),
        lambda m: m.ones(2, 3, dtype=m.bool),
        lambda m: m.ones((2,)),
        lambda m: m.full((2, 3), 1.5),
        lambda m: m.full((2, 3), 7),
        lambda m: m.full((2,), True),
        lambda m: m.full((2,), 7, dtype=m.float64),
        lambda m: m.full([2], 1.5, dtype=m.int32),
        lambda m: m.full((), 2.5),
        lambda m: m.zeros_like(m.tensor([[1, 2]])),
        lambda m: m.ones_like(m.tensor([1.0, 2.0], dtype=m.float64)),
        lambda m: m.full_like(m.tensor([1, 2]), 2.7),
        lambda m: m.full_like(m.tensor([True, False]), 3),
    ],
)
def test_filled_constructors_match_pytorch(make):
    _same_as_torch(make)


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.empty(2, 3),
        lambda m: m.empty((2, 3), dtype=m.int64),
        lambda m: m.empty_like(m.tensor([[1, 2]], dtype=m.int32)),
    ],
)
def test_empty_matches_pytorch_in_dtype_and_shape(make):
    _same_as_torch(make, values=False)


# -- arange / linspace / eye ----------------------------------------------------------------


def test_arange_of_ints_is_int64():
    t = nf.arange(5)
    assert t.dtype is nf.int64 and t.tolist() == [0, 1, 2, 3, 4]
    assert nf.arange(2, 8, 2).tolist() == [2, 4, 6]
    assert nf.arange(10, 0, -3).tolist() == [10, 7, 4, 1]


def test_arange_with_any_float_argument_is_float32():
    assert nf.arange(5.0).dtype is nf.float32
    t = nf.arange(0, 1, 0.25)
    assert t.dtype is nf.float32 and t.tolist() == [0.0, 0.25, 0.5, 0.75]


def test_arange_with_a_dtype():
    t = nf.arange(0, 5, dtype=nf.float64)
    assert t.dtype is nf.float64 and t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert nf.arange(1, 4, dtype=nf.int32).dtype is nf.int32


def test_arange_excludes_the_end_for_float_steps():
    assert nf.arange(0, 1, 0.1).shape == (10,)
    assert nf.arange(0.0, 0.3, 0.1).shape == (3,)


def test_arange_with_a_zero_step_raises_runtime_error():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        nf.arange(0, 10, 0)


def test_arange_with_bounds_inconsistent_with_the_step_raises_runtime_error():
    # torch: RuntimeError: upper bound and lower bound inconsistent with step sign
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        nf.arange(5, 1)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        nf.arange(0, 5, -1)


def test_linspace_includes_both_ends():
    t = nf.linspace(0, 1, 5)
    assert t.dtype is nf.float32
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nf.linspace(0, 1, 1).tolist() == [0.0]
    assert nf.linspace(0, 1, 0).shape == (0,)


def test_linspace_with_a_dtype():
    t = nf.linspace(0, 1, 4, dtype=nf.float64)
    assert t.dtype is nf.float64
    np.testing.assert_allclose(t.numpy(), [0.0, 1 / 3, 2 / 3, 1.0], rtol=1e-15)


def test_eye_is_float32_identity():
    t = nf.eye(3)
    assert t.dtype is nf.float32
    assert t.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_eye_rectangular_and_typed():
    assert nf.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    i = nf.eye(2, dtype=nf.int64)
    assert i.dtype is nf.int64 and i.tolist() == [[1, 0], [0, 1]]


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.arange(5),
        lambda m: m.arange(2, 8, 2),
        lambda m: m.arange(5.0),
        lambda m: m.arange(0, 1, 0.25),
        lambda m: m.arange(1, 2.5, 0.5),
        lambda m: m.arange(0, 5, dtype=m.float64),
        lambda m: m.arange(10, 0, -3),
        lambda m: m.arange(0.0, 0.3, 0.1),
        lambda m: m.arange(0, 1.0, 0.1),
        lambda m: m.arange(-1.0, 1.0, 0.5),
        lambda m: m.arange(1, 4, dtype=m.int32),
        lambda m: m.arange(m.tensor(3)),
        lambda m: m.linspace(0, 1, 5),
        lambda m: m.linspace(0, 10, 3),
        lambda m: m.linspace(-1, 1, 3),
        lambda m: m.linspace(0, 1, 1),
        lambda m: m.linspace(0, 1, 0),
        lambda m: m.linspace(1, 5, 5, dtype=m.int64),
        lambda m: m.eye(3),
        lambda m: m.eye(2, 3),
        lambda m: m.eye(3, dtype=m.int64),
        lambda m: m.eye(2, dtype=m.bool),
        lambda m: m.eye(0),
    ],
)
def test_ranges_match_pytorch(make):
    _same_as_torch(make)


@needs_torch
def test_linspace_float64_matches_pytorch_to_rounding():
    _same_as_torch(lambda m: m.linspace(0, 1, 4, dtype=m.float64), rtol=1e-15)


# -- random constructors: shapes, dtypes, ranges -----------------------------------------------


def test_rand_is_float32_in_the_unit_interval():
    t = nf.rand(50, 40)
    assert t.dtype is nf.float32 and t.shape == (50, 40)
    a = t.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0


def test_rand_and_randn_accept_a_tuple_and_a_dtype():
    assert nf.rand((2, 3)).shape == (2, 3)
    assert nf.rand(2, dtype=nf.float64).dtype is nf.float64
    assert nf.randn((4,)).shape == (4,)
    assert nf.randn(2, dtype=nf.float16).dtype is nf.float16
    assert nf.randn(2, 0).shape == (2, 0)


def test_rand_and_randn_with_requires_grad():
    assert nf.rand(2, requires_grad=True).requires_grad
    assert nf.randn(2, requires_grad=True).is_leaf


def test_rand_with_an_integer_dtype_raises():
    # torch: NotImplementedError: "check_uniform_bounds" not implemented for 'Long'
    with pytest.raises(RuntimeError):  # NotImplementedError is a RuntimeError
        nf.rand(2, dtype=nf.int64)


def test_randn_with_an_integer_dtype_raises():
    # torch: NotImplementedError: "normal_kernel_cpu" not implemented for 'Long'
    with pytest.raises(RuntimeError):
        nf.randn(2, dtype=nf.int64)


def test_randint_is_int64_within_low_and_high():
    t = nf.randint(3, 7, (1000,))
    assert t.dtype is nf.int64 and t.shape == (1000,)
    a = t.numpy()
    assert a.min() == 3 and a.max() == 6


def test_randint_with_only_high():
    t = nf.randint(4, (500,))
    assert t.dtype is nf.int64
    assert set(t.tolist()) == {0, 1, 2, 3}


def test_randint_with_a_single_value_range():
    assert nf.randint(5, 6, (3,)).tolist() == [5, 5, 5]


def test_randint_with_a_dtype():
    assert nf.randint(0, 10, (3,), dtype=nf.int32).dtype is nf.int32
    f = nf.randint(0, 10, (3,), dtype=nf.float32)
    assert f.dtype is nf.float32
    assert all(v == int(v) for v in f.tolist())


def test_randint_with_an_empty_range_raises_runtime_error():
    with pytest.raises(RuntimeError, match="low=3, high=3"):
        nf.randint(3, 3, (2,))


def test_normal_with_numbers_and_a_size():
    t = nf.normal(2.0, 3.0, (4,))
    assert t.dtype is nf.float32 and t.shape == (4,)
    assert nf.normal(0.0, 1.0, (2,), dtype=nf.float64).dtype is nf.float64


def test_normal_with_tensor_mean_and_std_broadcasts():
    assert nf.normal(nf.zeros(3), 1.0).shape == (3,)
    assert nf.normal(0.0, nf.ones(2, 2)).shape == (2, 2)
    assert nf.normal(nf.zeros(3), nf.ones(2, 3)).shape == (2, 3)
    assert nf.normal(nf.zeros(2, dtype=nf.float64), 1.0).dtype is nf.float64


def test_normal_with_a_zero_std_is_the_mean():
    t = nf.normal(nf.tensor([1.0, -2.0]), nf.tensor([0.0, 0.0]))
    assert t.tolist() == [1.0, -2.0]


def test_randperm_is_an_int64_permutation():
    t = nf.randperm(10)
    assert t.dtype is nf.int64
    assert sorted(t.tolist()) == list(range(10))
    assert nf.randperm(0).shape == (0,)
    assert nf.randperm(1).tolist() == [0]


def test_randperm_with_a_dtype():
    assert nf.randperm(5, dtype=nf.int32).dtype is nf.int32
    assert nf.randperm(4, dtype=nf.float32).dtype is nf.float32


def test_random_like_constructors_take_shape_and_dtype():
    assert nf.rand_like(nf.zeros(2, 3, dtype=nf.float64)).dtype is nf.float64
    assert nf.randn_like(nf.zeros(2, dtype=nf.float16)).dtype is nf.float16
    r = nf.randint_like(nf.zeros(2, 3, dtype=nf.int32), 0, 5)
    assert r.dtype is nf.int32 and r.shape == (2, 3)
    assert r.numpy().min() >= 0 and r.numpy().max() < 5


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.rand(2, 3),
        lambda m: m.rand((2, 3)),
        lambda m: m.rand(2, dtype=m.float64),
        lambda m: m.rand(0),
        lambda m: m.randn(4, 5),
        lambda m: m.randn((4,)),
        lambda m: m.randn(2, dtype=m.float16),
        lambda m: m.randn(2, 0),
        lambda m: m.randint(0, 10, (3, 4)),
        lambda m: m.randint(10, (3,)),
        lambda m: m.randint(0, 10, (3,), dtype=m.int32),
        lambda m: m.randint(0, 10, (2,), dtype=m.float32),
        lambda m: m.normal(2.0, 3.0, (4,)),
        lambda m: m.normal(2.0, 3.0, size=(4,)),
        lambda m: m.normal(m.zeros(3), 1.0),
        lambda m: m.normal(m.zeros(3), m.ones(3)),
        lambda m: m.normal(0.0, m.ones(2, 2)),
        lambda m: m.normal(m.zeros(2, dtype=m.float64), 1.0),
        lambda m: m.normal(m.zeros(3), m.ones(2, 3)),
        lambda m: m.normal(0.0, 1.0, (2,), dtype=m.float64),
        lambda m: m.randperm(5),
        lambda m: m.randperm(5, dtype=m.int32),
        lambda m: m.randperm(4, dtype=m.float32),
        lambda m: m.rand_like(m.zeros(2, 3, dtype=m.float64)),
        lambda m: m.randn_like(m.zeros(2, dtype=m.float16)),
        lambda m: m.randint_like(m.zeros(2, 3), 5),
        lambda m: m.randint_like(m.zeros(2, 3, dtype=m.int32), 0, 5),
    ],
)
def test_random_constructors_match_pytorch_in_dtype_and_shape(make):
    _same_as_torch(make, values=False)


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.randint(5, 6, (3,)),
        lambda m: m.randperm(1),
        lambda m: m.randperm(0),
        lambda m: m.normal(m.tensor([1.0, -2.0]), m.tensor([0.0, 0.0])),
    ],
)
def test_degenerate_random_constructors_match_pytorch_values(make):
    _same_as_torch(make)


RANDINT_FORMS = [
    lambda m: m.randint(high=5, size=(3,)),
    lambda m: m.randint(size=(2, 2), high=4),
    lambda m: m.randint(low=2, high=5, size=(3,)),
    lambda m: m.randint(2, high=5, size=(3,)),
    lambda m: m.randint(2, 5, size=(3,)),
    lambda m: m.randint(5, size=(3,)),
    lambda m: m.randint(high=5, size=(3,), dtype=m.int32),
]


@needs_torch
@pytest.mark.parametrize("make", RANDINT_FORMS)
def test_randint_takes_every_argument_by_name_as_pytorch(make):
    _same_as_torch(make, values=False)
    assert 0 <= int(make(nf).min()) and int(make(nf).max()) < 5


def test_randint_by_name_draws_from_low_to_high():
    values = nf.randint(low=3, high=6, size=(200,))
    assert set(values.tolist()) == {3, 4, 5}
    assert set(nf.randint(high=2, size=(100,)).tolist()) == {0, 1}


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.randint(low=2, size=(3,)),  # no high
        lambda m: m.randint(high=5),  # no size
        lambda m: m.randint(5),
        lambda m: m.randint(5, (3,), low=1),  # low twice over
        lambda m: m.randint(1, 5, (3,), high=7),
    ],
)
def test_randint_with_arguments_missing_or_given_twice_is_a_type_error_as_pytorch(make):
    with pytest.raises(TypeError):
        make(torch)
    with pytest.raises(TypeError, match="randint"):
        make(nf)


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.linspace(0, 1, 5, dtype=m.bool),
        lambda m: m.logspace(0, 1, 3, dtype=m.bool),
        lambda m: m.arange(3, dtype=m.bool),
        lambda m: m.arange(0, dtype=m.bool),
    ],
)
def test_range_functions_have_no_bool_dtype_as_in_pytorch(make):
    with pytest.raises(NotImplementedError):
        make(torch)
    with pytest.raises(NotImplementedError, match="not implemented for dtype bool"):
        make(nf)


@needs_torch
def test_an_empty_linspace_takes_any_dtype_and_negative_steps_are_an_error():
    _same_as_torch(lambda m: m.linspace(0, 1, 0, dtype=m.bool))
    _same_as_torch(lambda m: m.logspace(0, 1, 0, dtype=m.bool))
    for fn in ("linspace", "logspace"):
        with pytest.raises(RuntimeError):
            getattr(torch, fn)(0, 1, -1)
        with pytest.raises(RuntimeError, match=f"{fn}: number of steps must be non-negative"):
            getattr(nf, fn)(0, 1, -1)


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
@pytest.mark.parametrize(
    "args", [(3.1,), (0.5, 5.7, 1.5), (-1.5, 3.2, 0.9), (0.5, 3.7), (1.9, 7.2, 2.6), (5.5, 0.2, -1.4), (0, 10, 3)]
)
def test_arange_with_an_integer_dtype_truncates_fractional_bounds_as_pytorch(dtype, args):
    def make(L):
        try:
            return L.arange(*args, dtype=getattr(L, dtype))
        except ValueError:
            return "ValueError"  # int64 with a step that truncates to 0

    ours, theirs = make(nf), make(torch)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        _same_as_torch(lambda L: make(L))


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("fn", ["linspace", "logspace"])
@pytest.mark.parametrize("bounds", [(4.3, 0.0), (-0.7, 3.9), (1.5, 7.8), (4.3, 1)])
@pytest.mark.parametrize("steps", [1, 2, 7, 50])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_linspace_and_logspace_with_an_integer_dtype_truncate_the_bounds_first(dtype, fn, bounds, steps, as_tensor):
    kwargs = {"base": 2} if fn == "logspace" else {}

    def make(L):
        start, end = (L.tensor(b) for b in bounds) if as_tensor else bounds
        return getattr(L, fn)(start, end, steps, dtype=getattr(L, dtype), **kwargs)

    try:
        make(torch)
    except RuntimeError:  # a negative bound for uint8: value cannot be converted without overflow
        with pytest.raises(RuntimeError, match="overflow"):
            make(nf)
        return
    _same_as_torch(make)


@needs_torch
def test_full_and_full_like_wrap_a_negative_fill_into_uint8():
    _same_as_torch(lambda L: L.full((2,), -5, dtype=L.uint8))
    _same_as_torch(lambda L: L.full_like(L.zeros(3, dtype=L.uint8), -1))
    _same_as_torch(lambda L: L.full((2,), -255, dtype=L.uint8))
    for value in (300, -256):  # out of what PyTorch wraps
        with pytest.raises(RuntimeError, match="overflow"):
            nf.full((2,), value, dtype=nf.uint8)


@needs_torch
@pytest.mark.parametrize("form", ["tensor_tensor", "tensor_float", "float_tensor"])
def test_normal_with_tensor_arguments_requires_grad_with_pytorchs_zero_gradients(form):
    def run(L):
        mean = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        std = L.tensor([1.0, 2.0, 0.5], dtype=L.float64, requires_grad=True)
        args = {"tensor_tensor": (mean, std), "tensor_float": (mean, 2.0), "float_tensor": (1.5, std)}[form]
        out = L.normal(*args)
        assert out.requires_grad
        out.sum().backward()
        return [None if t.grad is None else t.grad.numpy().tolist() for t in (mean, std)]

    assert run(nf) == run(torch)


def test_bernoulli_output_requires_grad_with_a_zero_gradient():
    p = nf.full((5,), 0.5, dtype=nf.float64, requires_grad=True)
    out = nf.bernoulli(p)
    assert out.requires_grad and out.dtype == nf.float64
    out.sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(5))
