"""numpyflow/ops/sorting.py: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
unique and unique_consecutive against PyTorch (values, indices, gradients), finite
differences and float32; PyTorch's tie rules where it defines them; errors."""

import numpy as np
import pytest
from cases import Case
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf

ND = [((2, 3, 4),), ((2, 1, 3),)]
GRAD_ND = [((2, 3, 2),)]
WITH_EDGES = ND + [((),), ((0, 3),), ((4,),)]


def _repeat_head(L, a):
    """``a`` with its first two entries along the last dim appended again: those two
    values occur twice, so ``mode`` picks the smaller and its (later) copy."""
    return L.cat([a, a[..., :2]], -1)


CASES = [
    Case("sort", lambda L, a: a.sort(), WITH_EDGES, grad_shapes=GRAD_ND),
    Case("sort_dim_descending", lambda L, a: L.sort(a, 1, descending=True), ND, grad_shapes=GRAD_ND),
    Case("sort_stable_keyword", lambda L, a: L.sort(a, dim=0, stable=True), ND, grad_shapes=GRAD_ND),
    Case("sort_values", lambda L, a: a.sort(-1).values * 2, [((3, 4),)]),
    Case("argsort", lambda L, a: (L.argsort(a, 1), a.argsort(descending=True)), ND, differentiable=False),
    Case("argsort_scalar", lambda L, a: L.argsort(a), [((),)], differentiable=False),
    Case("msort", lambda L, a: L.msort(a), [((3, 4),), ((4,),)]),
    Case("topk", lambda L, a: L.topk(a, 2), WITH_EDGES[:2] + [((4,),)], grad_shapes=GRAD_ND),
    Case("topk_smallest_dim", lambda L, a: a.topk(2, dim=1, largest=False), [((2, 3, 4),)], grad_shapes=GRAD_ND),
    Case("topk_all", lambda L, a: L.topk(a, 4, 0), [((4, 2),)]),
    Case("topk_zero", lambda L, a: L.topk(a, 0), [((3, 4),), ((0,),)]),
    Case("topk_scalar", lambda L, a: L.topk(a, 1), [((),)]),
    Case("kthvalue", lambda L, a: L.kthvalue(a, 2, 1), [((2, 3, 4),), ((3, 2),)], grad_shapes=GRAD_ND),
    Case(
        "kthvalue_keepdim_last",
        lambda L, a: a.kthvalue(3, keepdim=True),
        [((2, 3, 4),), ((5,),)],
        grad_shapes=[((2, 2, 3),)],
    ),
    Case("kthvalue_scalar", lambda L, a: L.kthvalue(a, 1), [((),)]),
    Case("median_all_odd", lambda L, a: a.median(), [((5,),), ((3, 3),), ((),)]),
    Case("median_all_even", lambda L, a: L.median(a), [((4,),), ((2, 3),)]),
    Case("median_dim", lambda L, a: a.median(1), ND, grad_shapes=GRAD_ND),
    Case(
        "median_dim_keepdim", lambda L, a: L.median(a, -1, keepdim=True), [((2, 3, 4),), ((3,),)], grad_shapes=GRAD_ND
    ),
    Case("nanmedian_all", lambda L, a: L.nanmedian(a), [((4,),), ((2, 3),)]),
    Case("nanmedian_dim", lambda L, a: a.nanmedian(0), ND, grad_shapes=GRAD_ND),
    Case("mode", lambda L, a: L.mode(_repeat_head(L, a)), [((2, 4),), ((3,),)]),
    Case("mode_dim_keepdim", lambda L, a: _repeat_head(L, a).transpose(0, -1).mode(0, True), [((2, 3, 4),)]),
    Case("mode_all_distinct", lambda L, a: a.mode(), [((2, 5),), ((),)]),
    Case(
        "unique",
        lambda L, a: (L.unique(a), *a.unique(return_inverse=True, return_counts=True)),
        [((3, 4),), ((),), ((0,),)],
        values="int",
        differentiable=False,
    ),
    Case(
        "unique_dim",
        lambda L, a: L.unique((a > 0).to(a.dtype), return_inverse=True, return_counts=True, dim=1),
        [((2, 8),), ((3, 0),)],
        values="int",
        differentiable=False,
    ),
    Case(
        "unique_consecutive",
        lambda L, a: (L.unique_consecutive(a), *a.unique_consecutive(return_inverse=True, return_counts=True)),
        [((12,),), ((3, 4),), ((),)],
        values="int",
        differentiable=False,
    ),
    Case(
        "unique_consecutive_dim",
        lambda L, a: L.unique_consecutive((a > 0).to(a.dtype), return_counts=True, dim=0),
        [((8, 2),)],
        values="int",
        differentiable=False,
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def _both(values, dtype="float64"):
    return nf.tensor(np.asarray(values, dtype=dtype)), torch.tensor(np.asarray(values, dtype=dtype))


def _same(ours, theirs, what=""):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for o, t in zip(ours, theirs):
            _same(o, t, what)
        return
    assert_close(ours, theirs, rtol=0, atol=0, what=what)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what


TIES = [3.0, 1.0, 3.0, 2.0, 1.0, 3.0, np.nan, 2.0, np.nan, -0.0, 0.0]


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
def test_stable_sort_keeps_equal_elements_in_order_as_pytorch(descending, dtype):
    values = [v for v in TIES if not np.isnan(v)] if dtype in ("int64", "uint8", "bool") else TIES
    ours, theirs = _both(np.asarray(values).astype(dtype), dtype)
    _same(
        tuple(nf.sort(ours, descending=descending, stable=True)),
        tuple(torch.sort(theirs, descending=descending, stable=True)),
    )
    _same(
        nf.argsort(ours, descending=descending, stable=True), torch.argsort(theirs, descending=descending, stable=True)
    )


@needs_torch
def test_sort_2d_ties_along_each_dim_match_pytorch():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (4, 5)).astype(np.float64)
    for dim in (0, 1):
        for descending in (False, True):
            ours = nf.tensor(a).sort(dim=dim, descending=descending, stable=True)
            theirs = torch.tensor(a).sort(dim=dim, descending=descending, stable=True)
            _same(tuple(ours), tuple(theirs), f"dim {dim} descending {descending}")


def test_results_are_named_tuples_with_values_and_indices():
    x = nf.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    for result in (x.sort(), x.topk(2), x.kthvalue(2), x.median(1), x.nanmedian(1), x.mode(1)):
        values, indices = result
        assert result.values is values and result.indices is indices
        assert indices.dtype == nf.int64
        assert type(result).__name__ in ("sort", "topk", "kthvalue", "median", "nanmedian", "mode")
    assert nf.sort(x, 1).values.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]


@needs_torch
def test_topk_with_ties_picks_equal_values_and_unsorted_gives_the_same_set():
    a = [3.0, 1.0, 3.0, 2.0, 1.0, 3.0, 0.5]
    ours, theirs = _both(a)
    for k, largest in ((2, True), (3, True), (3, False), (5, False)):
        o, t = nf.topk(ours, k, largest=largest), torch.topk(theirs, k, largest=largest)
        assert_close(o.values, t.values, what=f"topk {k} {largest}")
        assert np.array_equal(np.asarray(a)[o.indices.numpy()], o.values.numpy())  # each index names its value
        assert len(set(o.indices.tolist())) == k
        unsorted = nf.topk(ours, k, largest=largest, sorted=False)
        assert sorted(unsorted.values.tolist()) == sorted(o.values.tolist())
        assert np.array_equal(np.asarray(a)[unsorted.indices.numpy()], unsorted.values.numpy())


@needs_torch
def test_topk_sorts_nan_as_largest():
    ours, theirs = _both([1.0, np.nan, 0.0, 2.0])
    _same(tuple(nf.topk(ours, 2)), tuple(torch.topk(theirs, 2)))
    _same(tuple(nf.topk(ours, 2, largest=False)), tuple(torch.topk(theirs, 2, largest=False)))


def test_topk_gradient_reaches_only_the_selected_elements():
    x = nf.tensor([0.5, 3.0, -1.0, 2.0], requires_grad=True)
    v = nf.topk(x, 2).values
    (v * nf.tensor([10.0, 1.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 10.0, 0.0, 1.0]


@pytest.mark.parametrize("op", ["kthvalue", "median"])
def test_kthvalue_and_median_with_ties_index_an_equal_element(op):
    a = np.array([[2.0, 1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 4.0, 1.0]])
    x = nf.tensor(a)
    result = nf.kthvalue(x, 3, 1) if op == "kthvalue" else nf.median(x, 1)
    picked = np.take_along_axis(a, result.indices.numpy()[:, None], 1)[:, 0]
    assert np.array_equal(picked, result.values.numpy())
    assert result.values.tolist() == [2.0, 4.0]


@needs_torch
def test_median_nan_propagates_and_nanmedian_skips_nan_as_pytorch():
    a = np.array([[2.0, np.nan, 1.0, np.nan], [3.0, 1.0, 2.0, 0.0], [5.0, np.nan, 4.0, 1.0], [np.nan, 7.0, 6.0, 8.0]])
    ours, theirs = _both(a)
    for name in ("median", "nanmedian"):
        _same(tuple(getattr(nf, name)(ours, 1)), tuple(getattr(torch, name)(theirs, 1)), name)
        assert_close(getattr(nf, name)(ours), getattr(torch, name)(theirs), what=name)
        assert_close(getattr(nf, name)(ours[1:2]), getattr(torch, name)(theirs[1:2]), what=name)


def test_nanmedian_of_an_all_nan_row_is_nan():
    # (PyTorch's index for such a row depends on its selection algorithm; ours is 0.)
    result = nf.nanmedian(nf.tensor([[np.nan, np.nan, np.nan], [1.0, np.nan, 0.0]]), 1)
    assert np.isnan(result.values[0].item()) and result.values[1].item() == 0.0
    assert result.indices.tolist() == [0, 2]


@needs_torch
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_of_all_shares_the_gradient_among_ties_as_pytorch(name):
    for a in ([1.0, 2.0, 2.0, 5.0], [2.0, 2.0, np.nan, 1.0], [np.nan, 1.0, np.nan]):
        ours = nf.tensor(a, dtype=nf.float64, requires_grad=True)
        theirs = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        getattr(nf, name)(ours).backward()
        getattr(torch, name)(theirs).backward()
        assert_close(ours.grad, theirs.grad, what=f"{name} {a}")


@needs_torch
def test_median_of_empty_is_nan_as_pytorch():
    assert np.isnan(nf.median(nf.zeros(0)).item()) and np.isnan(torch.median(torch.zeros(0)).item())
    assert nf.median(nf.zeros(0)).dtype == nf.float32


@needs_torch
def test_mode_picks_smallest_most_frequent_value_and_its_last_index_as_pytorch():
    for a in ([3, 1, 3, 2, 1, 3], [2, 1, 2, 1, 5], [4, 3, 2], [[1, 2, 2, 1], [3, 3, 3, 0]], [7]):
        for dtype in ("float64", "int64"):
            ours, theirs = _both(a, dtype)
            _same(tuple(nf.mode(ours)), tuple(torch.mode(theirs)), f"{a} {dtype}")


@needs_torch
def test_integer_and_bool_inputs_sort_and_select_like_pytorch():
    rng = np.random.default_rng(3)
    for dtype in ("int64", "int32", "uint8"):
        a = rng.integers(0, 50, (3, 7)).astype(dtype)
        ours, theirs = nf.tensor(a), torch.tensor(a)
        _same(tuple(ours.sort(dim=1, stable=True)), tuple(theirs.sort(dim=1, stable=True)), dtype)
        _same(nf.topk(ours, 3).values, torch.topk(theirs, 3).values, dtype)
        _same(nf.kthvalue(ours, 4).values, torch.kthvalue(theirs, 4).values, dtype)
        _same(nf.median(ours, 1).values, torch.median(theirs, 1).values, dtype)
        _same(nf.median(ours), torch.median(theirs), dtype)
        _same(tuple(nf.mode(ours, 1)), tuple(torch.mode(theirs, 1)), dtype)
    b = np.array([True, False, True, False])
    _same(tuple(nf.sort(nf.tensor(b), stable=True)), tuple(torch.sort(torch.tensor(b), stable=True)))


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_inverse": True},
        {"return_counts": True},
        {"return_inverse": True, "return_counts": True},
        {"sorted": False, "return_counts": True},
        {"dim": 0, "return_inverse": True, "return_counts": True},
        {"dim": 1, "return_inverse": True},
        {"dim": -1, "return_counts": True},
    ],
)
def test_unique_matches_pytorch(kwargs):
    a = np.array([[3, 1, 3, 1], [0, 1, 0, 1], [3, 1, 3, 1]], dtype=np.int64)
    for dtype in ("int64", "float32", "bool"):
        ours, theirs = _both(a.astype(dtype), dtype)
        result = nf.unique(ours, **kwargs)
        expected = torch.unique(theirs, **kwargs)
        _same(result, expected, f"{kwargs} {dtype}")
        _same(ours.unique(**kwargs), expected, f"method {kwargs} {dtype}")


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True, "dim": 0}],
)
def test_unique_consecutive_matches_pytorch(kwargs):
    for a in ([[1, 1, 2, 2, 3, 1, 1, 2]], [[1, 2], [1, 2], [0, 5], [1, 2]], [5], []):
        ours, theirs = _both(a, "int64")
        if "dim" in kwargs and len(a) == 0:
            continue
        _same(nf.unique_consecutive(ours, **kwargs), torch.unique_consecutive(theirs, **kwargs), f"{a} {kwargs}")


@needs_torch
def test_unique_keeps_every_nan_apart_and_zeros_together_as_pytorch():
    a = [np.nan, 1.0, np.nan, -0.0, 0.0, 1.0]
    ours, theirs = _both(a)
    _same(nf.unique(ours, return_counts=True), torch.unique(theirs, return_counts=True))
    _same(nf.unique(ours, return_inverse=True)[1], torch.unique(theirs, return_inverse=True)[1])


def test_unique_and_argsort_carry_no_gradient():
    x = nf.tensor([2.0, 1.0, 2.0], requires_grad=True)
    assert not nf.unique(x).requires_grad and nf.unique(x).grad_fn is None
    assert not x.argsort().requires_grad
    assert x.sort().indices.requires_grad is False and x.sort().values.requires_grad


def test_sort_backward_of_backward_gathers_the_gradient_of_the_gradient():
    x = nf.tensor([0.3, -1.2, 2.0, 0.7], dtype=nf.float64, requires_grad=True)
    seed = nf.tensor([1.0, 2.0, 3.0, 4.0], dtype=nf.float64, requires_grad=True)
    v = x.sort(descending=True).values  # x[2], x[3], x[0], x[1]
    (g,) = nf.autograd.grad(v, x, seed, create_graph=True)
    assert g.tolist() == [3.0, 4.0, 1.0, 2.0]
    (g * nf.tensor([10.0, 20.0, 30.0, 40.0], dtype=nf.float64)).sum().backward()
    assert seed.grad.tolist() == [30.0, 40.0, 10.0, 20.0]


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.topk(L.ones(3, 4), 5),
        lambda L: L.topk(L.ones(3, 4), -1),
        lambda L: L.topk(L.ones(3, 4), 2, dim=2),
        lambda L: L.kthvalue(L.ones(3, 4), 5),
        lambda L: L.kthvalue(L.ones(3, 4), 0),
        lambda L: L.kthvalue(L.ones(2, 0), 1),
        lambda L: L.sort(L.ones(3, 4), 2),
        lambda L: L.sort(L.ones(()), 1),
        lambda L: L.argsort(L.ones(3), -2),
        lambda L: L.median(L.ones(2, 0), 1),
        lambda L: L.nanmedian(L.ones(2, 0), 1),
        lambda L: L.mode(L.ones(2, 0), 1),
        lambda L: L.median(L.ones(2, 3), keepdim=True),
        lambda L: L.ones(2, 3).nanmedian(keepdim=True),
        lambda L: L.msort(3.0) if L is torch else L.msort(object()),
        lambda L: L.unique(L.ones(2, 3), dim=2),
        lambda L: L.unique(L.ones(2, 0), dim=0),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match="topk"):
        nf.topk(nf.ones(3), 4)
    with pytest.raises(RuntimeError, match="kthvalue"):
        nf.kthvalue(nf.ones(3), 4)
    with pytest.raises(IndexError, match="median"):
        nf.median(nf.ones(2, 0), 1)
    with pytest.raises(IndexError, match="sort"):
        nf.sort(nf.ones(2), 3)


def test_every_op_is_a_tensor_method():
    for name in (
        "sort",
        "argsort",
        "msort",
        "topk",
        "kthvalue",
        "median",
        "nanmedian",
        "mode",
        "unique",
        "unique_consecutive",
    ):
        assert getattr(nf.Tensor, name) is getattr(nf, name), name


@st.composite
def _tied_arrays(draw):
    """Float arrays of 1 to 3 dims drawn from a few values (so ties are common) and a dim."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    values = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.5, 0.0, 0.5, 2.0, 3.0])))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return values, dim


@needs_torch
@given(case=_tied_arrays(), descending=st.booleans(), k=st.integers(1, 6))
def test_selections_with_ties_match_pytorch_over_shapes(case, descending, k):
    a, dim = case
    ours, theirs = nf.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    o, t = (
        ours.sort(dim=dim, descending=descending, stable=True),
        theirs.sort(dim=dim, descending=descending, stable=True),
    )
    _same(tuple(o), tuple(t), "sort")
    seed = np.random.default_rng(0).standard_normal(a.shape)
    o.values.backward(nf.tensor(seed))
    t.values.backward(torch.tensor(seed))
    assert_close(ours.grad, theirs.grad, what="sort gradient")
    k = min(k, a.shape[dim])
    assert_close(nf.topk(ours, k, dim).values, torch.topk(theirs, k, dim).values, what="topk")
    assert_close(nf.kthvalue(ours, k, dim).values, torch.kthvalue(theirs, k, dim).values, what="kthvalue")
    assert_close(nf.median(ours, dim).values, torch.median(theirs, dim).values, what="median")
    _same(tuple(nf.mode(ours.detach(), dim)), tuple(torch.mode(theirs.detach(), dim)), "mode")
    _same(
        nf.unique(ours.detach(), return_inverse=True, return_counts=True, dim=dim),
        torch.unique(theirs.detach(), return_inverse=True, return_counts=True, dim=dim),
        "unique",
    )
