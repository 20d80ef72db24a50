"""numpyflow/ops/embedding_bag.py: every mode, offsets, include_last_offset, padding_idx
and per_sample_weights against PyTorch, finite differences and float32; errors."""

import numpy as np
import pytest
from cases import Case
from runner import op_tests

import numpyflow as nf

INDICES = np.array([1, 2, 4, 5, 1, 0, 3, 1])


def F(L):
    return L.nn.functional


def _flat(offsets):
    def extra(rng, shapes):
        return [INDICES, np.array(offsets)]

    return extra


def _fixed(rng, shapes):
    return [INDICES.reshape(2, 4)]


CASES = []
for mode in ("sum", "mean", "max"):
    CASES += [
        Case(
            f"embedding_bag_{mode}_offsets",
            lambda L, w, i, o, mode=mode: F(L).embedding_bag(i, w, o, mode=mode),
            [((6, 3),)],
            extra=_flat([0, 2, 2, 5]),
        ),
        Case(
            f"embedding_bag_{mode}_2d",
            lambda L, w, i, mode=mode: F(L).embedding_bag(i, w, mode=mode),
            [((6, 3),)],
            extra=_fixed,
        ),
        Case(
            f"embedding_bag_{mode}_last_offset_padding",
            lambda L, w, i, o, mode=mode: F(L).embedding_bag(
                i, w, o, mode=mode, include_last_offset=True, padding_idx=1
            ),
            [((6, 2),)],
            extra=_flat([0, 3, 3, 6]),
        ),
    ]
CASES += [
    Case(
        "embedding_bag_per_sample_weights",
        lambda L, w, s, i, o: F(L).embedding_bag(i, w, o, mode="sum", per_sample_weights=s),
        [((6, 3), (8,))],
        extra=_flat([0, 4, 6]),
    ),
    Case(
        "embedding_bag_padding_only_bag_is_zero",
        lambda L, w, i, o: F(L).embedding_bag(i, w, o, mode="mean", padding_idx=2),
        [((6, 3),)],
        extra=lambda rng, shapes: [np.array([2, 2, 0, 5]), np.array([0, 2])],
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_embedding_bag_argument_errors_match_pytorch_types():
    w = nf.randn(5, 2)
    with pytest.raises(ValueError):
        nf.nn.functional.embedding_bag(nf.tensor([1, 2]), w)  # 1-D input without offsets
    with pytest.raises(ValueError):
        nf.nn.functional.embedding_bag(nf.tensor([[1, 2]]), w, nf.tensor([0]))
    with pytest.raises(NotImplementedError):
        nf.nn.functional.embedding_bag(nf.tensor([[1, 2]]), w, mode="mean", per_sample_weights=nf.ones(1, 2))
    with pytest.raises(ValueError):
        nf.nn.functional.embedding_bag(nf.tensor([[1, 2]]), w, mode="min")
