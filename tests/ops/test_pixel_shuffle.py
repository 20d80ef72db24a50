"""numpyflow/ops/pixel_shuffle.py: pixel_shuffle and pixel_unshuffle against PyTorch
(values and gradients), finite differences (first and second derivatives) and float32,
over upscale factors and leading dims; each undoes the other; errors raise PyTorch's
exception types."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import pixel_shuffle as pixel_shuffle_module

OURS = SimpleNamespace(**{name: getattr(pixel_shuffle_module, name) for name in pixel_shuffle_module.__all__})


def F(L):
    return OURS if L is nf else L.nn.functional


CASES = [
    Case(
        "pixel_shuffle",
        lambda L, x: F(L).pixel_shuffle(x, 2),
        [((2, 8, 3, 4),), ((4, 2, 3),), ((2, 1, 8, 2, 3),)],
        grad_shapes=[((1, 8, 2, 2),)],
    ),
    Case(
        "pixel_shuffle_factor3",
        lambda L, x: F(L).pixel_shuffle(x, 3),
        [((1, 18, 2, 2),)],
        grad_shapes=[((1, 9, 2, 2),)],
    ),
    Case("pixel_shuffle_factor1", lambda L, x: F(L).pixel_shuffle(x, 1), [((2, 3, 2, 2),)]),
    Case(
        "pixel_unshuffle",
        lambda L, x: F(L).pixel_unshuffle(x, 2),
        [((2, 2, 6, 4),), ((3, 4, 4),), ((2, 1, 2, 4, 2),)],
        grad_shapes=[((1, 2, 4, 4),)],
    ),
    Case(
        "pixel_unshuffle_factor3",
        lambda L, x: F(L).pixel_unshuffle(x, 3),
        [((1, 2, 6, 9),)],
        grad_shapes=[((1, 1, 3, 6),)],
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


def test_unshuffle_undoes_shuffle():
    x = nf.tensor(np.random.default_rng(0).standard_normal((2, 12, 3, 5)))
    y = pixel_shuffle_module.pixel_unshuffle(pixel_shuffle_module.pixel_shuffle(x, 2), 2)
    np.testing.assert_array_equal(y.numpy(), x.numpy())


@needs_torch
def test_integer_tensors_shuffle_like_pytorch():
    x = np.arange(32).reshape(2, 4, 2, 2)
    ours = pixel_shuffle_module.pixel_shuffle(nf.tensor(x), 2)
    theirs = torch.nn.functional.pixel_shuffle(torch.tensor(x), 2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == nf.int64


ERRORS = [
    ("shuffle_channels_not_divisible", "pixel_shuffle", (1, 3, 2, 2), 2),
    ("shuffle_2d_input", "pixel_shuffle", (4, 2), 2),
    ("shuffle_zero_factor", "pixel_shuffle", (1, 4, 2, 2), 0),
    ("unshuffle_height_not_divisible", "pixel_unshuffle", (1, 3, 3, 2), 2),
    ("unshuffle_width_not_divisible", "pixel_unshuffle", (1, 3, 2, 3), 2),
    ("unshuffle_negative_factor", "pixel_unshuffle", (1, 3, 2, 2), -1),
]


@needs_torch
@pytest.mark.parametrize("name,op,shape,factor", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_raise_pytorchs_exception_type(name, op, shape, factor):
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, op)(torch.tensor(x), factor)
    with pytest.raises(theirs.type, match=op):
        getattr(pixel_shuffle_module, op)(nf.tensor(x), factor)
