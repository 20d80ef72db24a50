"""Tensor in-place methods (``x.cos_()``, ``x.scatter_(...)``, ``x.unsqueeze_(0)``, the
random fills) and the out-of-place methods added with them, against PyTorch."""

import numpy as np
import pytest

import numpyflow as nf
from tests.reference import assert_close, needs_torch, torch

RNG = np.random.default_rng(0)
UNIT = RNG.uniform(0.1, 0.9, (3, 4))  # inside every unary op's domain
SIGNED = RNG.uniform(-2.0, 2.0, (3, 4))
OTHER = RNG.uniform(0.5, 1.5, (3, 4)) * np.where(RNG.random((3, 4)) < 0.5, -1, 1)
INTS = RNG.integers(-6, 7, (3, 4))
INTS_OTHER = RNG.integers(1, 4, (3, 4))
IDX = np.array([[0, 2, 1, 3], [1, 0, 3, 2], [3, 3, 0, 1]])
MASK = RNG.random((3, 4)) < 0.5


def both(value, dtype=np.float64):
    """The same array as a numpyflow and a torch tensor (non-arrays pass through)."""
    if isinstance(value, np.ndarray):
        a = value if value.dtype == np.bool_ or dtype is None else value.astype(dtype)
        return nf.tensor(a), torch.tensor(a)
    if isinstance(value, tuple):
        pairs = [both(v, dtype) for v in value]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return value, value


def ix(a):
    return a.astype(np.int64)


# (method, input, args, kwargs): the input is float64 unless given as (array, dtype).
UNARY = [
    "acos", "arccos", "asin", "arcsin", "atan", "arctan", "atanh", "arctanh", "asinh", "arcsinh",
    "cos", "sin", "tan", "cosh", "sinh", "exp2", "expm1", "log10", "log1p", "log2", "rsqrt",
    "reciprocal", "square", "erf", "erfinv", "lgamma", "digamma", "absolute", "negative",
]  # fmt: skip
CASES = [(name, UNIT, (), {}) for name in UNARY] + [
    ("acosh", UNIT + 1.5, (), {}),
    ("arccosh", UNIT + 1.5, (), {}),
    ("ceil", SIGNED, (), {}),
    ("floor", SIGNED, (), {}),
    ("round", SIGNED, (), {}),
    ("round", SIGNED, (), {"decimals": 1}),
    ("trunc", SIGNED, (), {}),
    ("fix", SIGNED, (), {}),
    ("frac", SIGNED, (), {}),
    ("sign", SIGNED, (), {}),
    ("polygamma", UNIT, (1,), {}),
    ("atan2", SIGNED, (OTHER,), {}),
    ("arctan2", SIGNED, (OTHER,), {}),
    ("copysign", SIGNED, (OTHER,), {}),
    ("fmod", SIGNED, (OTHER,), {}),
    ("remainder", SIGNED, (OTHER,), {}),
    ("floor_divide", SIGNED, (OTHER,), {}),
    ("xlogy", SIGNED, (UNIT,), {}),
    ("multiply", SIGNED, (OTHER,), {}),
    ("subtract", SIGNED, (OTHER,), {"alpha": 2}),
    ("divide", SIGNED, (OTHER,), {}),
    ("divide", SIGNED, (OTHER,), {"rounding_mode": "floor"}),
    ("div", SIGNED, (OTHER,), {"rounding_mode": "trunc"}),
    ("true_divide", SIGNED, (OTHER,), {}),
    ("clamp_min", SIGNED, (0.3,), {}),
    ("clamp_max", SIGNED, (0.5,), {}),
    ("cumsum", SIGNED, (1,), {}),
    ("cumprod", SIGNED, (0,), {}),
    ("tril", SIGNED, (), {}),
    ("triu", SIGNED, (1,), {}),
    ("scatter", SIGNED, (1, ix(IDX[:, :2]), OTHER[:, :2]), {}),
    ("scatter", SIGNED, (0, ix(IDX[:2] % 3), 2.5), {}),
    ("scatter_add", SIGNED, (1, ix(IDX), OTHER), {}),
    ("scatter_reduce", SIGNED, (1, ix(IDX), OTHER, "amax"), {}),
    ("index_add", SIGNED, (0, np.array([2, 0]), OTHER[:2]), {"alpha": 2}),
    ("index_copy", SIGNED, (1, np.array([3, 0]), OTHER[:, :2]), {}),
    ("index_fill", SIGNED, (1, np.array([1, 3]), -1.5), {}),
    ("masked_fill", SIGNED, (MASK, 7.0), {}),
    ("masked_scatter", SIGNED, (MASK, OTHER), {}),
    ("put", SIGNED, (np.array([0, -1, 5]), OTHER[0, :3]), {}),
    ("put", SIGNED, (np.array([0, 5, 5]), OTHER[0, :3]), {"accumulate": True}),
    ("index_put", SIGNED, ((np.array([0, 2]), np.array([1, 3])), OTHER[0, :2]), {}),
    ("index_put", SIGNED, ((np.array([0, 0]), np.array([1, 1])), OTHER[0, :2]), {"accumulate": True}),
    ("index_put", SIGNED, ((MASK,), 4.0 * np.ones(1)), {}),
]
for _cmp in ("eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal"):
    CASES.append((_cmp, np.round(SIGNED), (np.round(OTHER),), {}))
INT_CASES = [
    ("bitwise_and", INTS, (INTS_OTHER,), {}),
    ("bitwise_or", INTS, (INTS_OTHER,), {}),
    ("bitwise_xor", INTS, (INTS_OTHER,), {}),
    ("bitwise_not", INTS, (), {}),
    ("logical_and", INTS, (INTS_OTHER - 2,), {}),
    ("logical_or", INTS, (INTS_OTHER - 2,), {}),
    ("logical_xor", INTS, (INTS_OTHER - 2,), {}),
    ("logical_not", INTS, (), {}),
    ("remainder", INTS, (INTS_OTHER,), {}),
    ("fmod", INTS, (INTS_OTHER,), {}),
    ("floor_divide", INTS, (INTS_OTHER,), {}),
    ("div", INTS, (INTS_OTHER,), {"rounding_mode": "floor"}),
    ("divide", INTS, (INTS_OTHER,), {"rounding_mode": "trunc"}),
    ("eq", INTS, (INTS_OTHER,), {}),
    ("cumsum", INTS, (1,), {}),
    ("clamp_min", INTS, (0,), {}),
    ("ceil", INTS, (), {}),
]


def _case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[3].items())}".rstrip("-")


def _int_arg(a):
    return a.astype(np.int64) if isinstance(a, np.ndarray) and a.dtype.kind in "iu" else a


def _arg(a, dtype):
    """numpyflow and torch copies of one argument: float arrays in ``dtype``, index and
    mask arrays as they are, tuples element by element."""
    if isinstance(a, tuple):
        pairs = [_arg(v, dtype) for v in a]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    if isinstance(a, np.ndarray) and a.dtype.kind in "iub":
        return both(a.astype(np.int64) if a.dtype.kind != "b" else a, None)
    return both(a, dtype)


def _prepare(x, args, dtype):
    """numpyflow and torch copies of the input and args."""
    xn, xt = both(x, dtype)
    pairs = [_arg(a, dtype) for a in args]
    return xn, xt, [p[0] for p in pairs], [p[1] for p in pairs]


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inplace_method_matches_torch_and_returns_self(case, dtype):
    name, x, args, kwargs = case
    xn, xt, an, at = _prepare(x, args, dtype)
    version = xn._version
    out_n = getattr(xn, name + "_")(*an, **kwargs)
    out_t = getattr(xt, name + "_")(*at, **kwargs)
    assert out_n is xn
    assert str(xn.dtype).split(".")[-1] == str(xt.dtype).split(".")[-1]
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {}
    assert_close(xn, xt, what=name + "_", **tol)
    assert xn._version > version
    # the out-of-place op gives the same values and leaves its input alone
    yn = nf.tensor(x.astype(dtype))
    assert_close(getattr(yn, name)(*an, **kwargs), out_t, what=name, **tol)
    assert_close(yn, x.astype(dtype), what=name + " input")


@needs_torch
@pytest.mark.parametrize("case", INT_CASES, ids=_case_id)
def test_inplace_method_on_integer_tensor_matches_torch(case):
    name, x, args, kwargs = case
    xn, xt = both(x, np.int64)
    an, at = both(tuple(_int_arg(a) for a in args), np.int64)
    assert getattr(xn, name + "_")(*an, **kwargs) is xn
    getattr(xt, name + "_")(*at, **kwargs)
    assert str(xn.dtype) == str(xt.dtype).replace("torch.", "numpyflow.")
    assert_close(xn, xt, what=name + "_")


FLOAT_RESULT_ON_INT = [
    ("sqrt", ()),
    ("cos", ()),
    ("exp2", ()),
    ("reciprocal", ()),
    ("rsqrt", ()),
    ("atan2", (INTS_OTHER,)),
    ("xlogy", (INTS_OTHER,)),
    ("divide", (INTS_OTHER,)),
    ("true_divide", (INTS_OTHER,)),
    ("clamp_min", (0.5,)),
]


@needs_torch
@pytest.mark.parametrize("name,args", FLOAT_RESULT_ON_INT, ids=[c[0] for c in FLOAT_RESULT_ON_INT])
def test_inplace_float_result_into_integer_tensor_is_a_runtime_error(name, args):
    xn, xt = both(INTS, np.int64)
    an, at = both(tuple(_int_arg(a) for a in args), np.int64)
    with pytest.raises(RuntimeError):
        getattr(xt, name + "_")(*at)
    with pytest.raises(RuntimeError, match="div_" if "divide" in name else name):
        getattr(xn, name + "_")(*an)
    assert_close(xn, INTS)  # untouched


GRAD_CASES = [
    c
    for c in CASES
    if c[0] not in {"ceil", "floor", "round", "trunc", "fix", "sign", "floor_divide"}
    and "rounding_mode" not in c[3]
    and c[0] not in {"eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge"}
    and c[0] not in {"greater_equal", "scatter_reduce"}
]


@needs_torch
@pytest.mark.parametrize("case", GRAD_CASES, ids=_case_id)
def test_gradient_flows_through_inplace_method_on_non_leaf(case):
    name, x, args, kwargs = case
    xn, xt, an, at = _prepare(x, args, np.float64)
    xn.requires_grad_(True)
    xt.requires_grad_(True)
    an = [a.requires_grad_(True) if isinstance(a, nf.Tensor) and a.dtype == nf.float64 else a for a in an]
    at = [a.requires_grad_(True) if isinstance(a, torch.Tensor) and a.dtype == torch.float64 else a for a in at]
    w = RNG.normal(size=x.shape)
    yn = xn * 1.0
    assert getattr(yn, name + "_")(*an, **kwargs) is yn
    # the reference is PyTorch's out-of-place op (its atanh_/asinh_/acosh_ have no derivative)
    yt = getattr(xt * 1.0, name)(*at, **kwargs)
    assert yn.grad_fn is not None
    (yn * nf.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_close(xn.grad, xt.grad, rtol=1e-6, atol=1e-8, what=name + "_ grad of self")
    for a, b in zip(an, at, strict=True):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert_close(a.grad, b.grad, rtol=1e-6, atol=1e-8, what=name + "_ grad of arg")


@needs_torch
@pytest.mark.parametrize("name,args", [("cos", ()), ("atan2", (1.0,)), ("cumsum", (0,)), ("tril", ())])
def test_inplace_method_on_leaf_requiring_grad_is_a_runtime_error(name, args):
    xn = nf.tensor(UNIT, requires_grad=True)
    xt = torch.tensor(UNIT, requires_grad=True)
    args_t = tuple(torch.tensor(a) if isinstance(a, float) else a for a in args)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(xt, name + "_")(*args_t)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(xn, name + "_")(*(nf.tensor(a) if isinstance(a, float) else a for a in args))
    with nf.no_grad():
        assert (
            getattr(xn, name + "_")(*(nf.tensor(a) if isinstance(a, float) else a for a in args)) is xn
        )  # allowed without recording


def test_inplace_method_saved_for_backward_is_detected():
    x = nf.tensor(UNIT, requires_grad=True)
    y = x * 1.0
    z = y.sin()  # saves y
    y.cos_()
    with pytest.raises(RuntimeError):
        z.sum().backward()


RESTRIDE = [
    ("unsqueeze", (1,)),
    ("unsqueeze", (-1,)),
    ("squeeze", ()),
    ("squeeze", (0,)),
    ("t", ()),
    ("transpose", (0, 2)),
    ("swapaxes", (1, 2)),
    ("swapdims", (-1, 0)),
]


@needs_torch
@pytest.mark.parametrize("name,args", RESTRIDE, ids=[f"{n}{a}" for n, a in RESTRIDE])
def test_shape_changing_inplace_method_matches_torch(name, args):
    x = RNG.normal(size=(1, 3, 2)) if name != "t" else RNG.normal(size=(3, 2))
    xn, xt = both(x)
    version = xn._version
    assert getattr(xn, name + "_")(*args) is xn
    getattr(xt, name + "_")(*args)
    assert tuple(xn.shape) == tuple(xt.shape)
    assert_close(xn, xt)
    assert xn._version > version
    # gradient through it on a non-leaf
    ln = nf.tensor(x, requires_grad=True)
    lt = torch.tensor(x, requires_grad=True)
    yn, yt = ln * 2.0, lt * 2.0
    getattr(yn, name + "_")(*args)
    getattr(yt, name + "_")(*args)
    w = RNG.normal(size=tuple(yt.shape))
    (yn * nf.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_close(ln.grad, lt.grad)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(ln, name + "_")(*args)


def test_unsqueeze_inplace_keeps_sharing_memory_and_allows_later_inplace_ops():
    x = nf.zeros(2, 3)
    v = x[0]
    x.unsqueeze_(0).add_(1.0)
    assert tuple(x.shape) == (1, 2, 3)
    assert_close(v, np.ones(3))
    y = nf.ones(3, requires_grad=True) * 1.0
    y.unsqueeze_(0).mul_(3.0)  # still an ordinary non-leaf, not a view with stale history
    y.sum().backward()


@needs_torch
@pytest.mark.parametrize(
    "shape,wrap", [((3, 3), False), ((5, 2), False), ((7, 2), True), ((2, 5), False), ((3, 3, 3), False)]
)
def test_fill_diagonal_matches_torch(shape, wrap):
    x = RNG.normal(size=shape)
    xn, xt = both(x)
    assert xn.fill_diagonal_(-4.0, wrap=wrap) is xn
    xt.fill_diagonal_(-4.0, wrap=wrap)
    assert_close(xn, xt)


@needs_torch
def test_fill_diagonal_gradient_is_zero_on_the_diagonal():
    xn = nf.tensor(UNIT[:3, :3], requires_grad=True)
    xt = torch.tensor(UNIT[:3, :3], requires_grad=True)
    (xn * 2.0).fill_diagonal_(1.0).sum().backward()
    (xt * 2.0).fill_diagonal_(1.0).sum().backward()
    assert_close(xn.grad, xt.grad)


@needs_torch
@pytest.mark.parametrize(
    "name,args",
    [("clamp_min", (0.2,)), ("clamp_max", (0.2,)), ("frac", ()), ("fix", ()), ("greater_equal", (0.0,))],
)
def test_new_out_of_place_methods_match_torch(name, args):
    xn, xt = both(SIGNED)
    assert_close(getattr(xn, name)(*args), getattr(xt, name)(*args))


@needs_torch
def test_index_fill_with_zero_dim_tensor_value_matches_torch():
    xn, xt = both(SIGNED)
    idx = np.array([0, 2])
    out_n = xn.index_fill(0, nf.tensor(idx), nf.tensor(3.0, dtype=nf.float64))
    out_t = xt.index_fill(0, torch.tensor(idx), torch.tensor(3.0, dtype=torch.float64))
    assert_close(out_n, out_t)


def test_masked_scatter_with_too_short_source_is_a_runtime_error():
    x = nf.zeros(3, 4)
    with pytest.raises(RuntimeError, match="masked_scatter"):
        x.masked_scatter_(nf.ones(3, 4, dtype=nf.bool), nf.ones(5))


def test_put_out_of_range_index_is_an_index_error():
    with pytest.raises(IndexError, match="put"):
        nf.zeros(2, 2).put_(nf.tensor([4]), nf.tensor([1.0]))


# -- random fills ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,mean,var",
    [
        ("exponential_", (2.0,), 0.5, 0.25),
        ("log_normal_", (0.0, 0.5), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
        ("geometric_", (0.25,), 4.0, 0.75 / 0.0625),
    ],
)
def test_random_fill_has_the_distribution_moments(name, args, mean, var):
    nf.manual_seed(0)
    x = nf.empty(200_000, dtype=nf.float64)
    assert getattr(x, name)(*args) is x
    a = x.numpy()
    assert abs(a.mean() - mean) < 0.02 * max(mean, 1)
    assert abs(a.var() - var) < 0.05 * var


def test_cauchy_fill_has_median_and_quartiles():
    nf.manual_seed(0)
    a = nf.empty(200_000).cauchy_(1.0, 2.0).numpy()
    q1, q2, q3 = np.quantile(a, [0.25, 0.5, 0.75])
    assert abs(q2 - 1.0) < 0.05 and abs(q1 + 1.0) < 0.05 and abs(q3 - 3.0) < 0.05


def test_random_fills_repeat_after_manual_seed_and_keep_dtype():
    for name, args in [("exponential_", ()), ("cauchy_", ()), ("log_normal_", ()), ("geometric_", (0.3,))]:
        nf.manual_seed(7)
        a = getattr(nf.empty(5), name)(*args)
        nf.manual_seed(7)
        b = getattr(nf.empty(5), name)(*args)
        assert a.dtype == nf.float32
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_geometric_fills_integer_tensor_with_positive_counts():
    nf.manual_seed(1)
    x = nf.zeros(1000, dtype=nf.int64).geometric_(0.5)
    assert x.dtype == nf.int64 and int(x.min()) >= 1


@needs_torch
@pytest.mark.parametrize("name,args", [("exponential_", ()), ("cauchy_", ()), ("log_normal_", ())])
def test_continuous_random_fill_of_integer_tensor_is_a_runtime_error(name, args):
    with pytest.raises(RuntimeError):
        getattr(torch.zeros(3, dtype=torch.int64), name)(*args)
    with pytest.raises(RuntimeError, match=name):
        getattr(nf.zeros(3, dtype=nf.int64), name)(*args)


def test_random_fill_on_leaf_requiring_grad_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="leaf"):
        nf.zeros(3, requires_grad=True).exponential_()


@needs_torch
def test_torch_inplace_methods_numpyflow_lacks_are_only_the_known_ones():
    missing = {n for n in set(dir(torch.Tensor)) - set(dir(nf.Tensor)) if n.endswith("_") and not n.startswith("_")}
    for name in ["acos_", "eq_", "greater_equal_", "scatter_", "index_put_", "unsqueeze_", "t_", "divide_", "cauchy_"]:
        assert name not in missing


POINTWISE = [
    ("sgn", SIGNED, ()),
    ("deg2rad", SIGNED, ()),
    ("rad2deg", SIGNED, ()),
    ("erfc", SIGNED, ()),
    ("i0", SIGNED, ()),
    ("sinc", SIGNED, ()),
    ("logit", UNIT, ()),
    ("nan_to_num", SIGNED, ()),
    ("hypot", SIGNED, (OTHER,)),
    ("float_power", UNIT, (OTHER,)),
    ("heaviside", np.round(SIGNED), (OTHER,)),
    ("nextafter", SIGNED, (OTHER,)),
]


@needs_torch
@pytest.mark.parametrize("name,x,args", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_pointwise_inplace_method_matches_torch(name, x, args):
    if not hasattr(nf.Tensor, name):
        pytest.skip(f"Tensor.{name} is not in this build")
    xn, xt, an, at = _prepare(x, args, np.float64)
    assert getattr(xn, name + "_")(*an) is xn
    getattr(xt, name + "_")(*at)
    assert_close(xn, xt)


@needs_torch
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_integer_pointwise_inplace_method_matches_torch(name):
    if not hasattr(nf.Tensor, name):
        pytest.skip(f"Tensor.{name} is not in this build")
    xn, xt = both(INTS, np.int64)
    on, ot = both(INTS_OTHER, np.int64)
    assert getattr(xn, name + "_")(on) is xn
    getattr(xt, name + "_")(ot)
    assert_close(xn, xt)
