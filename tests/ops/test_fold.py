"""numpyflow/ops/fold.py: unfold (im2col) and fold (col2im) against PyTorch (values and
gradients), finite differences (first and second derivatives) and float32, over kernel
sizes, dilation, padding, stride and unbatched inputs; fold is unfold's adjoint; errors
raise PyTorch's exception types."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import fold as fold_module

OURS = SimpleNamespace(**{name: getattr(fold_module, name) for name in fold_module.__all__})


def F(L):
    return OURS if L is nf else L.nn.functional


def unfold(name, shapes, grad_shapes, *args, **kw):
    return Case(
        name, lambda L, x: F(L).unfold(x, *args, **kw), [(s,) for s in shapes], grad_shapes=[(s,) for s in grad_shapes]
    )


def fold(name, shapes, grad_shapes, *args, **kw):
    return Case(
        name, lambda L, x: F(L).fold(x, *args, **kw), [(s,) for s in shapes], grad_shapes=[(s,) for s in grad_shapes]
    )


CASES = [
    unfold("unfold", [(2, 3, 5, 6), (3, 4, 4)], [(1, 2, 4, 4)], 2),
    unfold(
        "unfold_dilation_padding_stride",
        [(2, 3, 6, 7)],
        [(1, 2, 4, 5)],
        (2, 3),
        dilation=(2, 1),
        padding=1,
        stride=(2, 1),
    ),
    unfold("unfold_kernel_covers_input", [(2, 2, 3, 3)], [(1, 2, 3, 3)], 3, padding=(0, 1)),
    unfold("unfold_stride_skips_edge", [(2, 2, 7, 7)], [(1, 1, 5, 5)], 2, stride=3),
    fold("fold", [(2, 12, 6), (12, 6)], [(1, 4, 6)], (3, 4), 2),
    fold(
        "fold_dilation_padding_stride",
        [(2, 18, 6)],
        [(1, 6, 6)],
        (4, 5),
        (2, 3),
        dilation=(2, 1),
        padding=1,
        stride=2,
    ),
    fold("fold_overlapping_blocks", [(2, 9, 4)], [(1, 9, 4)], (4, 4), 3, padding=1, stride=2),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(0)
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 2), stride=(2, 1))
    x = nf.tensor(rng.standard_normal((2, 3, 7, 6)))
    cols = fold_module.unfold(x, **kw)
    g = nf.tensor(rng.standard_normal(tuple(cols.shape)))
    back = fold_module.fold(g, (7, 6), **kw)
    np.testing.assert_allclose(float((cols * g).sum()), float((x * back).sum()), rtol=1e-12)


def test_unfold_then_matmul_is_a_convolution():
    rng = np.random.default_rng(1)
    x = nf.tensor(rng.standard_normal((2, 3, 6, 5)))
    w = nf.tensor(rng.standard_normal((4, 3, 3, 3)))
    cols = fold_module.unfold(x, 3, padding=1, stride=2)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(y.numpy(), nf.nn.functional.conv2d(x, w, padding=1, stride=2).numpy(), atol=1e-12)


ERRORS = [
    ("unfold_2d_input", "unfold", (5, 5), (2,), {}),
    ("unfold_5d_input", "unfold", (1, 1, 5, 5, 5), (2,), {}),
    ("unfold_kernel_too_large", "unfold", (1, 1, 2, 2), (3,), {}),
    ("unfold_zero_kernel", "unfold", (1, 1, 4, 4), (0,), {}),
    ("unfold_negative_padding", "unfold", (1, 1, 4, 4), (2,), dict(padding=-1)),
    ("fold_block_count", "fold", (1, 4, 5), ((3, 3), 2), {}),
    ("fold_channels_not_divisible", "fold", (1, 5, 4), ((3, 3), 2), {}),
    ("fold_4d_input", "fold", (1, 4, 4, 1), ((3, 3), 2), {}),
]


@needs_torch
@pytest.mark.parametrize("name,op,shape,args,kw", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_raise_pytorchs_exception_type(name, op, shape, args, kw):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, op)(torch.tensor(x), *args, **kw)
    with pytest.raises(theirs.type, match=op):
        getattr(fold_module, op)(nf.tensor(x), *args, **kw)


@needs_torch
def test_integer_input_is_not_implemented_like_pytorch():
    x = np.arange(16).reshape(1, 1, 4, 4)
    with pytest.raises(NotImplementedError):
        torch.nn.functional.unfold(torch.tensor(x), 2)
    with pytest.raises(NotImplementedError, match="unfold"):
        fold_module.unfold(nf.tensor(x), 2)
