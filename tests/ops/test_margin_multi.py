"""numpyflow/ops/margin_multi.py: multi_margin_loss, multilabel_margin_loss and
triplet_margin_with_distance_loss against PyTorch, finite differences and float32."""

import numpy as np
import pytest
from cases import Case
from runner import op_tests

import numpyflow as nf

REDUCTIONS = ("mean", "sum", "none")


def F(L):
    return L.nn.functional


def _classes(rng, shapes):
    shape = shapes[0]
    return [rng.integers(0, shape[-1], size=shape[:-1])]


def _multilabels(rng, shapes):
    shape = shapes[0]
    n = shape[0] if len(shape) == 2 else 1
    c = shape[-1]
    rows = []
    for _ in range(n):
        k = int(rng.integers(0, c + 1))
        row = np.full(c, -1)
        row[:k] = rng.permutation(c)[:k]
        if k < c - 1:
            row[k + 1] = int(rng.integers(0, c))  # after the first -1: ignored
        rows.append(row)
    return [np.stack(rows).reshape(shape)]


def _l1(L):
    return lambda a, b: (a - b).abs().sum(-1)


CASES = []
for red in REDUCTIONS:
    CASES += [
        Case(
            f"multi_margin_{red}",
            lambda L, x, y, red=red: F(L).multi_margin_loss(x, y, reduction=red),
            [((3, 4),)],
            values="int",  # spread values: no hinge exactly at its kink
            extra=_classes,
            finite_differences=False,
        ),
        Case(
            f"multi_margin_smooth_{red}",
            lambda L, x, y, red=red: F(L).multi_margin_loss(x, y, margin=0.3, reduction=red),
            [((3, 4),)],
            extra=_classes,
        ),
        Case(
            f"multilabel_margin_{red}",
            lambda L, x, y, red=red: F(L).multilabel_margin_loss(x, y, reduction=red),
            [((3, 4),)],
            extra=_multilabels,
        ),
        Case(
            f"triplet_distance_{red}",
            lambda L, a, p, n, red=red: F(L).triplet_margin_with_distance_loss(a, p, n, margin=2.0, reduction=red),
            [((3, 4), (3, 4), (3, 4))],
        ),
    ]
CASES += [
    Case(
        "multi_margin_p2_weight",
        lambda L, x, y: F(L).multi_margin_loss(x, y, p=2, margin=0.7, weight=L.linspace(0.5, 2.0, 4, dtype=x.dtype)),
        [((3, 4),)],
        extra=_classes,
    ),
    Case("multi_margin_unbatched", lambda L, x, y: F(L).multi_margin_loss(x, y, margin=0.4), [((5,),)], extra=_classes),
    Case(
        "multilabel_margin_unbatched", lambda L, x, y: F(L).multilabel_margin_loss(x, y), [((5,),)], extra=_multilabels
    ),
    Case(
        "triplet_distance_custom_swap",
        lambda L, a, p, n: F(L).triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: ((u - v) ** 2).sum(-1), margin=3.0, swap=True
        ),
        [((3, 4), (3, 4), (3, 4))],
    ),
    Case(
        "triplet_distance_cosine",
        lambda L, a, p, n: F(L).triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1.0 - F(L).cosine_similarity(u, v), margin=1.5, swap=True
        ),
        [((3, 4), (3, 4), (3, 4))],
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_multi_margin_loss_rejects_p_other_than_1_or_2():
    with pytest.raises(ValueError):
        nf.nn.functional.multi_margin_loss(nf.zeros(2, 3), nf.tensor([0, 1]), p=3)


def test_triplet_with_distance_needs_positive_margin_and_keyword_arguments():
    a = nf.zeros(2, 3)
    with pytest.raises(ValueError):
        nf.nn.functional.triplet_margin_with_distance_loss(a, a, a, margin=0.0)
    with pytest.raises(TypeError):
        nf.nn.functional.triplet_margin_with_distance_loss(a, a, a, None)
