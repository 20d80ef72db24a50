"""numpyflow/ops/shape.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

import numpy as np
import pytest
from cases import SHAPE_OPS
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(SHAPE_OPS)


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
@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.flip(()),
        lambda x: x.flip([]),
        lambda x: x.flip(dims=()),
        lambda x: x.__class__.flip(x, ()),
    ],
)
@pytest.mark.parametrize("shape", [(2, 3), ()])
def test_flip_of_no_dims_returns_the_input_unchanged_as_pytorch(call, shape):
    def fn(lib):
        x = lib.arange(6.0)[: max(1, np.prod(shape, dtype=int))].reshape(shape)
        return call(x)

    _same_as_torch(fn)


def test_flip_of_no_dims_is_a_copy_with_an_identity_gradient():
    x = nf.arange(6.0, dtype=nf.float64).reshape(2, 3).requires_grad_()
    y = nf.flip(x, ())
    assert y is not x
    (y * nf.arange(6.0, dtype=nf.float64).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with nf.no_grad():
        y[0, 0] = 100.0
    assert x[0, 0].item() == 0.0
    assert nf.autograd.gradcheck(lambda t: t.flip([]), (x,))


@needs_torch
def test_flip_without_dims_is_a_type_error_and_takes_dims_by_keyword_as_pytorch():
    _same_as_torch(lambda L: L.ones(2, 3).flip())
    _same_as_torch(lambda L: L.arange(6).reshape(2, 3).flip(dims=(1,)))
    _same_as_torch(lambda L: L.arange(6).reshape(2, 3).flip(0, 0))


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.roll(shifts=(1, 2)),
        lambda x: x.roll(shifts=(1,)),
        lambda x: x.roll(2, ()),
        lambda x: x.roll((1,), ()),
        lambda x: x.roll([]),
        lambda x: x.roll(1, (0, 1)),
        lambda x: x.roll((1, 2), 0),
        lambda x: x.roll((1, -1), (1, 0)),
    ],
)
def test_roll_shifts_and_dims_must_align_as_in_pytorch(call):
    _same_as_torch(lambda L: call(L.arange(6).reshape(2, 3)))


@needs_torch
@pytest.mark.parametrize("dims", [(0, 0), (1, -1), (-2, 0), (0, 1), (1, 0), (0, 2)])
def test_diagonal_of_one_dim_twice_is_a_runtime_error_as_in_pytorch(dims):
    _same_as_torch(lambda L: L.arange(27.0).reshape(3, 3, 3).diagonal(0, *dims))


@needs_torch
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_fliplr_and_flipud_need_enough_dims_as_in_pytorch(shape):
    _same_as_torch(lambda L: L.fliplr(L.ones(shape)))
    _same_as_torch(lambda L: L.flipud(L.ones(shape)))


@needs_torch
def test_roll_takes_0d_tensor_shifts_and_dims_and_refuses_a_0d_input_with_dims_as_pytorch():
    _same_as_torch(lambda L: L.arange(6).reshape(2, 3).roll(L.tensor(1), L.tensor(1)))
    _same_as_torch(lambda L: L.arange(6).reshape(2, 3).roll((L.tensor(1), 2), (0, 1)))
    _same_as_torch(lambda L: L.tensor(5).roll(1))
    _same_as_torch(lambda L: L.tensor(5).roll(1, 0))


@needs_torch
def test_squeeze_with_an_empty_dim_tuple_squeezes_nothing_as_pytorch():
    for L in (nf, torch):
        assert tuple(L.squeeze(L.ones(1, 3, 1), ()).shape) == (1, 3, 1)
        assert tuple(L.ones(1, 3, 1).squeeze(()).shape) == (1, 3, 1)


@needs_torch
@pytest.mark.parametrize("sections", [1, 3, 4, 9])
def test_tensor_split_takes_a_0d_int_tensor_as_a_section_count_as_pytorch(sections):
    def shapes(L):
        return [tuple(t.shape) for t in L.tensor_split(L.arange(14).reshape(7, 2), L.tensor(sections))]

    assert shapes(nf) == shapes(torch)
