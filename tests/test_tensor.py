"""numpyflow/tensor.py: metadata, conversions, in-place methods, Python protocol, repr."""

import copy
import pickle

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

# -- metadata -----------------------------------------------------------------------------


def test_shape_is_a_size_tuple_with_numel():
    t = nf.zeros(2, 3, 4)
    assert isinstance(t.shape, nf.Size)
    assert isinstance(t.shape, tuple)
    assert t.shape == (2, 3, 4)
    assert t.shape.numel() == 24
    assert nf.Size([]).numel() == 1


def test_slicing_a_size_gives_a_size_and_indexing_gives_an_int():
    s = nf.zeros(2, 3, 4).shape
    assert isinstance(s[1:], nf.Size)
    assert s[1:] == (3, 4)
    assert type(s[0]) is int and s[0] == 2
    assert type(s[-1]) is int and s[-1] == 4


def test_size_repr_names_numpyflow():
    assert repr(nf.zeros(2, 3).shape) == "numpyflow.Size([2, 3])"
    assert repr(nf.tensor(1.0).shape) == "numpyflow.Size([])"


def test_ndim_dim_and_numel_agree_with_the_shape():
    t = nf.ones(2, 3, 5)
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 30
    s = nf.tensor(4.0)
    assert s.ndim == 0 and s.dim() == 0 and s.numel() == 1 and s.shape == ()
    e = nf.zeros(0, 3)
    assert e.numel() == 0 and e.shape == (0, 3)


def test_size_without_dim_is_the_shape_and_with_dim_is_an_int():
    t = nf.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4)
    assert isinstance(t.size(), nf.Size)
    assert t.size(0) == 2
    assert t.size(-1) == 4
    assert t.size(-3) == 2
    assert type(t.size(1)) is int


def test_size_with_an_out_of_range_dim_raises_index_error():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        nf.zeros(2, 3, 4).size(3)


def test_dtype_and_device_of_a_new_float_tensor():
    t = nf.tensor([1.0, 2.0])
    assert t.dtype is nf.float32
    assert t.device == nf.device("cpu")
    assert t.device.type == "cpu"
    assert str(t.device) == "cpu"
    assert t.is_floating_point()
    assert not nf.tensor([1, 2]).is_floating_point()


def test_T_reverses_every_dim():
    t = nf.arange(24).reshape(2, 3, 4)
    assert t.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(t.T.numpy(), t.numpy().transpose(2, 1, 0))
    m = nf.tensor([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(m.T.numpy(), [[1, 4], [2, 5], [3, 6]])


def test_T_of_a_vector_and_a_scalar_is_unchanged():
    v = nf.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.T.numpy(), [1.0, 2.0, 3.0])
    assert nf.tensor(5.0).T.item() == 5.0


def test_mT_swaps_the_last_two_dims_of_a_batch():
    t = nf.arange(24).reshape(2, 3, 4)
    assert t.mT.shape == (2, 4, 3)
    np.testing.assert_array_equal(t.mT.numpy(), t.numpy().transpose(0, 2, 1))


def test_mT_of_a_vector_raises_runtime_error():
    with pytest.raises(RuntimeError, match="Got 1-D tensor"):
        nf.tensor([1.0, 2.0]).mT


def test_T_records_a_gradient():
    x = nf.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    (x.T * nf.tensor([[1.0], [2.0], [3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 2.0, 3.0]])


def test_a_new_tensor_is_a_leaf_without_grad():
    t = nf.tensor([1.0, 2.0])
    assert t.grad is None
    assert t.requires_grad is False
    assert t.grad_fn is None
    assert t.is_leaf


def test_result_of_an_op_on_a_grad_tensor_is_a_non_leaf_with_grad_fn():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf
    assert y.requires_grad
    assert y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward0"


def test_result_of_an_op_without_grad_is_a_leaf():
    y = nf.tensor([1.0, 2.0]) * 2
    assert y.is_leaf and y.grad_fn is None and not y.requires_grad


def test_grad_is_a_tensor_of_the_leaf_dtype_and_shape_after_backward():
    x = nf.tensor([[1.0, 2.0]], dtype=nf.float64, requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, nf.Tensor)
    assert x.grad.dtype is nf.float64
    assert x.grad.shape == (1, 2)
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 4.0]])


def test_requires_grad_setter_switches_a_leaf():
    t = nf.tensor([1.0])
    t.requires_grad = True
    assert t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad


def test_data_is_a_detached_tensor_sharing_memory():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert isinstance(d, nf.Tensor)
    assert d is not x
    assert not d.requires_grad
    assert d.grad_fn is None and d.is_leaf
    d[0] = 10.0  # writes through to x, as in PyTorch
    assert x.detach().numpy().tolist() == [10.0, 2.0]
    assert x.requires_grad


def test_data_of_a_non_leaf_is_a_leaf():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    assert y.data.is_leaf
    assert not y.data.requires_grad
    np.testing.assert_array_equal(y.data.numpy(), [3.0, 6.0])


def test_assigning_data_replaces_the_values_and_keeps_requires_grad():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    x.data = nf.tensor([5.0, 6.0])
    assert x.requires_grad
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 6.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 12.0])


DEVICE_PROPERTIES = ("is_cuda", "is_cpu", "is_mps", "is_xpu", "is_meta", "is_sparse", "is_quantized")


@needs_torch
@pytest.mark.parametrize("name", DEVICE_PROPERTIES)
def test_device_and_layout_properties_of_a_cpu_tensor_match_pytorch(name):
    for ours, theirs in (
        (nf.ones(2), torch.ones(2)),
        (nf.nn.Parameter(nf.ones(2)), torch.nn.Parameter(torch.ones(2))),
        (nf.ones(2, requires_grad=True) * 2, torch.ones(2, requires_grad=True) * 2),
    ):
        assert getattr(ours, name) is getattr(theirs, name), name


@pytest.mark.parametrize("name", DEVICE_PROPERTIES)
def test_device_properties_are_read_only(name):
    with pytest.raises(AttributeError):
        setattr(nf.ones(2), name, True)


@pytest.mark.skipif(not nf.cuda.is_available(), reason="needs a GPU (CuPy)")
def test_a_cuda_tensor_is_cuda_and_not_cpu():
    t = nf.ones(2, device="cuda")
    assert t.is_cuda and not t.is_cpu and not t.is_mps


# -- conversion ---------------------------------------------------------------------------


def test_item_returns_python_number_types():
    f = nf.tensor(2.5).item()
    i = nf.tensor(7).item()
    b = nf.tensor(True).item()
    assert type(f) is float and f == 2.5
    assert type(i) is int and i == 7
    assert type(b) is bool and b is True


def test_item_of_a_one_element_tensor_of_any_rank():
    assert nf.tensor([[3.5]]).item() == 3.5
    assert nf.tensor([4], dtype=nf.int32).item() == 4


def test_numpy_shares_memory_with_the_tensor():
    t = nf.tensor([1.0, 2.0, 3.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32
    a[1] = 20.0
    assert t.tolist() == [1.0, 20.0, 3.0]
    t.add_(1.0)
    assert a.tolist() == [2.0, 21.0, 4.0]


def test_tolist_gives_nested_python_lists_and_numbers():
    assert nf.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    out = nf.tensor([1.5, 2.5]).tolist()
    assert out == [1.5, 2.5] and type(out[0]) is float
    assert nf.tensor(3.0).tolist() == 3.0
    assert nf.tensor([True, False]).tolist() == [True, False]
    assert nf.zeros(0).tolist() == []


def test_detach_shares_memory_and_drops_history():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 100.0
    assert y.detach().tolist() == [100.0, 4.0]


def test_clone_copies_memory_and_records_history():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    assert c.grad_fn.name() == "CloneBackward0"
    c.detach()[0] = 50.0
    assert x.detach().tolist() == [1.0, 2.0]
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_clone_of_a_plain_tensor_is_an_independent_copy_of_same_dtype():
    t = nf.tensor([1, 2, 3], dtype=nf.int32)
    c = t.clone()
    assert c.dtype is nf.int32
    c[0] = 9
    assert t.tolist() == [1, 2, 3]
    assert c.tolist() == [9, 2, 3]


def test_requires_grad_underscore_returns_self():
    t = nf.tensor([1.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    assert t.requires_grad_(False) is t
    assert not t.requires_grad


def test_requires_grad_false_on_a_non_leaf_raises():
    y = nf.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_to_dtype_casts_and_same_dtype_returns_self():
    t = nf.tensor([1.5, -2.5])
    d = t.to(nf.float64)
    assert d.dtype is nf.float64
    np.testing.assert_array_equal(d.numpy(), [1.5, -2.5])
    assert t.to(nf.float32) is t
    assert t.to("cpu") is t
    assert t.to(dtype=nf.float16).dtype is nf.float16


def test_to_another_tensor_takes_its_dtype():
    t = nf.tensor([1.7, 2.2])
    assert t.to(nf.tensor([1], dtype=nf.int32)).dtype is nf.int32
    assert t.to(nf.tensor([1], dtype=nf.int32)).tolist() == [1, 2]


def test_to_device_and_dtype_together():
    t = nf.tensor([1, 2])
    out = t.to("cpu", nf.float64)
    assert out.dtype is nf.float64 and out.device.type == "cpu"


def test_to_with_copy_true_returns_a_new_tensor():
    t = nf.tensor([1.0, 2.0])
    c = t.to(nf.float32, copy=True)
    assert c is not t
    c[0] = 7.0
    assert t.tolist() == [1.0, 2.0]


def test_cast_methods_give_pytorch_dtypes():
    t = nf.tensor([-1.7, 1.7, 0.0, 2.5])
    assert t.float().dtype is nf.float32
    assert t.double().dtype is nf.float64
    assert t.half().dtype is nf.float16
    assert t.long().dtype is nf.int64
    assert t.int().dtype is nf.int32
    assert t.bool().dtype is nf.bool


def test_casting_floats_to_integers_truncates_toward_zero():
    t = nf.tensor([-1.7, 1.7, 0.0, 2.5, -0.5])
    assert t.long().tolist() == [-1, 1, 0, 2, 0]
    assert t.int().tolist() == [-1, 1, 0, 2, 0]


def test_casting_to_bool_is_nonzero():
    assert nf.tensor([-1.7, 0.0, 0.1]).bool().tolist() == [True, False, True]
    assert nf.tensor([0, 3]).bool().tolist() == [False, True]


def test_float_of_a_float32_tensor_is_the_same_tensor():
    t = nf.tensor([1.0])
    assert t.float() is t


def test_cast_records_gradient_in_the_original_dtype():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype is nf.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_type_without_argument_names_the_tensor_type():
    assert nf.tensor([1.0]).type() == "numpyflow.FloatTensor"
    assert nf.tensor([1.0], dtype=nf.float64).type() == "numpyflow.DoubleTensor"
    assert nf.tensor([1]).type() == "numpyflow.LongTensor"
    assert nf.tensor([1], dtype=nf.int32).type() == "numpyflow.IntTensor"
    assert nf.tensor([True]).type() == "numpyflow.BoolTensor"
    assert nf.tensor([1], dtype=nf.uint8).type() == "numpyflow.ByteTensor"
    assert nf.tensor([1.0], dtype=nf.float16).type() == "numpyflow.HalfTensor"


def test_type_with_a_dtype_casts():
    out = nf.tensor([1.9]).type(nf.int64)
    assert out.dtype is nf.int64 and out.tolist() == [1]


def test_type_with_a_type_name_string_casts():
    # torch: t.type('torch.DoubleTensor') casts to float64
    out = nf.tensor([1.5]).type("numpyflow.DoubleTensor")
    assert out.dtype is nf.float64
    assert out.tolist() == [1.5]


def test_contiguous_of_a_transposed_tensor_is_a_contiguous_copy():
    t = nf.arange(6).reshape(2, 3).t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous()
    assert c.tolist() == [[0, 3], [1, 4], [2, 5]]


def test_contiguous_of_a_contiguous_tensor_is_self():
    t = nf.ones(2, 3)
    assert t.is_contiguous()
    assert t.contiguous() is t


# -- in-place ops outside autograd ---------------------------------------------------------


def test_zero_sets_every_element_and_returns_self():
    t = nf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.zero_() is t
    assert t.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert t.dtype is nf.float32


def test_fill_with_a_number_keeps_the_dtype():
    t = nf.zeros(2, 2, dtype=nf.float64)
    assert t.fill_(2.5) is t
    assert t.dtype is nf.float64
    assert t.tolist() == [[2.5, 2.5], [2.5, 2.5]]


def test_fill_an_int_tensor_with_a_float_truncates():
    t = nf.tensor([1, 2, 3])
    t.fill_(2.7)
    assert t.dtype is nf.int64
    assert t.tolist() == [2, 2, 2]


def test_fill_with_a_zero_dim_tensor():
    t = nf.zeros(3)
    t.fill_(nf.tensor(4.0))
    assert t.tolist() == [4.0, 4.0, 4.0]


def test_copy_broadcasts_the_source():
    t = nf.zeros(2, 3)
    assert t.copy_(nf.tensor([1.0, 2.0, 3.0])) is t
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_copy_casts_the_source_to_the_destination_dtype():
    t = nf.zeros(2, 3, dtype=nf.int64)
    t.copy_(nf.tensor([1.9, -2.9, 3.5]))
    assert t.dtype is nf.int64
    assert t.tolist() == [[1, -2, 3], [1, -2, 3]]
    f = nf.zeros(2)
    f.copy_(nf.tensor([1, 2], dtype=nf.int32))
    assert f.dtype is nf.float32 and f.tolist() == [1.0, 2.0]


def test_copy_does_not_share_memory_with_the_source():
    src = nf.tensor([1.0, 2.0])
    dst = nf.zeros(2)
    dst.copy_(src)
    src[0] = 100.0
    assert dst.tolist() == [1.0, 2.0]


def test_add_with_alpha_scales_the_other_operand():
    t = nf.tensor([1.0, 2.0])
    assert t.add_(nf.tensor([1.0, 1.0]), alpha=3) is t
    assert t.tolist() == [4.0, 5.0]
    t.add_(2)
    assert t.tolist() == [6.0, 7.0]


def test_add_broadcasts_the_other_operand_into_self():
    t = nf.zeros(2, 3)
    t.add_(nf.tensor([1.0, 2.0, 3.0]))
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_sub_with_alpha():
    t = nf.tensor([10.0, 20.0])
    assert t.sub_(nf.tensor([1.0, 2.0]), alpha=2) is t
    assert t.tolist() == [8.0, 16.0]


def test_mul_and_div_in_place():
    t = nf.tensor([2.0, 4.0])
    assert t.mul_(3) is t
    assert t.tolist() == [6.0, 12.0]
    assert t.div_(nf.tensor([2.0, 4.0])) is t
    assert t.tolist() == [3.0, 3.0]
    assert t.dtype is nf.float32


def test_int_tensor_add_and_mul_in_place_stay_integer():
    t = nf.tensor([1, 2, 3])
    t.add_(2)
    t.mul_(nf.tensor([1, 2, 3]))
    assert t.dtype is nf.int64
    assert t.tolist() == [3, 8, 15]


def test_float32_in_place_with_a_float64_tensor_stays_float32():
    t = nf.tensor([1.0, 2.0])
    t.add_(nf.tensor([0.5, 0.5], dtype=nf.float64))
    assert t.dtype is nf.float32
    assert t.tolist() == [1.5, 2.5]


def test_clamp_in_place():
    t = nf.tensor([-2.0, 0.5, 3.0])
    assert t.clamp_(-1.0, 1.0) is t
    assert t.tolist() == [-1.0, 0.5, 1.0]
    t2 = nf.tensor([-2.0, 0.5, 3.0])
    t2.clamp_(min=0.0)
    assert t2.tolist() == [0.0, 0.5, 3.0]
    t3 = nf.tensor([-2.0, 0.5, 3.0])
    t3.clamp_(max=0.0)
    assert t3.tolist() == [-2.0, 0.0, 0.0]


def test_clamp_in_place_on_an_int_tensor_stays_int():
    t = nf.tensor([-5, 0, 5])
    t.clamp_(-2, 2)
    assert t.dtype is nf.int64
    assert t.tolist() == [-2, 0, 2]


def test_normal_fills_in_place_keeping_shape_and_dtype():
    t = nf.zeros(200, 100, dtype=nf.float64)
    assert t.normal_(3.0, 0.5) is t
    assert t.dtype is nf.float64 and t.shape == (200, 100)
    a = t.numpy()
    assert abs(a.mean() - 3.0) < 0.02
    assert abs(a.std() - 0.5) < 0.02


def test_uniform_fills_in_place_within_bounds():
    t = nf.zeros(10_000)
    assert t.uniform_(2.0, 3.0) is t
    a = t.numpy()
    assert t.dtype is nf.float32
    assert a.min() >= 2.0 and a.max() < 3.0
    assert abs(a.mean() - 2.5) < 0.02


def test_in_place_ops_bump_the_version_counter():
    t = nf.tensor([1.0, 2.0])
    v = t._version
    t.add_(1)
    assert t._version == v + 1
    t.zero_()
    t[0] = 3.0
    assert t._version == v + 3


# -- __setitem__ --------------------------------------------------------------------------


def test_setitem_with_an_int_sets_a_row():
    t = nf.zeros(3, 2)
    t[1] = 5.0
    assert t.tolist() == [[0.0, 0.0], [5.0, 5.0], [0.0, 0.0]]
    t[-1] = nf.tensor([1.0, 2.0])
    assert t.tolist() == [[0.0, 0.0], [5.0, 5.0], [1.0, 2.0]]


def test_setitem_with_a_slice_and_a_broadcast_value():
    t = nf.zeros(3, 4)
    t[:, 1] = nf.tensor([7.0, 8.0, 9.0])
    t[0:2, 2:] = nf.tensor([1.0, 2.0])
    assert t.tolist() == [[0.0, 7.0, 1.0, 2.0], [0.0, 8.0, 1.0, 2.0], [0.0, 9.0, 0.0, 0.0]]


def test_setitem_with_a_stepped_slice():
    t = nf.zeros(6, dtype=nf.int64)
    t[::2] = 1
    assert t.tolist() == [1, 0, 1, 0, 1, 0]


def test_setitem_with_a_bool_mask():
    t = nf.tensor([[1.0, -2.0], [-3.0, 4.0]])
    t[t < 0] = 0.0
    assert t.tolist() == [[1.0, 0.0], [0.0, 4.0]]


def test_setitem_with_a_bool_mask_and_a_tensor_of_values():
    t = nf.tensor([1.0, -2.0, 3.0, -4.0])
    t[t < 0] = nf.tensor([20.0, 40.0])
    assert t.tolist() == [1.0, 20.0, 3.0, 40.0]


def test_setitem_with_an_int_tensor_index():
    t = nf.zeros(4, dtype=nf.int64)
    t[nf.tensor([0, 3])] = 7
    assert t.tolist() == [7, 0, 0, 7]


def test_setitem_with_an_index_list_and_a_broadcast_row():
    t = nf.zeros(3, 4)
    t[[0, 2]] = nf.tensor([1.0, 2.0, 3.0, 4.0])
    assert t.tolist() == [[1.0, 2.0, 3.0, 4.0], [0.0] * 4, [1.0, 2.0, 3.0, 4.0]]


def test_setitem_with_a_numpy_int_array_index():
    t = nf.zeros(5)
    t[np.array([1, 4])] = nf.tensor([2.0, 3.0])
    assert t.tolist() == [0.0, 2.0, 0.0, 0.0, 3.0]


def test_setitem_with_paired_int_tensors():
    t = nf.zeros(3, 3, dtype=nf.int64)
    t[nf.tensor([0, 1, 2]), nf.tensor([2, 1, 0])] = nf.tensor([1, 2, 3])
    assert t.tolist() == [[0, 0, 1], [0, 2, 0], [3, 0, 0]]


def test_setitem_casts_the_value_to_the_tensor_dtype():
    t = nf.zeros(3, dtype=nf.int64)
    t[0] = 2.9
    t[1:] = nf.tensor([1.5, -1.5])
    assert t.dtype is nf.int64
    assert t.tolist() == [2, 1, -1]


def test_setitem_with_ellipsis_sets_everything():
    t = nf.zeros(2, 2)
    t[...] = nf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_setitem_writes_through_a_view():
    t = nf.zeros(2, 3)
    row = t[1]
    row[0] = 5.0
    assert t.tolist() == [[0.0, 0.0, 0.0], [5.0, 0.0, 0.0]]


def test_iadd_modifies_in_place_and_keeps_identity():
    t = nf.tensor([1.0, 2.0])
    alias = t
    t += 1
    assert t is alias
    assert alias.tolist() == [2.0, 3.0]
    t -= nf.tensor([1.0, 1.0])
    t *= 4
    t /= 2
    assert t is alias
    assert alias.tolist() == [2.0, 4.0]


def test_iadd_on_an_int_tensor_stays_int():
    t = nf.tensor([1, 2])
    t += 1
    assert t.dtype is nf.int64 and t.tolist() == [2, 3]


# -- Python protocol ----------------------------------------------------------------------


def test_len_is_the_first_dim():
    assert len(nf.zeros(4, 2)) == 4
    assert len(nf.zeros(0)) == 0


def test_len_of_a_zero_dim_tensor_raises_type_error():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(nf.tensor(1.0))


def test_iter_yields_the_sub_tensors_along_dim_0():
    rows = list(nf.tensor([[1, 2], [3, 4], [5, 6]]))
    assert len(rows) == 3
    assert all(isinstance(r, nf.Tensor) for r in rows)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
    items = list(nf.tensor([1.5, 2.5]))
    assert all(i.shape == () for i in items)
    assert [i.item() for i in items] == [1.5, 2.5]


def test_iter_over_a_zero_dim_tensor_raises_type_error():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(nf.tensor(1.0))


def test_bool_of_a_one_element_tensor():
    assert bool(nf.tensor([2.0])) is True
    assert bool(nf.tensor(0.0)) is False
    assert bool(nf.tensor([[True]])) is True


def test_float_and_int_conversions():
    assert float(nf.tensor([2.5])) == 2.5
    assert type(float(nf.tensor(3))) is float
    assert int(nf.tensor(3.9)) == 3
    assert int(nf.tensor(-3.9)) == -3
    assert type(int(nf.tensor(3.0))) is int


def test_integer_tensor_can_be_used_as_a_python_index():
    seq = [10, 20, 30]
    assert seq[nf.tensor(1)] == 20
    assert seq[nf.tensor([2])] == 30
    assert list(range(nf.tensor(3))) == [0, 1, 2]
    assert seq[nf.tensor(1, dtype=nf.int32)] == 20


def test_float_tensor_as_a_python_index_raises_type_error():
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][nf.tensor(1.0)]


def test_format_of_a_zero_dim_tensor_formats_the_number():
    assert f"{nf.tensor(2.5):.2f}" == "2.50"


def test_tensors_hash_by_identity():
    a = nf.tensor(1.0)
    b = nf.tensor(1.0)
    assert hash(a) == hash(a)
    assert len({a, b}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert a in {a}
    assert b not in {a}


def test_pickling_round_trips_values_dtype_and_requires_grad():
    t = nf.tensor([[1.5, 2.5], [3.5, -4.0]], dtype=nf.float64, requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert isinstance(u, nf.Tensor)
    assert u.dtype is nf.float64
    assert u.requires_grad and u.is_leaf
    assert u.tolist() == [[1.5, 2.5], [3.5, -4.0]]
    i = pickle.loads(pickle.dumps(nf.tensor([1, 2], dtype=nf.int32)))
    assert i.dtype is nf.int32 and i.tolist() == [1, 2]


def test_pickled_copy_does_not_share_memory():
    t = nf.tensor([1.0, 2.0])
    u = pickle.loads(pickle.dumps(t))
    u[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_pickling_a_zero_dim_bool_tensor():
    u = pickle.loads(pickle.dumps(nf.tensor(True)))
    assert u.dtype is nf.bool and u.item() is True


def test_deepcopy_of_a_leaf_copies_values_requires_grad_and_grad():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    c = copy.deepcopy(x)
    assert c is not x
    assert c.requires_grad and c.is_leaf
    assert c.tolist() == [1.0, 2.0]
    assert c.grad is not None and c.grad is not x.grad
    assert c.grad.tolist() == [2.0, 4.0]
    c.detach()[0] = 50.0
    assert x.detach().tolist() == [1.0, 2.0]


def test_deepcopy_keeps_shared_tensors_shared():
    a = nf.tensor([1.0])
    pair = copy.deepcopy([a, a])
    assert pair[0] is pair[1]


def test_deepcopy_of_a_non_leaf_raises():
    y = nf.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)


# -- numpy interop ------------------------------------------------------------------------


def test_np_asarray_gives_the_values_without_copying():
    t = nf.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    a[0, 0] = 9.0
    assert t[0, 0].item() == 9.0


def test_np_asarray_with_a_dtype_converts():
    a = np.asarray(nf.tensor([1, 2]), dtype=np.float64)
    assert a.dtype == np.float64 and a.tolist() == [1.0, 2.0]


def test_ndarray_plus_tensor_gives_a_tensor():
    out = np.array([1.0, 2.0], dtype=np.float32) + nf.tensor([1.0, 1.0])
    assert isinstance(out, nf.Tensor)
    assert out.dtype is nf.float32
    assert out.tolist() == [2.0, 3.0]


def test_ndarray_times_tensor_and_reflected_ops_give_tensors():
    t = nf.tensor([2.0, 4.0])
    a = np.array([1.0, 2.0], dtype=np.float32)
    for out in (a * t, a - t, a / t):
        assert isinstance(out, nf.Tensor)
    assert (a - t).tolist() == [-1.0, -2.0]
    assert (a / t).tolist() == [0.5, 0.5]


def test_ndarray_plus_tensor_records_the_gradient():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, nf.Tensor) and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_numpy_scalar_times_tensor_keeps_tensor_dtype():
    out = np.float64(2.0) * nf.tensor([1.0, 2.0])
    assert isinstance(out, nf.Tensor)
    assert out.dtype is nf.float32


# -- repr against PyTorch ------------------------------------------------------------------

_REPR_CASES = {
    "floats": lambda m: m.tensor([1.5, 2.25, 3.0]),
    "integral_floats": lambda m: m.tensor([1.0, 2.0, 3.0]),
    "negative_floats": lambda m: m.tensor([-1.5, 2.0]),
    "matrix": lambda m: m.tensor([[1.0, 2.0], [3.0, 4.5]]),
    "scientific_small": lambda m: m.tensor([1e-5, 1.0]),
    "scientific_large": lambda m: m.tensor([1e10, 1.0]),
    "wide_range_integral_floats": lambda m: m.tensor([1.0, 2000.0]),
    "ints": lambda m: m.tensor([1, 2, 3]),
    "int_matrix": lambda m: m.tensor([[-1, 20], [300, 4]]),
    "bools": lambda m: m.tensor([[True, False], [False, True]]),
    "float64": lambda m: m.tensor([1.5, 2.0], dtype=m.float64),
    "int32": lambda m: m.tensor([1, 2], dtype=m.int32),
    "float16": lambda m: m.tensor([1.0, 2.0], dtype=m.float16),
    "requires_grad": lambda m: m.tensor([1.0, 2.5], requires_grad=True),
    "float64_requires_grad": lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True),
    "grad_fn_mul": lambda m: m.tensor([1.0, 2.5], requires_grad=True) * 2,
    "grad_fn_sum": lambda m: m.tensor([1.0, 2.0], requires_grad=True).sum(),
    "empty": lambda m: m.tensor([]),
    "empty_2d": lambda m: m.zeros(0, 3),
    "empty_int64": lambda m: m.tensor([], dtype=m.int64),
    "zero_dim_float": lambda m: m.tensor(3.5),
    "zero_dim_int": lambda m: m.tensor(3),
    "zero_dim_bool": lambda m: m.tensor(True),
    "zero_dim_float64": lambda m: m.tensor(2.0, dtype=m.float64),
    "nan_inf_with_integral_floats": lambda m: m.tensor([float("nan"), 1.0, float("inf")]),
    "nan_with_fraction": lambda m: m.tensor([float("nan"), 2.5]),
    "long_vector_wraps": lambda m: m.arange(20.0) / 3,
    "summarized_ints": lambda m: m.arange(1500).reshape(30, 50),
}


@needs_torch
@pytest.mark.parametrize("case", sorted(_REPR_CASES))
def test_repr_matches_pytorch(case):
    make = _REPR_CASES[case]
    expected = repr(make(torch)).replace("torch.", "numpyflow.")
    assert repr(make(nf)) == expected


_GRAD_FN_CASES = {
    "add": lambda m, x: x + 1,
    "sub": lambda m, x: x - 1,
    "mul": lambda m, x: x * 2,
    "div": lambda m, x: x / 2,
    "neg": lambda m, x: -x,
    "exp": lambda m, x: x.exp(),
    "sum": lambda m, x: x.sum(),
    "mean": lambda m, x: x.mean(),
    "clone": lambda m, x: x.clone(),
    "permute": lambda m, x: x.permute(1, 0),
    "softmax": lambda m, x: x.softmax(0),
    "pow_scalar": lambda m, x: x**2,
    "matmul_2d": lambda m, x: x @ m.ones(3, 2),
    "reshape": lambda m, x: x.reshape(3, 2),
    "view": lambda m, x: x.view(-1),
    "transpose": lambda m, x: x.transpose(0, 1),
    "t": lambda m, x: x.t(),
    "unsqueeze": lambda m, x: x.unsqueeze(0),
    "select": lambda m, x: x[0],
    "to_double": lambda m, x: x.double(),
}


@needs_torch
@pytest.mark.parametrize("case", sorted(_GRAD_FN_CASES))
def test_grad_fn_name_matches_pytorch(case):
    op = _GRAD_FN_CASES[case]
    expected = op(torch, torch.ones(2, 3, requires_grad=True)).grad_fn.name()
    assert op(nf, nf.ones(2, 3, requires_grad=True)).grad_fn.name() == expected


def test_str_is_the_repr():
    t = nf.tensor([1.5, 2.0])
    assert str(t) == repr(t) == "tensor([1.5000, 2.0000])"
