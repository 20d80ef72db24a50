"""numpyflow/ops/scatter_reduction.py: scatter_reduce with every reduction, with and
without include_self, against PyTorch (values and gradients), finite differences (first
and second derivatives) and float32; ties, zeros in products, integers and errors."""

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf

REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _index(shape, n):
    def extra(rng, shapes):
        return [rng.integers(0, n, size=shape)]

    return extra


CASES = []
for reduce in REDUCES:
    for include_self in (True, False):
        CASES += [
            Case(
                f"scatter_reduce_{reduce}_{'with' if include_self else 'without'}_self",
                lambda L, a, b, i, reduce=reduce, include_self=include_self: L.scatter_reduce(
                    a, 0, i, b, reduce, include_self=include_self
                ),
                [((3, 2), (5, 2))],
                values="away" if reduce == "prod" else "normal",
                extra=_index((5, 2), 3),
            ),
            Case(
                f"scatter_reduce_{reduce}_dim1_{'with' if include_self else 'without'}_self",
                lambda L, a, b, i, reduce=reduce, include_self=include_self: a.scatter_reduce(
                    1, i, b, reduce=reduce, include_self=include_self
                ),
                [((2, 4), (2, 3))],
                values="away" if reduce == "prod" else "normal",
                extra=_index((2, 3), 4),
            ),
        ]
CASES += [
    Case(
        "scatter_reduce_src_larger_than_index",
        lambda L, a, b, i: L.scatter_reduce(a, 1, i, b, "amax"),
        [((3, 4), (3, 5))],
        extra=_index((2, 3), 4),
        reference_grad=False,  # PyTorch's own backward fails when src is larger than index
    ),
    Case(
        "scatter_reduce_3d",
        lambda L, a, b, i: L.scatter_reduce(a, -1, i, b, "mean", include_self=False),
        [((2, 2, 3), (2, 2, 4))],
        extra=_index((2, 2, 4), 3),
    ),
    Case(
        "scatter_reduce_empty_index",
        lambda L, a, b, i: L.scatter_reduce(a, 0, i, b, "prod"),
        [((3, 2), (0, 2))],
        extra=lambda rng, shapes: [np.zeros((0, 2), np.int64)],
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def _grads(lib, a, index, src, reduce, include_self, seed):
    x = lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
    s = lib.tensor(np.asarray(src, dtype=np.float64), requires_grad=True)
    out = lib.scatter_reduce(x, 0, lib.tensor(np.asarray(index)), s, reduce, include_self=include_self)
    out.backward(lib.tensor(np.asarray(seed, dtype=np.float64)))
    return out, x.grad, s.grad


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_ties_share_the_gradient_equally_as_pytorch(reduce, include_self):
    a, index, src = [2.0, 0.0, 1.0], [0, 0, 2, 2, 1], [2.0, 2.0, 1.0, 1.0, 5.0]
    seed = [1.0, 2.0, 3.0]
    for o, t in zip(
        _grads(nf, a, index, src, reduce, include_self, seed), _grads(torch, a, index, src, reduce, include_self, seed)
    ):
        assert_close(o, t)


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
def test_products_with_zeros_match_pytorchs_gradients(include_self):
    a, index = [2.0, 0.0, 3.0, 4.0], [0, 0, 1, 2, 2, 3]
    src = [0.0, 5.0, 7.0, 0.0, 0.0, 1.5]  # one zero into 0, self zero at 1, two zeros into 2
    seed = [1.0, 2.0, 3.0, 4.0]
    for o, t in zip(
        _grads(nf, a, index, src, "prod", include_self, seed), _grads(torch, a, index, src, "prod", include_self, seed)
    ):
        assert_close(o, t)


def test_double_backward_through_two_zeros_in_one_product_raises_instead_of_being_wrong():
    a = nf.tensor([2.0, 3.0], dtype=nf.float64, requires_grad=True)
    src = nf.tensor([0.0, 0.0, 4.0], dtype=nf.float64, requires_grad=True)
    out = nf.scatter_reduce(a, 0, nf.tensor([0, 0, 1]), src, "prod")
    (g,) = nf.autograd.grad(out.sum(), src, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 3.0]  # the first derivative is right
    with pytest.raises(RuntimeError, match="scatter_reduce.*double backward"):
        g.sum().backward()
    (plain,) = nf.autograd.grad(nf.scatter_reduce(a, 0, nf.tensor([0, 0, 1]), src, "prod").sum(), src)
    assert plain.tolist() == [0.0, 0.0, 3.0]


@needs_torch
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_inputs_match_pytorch(reduce, include_self, dtype):
    a = np.array([1, 2, 3, 9], dtype=dtype)
    index = np.array([0, 0, 2, 0, 2])
    src = np.array([5, 6, 8, 3, 7], dtype=dtype)
    ours = nf.scatter_reduce(nf.tensor(a), 0, nf.tensor(index), nf.tensor(src), reduce, include_self=include_self)
    theirs = torch.scatter_reduce(
        torch.tensor(a), 0, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self
    )
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_max_and_min_spell_amax_and_amin_as_in_pytorch():
    for alias in ("max", "min"):
        ours = nf.scatter_reduce(nf.zeros(3), 0, nf.tensor([0, 1, 1]), nf.tensor([-1.0, 2.0, 3.0]), alias)
        theirs = torch.scatter_reduce(torch.zeros(3), 0, torch.tensor([0, 1, 1]), torch.tensor([-1.0, 2.0, 3.0]), alias)
        assert_close(ours, theirs)


def test_input_is_left_unchanged_and_method_is_the_function():
    a = nf.tensor([1.0, 2.0, 3.0])
    out = a.scatter_reduce(0, nf.tensor([0, 0]), nf.tensor([5.0, 6.0]), "sum")
    assert out.tolist() == [12.0, 2.0, 3.0] and a.tolist() == [1.0, 2.0, 3.0]
    assert nf.Tensor.scatter_reduce is nf.scatter_reduce


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([0, 1]), L.ones(2), "add"),
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([0, 1]), L.ones(2, dtype=L.int64), "sum"),
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([0, 3]), L.ones(2), "sum"),
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([0.0, 1.0]), L.ones(2), "sum"),
        lambda L: L.scatter_reduce(L.zeros(3), 1, L.tensor([0, 1]), L.ones(2), "sum"),
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([[0, 1]]), L.ones(2), "sum"),
        lambda L: L.scatter_reduce(L.zeros(2, 3), 0, L.tensor([[0, 1, 0, 1]]), L.ones(2, 3), "sum"),
        lambda L: L.scatter_reduce(L.zeros(3), 0, L.tensor([0, 1, 2]), L.ones(2), "sum"),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match="scatter_reduce.*reduce"):
        nf.scatter_reduce(nf.zeros(3), 0, nf.tensor([0]), nf.ones(1), "maximum")
    with pytest.raises(RuntimeError, match="scatter_reduce.*out of bounds"):
        nf.scatter_reduce(nf.zeros(3), 0, nf.tensor([5]), nf.ones(1), "sum")


@needs_torch
@pytest.mark.parametrize("reduce", ["amin", "amax"])
@pytest.mark.parametrize("include_self", [True, False])
def test_amin_and_amax_reduce_bools_as_pytorch(reduce, include_self):
    def run(L):
        x = L.tensor([True, False, True, False, True])
        index = L.tensor([0, 0, 1, 1, 3])
        src = L.tensor([False, True, True, True, False])
        out = L.scatter_reduce(x, 0, index, src, reduce, include_self=include_self)
        return out.tolist(), str(out.dtype).split(".")[-1]

    assert run(nf) == run(torch)
