"""numpyflow/ops/margin_loss.py: the margin and embedding losses against PyTorch (every
reduction, values and gradients), finite differences and float32; errors."""

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf

REDUCTIONS = ("mean", "sum", "none")


def F(L):
    return L.nn.functional


def _signs(shape_index=0, drop_last=False):
    def extra(rng, shapes):
        shape = shapes[shape_index][:-1] if drop_last else shapes[shape_index]
        return [rng.choice([-1, 1], size=shape)]

    return extra


def _labels(rng, shapes):
    return [rng.integers(0, 2, size=shapes[0])]


CASES = []
for red in REDUCTIONS:
    CASES += [
        Case(
            f"soft_margin_{red}",
            lambda L, x, y, red=red: F(L).soft_margin_loss(x, y, reduction=red),
            [((3, 4),)],
            extra=_signs(),
        ),
        Case(
            f"multilabel_soft_margin_{red}",
            lambda L, x, y, red=red: F(L).multilabel_soft_margin_loss(x, y, reduction=red),
            [((3, 4),)],
            extra=_labels,
        ),
        Case(
            f"hinge_embedding_{red}",
            lambda L, x, y, red=red: F(L).hinge_embedding_loss(x, y, margin=0.5, reduction=red),
            [((3, 4),)],
            extra=_signs(),
        ),
        Case(
            f"cosine_embedding_{red}",
            lambda L, a, b, y, red=red: F(L).cosine_embedding_loss(a, b, y, margin=-0.5, reduction=red),
            [((4, 3), (4, 3))],
            extra=_signs(drop_last=True),
        ),
        Case(
            f"margin_ranking_{red}",
            lambda L, a, b, y, red=red: F(L).margin_ranking_loss(a, b, y, margin=0.2, reduction=red),
            [((5,), (5,))],
            extra=_signs(),
        ),
        Case(
            f"triplet_margin_{red}",
            lambda L, a, p, n, red=red: F(L).triplet_margin_loss(a, p, n, margin=2.0, reduction=red),
            [((3, 4), (3, 4), (3, 4))],
        ),
    ]
CASES += [
    Case(
        "multilabel_soft_margin_weighted",
        lambda L, x, y: F(L).multilabel_soft_margin_loss(x, y, weight=L.linspace(0.5, 2.0, 4, dtype=x.dtype)),
        [((3, 4),)],
        extra=_labels,
    ),
    Case(
        "cosine_embedding_vectors",
        lambda L, a, b, y: F(L).cosine_embedding_loss(a, b, y),
        [((5,), (5,))],
        extra=lambda rng, shapes: [np.asarray(1)],
    ),
    Case(
        "triplet_margin_swap_p1",
        lambda L, a, p, n: F(L).triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True),
        [((3, 4), (3, 4), (3, 4))],
        second=False,
    ),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: F(L).triplet_margin_loss(L.ones(2, 3), L.ones(2, 3), L.ones(3)),
        lambda L: F(L).margin_ranking_loss(L.ones(3), L.ones(3), L.ones(3, 1)),
        lambda L: F(L).soft_margin_loss(L.ones(3), L.ones(3), reduction="avg"),
    ],
)
def test_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


def test_layers_match_their_functions():
    a, p, n = nf.randn(4, 3), nf.randn(4, 3), nf.randn(4, 3)
    y = nf.tensor([1.0, -1.0, 1.0, -1.0])
    assert nf.nn.TripletMarginLoss(margin=0.5, swap=True)(a, p, n).item() == pytest.approx(
        nf.nn.functional.triplet_margin_loss(a, p, n, margin=0.5, swap=True).item()
    )
    assert nf.nn.CosineEmbeddingLoss(0.1, reduction="sum")(a, p, y).item() == pytest.approx(
        nf.nn.functional.cosine_embedding_loss(a, p, y, 0.1, reduction="sum").item()
    )
    assert nf.nn.HingeEmbeddingLoss()(a[:, 0], y).shape == ()
    assert nf.nn.MarginRankingLoss(reduction="none")(a[:, 0], p[:, 0], y).shape == (4,)
