"""numpyflow/ops/_window_args.py: the argument checks conv and pooling share."""

from __future__ import annotations

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.ops._window_args import as_int, as_tensor, pair, shape_of


@pytest.mark.parametrize(
    "value,expected", [(3, (3, 3)), ((2, 5), (2, 5)), ([4], (4, 4)), (np.int64(2), (2, 2)), ((nf.tensor(1), 2), (1, 2))]
)
def test_pair_accepts_an_int_or_one_or_two_ints(value, expected):
    assert pair(value, "stride", "conv2d") == expected


def test_pair_of_three_names_the_op_and_argument():
    with pytest.raises(
        RuntimeError,
        match=r"conv2d: expected stride to be a single int or a tuple of 2 ints, "
        r"but got stride=\(1, 2, 3\)",
    ):
        pair((1, 2, 3), "stride", "conv2d")


@pytest.mark.parametrize("bad", [1.5, True, "2", None])
def test_as_int_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="max_pool2d: padding must be an int or a tuple of 2 ints"):
        as_int(bad, "padding", "max_pool2d")


def test_as_tensor_wraps_arrays_and_rejects_lists():
    t = as_tensor(np.zeros((2, 3)), "input", "conv2d")
    assert isinstance(t, nf.Tensor) and shape_of(t) == (2, 3)
    with pytest.raises(TypeError, match=r"conv2d\(\): argument 'input' must be Tensor, not list"):
        as_tensor([1.0], "input", "conv2d")
