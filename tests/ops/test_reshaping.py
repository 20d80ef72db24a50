"""numpyflow/ops/reshaping.py: each op against PyTorch, finite differences (first and second
derivatives) and float32."""

import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def _i(L, *values):
    return L.tensor(list(values), dtype=L.int64)


RESHAPING_OPS = [
    Case("rot90", lambda L, a: L.rot90(a), [((2, 3),), ((2, 3, 2),)], grad_shapes=[((2, 3),)]),
    Case("rot90_k", lambda L, a: (a.rot90(2), a.rot90(-1, [1, 0]), L.rot90(a, 3, (0, -1)), L.rot90(a, 4)), [((2, 3),)]),
    Case("ravel", lambda L, a: L.ravel(a) * 1, [((),), ((2, 3),), ((0, 2),)]),
    Case("ravel_method", lambda L, a: a.ravel(), [((2, 1, 2),)]),
    Case(
        "select", lambda L, a: (L.select(a, 1, -1), a.select(0, 1)), [((2, 3),), ((2, 3, 2),)], grad_shapes=[((2, 3),)]
    ),
    Case("take", lambda L, a: L.take(a, L.tensor([[0, -1], [2, 2]])), [((2, 3),), ((3,),)]),
    Case("take_0d", lambda L, a: a.take(L.tensor(0)), [((),)]),
    Case("diagflat", lambda L, a: (L.diagflat(a), a.diagflat(-1)), [((3,),), ((2, 2),), ((),)]),
    Case("hsplit", lambda L, a: L.hsplit(a, [1]), [((2, 3),), ((4,),)]),
    Case("hsplit_sections", lambda L, a: a.hsplit(2), [((2, 4),), ((4,),)]),
    Case("vsplit", lambda L, a: (*a.vsplit([1, 3]), *L.vsplit(a, 2)), [((4, 2),)]),
    Case("dsplit", lambda L, a: (*L.dsplit(a, 2), *a.dsplit([1])), [((1, 2, 4),)]),
    Case(
        "split_with_sizes", lambda L, a: (*L.split_with_sizes(a, [1, 2], 1), *a.split_with_sizes([2, 0])), [((2, 3),)]
    ),
    Case(
        "select_scatter",
        lambda L, a, s: L.select_scatter(a, s, 1, -1),
        [((2, 3), (2,)), ((2, 3, 2), (2, 2))],
        grad_shapes=[((2, 3), (2,))],
    ),
    Case("select_scatter_method", lambda L, a, s: a.select_scatter(s, 0, 0), [((3,), ())]),
    Case("slice_scatter", lambda L, a, s: L.slice_scatter(a, s, 1, 1, None, 2), [((2, 4), (2, 2)), ((2, 3), (2, 1))]),
    Case("slice_scatter_defaults", lambda L, a, s: a.slice_scatter(s), [((2, 3), (2, 3))]),
    Case("slice_scatter_end", lambda L, a, s: a.slice_scatter(s, dim=0, end=1), [((3, 2), (1, 2))]),
    Case("diagonal_scatter", lambda L, a, s: L.diagonal_scatter(a, s), [((3, 3), (3,)), ((2, 3), (2,))]),
    Case(
        "diagonal_scatter_offset",
        lambda L, a, s: a.diagonal_scatter(s, 1, 0, 2),
        [((2, 3, 4), (3, 2))],
        grad_shapes=[((2, 2, 3), (2, 2))],
    ),
    Case("diagonal_scatter_negative", lambda L, a, s: L.diagonal_scatter(a, s, -1, 1, 0), [((3, 2, 2), (2, 1))]),
    Case("masked_scatter", lambda L, a, s: L.masked_scatter(a, a > 0, s), [((2, 3), (7,)), ((2, 3), (2, 3))]),
    Case(
        "masked_scatter_broadcast",
        lambda L, a, m, s: a.masked_scatter(m > 0, s),
        [((2, 1), (3,), (6,)), ((3,), (2, 3), (7,))],
    ),
    Case("index_copy", lambda L, a, s: L.index_copy(a, 1, _i(L, 2, 0), s), [((2, 3), (2, 2)), ((1, 3, 2), (1, 2, 2))]),
    Case("index_copy_method", lambda L, a, s: a.index_copy(0, _i(L, 1), s), [((2, 3), (1, 3)), ((2,), (1,))]),
    Case("index_copy_0d", lambda L, a, s: a.index_copy(0, _i(L, 0), s), [((), ())]),
    Case(
        "index_fill", lambda L, a: (L.index_fill(a, 1, _i(L, 0, 2, 0), -1.5), a.index_fill(0, _i(L), 2.0)), [((2, 3),)]
    ),
    Case("index_fill_tensor_value", lambda L, a, v: a.index_fill(-1, _i(L, 1, 1, 0), v), [((2, 3), ())]),
    Case("index_fill_0d", lambda L, a: a.index_fill(0, _i(L, 0), 3.0), [((),)]),
    Case("narrow_copy", lambda L, a: (L.narrow_copy(a, 1, 1, 2), a.narrow_copy(0, 1, 1)), [((2, 3),)]),
    Case("atleast_1d", lambda L, a, b: (L.atleast_1d(a), *L.atleast_1d(a, b), *L.atleast_1d([b])), [((), (2, 3))]),
    Case("atleast_2d", lambda L, a, b, c: L.atleast_2d(a, b, c), [((), (3,), (2, 1, 2))]),
    Case("atleast_3d", lambda L, a, b, c, d: L.atleast_3d((a, b, c, d)), [((), (3,), (2, 3), (1, 2, 1, 2))]),
    Case("column_stack", lambda L, a, b, c: L.column_stack([a, b, c]), [((2,), (2, 3), (2, 1))]),
    Case("column_stack_0d", lambda L, a, b: L.column_stack((a, b)), [((), ())]),
    Case("row_stack", lambda L, a, b: L.row_stack([a, b]), [((3,), (2, 3)), ((3,), (3,))]),
    Case("dstack", lambda L, a, b, c: L.dstack([a, b, c]), [((3,), (1, 3), (1, 3, 2)), ((), (), ())]),
    Case("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [((), (2,), (2, 3)), ((2, 0), (0, 3), (1, 1))]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(RESHAPING_OPS)


def _outcome(lib, fn):
    try:
        out = fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is the point
        return type(e).__name__
    outs = out if isinstance(out, tuple) else (out,)
    return [(o.tolist(), str(o.dtype).split(".")[-1], tuple(o.shape)) for o in outs]


@needs_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.rot90(L.arange(6).reshape(2, 3), 1, [0, 1]),
        lambda L: L.take(L.arange(6, dtype=L.int32).reshape(2, 3), L.tensor([5, 0])),
        lambda L: L.diagflat(L.tensor([True, False])),
        lambda L: L.block_diag(L.tensor(1), L.tensor([1.0, 2.0]), L.ones(1, 1, dtype=L.int32)),
        lambda L: L.block_diag(),
        lambda L: L.block_diag(L.ones(2, 2, dtype=L.uint8), L.tensor([[True]])),
        lambda L: L.index_fill(L.arange(6).reshape(2, 3), 1, L.tensor([1]), 7),
        lambda L: L.index_fill(L.tensor([True, False]), 0, L.tensor([1]), True),
        lambda L: L.index_copy(L.zeros(3, dtype=L.int64), 0, L.tensor([2]), L.tensor([5])),
        lambda L: L.masked_scatter(
            L.zeros(4, dtype=L.int32), L.tensor([True, False, True, False]), L.arange(4, dtype=L.int32)
        ),
        lambda L: L.select_scatter(L.zeros(2, 2, dtype=L.int64), L.tensor([1, 2]), 0, 1),
        lambda L: L.diagonal_scatter(L.zeros(2, 3, dtype=L.int64), L.tensor([1, 2]), 1),
        lambda L: L.slice_scatter(L.zeros(4, dtype=L.int64), L.tensor([7, 8]), 0, 0, 4, 2),
        lambda L: L.dstack([L.arange(2), L.arange(2)]),
        lambda L: L.column_stack([L.arange(2), L.tensor([1.0, 2.0])]),
        lambda L: L.hsplit(L.arange(6), 4),
        lambda L: L.vsplit(L.arange(6), 2),
        lambda L: L.dsplit(L.ones(2, 2), 2),
        lambda L: L.select(L.ones(2, 3), 1, 3),
        lambda L: L.select(L.tensor(1.0), 0, 0),
        lambda L: L.take(L.ones(2, 3), L.tensor([6])),
        lambda L: L.split_with_sizes(L.arange(5), [2, 2]),
        lambda L: L.rot90(L.ones(3), 1),
        lambda L: L.rot90(L.ones(2, 2), 1, [0, 0]),
        lambda L: L.select_scatter(L.zeros(2, 2), L.ones(3), 0, 0),
        lambda L: L.diagonal_scatter(L.zeros(2, 2), L.ones(3)),
        lambda L: L.slice_scatter(L.zeros(4), L.ones(3), 0, 0, 2),
        lambda L: L.masked_scatter(L.zeros(3), L.tensor([1, 0, 1]), L.ones(3)),
        lambda L: L.index_copy(L.zeros(3, 2), 0, L.tensor([0, 1]), L.ones(3, 2)),
        lambda L: L.index_fill(L.zeros(3), 0, L.tensor([3]), 1.0),
        lambda L: L.block_diag(L.ones(1, 1, 1)),
    ],
)
def test_values_dtypes_and_errors_match_pytorch(fn):
    assert _outcome(nf, fn) == _outcome(torch, fn)


def test_index_fill_sends_a_repeated_index_value_gradient_once():
    v = nf.tensor(2.0, dtype=nf.float64, requires_grad=True)
    nf.zeros(3, dtype=nf.float64).index_fill(0, nf.tensor([1, 1]), v).sum().backward()
    assert v.grad.item() == 1.0


def test_narrow_copy_with_a_negative_start_sends_the_gradient_to_the_slice():
    # PyTorch 2.13's NarrowCopyBackward drops it (zeros); narrow's gradient is the right one.
    a = nf.arange(6.0, dtype=nf.float64).reshape(2, 3).requires_grad_()
    a.narrow_copy(0, -1, 1).sum().backward()
    assert a.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]


def test_reshaping_ops_are_tensor_methods_as_in_pytorch():
    for name in ("rot90", "ravel", "select", "take", "diagflat", "hsplit", "index_fill", "masked_scatter"):
        assert hasattr(nf.Tensor, name), name
