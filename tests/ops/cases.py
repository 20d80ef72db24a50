"""Every differentiable op, declared once: how to call it (the same code for numpyflow and
PyTorch, whose APIs match), on which input shapes, with which values.  The tests in this
folder run each case through gradcheck, gradgradcheck, PyTorch and float32."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Case:
    name: str
    fn: Callable  # fn(lib, *inputs) -> tensor or tuple of tensors
    shapes: list  # list of tuples of input shapes
    values: str | tuple = "normal"  # value kind for every input, or one per input
    second: bool = True  # has a second derivative worth checking
    differentiable: bool = True  # compare gradients (False: forward only)
    extra: Callable | None = None  # extra(rng, shapes) -> arrays appended after the inputs
    rtol: float = 1e-9
    grad_shapes: list | None = None  # smaller shapes for the (slow) finite-difference checks
    finite_differences: bool = True  # False where float64 finite differences can't apply
    reference_grad: bool = True  # False where PyTorch itself can't differentiate it
    params: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


def make_values(kind, shape, rng, dtype=np.float64):
    if kind == "normal":
        a = rng.standard_normal(shape)
    elif kind == "pos":
        a = rng.uniform(0.5, 2.0, shape)
    elif kind == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    elif kind == "away":  # bounded away from 0 and from each other's ties
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    elif kind == "int":
        a = rng.integers(-5, 6, shape).astype(np.float64)
    else:
        raise ValueError(kind)
    return np.asarray(a, dtype=dtype)


def _index(n_max):
    def extra(rng, shapes):
        return [rng.integers(0, n_max, size=(5,))]

    return extra


UNARY_SHAPES = [((),), ((3,),), ((2, 3),), ((2, 1, 4),), ((0, 3),)]
GRAD_UNARY = [((),), ((2, 3),)]
BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 4)),
    ((3,), ()),
    ((2, 0), (1, 0)),
    ((4, 1, 3), (2, 1)),
]
GRAD_BINARY = [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))]


def unary(name, fn, values="normal", second=True, differentiable=True):
    return Case(name, fn, UNARY_SHAPES, values, second, differentiable, grad_shapes=GRAD_UNARY)


def binary(name, fn, values="normal", second=True, differentiable=True):
    return Case(name, fn, BINARY_SHAPES, values, second, differentiable, grad_shapes=GRAD_BINARY)


ELEMENTWISE = [
    binary("add", lambda L, a, b: a + b),
    binary("add_alpha", lambda L, a, b: L.add(a, b, alpha=2.5)),
    binary("radd_scalar", lambda L, a, b: 2.5 + a + b),
    binary("sub", lambda L, a, b: a - b),
    binary("rsub_scalar", lambda L, a, b: 1.5 - a - b),
    binary("mul", lambda L, a, b: a * b),
    binary("mul_scalar", lambda L, a, b: a * 3.0 * b),
    binary("div", lambda L, a, b: a / b, values=("normal", "away")),
    binary("rdiv_scalar", lambda L, a, b: 2.0 / b + a, values=("normal", "away")),
    binary("floor_divide", lambda L, a, b: a // b, values=("normal", "away"), differentiable=False),
    binary("remainder", lambda L, a, b: a % b, values=("normal", "away"), second=False),
    binary("pow_tensor", lambda L, a, b: a**b, values=("pos", "normal")),
    unary("pow_scalar", lambda L, a: a**3),
    unary("pow_half", lambda L, a: a**0.5, values="pos"),
    unary("pow_2_2", lambda L, a: a**2.2, values="pos"),
    unary("rpow_scalar", lambda L, a: 5.0**a),
    unary("neg", lambda L, a: -a),
    unary("abs", lambda L, a: a.abs(), values="away"),
    binary("maximum", lambda L, a, b: L.maximum(a, b)),
    binary("minimum", lambda L, a, b: L.minimum(a, b)),
    unary("clamp", lambda L, a: a.clamp(-0.5, 0.7)),
    unary("clamp_min", lambda L, a: L.clamp(a, min=0.1)),
    Case(
        "clamp_tensor_bounds",
        lambda L, a, lo, hi: L.clamp(a, lo, hi),
        [((2, 3), (3,), (2, 1))],
        ("normal", "normal", "pos"),
    ),
    Case("where", lambda L, a, b: L.where(a > 0, a, b), BINARY_SHAPES, grad_shapes=GRAD_BINARY),
    Case("where_scalar", lambda L, a: L.where(a > 0, a, 0.5), UNARY_SHAPES, grad_shapes=GRAD_UNARY),
    unary("exp", lambda L, a: a.exp()),
    unary("log", lambda L, a: a.log(), values="pos"),
    unary("log2", lambda L, a: L.log2(a), values="pos"),
    unary("log10", lambda L, a: L.log10(a), values="pos"),
    unary("log1p", lambda L, a: L.log1p(a), values="unit"),
    unary("expm1", lambda L, a: L.expm1(a)),
    unary("sqrt", lambda L, a: a.sqrt(), values="pos"),
    unary("rsqrt", lambda L, a: L.rsqrt(a), values="pos"),
    unary("sin", lambda L, a: L.sin(a)),
    unary("cos", lambda L, a: L.cos(a)),
    unary("tanh", lambda L, a: a.tanh()),
    unary("sigmoid", lambda L, a: a.sigmoid()),
    unary("relu", lambda L, a: a.relu(), values="away"),
    unary("erf", lambda L, a: L.erf(a)),
    unary("sign", lambda L, a: a.sign(), values="away"),
    unary("square", lambda L, a: L.square(a)),
    unary("reciprocal", lambda L, a: L.reciprocal(a), values="away"),
    unary("clone", lambda L, a: a.clone()),
    Case("cast_through_float64", lambda L, a: a.double().float() * 1.0, UNARY_SHAPES, finite_differences=False),
]

REDUCTION_SHAPES = [((),), ((4,),), ((2, 3),), ((2, 3, 4),), ((2, 1, 3),)]
GRAD_REDUCTION = [((3,),), ((2, 3, 2),)]


def reduction(name, fn, values="normal", second=True, shapes=None, differentiable=True):
    return Case(
        name,
        fn,
        shapes or REDUCTION_SHAPES,
        values,
        second,
        differentiable,
        grad_shapes=GRAD_REDUCTION if shapes is None else None,
    )


ND = [((2, 3, 4),), ((2, 1, 3),)]
GRAD_ND = [((2, 3, 2),)]

REDUCTIONS = [
    reduction("sum", lambda L, a: a.sum()),
    Case("sum_dim", lambda L, a: a.sum(1), ND, grad_shapes=GRAD_ND),
    Case("sum_dims_keepdim", lambda L, a: a.sum((0, -1), keepdim=True), ND, grad_shapes=GRAD_ND),
    Case("sum_empty_dim", lambda L, a: a.sum(0), [((0, 3),)]),
    reduction("mean", lambda L, a: a.mean()),
    Case("mean_dims", lambda L, a: a.mean((0, 2)), ND, grad_shapes=GRAD_ND),
    Case("mean_keepdim", lambda L, a: a.mean(-1, keepdim=True), ND, grad_shapes=GRAD_ND),
    reduction("prod", lambda L, a: a.prod(), values="away"),
    Case("prod_dim", lambda L, a: a.prod(1), ND, "away", grad_shapes=GRAD_ND),
    Case("prod_with_zero", lambda L, a: (a * L.tensor([1.0, 0.0, 1.0], dtype=a.dtype)).prod(-1), [((2, 3),)]),
    Case("prod_with_two_zeros", lambda L, a: (a * L.tensor([0.0, 0.0, 1.0], dtype=a.dtype)).prod(-1), [((2, 3),)]),
    reduction("max_all", lambda L, a: a.max()),
    reduction("min_all", lambda L, a: a.min()),
    Case("max_dim", lambda L, a: a.max(1)[0], ND, grad_shapes=GRAD_ND),
    Case("max_dim_keepdim", lambda L, a: a.max(-1, keepdim=True).values, ND, grad_shapes=GRAD_ND),
    Case("min_dim", lambda L, a: a.min(0)[0], ND, grad_shapes=GRAD_ND),
    Case("max_dim_indices", lambda L, a: a.max(1)[1], ND, differentiable=False),
    Case("max_ties_share_gradient", lambda L, a: (a * 0 + L.tensor([1.0, 3.0, 3.0], dtype=a.dtype)).max(), [((3,),)]),
    Case("amax", lambda L, a: L.amax(a, (0, 2)), ND, grad_shapes=GRAD_ND),
    Case("amin", lambda L, a: L.amin(a, 1, keepdim=True), ND, grad_shapes=GRAD_ND),
    reduction("var", lambda L, a: a.var(), shapes=[((4,),), ((2, 3),), ((2, 3, 4),)]),
    Case("var_dim_biased", lambda L, a: a.var(1, unbiased=False), ND, grad_shapes=GRAD_ND),
    Case(
        "var_correction", lambda L, a: L.var(a, (0, 2), correction=2, keepdim=True), [((2, 3, 4),)], grad_shapes=GRAD_ND
    ),
    reduction("std", lambda L, a: a.std(), shapes=[((4,),), ((2, 3),)]),
    Case("std_dim", lambda L, a: a.std(-1, keepdim=True), ND, grad_shapes=GRAD_ND),
    reduction("logsumexp", lambda L, a: L.logsumexp(a, 0), shapes=[((4,),), ((2, 3),), ((2, 3, 4),)]),
    Case("logsumexp_dims", lambda L, a: L.logsumexp(a * 50, (0, 2), keepdim=True), ND, grad_shapes=GRAD_ND),
    reduction("norm", lambda L, a: a.norm(), values="away"),
    Case("norm_dim", lambda L, a: a.norm(dim=1), ND, "away", grad_shapes=GRAD_ND),
    Case("norm_p1", lambda L, a: a.norm(p=1, dim=-1), ND, "away", second=False, grad_shapes=GRAD_ND),
    Case("norm_p3", lambda L, a: a.norm(p=3), ND, "away", grad_shapes=GRAD_ND),
    Case("norm_inf", lambda L, a: a.norm(p=float("inf"), dim=0), ND, "away", second=False, grad_shapes=GRAD_ND),
    Case("norm_zero_vector", lambda L, a: (a * 0).norm(), [((3,),)], second=False),
    Case("cumsum", lambda L, a: a.cumsum(1), ND, grad_shapes=GRAD_ND),
    Case("cumsum_neg_dim", lambda L, a: L.cumsum(a, -1), [((5,),), ((2, 3),)]),
    Case("cumsum_0d_keeps_shape", lambda L, a: a.cumsum(0) * a, [((),)]),
    Case("cumprod_0d_keeps_shape", lambda L, a: L.cumprod(a, -1) * a, [((),)], "away"),
    Case("argmax", lambda L, a: a.argmax(), ND, differentiable=False),
    Case("argmax_dim", lambda L, a: a.argmax(1, keepdim=True), ND, differentiable=False),
    Case("argmin_dim", lambda L, a: L.argmin(a, -1), ND, differentiable=False),
    Case("all_any", lambda L, a: (L.all(a > 0, 1), L.any(a > 0), (a > 0).any(0)), ND, differentiable=False),
]

SHAPE_OPS = [
    Case("reshape", lambda L, a: a.reshape(3, -1), [((2, 3, 2),)]),
    Case("reshape_tuple", lambda L, a: a.reshape((4, 3)), [((2, 3, 2),)]),
    Case("reshape_scalar", lambda L, a: a.reshape(1, 1), [((),)]),
    Case("view", lambda L, a: a.view(-1), [((2, 3),)]),
    Case("flatten", lambda L, a: a.flatten(), [((2, 3, 2),), ((),)]),
    Case("flatten_range", lambda L, a: a.flatten(1, 2), [((2, 3, 2, 2),)], grad_shapes=[((2, 3, 2, 1),)]),
    Case("unflatten", lambda L, a: a.unflatten(1, (2, -1)), [((2, 6),)]),
    Case("transpose", lambda L, a: a.transpose(0, 2), [((2, 3, 4),)], grad_shapes=GRAD_ND),
    Case("permute", lambda L, a: a.permute(2, 0, 1), [((2, 3, 4),)], grad_shapes=GRAD_ND),
    Case("T_2d", lambda L, a: a.T, [((2, 3),)]),
    Case("mT", lambda L, a: a.mT, [((2, 3, 4),)], grad_shapes=GRAD_ND),
    Case("squeeze", lambda L, a: a.squeeze(), [((2, 1, 3, 1),)]),
    Case("squeeze_dim", lambda L, a: a.squeeze(1), [((2, 1, 3),)]),
    Case("unsqueeze", lambda L, a: a.unsqueeze(-1), [((2, 3),), ((),)]),
    Case("expand", lambda L, a: a.expand(4, -1, 3), [((2, 1),)]),
    Case("broadcast_to", lambda L, a: L.broadcast_to(a, (2, 4, 3)), [((4, 1),), ((3,),)]),
    Case("repeat", lambda L, a: a.repeat(2, 1, 3), [((2, 3),), ((3,),)]),
    Case("tile", lambda L, a: L.tile(a, (2,)), [((2, 3),)]),
    Case("flip", lambda L, a: a.flip(0, 2), [((2, 3, 2),)]),
    Case("flip_dims", lambda L, a: L.flip(a, (1,)), [((2, 3),)]),
    Case("flip_no_dims_is_a_copy", lambda L, a: a.flip(()) * a, [((2, 3),), ((),)]),
    Case("flip_empty_list", lambda L, a: L.flip(a, []), [((2, 3),)]),
    Case("roll", lambda L, a: L.roll(a, 2, 1), [((2, 5),)]),
    Case("roll_flat", lambda L, a: L.roll(a, -3), [((2, 5),)]),
    Case("roll_multi", lambda L, a: L.roll(a, (1, -2), (0, 1)), [((3, 5),)]),
    Case("cat", lambda L, a, b: L.cat([a, b, a], 1), [((2, 3), (2, 1)), ((2, 0), (2, 2))]),
    Case("cat_neg_dim", lambda L, a, b: L.cat((a, b), -1), [((2, 3), (2, 2))]),
    Case("stack", lambda L, a, b: L.stack([a, b], 1), [((2, 3), (2, 3))]),
    Case("stack_scalars", lambda L, a, b: L.stack([a, b, a]), [((), ())]),
    Case("split", lambda L, a: a.split(2, 1), [((2, 5),)]),
    Case("split_sizes", lambda L, a: L.split(a, [1, 4], 1), [((2, 5),)]),
    Case("split_partial_use", lambda L, a: a.split(2)[1], [((5, 2),)]),
    Case("chunk", lambda L, a: a.chunk(3, 0), [((5, 2),)]),
    Case("unbind", lambda L, a: a.unbind(1), [((2, 3),)]),
    Case("unbind_partial_use", lambda L, a: a.unbind(0)[1] * 2, [((3, 2),)]),
    Case("narrow", lambda L, a: a.narrow(1, 1, 2), [((2, 4),)]),
    Case(
        "pad", lambda L, a: L.nn.functional.pad(a, (1, 2)) if L.__name__ == "torch" else L.pad(a, (1, 2)), [((2, 3),)]
    ),
    Case(
        "pad_value_2d",
        lambda L, a: (L.nn.functional.pad if L.__name__ == "torch" else L.pad)(a, (1, 0, 2, 1), value=0.5),
        [((2, 3),)],
    ),
    Case(
        "pad_negative_crops",
        lambda L, a: (L.nn.functional.pad if L.__name__ == "torch" else L.pad)(a, (-1, 1)),
        [((2, 3),)],
    ),
    Case("contiguous", lambda L, a: a.T.contiguous(), [((2, 3),)]),
    Case("diagonal", lambda L, a: L.diagonal(a), [((3, 3),), ((3, 4),)]),
    Case("diagonal_offset", lambda L, a: L.diagonal(a, 1, 0, 2), [((3, 2, 4),)]),
    Case("tril", lambda L, a: L.tril(a), [((3, 3),)]),
    Case("triu", lambda L, a: L.triu(a, 1), [((3, 4),)]),
]


def _int_index(shape, n):
    def extra(rng, shapes):
        return [rng.integers(0, n, size=shape)]

    return extra


INDEXING = [
    Case("index_int", lambda L, a: a[1], [((3, 4),)]),
    Case("index_negative", lambda L, a: a[-1, -2], [((3, 4),)]),
    Case("index_slice_step", lambda L, a: a[::2, 1:], [((5, 4),)]),
    Case("index_negative_step", lambda L, a: a[1:, :-1] if L.__name__ == "torch" else a[1:, :-1], [((5, 4),)]),
    Case("index_none_ellipsis", lambda L, a: a[None, ..., 1], [((2, 3, 4),)]),
    Case("index_int_list_repeats", lambda L, a: a[[0, 2, 0, 0]], [((3, 4),)]),
    Case("index_int_tensor", lambda L, a, i: a[i], [((4, 3),)], extra=_int_index((2, 3), 4)),
    Case("index_bool_mask", lambda L, a: a[a > 0], [((3, 4),)]),
    Case("index_bool_rows", lambda L, a: a[L.tensor([True, False, True])], [((3, 4),)]),
    Case("index_mixed", lambda L, a: a[1:, [0, 2, 2], None], [((3, 4, 2),)]),
    Case("index_adv_separated", lambda L, a: a[[0, 1], :, [1, 1]], [((2, 3, 4),)]),
    Case("gather", lambda L, a, i: L.gather(a, 1, i), [((3, 4),)], extra=_int_index((3, 6), 4)),
    Case("gather_smaller_index", lambda L, a, i: a.gather(0, i), [((4, 3),)], extra=_int_index((2, 2), 4)),
    Case("scatter_add", lambda L, a, b, i: L.scatter_add(a, 1, i, b), [((3, 4), (3, 6))], extra=_int_index((3, 6), 4)),
    # PyTorch's own backward fails when src is larger than index; ours zero-pads.
    Case(
        "scatter_add_larger_src",
        lambda L, a, b, i: a.scatter_add(0, i, b),
        [((4, 3), (3, 3))],
        extra=_int_index((2, 3), 4),
        reference_grad=False,
    ),
    # PyTorch has no derivative for scatter with reduce=; ours is checked by finite differences.
    Case(
        "scatter_value_add",
        lambda L, a, i: a.scatter(1, i, 2.5, reduce="add") * a,
        [((3, 4),)],
        extra=_int_index((3, 6), 4),
        reference_grad=False,
    ),
    Case(
        "scatter_src_add",
        lambda L, a, b, i: a.scatter(1, i, b, reduce="add"),
        [((3, 4), (3, 6))],
        extra=_int_index((3, 6), 4),
        reference_grad=False,
    ),
    Case(
        "scatter_value_multiply",
        lambda L, a, i: L.scatter(a, 0, i, value=-1.5, reduce="multiply") * a,
        [((4, 3),)],
        extra=_int_index((5, 3), 4),
        reference_grad=False,
    ),
    # second=False: the second derivative in src is not written (it raises; PyTorch has no first)
    Case(
        "scatter_src_multiply",
        lambda L, a, b, i: a.scatter(1, i, b, reduce="multiply"),
        [((3, 4), (3, 6))],
        extra=_int_index((3, 6), 4),
        second=False,
        reference_grad=False,
    ),
    Case("index_range", lambda L, a: a[range(1, 3)], [((3, 4),)]),
    Case("index_range_pair", lambda L, a: a[range(2), range(3, 1, -1)], [((3, 4),)]),
    Case("index_select", lambda L, a, i: L.index_select(a, 1, i), [((3, 4),)], extra=_int_index((5,), 4)),
    Case("masked_fill", lambda L, a: a.masked_fill(a > 0.5, -1.0), [((3, 4),)]),
    Case("masked_fill_broadcast", lambda L, a, b: a.masked_fill(b > 0, 2.0) * b, [((3, 4), (4,))]),
    Case("take_along_dim", lambda L, a, i: L.take_along_dim(a, i, 1), [((3, 4),)], extra=_int_index((3, 2), 4)),
    Case(
        "take_along_dim_broadcast", lambda L, a, i: L.take_along_dim(a, i, 0), [((4, 3),)], extra=_int_index((2, 1), 4)
    ),
    Case("take_along_dim_flat", lambda L, a, i: L.take_along_dim(a, i), [((3, 4),)], extra=_int_index((5,), 12)),
    Case("setitem_nonleaf", lambda L, a, b: _setitem(a * 1.0, b), [((3, 4), (4,))]),
    Case("setitem_adv", lambda L, a, b: _setitem_adv(a * 2.0, b), [((3, 4), (2, 4))]),
]


def _setitem(y, value):
    y[1] = value * 2
    return y * y


def _setitem_adv(y, value):
    y[[0, 2]] = value
    return y.sin()


LINALG = [
    Case("matmul_2d", lambda L, a, b: a @ b, [((2, 3), (3, 4))]),
    Case("matmul_1d_1d", lambda L, a, b: a @ b, [((3,), (3,))]),
    Case("matmul_1d_2d", lambda L, a, b: L.matmul(a, b), [((3,), (3, 4))]),
    Case("matmul_2d_1d", lambda L, a, b: L.matmul(a, b), [((2, 3), (3,))]),
    Case(
        "matmul_batched_broadcast",
        lambda L, a, b: a @ b,
        [((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (3, 2))],
        grad_shapes=[((2, 1, 2, 3), (3, 3, 2))],
    ),
    Case("matmul_1d_batched", lambda L, a, b: a @ b, [((3,), (2, 3, 2)), ((2, 2, 3), (3,))]),
    Case("matmul_empty", lambda L, a, b: a @ b, [((2, 0), (0, 3))]),
    Case("mm", lambda L, a, b: L.mm(a, b), [((2, 3), (3, 2))]),
    Case("bmm", lambda L, a, b: L.bmm(a, b), [((2, 2, 3), (2, 3, 2))]),
    Case("dot", lambda L, a, b: L.dot(a, b), [((4,), (4,))]),
    Case("outer", lambda L, a, b: L.outer(a, b), [((3,), (4,))]),
    Case("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [((2, 3), (3, 2))]),
    Case("einsum_batch", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [((2, 2, 3), (2, 3, 2))]),
    Case("einsum_trace", lambda L, a: L.einsum("ii", a), [((3, 3),)]),
    Case("einsum_diag", lambda L, a: L.einsum("ii->i", a), [((3, 3),)]),
    Case("einsum_sum_only_operand", lambda L, a, b: L.einsum("ij,k->ik", a, b), [((2, 3), (4,))]),
    Case("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), [((2, 2, 3), (3, 2))]),
    Case("einsum_implicit", lambda L, a, b: L.einsum("ij,jk", a, b), [((2, 3), (3, 2))]),
    Case("einsum_three", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c), [((2, 3), (3, 2), (2, 2))]),
    Case("einsum_outer_transpose", lambda L, a, b: L.einsum("i,j->ji", a, b), [((3,), (2,))]),
]

ACTIVATIONS = [
    Case("softmax", lambda L, a: L.softmax(a, 1), [((2, 3, 4),), ((2, 5),)], grad_shapes=[((2, 3, 2),)]),
    Case("softmax_large", lambda L, a: L.softmax(a * 100, -1), [((2, 5),)]),
    Case("log_softmax", lambda L, a: L.log_softmax(a, -1), [((2, 3, 4),), ((5,),)], grad_shapes=[((2, 3, 2),)]),
    Case("log_softmax_large", lambda L, a: L.log_softmax(a * 100, 0), [((4, 2),)]),
]

ALL = ELEMENTWISE + REDUCTIONS + SHAPE_OPS + INDEXING + LINALG + ACTIVATIONS
