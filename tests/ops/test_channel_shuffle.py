"""numpyflow/ops/channel_shuffle.py: channel_shuffle against PyTorch; errors."""

import numpy as np
import pytest
from cases import Case
from runner import op_tests

import numpyflow as nf

CASES = [
    Case(
        "channel_shuffle_2",
        lambda L, x: L.nn.functional.channel_shuffle(x, 2),
        [((2, 4, 3),), ((1, 6, 2, 2),)],
        grad_shapes=[((1, 4, 3),)],
    ),
    Case("channel_shuffle_3d", lambda L, x: L.nn.functional.channel_shuffle(x, 3), [((1, 6, 1, 2, 2),)]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_channel_shuffle_interleaves_groups():
    x = nf.arange(6.0).reshape(1, 6, 1)
    assert np.array_equal(nf.nn.functional.channel_shuffle(x, 2).numpy().ravel(), [0, 3, 1, 4, 2, 5])


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(RuntimeError):
        nf.nn.functional.channel_shuffle(nf.zeros(1, 5, 2), 2)
