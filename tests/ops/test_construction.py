"""numpyflow/ops/construction.py: meshgrid, cartesian_prod, diag, diag_embed,
repeat_interleave and Tensor.unfold against PyTorch (values and gradients), finite
differences (first and second derivatives) and float32; warnings, views and errors."""

import warnings

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf


def _counts(*values):
    def extra(rng, shapes):
        return [np.asarray(values, dtype=np.int64)]

    return extra


CASES = [
    Case("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [((3,), (2,)), ((3,), ()), ((0,), (2,))]),
    Case("meshgrid_xy_three", lambda L, a, b, c: L.meshgrid([a, b, c], indexing="xy"), [((3,), (2,), (2,))]),
    Case("meshgrid_one", lambda L, a: L.meshgrid((a,), indexing="xy"), [((4,),)]),
    Case("cartesian_prod", lambda L, a, b: L.cartesian_prod(a, b), [((3,), (2,))]),
    Case("cartesian_prod_three", lambda L, a, b, c: L.cartesian_prod(a, b, c) * 2, [((2,), (3,), (2,))]),
    Case("cartesian_prod_one", lambda L, a: L.cartesian_prod(a) * 1, [((4,),)]),
    Case("diag_vector", lambda L, a: L.diag(a), [((3,),), ((0,),)]),
    Case("diag_vector_offset", lambda L, a: a.diag(1), [((3,),)]),
    Case("diag_vector_negative_offset", lambda L, a: L.diag(a, diagonal=-2), [((2,),)]),
    Case("diag_matrix", lambda L, a: L.diag(a), [((3, 3),), ((2, 4),), ((4, 2),)]),
    Case("diag_matrix_offset", lambda L, a: a.diag(-1), [((3, 4),)]),
    Case("diag_matrix_offset_out_of_range", lambda L, a: L.diag(a, 5) * 1, [((2, 3),)]),
    Case("diag_embed", lambda L, a: L.diag_embed(a), [((3,),), ((2, 3),), ((2, 0),)]),
    Case("diag_embed_offset", lambda L, a: a.diag_embed(1), [((2, 3),)]),
    Case("diag_embed_dims", lambda L, a: L.diag_embed(a, -1, 2, 0), [((2, 3),)]),
    Case("diag_embed_dims_middle", lambda L, a: L.diag_embed(a, offset=2, dim1=0, dim2=-2), [((2, 2, 3),)]),
    Case("repeat_interleave_flat", lambda L, a: L.repeat_interleave(a, 2), [((2, 3),), ((),)]),
    Case("repeat_interleave_dim", lambda L, a: a.repeat_interleave(3, dim=1), [((2, 2, 2),)]),
    Case("repeat_interleave_zero", lambda L, a: a.repeat_interleave(0, 0), [((3, 2),)]),
    Case(
        "repeat_interleave_tensor",
        lambda L, a, r: L.repeat_interleave(a, r, dim=0),
        [((3, 2),)],
        extra=_counts(1, 0, 3),
    ),
    Case(
        "repeat_interleave_tensor_flat",
        lambda L, a, r: a.repeat_interleave(r, output_size=7),
        [((2, 2),)],
        extra=_counts(2, 1, 0, 4),
    ),
    Case("repeat_interleave_one_count", lambda L, a, r: L.repeat_interleave(a, r, -1), [((2, 3),)], extra=_counts(2)),
    Case("unfold", lambda L, a: a.unfold(1, 2, 1), [((2, 4),), ((3, 2),)]),
    Case("unfold_overlapping_step", lambda L, a: a.unfold(0, 3, 2) * 1, [((7, 2),), ((3,),)]),
    Case("unfold_gaps", lambda L, a: a.unfold(-1, 2, 3), [((2, 8),), ((2, 1, 5),)]),
    Case("unfold_many_windows", lambda L, a: a.unfold(0, 2, 1), [((12,),)]),
    Case("unfold_scalar", lambda L, a: a.unfold(0, 1, 1), [((),)]),
    Case("unfold_empty_windows", lambda L, a: a.unfold(0, 0, 1), [((3,),), ((),)]),
    Case("unfold_twice", lambda L, a: a.unfold(0, 2, 1).unfold(1, 2, 2), [((3, 5),)]),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


@needs_torch
def test_meshgrid_without_indexing_warns_as_pytorch_and_uses_ij():
    a, b = [1.0, 2.0, 3.0], [4.0, 5.0]
    with pytest.warns(UserWarning, match="indexing"):
        ours = nf.meshgrid(nf.tensor(a), nf.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.meshgrid(torch.tensor(a), torch.tensor(b))
    for o, t in zip(ours, theirs):
        assert_close(o, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nf.meshgrid(nf.tensor(a), indexing="ij")


@needs_torch
def test_repeat_interleave_of_counts_alone_matches_pytorch():
    for counts in ([1, 2, 0, 3], [0], []):
        ours = nf.repeat_interleave(nf.tensor(counts, dtype=nf.int64))
        theirs = torch.repeat_interleave(torch.tensor(counts, dtype=torch.int64))
        assert ours.dtype == nf.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_repeat_interleave_keeps_integer_dtypes():
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    ours = nf.repeat_interleave(nf.tensor(a), nf.tensor([1, 2]), dim=-1)
    theirs = torch.repeat_interleave(torch.tensor(a), torch.tensor([1, 2]), dim=-1)
    assert ours.dtype == nf.int32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_unfold_is_a_view_of_its_input():
    x = nf.arange(10.0)
    w = x.unfold(0, 3, 2)
    assert np.shares_memory(w._data, x._data)
    assert w.tolist() == [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0], [6.0, 7.0, 8.0]]


def test_unfold_gradient_adds_overlapping_windows():
    x = nf.zeros(5, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_diag_of_a_matrix_is_a_copy():
    m = nf.arange(9.0).reshape(3, 3)
    d = nf.diag(m)
    d.add_(100.0)
    assert m.tolist()[0][0] == 0.0 and d.tolist() == [100.0, 104.0, 108.0]


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.meshgrid(indexing="ij"),
        lambda L: L.meshgrid(L.ones(2), indexing="foo"),
        lambda L: L.meshgrid(L.ones(2), L.ones(2, 2), indexing="ij"),
        lambda L: L.meshgrid(L.ones(2), L.tensor([1, 2]), indexing="ij"),
        lambda L: L.cartesian_prod(L.ones(2), L.tensor([1, 2])),
        lambda L: L.cartesian_prod(L.ones(()), L.ones(2)),
        lambda L: L.diag(L.ones(2, 2, 2)),
        lambda L: L.diag(L.ones(())),
        lambda L: L.diag_embed(L.ones(2, 3), 0, 0, 0),
        lambda L: L.diag_embed(L.ones(2, 3), 0, 0, 3),
        lambda L: L.diag_embed(L.ones(())),
        lambda L: L.repeat_interleave(L.ones(3), L.tensor([1, 2])),
        lambda L: L.repeat_interleave(L.ones(3), L.tensor([1, -2, 1])),
        lambda L: L.repeat_interleave(L.ones(3), -1),
        lambda L: L.repeat_interleave(L.ones(3), L.tensor([[1, 2, 3]])),
        lambda L: L.repeat_interleave(L.ones(3), L.tensor([1.0, 2.0, 3.0])),
        lambda L: L.repeat_interleave(L.ones(3), 2, output_size=5),
        lambda L: L.repeat_interleave(L.tensor([[1, 2]])),
        lambda L: L.repeat_interleave(L.ones(3), 2, dim=1),
        lambda L: L.ones(10).unfold(0, 11, 2),
        lambda L: L.ones(10).unfold(0, 3, 0),
        lambda L: L.ones(10).unfold(0, -1, 1),
        lambda L: L.ones(10).unfold(1, 2, 1),
        lambda L: L.ones(()).unfold(0, 2, 1),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_methods_are_the_functions():
    for name in ("diag", "diag_embed", "repeat_interleave", "unfold"):
        assert getattr(nf.Tensor, name) is getattr(nf.ops.construction, name), name
    assert not hasattr(nf.Tensor, "meshgrid") and not hasattr(nf.Tensor, "cartesian_prod")
