"""numpyflow/ops/reduction.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

import pytest
from cases import REDUCTIONS
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(REDUCTIONS)


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


@needs_torch
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("value", [3.0, -2, True])
@pytest.mark.parametrize("dim", [0, -1])
def test_cumsum_and_cumprod_of_a_0d_tensor_keep_its_shape_and_dtype_as_pytorch(name, value, dim):
    _same_as_torch(lambda L: getattr(L.tensor(value), name)(dim))
    _same_as_torch(lambda L: getattr(L, name)(L.tensor(value), dim, dtype=L.float64))
    _same_as_torch(lambda L: getattr(L.tensor(value), name)(1))  # out of range


def test_cumsum_and_cumprod_of_a_0d_tensor_have_gradients():
    x = nf.tensor(1.5, dtype=nf.float64, requires_grad=True)
    assert nf.autograd.gradcheck(lambda t: t.cumsum(0) * t.cumprod(-1), (x,))
    assert nf.autograd.gradgradcheck(lambda t: t.cumsum(0) * t.cumprod(-1), (x,))


X = [[0.0, 2.0, 4.0], [3.0, 5.0, 7.0]]  # exact variances, a zero for any/all and count_nonzero
AXIS_CALLS = {
    "any": lambda L, x: x.any(axis=1),
    "all": lambda L, x: L.all(x, axis=0, keepdims=True),
    "std_mean": lambda L, x: L.std_mean(x, axis=1),
    "std_mean_keepdims": lambda L, x: L.std_mean(x, axis=0, keepdims=True, correction=0),
    "var_mean": lambda L, x: L.var_mean(x, axis=1, keepdim=True),
    "var_mean_positional": lambda L, x: L.var_mean(x, 1, False),
    "argmax": lambda L, x: x.argmax(axis=1),
    "argmin": lambda L, x: L.argmin(x, axis=0, keepdim=True),
    "count_nonzero": lambda L, x: L.count_nonzero(x, axis=1),
    "nansum": lambda L, x: L.nansum(x, axis=0),
    "cumsum": lambda L, x: x.cumsum(axis=1),
    "cumprod": lambda L, x: L.cumprod(x, axis=0),
    "sum": lambda L, x: x.sum(axis=1),
    "cumsum_without_dim": lambda L, x: x.cumsum(),
    "std_mean_dim_and_axis": lambda L, x: L.std_mean(x, dim=1, axis=1),
}


@needs_torch
@pytest.mark.parametrize("name", list(AXIS_CALLS))
def test_reductions_take_numpys_axis_as_pytorch_does(name):
    _same_as_torch(lambda L: AXIS_CALLS[name](L, L.tensor(X)))


@needs_torch
@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32", "bool"])
@pytest.mark.parametrize("dim", [(), [], None, 1, (0, 1)])
def test_any_and_all_reduce_as_pytorch_with_empty_dims_elementwise_and_uint8_kept(name, dtype, dim):
    def fn(L):
        x = L.tensor([[0, 2, 1], [3, 0, 0]]).to(getattr(L, dtype))
        return getattr(x, name)() if dim is None else getattr(x, name)(dim)

    _same_as_torch(fn)
    _same_as_torch(lambda L: getattr(L.tensor(0.5), name)(()))


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "int64"])
def test_nansum_of_integers_and_bools_sums_to_int64_as_pytorch(dtype):
    _same_as_torch(lambda L: L.nansum(L.tensor([[1, 0, 3], [200, 100, 1]]).to(getattr(L, dtype))))
    _same_as_torch(lambda L: L.nansum(L.tensor([[1, 0, 3], [200, 100, 1]]).to(getattr(L, dtype)), 1))


@needs_torch
@pytest.mark.parametrize("out_dtype", ["int32", "uint8", "bool", "int64", "float64"])
@pytest.mark.parametrize("in_dtype", ["uint8", "int64", "bool"])
def test_prod_computes_in_the_dtype_asked_for_as_pytorch(in_dtype, out_dtype):
    x = [[1, 2, 0], [3, 200, 7]] if in_dtype != "bool" else [[1, 1, 0], [1, 1, 1]]
    _same_as_torch(lambda L: L.prod(L.tensor(x).to(getattr(L, in_dtype)), dtype=getattr(L, out_dtype)))
    _same_as_torch(lambda L: L.prod(L.tensor(x).to(getattr(L, in_dtype)), 1, dtype=getattr(L, out_dtype)))


@needs_torch
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("out_dtype", ["int32", "uint8", "int64", "float32"])
def test_cumsum_and_cumprod_compute_in_the_dtype_asked_for_as_pytorch(name, out_dtype):
    x = [[1, 2, 100], [3, 200, 7]]
    _same_as_torch(lambda L: getattr(L, name)(L.tensor(x).to(L.uint8), 1, dtype=getattr(L, out_dtype)))
    _same_as_torch(lambda L: getattr(L, name)(L.tensor(x).to(L.int32), 0, dtype=getattr(L, out_dtype)))
