"""Errors a person can act on: PyTorch's exception types, messages that name the op and
the offending shapes or values, and failed ops that leave their inputs as they were."""

import re

import numpy as np
import pytest

import numpyflow as nf


def _raises(exc_type, *fragments):
    """pytest.raises that also checks every fragment appears (literally) in the message."""
    return pytest.raises(exc_type, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


# -- broadcasting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,op",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("add", nf.add),
        ("mul", nf.mul),
        ("maximum", nf.maximum),
        ("eq", lambda a, b: a == b),
        ("lt", lambda a, b: a < b),
    ],
)
def test_broadcast_mismatch_names_the_op_and_both_shapes(name, op):
    with _raises(RuntimeError, f"{name}:", "(2, 3)", "(4,)"):
        op(nf.ones(2, 3), nf.ones(4))


def test_broadcast_mismatch_with_requires_grad_names_the_op_and_both_shapes():
    with _raises(RuntimeError, "add", "(2, 3)", "(4,)"):
        nf.ones(2, 3, requires_grad=True) + nf.ones(4)


def test_broadcast_mismatch_of_higher_rank_shapes():
    with _raises(RuntimeError, "mul", "(5, 1, 3)", "(4, 2)"):
        nf.ones(5, 1, 3) * nf.ones(4, 2)


def test_where_broadcast_mismatch_names_the_op_and_the_shapes():
    with _raises(RuntimeError, "where", "(2, 3)", "(3, 2)"):
        nf.where(nf.ones(2, 3) > 0, nf.ones(2, 3), nf.ones(3, 2))
    with _raises(RuntimeError, "where", "(2, 3)", "(4,)"):
        nf.where(nf.ones(2, 3) > 0, nf.ones(4), 0.0)


# -- matmul ---------------------------------------------------------------------------------


def test_matmul_inner_dim_mismatch_names_both_shapes():
    with _raises(RuntimeError, "matmul", "(2, 3)", "(4, 5)", "2x3 and 4x5"):
        nf.ones(2, 3) @ nf.ones(4, 5)


def test_matmul_of_vectors_of_different_length():
    with _raises(RuntimeError, "matmul", "(3,)", "(4,)"):
        nf.ones(3) @ nf.ones(4)


def test_matmul_batch_dims_that_do_not_broadcast():
    with _raises(RuntimeError, "matmul", "(2, 2, 3)", "(3, 3, 4)"):
        nf.matmul(nf.ones(2, 2, 3), nf.ones(3, 3, 4))


def test_mm_shape_mismatch_names_both_shapes():
    with _raises(RuntimeError, "(2, 3)", "(4, 5)"):
        nf.mm(nf.ones(2, 3), nf.ones(4, 5))


def test_matmul_with_a_zero_dim_operand():
    with _raises(RuntimeError, "matmul", "2D and 0D"):
        nf.ones(2, 3) @ nf.tensor(1.0)


def test_matmul_of_different_dtypes():
    with _raises(RuntimeError, "matmul", "float32", "float64"):
        nf.ones(2, 3) @ nf.ones(3, 2, dtype=nf.float64)


def test_dot_of_vectors_of_different_length():
    with _raises(RuntimeError, "dot", "[3]", "[4]"):
        nf.ones(3).dot(nf.ones(4))


# -- requires_grad on integer tensors -------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nf.tensor([1, 2], requires_grad=True),
        lambda: nf.zeros(2, dtype=nf.int64, requires_grad=True),
        lambda: nf.tensor([1, 2]).requires_grad_(),
        lambda: nf.tensor([True]).requires_grad_(),
        lambda: nf.arange(3).__setattr__("requires_grad", True),
    ],
    ids=["tensor", "zeros", "requires_grad_", "bool", "setter"],
)
def test_requires_grad_on_an_integer_tensor_raises(make):
    with _raises(RuntimeError, "only Tensors of floating point", "can require gradients"):
        make()


def test_requires_grad_error_names_the_dtype():
    with _raises(RuntimeError, "int32"):
        nf.tensor([1], dtype=nf.int32).requires_grad_()


def test_a_failed_requires_grad_leaves_the_flag_off():
    t = nf.tensor([1, 2])
    with pytest.raises(RuntimeError):
        t.requires_grad_()
    assert t.requires_grad is False


# -- bad dim ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,call,got,lo,hi",
    [
        ("sum", lambda t: t.sum(dim=2), 2, -2, 1),
        ("sum", lambda t: t.sum(dim=-3), -3, -2, 1),
        ("sum", lambda t: t.sum(axis=2), 2, -2, 1),
        ("mean", lambda t: t.mean(dim=5), 5, -2, 1),
        ("max", lambda t: t.max(dim=2), 2, -2, 1),
        ("argmax", lambda t: t.argmax(dim=2), 2, -2, 1),
        ("softmax", lambda t: t.softmax(dim=2), 2, -2, 1),
        ("log_softmax", lambda t: t.log_softmax(dim=-3), -3, -2, 1),
        ("transpose", lambda t: t.transpose(0, 2), 2, -2, 1),
        ("transpose", lambda t: t.transpose(-3, 0), -3, -2, 1),
        ("cat", lambda t: nf.cat([t, t], dim=2), 2, -2, 1),
        ("stack", lambda t: nf.stack([t, t], dim=3), 3, -3, 2),
        ("squeeze", lambda t: t.squeeze(2), 2, -2, 1),
        ("unsqueeze", lambda t: t.unsqueeze(3), 3, -3, 2),
        ("unsqueeze", lambda t: t.unsqueeze(-4), -4, -3, 2),
        ("flatten", lambda t: t.flatten(0, 3), 3, -2, 1),
        ("permute", lambda t: t.permute(0, 2), 2, -2, 1),
        ("index_select", lambda t: t.index_select(2, nf.tensor([0])), 2, -2, 1),
        ("gather", lambda t: t.gather(2, nf.zeros(2, 3, dtype=nf.int64)), 2, -2, 1),
        ("size", lambda t: t.size(2), 2, -2, 1),
    ],
)
def test_bad_dim_raises_index_error_naming_the_op_and_the_range(name, call, got, lo, hi):
    with _raises(IndexError, f"{name}", f"expected to be in range of [{lo}, {hi}], but got {got}"):
        call(nf.ones(2, 3))


def test_bad_dim_of_a_zero_dim_tensor():
    with _raises(IndexError, "sum", "[-1, 0], but got 1"):
        nf.tensor(1.0).sum(dim=1)
    with _raises(IndexError, "softmax", "[-1, 0], but got 1"):
        nf.tensor(1.0).softmax(dim=1)


def test_a_non_int_dim_raises_type_error():
    with _raises(TypeError, "sum", "float"):
        nf.ones(2, 3).sum(dim=1.5)


def test_a_repeated_dim_raises_runtime_error():
    with _raises(RuntimeError, "sum", "multiple times"):
        nf.ones(2, 3).sum(dim=(0, 0))
    with _raises(RuntimeError, "permute"):
        nf.ones(2, 3).permute(0, 0)


# -- index out of range -------------------------------------------------------------------


@pytest.mark.parametrize(
    "index,bad,size",
    [
        (2, 2, 2),
        (-3, -3, 2),
        ((0, 3), 3, 3),
        ((slice(None), 3), 3, 3),
    ],
)
def test_index_out_of_range_raises_index_error(index, bad, size):
    with _raises(IndexError, f"index {bad} is out of bounds", f"size {size}"):
        nf.ones(2, 3)[index]


def test_tensor_index_out_of_range_raises_index_error():
    with _raises(IndexError, "index 5 is out of bounds", "size 2"):
        nf.ones(2, 3)[nf.tensor([0, 5])]


def test_too_many_indices_raises_index_error():
    with _raises(IndexError, "too many indices"):
        nf.ones(2, 3)[0, 0, 0]


def test_mask_of_the_wrong_shape_raises_index_error():
    with pytest.raises(IndexError):
        nf.ones(3)[nf.tensor([True, False])]


def test_float_index_tensor_raises_index_error():
    with _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors"):
        nf.ones(2, 3)[nf.tensor([1.0])]


def test_setitem_index_out_of_range_raises_index_error():
    t = nf.ones(2, 3)
    with _raises(IndexError, "index 2 is out of bounds", "size 2"):
        t[2] = 1.0
    with _raises(IndexError, "index 4 is out of bounds"):
        t[nf.tensor([4])] = 1.0


# -- reshape / cat / expand ------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,shown",
    [
        ((4, 2), "[4, 2]"),
        ((5,), "[5]"),
        ((-1, 4), "[-1, 4]"),
    ],
)
def test_reshape_to_an_incompatible_size_names_the_shape_and_size(shape, shown):
    with _raises(RuntimeError, "reshape", f"shape {shown} is invalid for input of size 6"):
        nf.ones(2, 3).reshape(*shape)


def test_view_to_an_incompatible_size():
    with _raises(RuntimeError, "[-1, 5]", "input of size 6"):
        nf.ones(2, 3).view(-1, 5)


def test_reshape_with_two_inferred_dims():
    with _raises(RuntimeError, "reshape", "only one dimension can be inferred"):
        nf.ones(2, 3).reshape(-1, -1)


def test_reshape_with_a_float_size_raises_type_error():
    with pytest.raises(TypeError):
        nf.ones(2, 3).reshape(2.5, 2)


@pytest.mark.parametrize("second", [(3, 2), (2, 4), (3,)])
def test_cat_with_mismatched_shapes_names_both_shapes(second):
    with _raises(RuntimeError, "cat", "(2, 3)", str(tuple(second))):
        nf.cat([nf.ones(2, 3), nf.ones(*second)])


def test_cat_of_an_empty_list_raises_value_error():
    # torch: ValueError: torch.cat(): expected a non-empty list of Tensors
    with _raises(ValueError, "cat", "non-empty list of Tensors"):
        nf.cat([])


def test_cat_of_zero_dim_tensors():
    with _raises(RuntimeError, "cat", "zero-dimensional"):
        nf.cat([nf.tensor(1.0), nf.tensor(2.0)])


def test_stack_with_mismatched_shapes_names_both_shapes():
    with _raises(RuntimeError, "stack", "(2, 3)", "(3, 2)"):
        nf.stack([nf.ones(2, 3), nf.ones(3, 2)])


def test_expand_to_an_incompatible_size_names_the_sizes():
    with _raises(RuntimeError, "expand", "Target sizes: [2, 4]", "Tensor sizes: [3]"):
        nf.ones(3).expand(2, 4)
    with _raises(RuntimeError, "expand", "Target sizes: [4, 3, 2]", "Tensor sizes: [2, 3]"):
        nf.ones(2, 3).expand(4, 3, 2)


def test_expand_to_fewer_dims():
    with _raises(RuntimeError, "expand", "number of sizes provided (1)", "(2)"):
        nf.ones(2, 3).expand(3)


def test_broadcast_to_an_incompatible_shape():
    with _raises(RuntimeError, "broadcast_to", "(2, 3)", "(4, 3)"):
        nf.broadcast_to(nf.ones(2, 3), (4, 3))


# -- autograd ---------------------------------------------------------------------------


def test_backward_twice_through_a_released_graph_raises():
    x = nf.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with _raises(RuntimeError, "Trying to backward through the graph a second time", "retain_graph=True"):
        y.backward()


def test_backward_twice_names_the_op_that_lost_its_saved_values():
    x = nf.ones(2, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with _raises(RuntimeError, "ExpBackward0"):
        y.backward()


def test_a_failed_second_backward_leaves_grads_as_they_were():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    w = nf.tensor([3.0, 4.0], requires_grad=True)
    y = (x * 2 + w * w + x.exp()).sum()
    y.backward()
    gx, gw = x.grad.tolist(), w.grad.tolist()
    with pytest.raises(RuntimeError):
        y.backward()
    assert x.grad.tolist() == gx
    assert w.grad.tolist() == gw


def test_backward_of_a_non_scalar_without_gradient():
    with _raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        (nf.ones(2, requires_grad=True) * 2).backward()


def test_backward_of_a_tensor_without_history():
    with _raises(RuntimeError, "does not require grad"):
        nf.ones(2).sum().backward()


def test_assigning_a_grad_of_the_wrong_shape():
    x = nf.ones(2, requires_grad=True)
    with _raises(RuntimeError, "(3,)", "(2,)"):
        x.grad = nf.ones(3)
    assert x.grad is None


# -- conversions -------------------------------------------------------------------------


def test_numpy_on_a_tensor_requiring_grad_raises():
    with _raises(RuntimeError, "Can't call numpy() on Tensor that requires grad", "detach()"):
        nf.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError):
        (nf.ones(2, requires_grad=True) * 2).numpy()


def test_item_of_a_multi_element_tensor_names_the_count():
    with _raises(RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"):
        nf.ones(2).item()
    with _raises(RuntimeError, "a Tensor with 0 elements cannot be converted to Scalar"):
        nf.ones(0).item()


def test_bool_of_a_multi_element_tensor_is_ambiguous():
    with _raises(RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"):
        bool(nf.ones(2))
    with pytest.raises(RuntimeError):
        if nf.tensor([1, 2]) > 0:
            pass


def test_bool_of_an_empty_tensor_says_it_has_no_values():
    # torch: RuntimeError: Boolean value of Tensor with no values is ambiguous
    with _raises(RuntimeError, "Boolean value of Tensor with no values is ambiguous"):
        bool(nf.ones(0))


def test_float_of_a_multi_element_tensor_raises():
    with pytest.raises(RuntimeError):
        float(nf.ones(3))


# -- in-place on a leaf requiring grad ----------------------------------------------------------


@pytest.mark.parametrize(
    "name,op",
    [
        ("add_", lambda t: t.add_(1)),
        ("mul_", lambda t: t.mul_(2)),
        ("sub_", lambda t: t.sub_(1)),
        ("div_", lambda t: t.div_(2)),
        ("clamp_", lambda t: t.clamp_(0, 1)),
        ("fill_", lambda t: t.fill_(3)),
        ("fill_", lambda t: t.zero_()),
        ("copy_", lambda t: t.copy_(nf.zeros(2))),
        ("normal_", lambda t: t.normal_()),
        ("uniform_", lambda t: t.uniform_()),
        ("setitem", lambda t: t.__setitem__(0, 5.0)),
        ("add_", lambda t: t.__iadd__(1)),
    ],
)
def test_in_place_on_a_leaf_requiring_grad_raises_and_changes_nothing(name, op):
    t = nf.tensor([1.0, 2.0], requires_grad=True)
    version = t._version
    with _raises(RuntimeError, name, "a leaf Variable that requires grad is being used in an in-place operation"):
        op(t)
    assert t.detach().tolist() == [1.0, 2.0]
    assert t._version == version
    assert t.is_leaf and t.requires_grad


def test_in_place_on_a_leaf_is_allowed_under_no_grad():
    t = nf.tensor([1.0, 2.0], requires_grad=True)
    with nf.no_grad():
        t.add_(1)
        t[0] = 10.0
    assert t.detach().tolist() == [10.0, 3.0]
    assert t.is_leaf and t.requires_grad


# -- in-place dtype errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name,op",
    [
        ("add_", lambda t: t.add_(1.5)),
        ("sub_", lambda t: t.sub_(0.5)),
        ("mul_", lambda t: t.mul_(1.5)),
        ("div_", lambda t: t.div_(2)),
        ("add_", lambda t: t.add_(nf.tensor([1.5, 2.5]))),
        ("add_", lambda t: t.add_(nf.tensor(1.5))),
        ("mul_", lambda t: t.mul_(nf.tensor(1.5))),
        ("clamp_", lambda t: t.clamp_(0.5, 1.5)),
        ("add_", lambda t: t.__iadd__(0.5)),
    ],
)
def test_int_tensor_in_place_with_a_float_raises_and_changes_nothing(name, op):
    t = nf.tensor([1, 2])
    version = t._version
    with _raises(RuntimeError, name, "can't be cast to the desired output type", "int64"):
        op(t)
    assert t.tolist() == [1, 2]
    assert t.dtype is nf.int64
    assert t._version == version


def test_bool_tensor_add_int_in_place_raises_and_changes_nothing():
    # torch: RuntimeError: result type Long can't be cast to the desired output type Bool
    t = nf.tensor([True, False])
    with _raises(RuntimeError, "add_", "can't be cast to the desired output type"):
        t.add_(1)
    assert t.tolist() == [True, False]


def test_uint8_tensor_add_int64_tensor_in_place_is_allowed():
    # torch allows integer -> integer in-place casts: tensor([2, 3], dtype=torch.uint8)
    t = nf.tensor([1, 2], dtype=nf.uint8)
    t.add_(nf.tensor([1, 1]))
    assert t.dtype is nf.uint8
    assert t.tolist() == [2, 3]


def test_int32_tensor_add_int64_tensor_in_place_is_allowed():
    t = nf.tensor([1, 2], dtype=nf.int32)
    t.add_(nf.tensor([1, 1]))
    assert t.dtype is nf.int32 and t.tolist() == [2, 3]


def test_bool_tensor_sub_in_place_raises_runtime_error_naming_the_op():
    # torch: RuntimeError: Subtraction, the `-` operator, with two bool tensors is not supported.
    t = nf.tensor([True, False])
    with _raises(RuntimeError, "sub"):
        t.sub_(nf.tensor([True, True]))
    assert t.tolist() == [True, False]


def test_bool_tensor_sub_out_of_place_raises_runtime_error():
    with _raises(RuntimeError, "sub", "bool"):
        nf.tensor([True, False]) - nf.tensor([True, True])


@pytest.mark.parametrize(
    "name,op",
    [
        ("normal_", lambda t: t.normal_()),
        ("uniform_", lambda t: t.uniform_()),
    ],
)
def test_random_fill_of_an_int_tensor_raises_and_changes_nothing(name, op):
    # torch: NotImplementedError: "normal_kernel_cpu" not implemented for 'Long'
    t = nf.tensor([1, 2])
    with pytest.raises(RuntimeError):  # NotImplementedError is a RuntimeError
        op(t)
    assert t.tolist() == [1, 2]


def test_in_place_on_an_expanded_view_raises_and_changes_nothing():
    base = nf.ones(2)
    e = base.expand(3, 2)
    with _raises(RuntimeError, "add_", "clone()"):
        e.add_(1)
    assert base.tolist() == [1.0, 1.0]


# -- failed in-place ops leave the tensor unchanged ------------------------------------------


@pytest.mark.parametrize(
    "op,fragments",
    [
        (lambda t: t.add_(nf.ones(3)), ("add_", "(2,)")),
        (lambda t: t.add_(nf.ones(2, 2)), ("add_", "(2,)")),
        (lambda t: t.mul_(nf.ones(2, 2)), ("mul_", "(2,)")),
        (lambda t: t.sub_(nf.ones(5)), ("sub_", "(2,)")),
        (lambda t: t.copy_(nf.zeros(4)), ("copy_", "(4,)", "(2,)")),
        (lambda t: t.copy_(nf.zeros(2, 2)), ("copy_", "(2, 2)", "(2,)")),
    ],
)
def test_failed_in_place_broadcast_raises_and_changes_nothing(op, fragments):
    t = nf.tensor([1.0, 2.0])
    version = t._version
    with _raises(RuntimeError, *fragments):
        op(t)
    assert t.tolist() == [1.0, 2.0]
    assert t._version == version


@pytest.mark.parametrize(
    "index,value,exc",
    [
        (0, nf.zeros(5), RuntimeError),
        (nf.tensor([True, False, True]), nf.zeros(3), RuntimeError),
        (nf.tensor([True, False]), 0.0, IndexError),
        (nf.tensor([0, 5]), 0.0, IndexError),
        (5, 0.0, IndexError),
        (0, "a", TypeError),
    ],
    ids=["value_shape", "mask_count", "mask_shape", "index_list_out_of_range", "int_out_of_range", "string"],
)
def test_failed_setitem_raises_and_changes_nothing(index, value, exc):
    t = nf.tensor([1.0, 2.0, 3.0])
    version = t._version
    with pytest.raises(exc):
        t[index] = value
    assert t.tolist() == [1.0, 2.0, 3.0]
    assert t._version == version


def test_failed_setitem_value_shape_names_the_shape():
    t = nf.ones(2, 3)
    with _raises(RuntimeError, "setitem", "(5,)"):
        t[0] = nf.zeros(5)
    assert t.tolist() == [[1.0] * 3] * 2


def test_failed_op_leaves_its_inputs_unchanged():
    a = nf.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = nf.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError):
        a * b
    assert a.detach().tolist() == [[1.0, 2.0, 3.0]] and b.tolist() == [1.0, 2.0]
    assert a.grad is None and a.is_leaf
    (a * 2).sum().backward()  # the tensors still work
    assert a.grad.tolist() == [[2.0, 2.0, 2.0]]


def test_failed_matmul_leaves_its_inputs_unchanged():
    a = nf.ones(2, 3)
    b = nf.ones(4, 5)
    with pytest.raises(RuntimeError):
        a @ b
    assert a.shape == (2, 3) and b.shape == (4, 5)
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3), np.float32))


def test_failed_in_place_on_a_non_leaf_keeps_its_graph_intact():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    version = y._version
    with _raises(RuntimeError, "(2,)", "(3,)"):
        y.add_(nf.ones(3))
    assert y.detach().tolist() == [3.0, 6.0]
    assert y._version == version
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_failed_setitem_on_a_non_leaf_keeps_its_graph_intact():
    x = nf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with _raises(IndexError, "index 7 is out of bounds"):
        y[nf.tensor([0, 7])] = nf.tensor([5.0, 5.0], requires_grad=True)
    assert y.detach().tolist() == [2.0, 4.0, 6.0]
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
