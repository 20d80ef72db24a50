"""numpyflow/ops/distance.py: normalize, cosine_similarity and pairwise_distance against
PyTorch (values and gradients), finite differences and float32."""

import numpy as np
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def F(L):
    return L.nn.functional


CASES = [
    Case("normalize_dim1", lambda L, x: F(L).normalize(x), [((3, 4),), ((2, 3, 4),)]),
    Case("normalize_p1_last", lambda L, x: F(L).normalize(x, p=1, dim=-1), [((3, 4),)]),
    Case("cosine_similarity_rows", lambda L, a, b: F(L).cosine_similarity(a, b), [((3, 4), (3, 4))]),
    Case("cosine_similarity_broadcast", lambda L, a, b: F(L).cosine_similarity(a, b, dim=-1), [((2, 3), (3,))]),
    Case("cosine_similarity_dim2", lambda L, a, b: F(L).cosine_similarity(a, b, 2), [((2, 3, 4), (2, 3, 4))]),
    Case("pairwise_distance_p2", lambda L, a, b: F(L).pairwise_distance(a, b), [((3, 4), (3, 4))]),
    Case(
        "pairwise_distance_p1_keepdim",
        lambda L, a, b: F(L).pairwise_distance(a, b, p=1, keepdim=True),
        [((3, 4), (3, 4))],
        second=False,
    ),
    Case("pairwise_distance_p3", lambda L, a, b: F(L).pairwise_distance(a, b, p=3), [((2, 5), (2, 5))]),
]

(test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32) = op_tests(CASES)


@needs_torch
def test_cosine_similarity_of_a_zero_vector_is_zero_with_pytorchs_gradient():
    z, o = np.zeros((1, 3)), np.ones((1, 3))
    ours = nf.tensor(z, requires_grad=True)
    theirs = torch.tensor(z, requires_grad=True)
    nf.nn.functional.cosine_similarity(ours, nf.tensor(o)).sum().backward()
    torch.nn.functional.cosine_similarity(theirs, torch.tensor(o)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_layers_call_their_functions():
    a, b = nf.randn(4, 3), nf.randn(4, 3)
    assert np.allclose(nf.nn.CosineSimilarity(dim=1)(a, b).numpy(), nf.nn.functional.cosine_similarity(a, b).numpy())
    assert nf.nn.PairwiseDistance(keepdim=True)(a, b).shape == (4, 1)
