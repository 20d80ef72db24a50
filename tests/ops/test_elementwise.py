"""numpyflow/ops/elementwise.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

import numpy as np
import pytest
from cases import ELEMENTWISE
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(ELEMENTWISE)


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
@pytest.mark.parametrize("value", [3, 0, 2.5, 0.0, True, False])
def test_nonzero_of_a_0d_tensor_as_pytorch(value):
    _same_as_torch(lambda L: L.tensor(value).nonzero())
    _same_as_torch(lambda L: L.nonzero(L.tensor(value), as_tuple=True))


POW_CALLS = {
    "int tensor ** negative int tensor": lambda L: (
        L.tensor([0, 1, -1, 2, -2, 0, -1, 5]) ** L.tensor([-1, -1, -1, -1, -3, 0, -2, -2])
    ),
    "int32 ** negative int32": lambda L: (
        L.tensor([0, 1, -1, 2, -1], dtype=L.int32) ** L.tensor([-1, -5, -2, -1, -3], dtype=L.int32)
    ),
    "int8 overflow wraps": lambda L: L.tensor([2, 3], dtype=L.int8) ** L.tensor([-1, 7], dtype=L.int8),
    "uint8 ** negative int64": lambda L: L.tensor([0, 1, 2], dtype=L.uint8) ** L.tensor([-1, -1, -1]),
    "int ** 0-d negative int tensor": lambda L: L.tensor([0, 1, 2]) ** L.tensor(-1),
    "bool ** negative int tensor": lambda L: L.tensor([True, False]) ** L.tensor(-1),
    "int ** negative int": lambda L: L.tensor([1, 2, 3]) ** -1,
    "pow(int, negative int)": lambda L: L.pow(L.tensor([2, 3]), -2),
    "uint8 ** negative int": lambda L: L.tensor([0, 1, 2], dtype=L.uint8) ** -1,
    "bool ** negative int": lambda L: L.tensor([True, False]) ** -1,
    "int ** numpy negative int": lambda L: L.tensor([2, 3]) ** np.int64(-1),
    "bool ** int": lambda L: L.tensor([True, False]) ** 2,
    "int ** negative float": lambda L: L.tensor([1, 2, 3]) ** -1.0,
    "int ** negative float tensor": lambda L: L.tensor([2, 3]).pow(L.tensor(-1.0)),
    "int ** 0": lambda L: L.tensor([1, 2, 3]) ** 0,
    "int ** large": lambda L: L.tensor([3]) ** 41,
    "number ** int tensor": lambda L: (-2) ** L.tensor([-1, 2, -2, 3]),
    "one ** int tensor": lambda L: 1 ** L.tensor([-1, 2, -2]),
    "minus one ** int tensor": lambda L: (-1) ** L.tensor([-1, 2, -2, -3]),
    "zero ** int tensor": lambda L: 0 ** L.tensor([-1, 0, 2]),
    "pow(number, int tensor)": lambda L: L.pow(2, L.tensor([-1, 2, -2])),
    "int ** bool tensor": lambda L: 2 ** L.tensor([True, False]),
    "float ** int tensor": lambda L: 2.5 ** L.tensor([1, -1]),
    "negative number ** uint8 tensor wraps": lambda L: (-2) ** L.tensor([1, 2, 3], dtype=L.uint8),
    "large number ** uint8 tensor wraps": lambda L: 300 ** L.tensor([1, 2], dtype=L.uint8),
    "uint8 ** exponent past uint8": lambda L: L.tensor([2, 3], dtype=L.uint8) ** 300,
    "int8 ** exponent past int8": lambda L: L.tensor([2, 3], dtype=L.int8) ** 200,
    "bool ** bool tensor": lambda L: L.tensor([True, False]) ** L.tensor([True, True]),
}


@needs_torch
@pytest.mark.parametrize("name", list(POW_CALLS))
def test_integer_powers_match_pytorch(name):
    _same_as_torch(POW_CALLS[name])


def test_integer_to_negative_integer_power_error_names_the_op_dtype_and_exponent():
    with pytest.raises(RuntimeError, match=r"pow: Integers to negative integer powers are not allowed .*int64.* -3"):
        nf.tensor([2, 3]) ** -3


@needs_torch
@pytest.mark.parametrize("mode", ["typo", "Floor", ""])
def test_div_with_an_unknown_rounding_mode_is_a_runtime_error_as_pytorch(mode):
    _same_as_torch(lambda L: L.div(L.ones(3), L.ones(3), rounding_mode=mode))
    _same_as_torch(lambda L: L.ones(3).div(2, rounding_mode=mode))


@needs_torch
def test_sign_of_bool_is_bool_as_pytorch():
    ours = nf.sign(nf.tensor([True, False]))
    theirs = torch.sign(torch.tensor([True, False]))
    assert ours.dtype == nf.bool and ours.tolist() == theirs.tolist()


@needs_torch
@pytest.mark.parametrize("name", ["add", "sub"])
@pytest.mark.parametrize("alpha", [-3, -1, -255])
def test_add_and_sub_wrap_an_int_alpha_into_uint8_as_pytorch(name, alpha):
    a, b = [1, 2, 255], [3, 4, 5]

    def run(L):
        out = getattr(L, name)(L.tensor(a, dtype=L.uint8), L.tensor(b, dtype=L.uint8), alpha=alpha)
        return out.tolist(), str(out.dtype).split(".")[-1]

    assert run(nf) == run(torch)
    # a wider result dtype keeps the alpha as it is
    ours = getattr(nf, name)(nf.tensor([1, 2]), nf.tensor([3, 4], dtype=nf.uint8), alpha=alpha)
    theirs = getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([3, 4], dtype=torch.uint8), alpha=alpha)
    assert ours.tolist() == theirs.tolist()


@needs_torch
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize(
    "dtype, scalar", [("uint8", -1), ("uint8", -255), ("int8", 257), ("uint8", -1.5), ("uint8", 1)]
)
def test_comparing_an_integer_tensor_with_an_out_of_range_int_wraps_the_int_as_pytorch(name, dtype, scalar):
    values = [0, 1, 127, 255] if dtype == "uint8" else [-128, 1, 0, 127]

    def run(L):
        t = L.tensor(values).to(getattr(L, dtype))
        return getattr(L, name)(t, scalar).tolist(), (t == scalar).tolist(), (scalar < t).tolist()

    assert run(nf) == run(torch)


@needs_torch
def test_sign_of_nan_is_zero_as_pytorch():
    values = [float("nan"), -0.0, 2.0, -3.0]
    assert nf.sign(nf.tensor(values)).tolist() == torch.sign(torch.tensor(values)).tolist()


@needs_torch
@pytest.mark.parametrize("op", ["floor", "ceil", "trunc", "round"])
def test_rounding_a_bool_tensor_is_not_implemented_as_in_pytorch(op):
    with pytest.raises(NotImplementedError):
        getattr(torch, op)(torch.tensor([True]))
    with pytest.raises(NotImplementedError):
        getattr(nf, op)(nf.tensor([True]))
