"""numpyflow/ops/indexing.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

import numpy as np
import pytest
from cases import INDEXING
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import indexing

# PyTorch deprecates scatter's reduce= for a Tensor src (for scatter_reduce); it still runs
pytestmark = pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning")

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(INDEXING)


def _outcome(lib, fn):
    """``fn(lib)`` as comparable data: for each tensor out its values, dtype name and shape;
    for an exception its type."""
    try:
        out = fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is the point
        return type(e)
    outs = out if isinstance(out, tuple) else (out,)
    return [(o.tolist(), str(o.dtype).split(".")[-1], tuple(o.shape)) for o in outs]


def _same_as_torch(fn):
    ours, theirs = _outcome(nf, fn), _outcome(torch, fn)
    assert ours == theirs, f"numpyflow {ours} != PyTorch {theirs}"


IDX = [[0, 1], [2, 2]]
SCATTER_CALLS = {
    "value by keyword, add": lambda L: L.zeros(3, 4).scatter(1, L.tensor(IDX), value=2.0, reduce="add"),
    "value by position, add": lambda L: L.zeros(3, 4).scatter(1, L.tensor(IDX), 2.0, reduce="add"),
    "value by position": lambda L: L.zeros(3, 4).scatter(1, L.tensor(IDX), 2.0),
    "src, add": lambda L: L.ones(3, 4).scatter(1, L.tensor(IDX), L.full((2, 2), 3.0), reduce="add"),
    "src, multiply": lambda L: L.ones(3, 4).scatter(1, L.tensor(IDX), L.full((2, 3), 3.0), reduce="multiply"),
    "value, multiply": lambda L: L.full((3, 4), 2.0).scatter(1, L.tensor(IDX), -3.0, reduce="multiply"),
    "function form, value, multiply": lambda L: L.scatter(
        L.full((3, 4), 2.0), 0, L.tensor(IDX), value=3, reduce="multiply"
    ),
    "int64, src, multiply": lambda L: L.full((3,), 2).scatter(
        0, L.tensor([0, 0, 2]), L.tensor([5, 3, -1]), reduce="multiply"
    ),
    "int64, fractional value, multiply": lambda L: L.full((3,), 2).scatter(
        0, L.tensor([0, 0, 2]), 2.7, reduce="multiply"
    ),
    "int64, fractional value, add": lambda L: L.full((3,), 2).scatter(0, L.tensor([0, 0, 2]), 2.7, reduce="add"),
    "bool, src, add": lambda L: L.ones(3, dtype=L.bool).scatter(
        0, L.tensor([0, 1]), L.tensor([True, False]), reduce="add"
    ),
    "empty index, multiply": lambda L: L.zeros(3).scatter(0, L.tensor([], dtype=L.int64), 4.0, reduce="multiply"),
    "0-d input": lambda L: L.tensor(2.0).scatter(0, L.tensor([0]), 5.0),
    "0-d input, 0-d index and src": lambda L: L.tensor(2.0).scatter(0, L.tensor(0), L.tensor(5.0)),
    "0-d input, add": lambda L: L.tensor(2.0).scatter(0, L.tensor([0, 0]), L.tensor([5.0, 3.0]), reduce="add"),
    "0-d input, multiply": lambda L: L.tensor(2.0).scatter(
        0, L.tensor([0, 0]), L.tensor([5.0, 3.0]), reduce="multiply"
    ),
    "0-d input, scatter_add": lambda L: L.tensor(2.0).scatter_add(0, L.tensor([0]), L.tensor([5.0])),
    "unknown reduce": lambda L: L.ones(3, 4).scatter(1, L.tensor(IDX), 1.0, reduce="mean"),
    "unknown reduce, src": lambda L: L.ones(3, 4).scatter(1, L.tensor(IDX), L.ones(2, 2), reduce="sum"),
    "neither src nor value": lambda L: L.ones(3, 4).scatter(1, L.tensor(IDX)),
    "both src and value": lambda L: L.ones(3).scatter(0, L.tensor([0]), src=L.ones(1), value=3.0),
    "index out of range, multiply": lambda L: L.ones(2, 3).scatter(1, L.tensor([[0, 3]]), 2.0, reduce="multiply"),
}


@needs_torch
@pytest.mark.parametrize("name", list(SCATTER_CALLS))
def test_scatter_forms_and_reductions_match_pytorch(name):
    _same_as_torch(SCATTER_CALLS[name])


def test_scatter_multiply_gradients_with_zeros_in_src():
    # d out[p] / d src_k is a[p] times the product of the other entries sent to p: exact
    # with one zero among them (the rest's product) and with two (zero).
    idx = nf.tensor([[0, 1, 1, 1], [2, 2, 0, 2]])
    a = nf.tensor(np.random.default_rng(0).standard_normal((2, 4)), requires_grad=True)
    for zeros in ([], [(0, 1)], [(0, 1), (0, 2)], [(1, 0), (1, 1), (1, 3)]):
        s = np.random.default_rng(1).standard_normal((2, 4))
        for z in zeros:
            s[z] = 0.0
        src = nf.tensor(s, requires_grad=True)
        assert nf.autograd.gradcheck(lambda a, src: a.scatter(1, idx, src, reduce="multiply"), (a, src))
        assert nf.autograd.gradgradcheck(lambda a: a.scatter(1, idx, src.detach(), reduce="multiply"), (a,))


def test_scatter_multiply_second_derivative_in_src_is_a_clear_error():
    a = nf.ones(2, 3, dtype=nf.float64, requires_grad=True)
    src = nf.full((1, 3), 2.0, dtype=nf.float64, requires_grad=True)
    (g,) = nf.autograd.grad(a.scatter(1, nf.tensor([[0, 1, 1]]), src, reduce="multiply").sum(), src, create_graph=True)
    with pytest.raises(RuntimeError, match=r"scatter\(reduce='multiply'\): the second derivative with respect to src"):
        g.sum().backward()


def test_scatter_multiply_in_passes_matches_numpys_multiply_at():
    # the path for array modules without ``multiply.at`` (CuPy), run here on numpy
    rng = np.random.default_rng(0)
    for dim in (0, 1):
        index = rng.integers(0, 4, size=(4, 6)) if dim == 1 else rng.integers(0, 5, size=(7, 4))
        values = rng.standard_normal(index.shape)
        expected = rng.standard_normal((5, 4))
        got = expected.copy()
        grids = indexing._scatter_index(np, index, dim)
        indexing._multiply_at(np, expected, grids, values)
        indexing._multiply_at(np, got, grids, values, passes=True)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def _set_range(L):
    t = L.zeros(3, 2)
    t[range(1, 3)] = 1.0
    return t


def _range_grad(L):
    t = L.arange(6.0).reshape(3, 2).requires_grad_()
    t[range(0, 3, 2), range(2)].sum().backward()
    return t.grad


RANGE_CALLS = {
    "rows": lambda L: L.arange(6).reshape(3, 2)[range(2)],
    "pairs": lambda L: L.arange(6).reshape(3, 2)[range(2), range(2)],
    "after a slice": lambda L: L.arange(6).reshape(3, 2)[:, range(1, 2)],
    "empty": lambda L: L.arange(6).reshape(3, 2)[range(0)],
    "negative start": lambda L: L.arange(6).reshape(3, 2)[range(-1, 1)],
    "out of range": lambda L: L.arange(6).reshape(3, 2)[range(3, 0, -1)],
    "assignment": _set_range,
    "gradient": _range_grad,
}


@needs_torch
@pytest.mark.parametrize("name", list(RANGE_CALLS))
def test_indexing_with_a_python_range_as_pytorch(name):
    _same_as_torch(RANGE_CALLS[name])


@needs_torch
def test_index_select_and_index_add_keep_a_0d_input_0d_as_pytorch():
    def run(L):
        x = L.tensor(3.0, dtype=L.float64, requires_grad=True)
        sel = L.index_select(x, 0, L.tensor([0]))
        added = L.index_add(x, 0, L.tensor([0]), L.tensor(2.0, dtype=L.float64), alpha=2)
        (sel + added).backward()
        return tuple(sel.shape), sel.item(), tuple(added.shape), added.item(), x.grad.item()

    assert run(nf) == run(torch)


@needs_torch
@pytest.mark.parametrize("alpha", [-1, -3])
def test_index_add_wraps_a_negative_alpha_into_uint8_as_pytorch(alpha):
    def run(L):
        x = L.tensor([1, 2, 250], dtype=L.uint8)
        return L.index_add(x, 0, L.tensor([0, 2]), L.tensor([3, 10], dtype=L.uint8), alpha=alpha).tolist()

    assert run(nf) == run(torch)


@needs_torch
def test_masked_fill_with_a_wider_mask_returns_the_broadcast_shape_as_pytorch():
    def run(L):
        x = L.arange(5.0, dtype=L.float64).requires_grad_()
        out = L.masked_fill(x, L.eye(5) > 0, -1.0)
        out.sum().backward()
        return tuple(out.shape), out.tolist(), x.grad.tolist()

    assert run(nf) == run(torch)


@needs_torch
def test_take_along_dim_wraps_negative_indices_as_pytorch():
    def run(L):
        x = L.arange(12.0, dtype=L.float64).reshape(3, 4).requires_grad_()
        idx = L.tensor([[-1, 0], [-4, 2], [3, -2]])
        out = L.take_along_dim(x, idx, 1)
        out.sum().backward()
        return out.tolist(), x.grad.tolist()

    assert run(nf) == run(torch)
