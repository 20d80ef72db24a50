"""numpyflow/ops/pdist.py: pdist against PyTorch for several p, finite differences, float32."""

import pytest
from cases import Case
from runner import op_tests

import numpyflow as nf

CASES = [
    Case(
        f"pdist_p{p}",
        lambda L, x, p=p: L.nn.functional.pdist(x, p),
        [((4, 3),), ((1, 3),), ((5, 2),)],
        grad_shapes=[((4, 3),)],
    )
    for p in (2, 1, 3, 0.5)
] + [
    Case("pdist_inf", lambda L, x: L.nn.functional.pdist(x, float("inf")), [((4, 3),)], second=False),
    Case("pdist_p0", lambda L, x: L.nn.functional.pdist(x, 0), [((4, 3),)], differentiable=False),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_pdist_needs_a_matrix():
    with pytest.raises(RuntimeError):
        nf.nn.functional.pdist(nf.zeros(2, 3, 4))
