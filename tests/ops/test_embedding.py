"""numpyflow/ops/embedding.py: embedding and one_hot against PyTorch (forward, gradients,
double backward, max_norm), finite differences, float32 and errors."""

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import embedding as embedding_ops


def F(L):
    """The functions under test: torch.nn.functional's, or this module's."""
    return L.nn.functional if L is torch else embedding_ops


def _indices(shape, n):
    def extra(rng, shapes):
        i = rng.integers(0, n, size=shape)
        i.reshape(-1)[:2] = [1, 1]  # a repeated index: its gradient rows add up
        return [i]

    return extra


CASES = [
    Case("embedding", lambda L, w, i: F(L).embedding(i, w), [((5, 3),)], extra=_indices((2, 4), 5)),
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is not the
    # derivative), so these compare with PyTorch only, not with finite differences
    Case(
        "embedding_padding_idx",
        lambda L, w, i: F(L).embedding(i, w, padding_idx=1),
        [((5, 3),)],
        extra=_indices((6,), 5),
        finite_differences=False,
    ),
    Case(
        "embedding_negative_padding_idx_scaled_by_freq",
        lambda L, w, i: F(L).embedding(i, w, padding_idx=-1, scale_grad_by_freq=True),
        [((4, 2),)],
        extra=_indices((3, 3), 4),
        finite_differences=False,
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_embedding_padding_row_gets_no_gradient_and_repeats_accumulate():
    w = nf.randn(4, 3, dtype=nf.float64, requires_grad=True)
    out = embedding_ops.embedding(nf.tensor([[2, 0, 2], [2, 3, 0]]), w, padding_idx=0)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0, 0], [0, 0, 0], [3, 3, 3], [1, 1, 1]])


@needs_torch
def test_embedding_max_norm_renormalises_rows_like_pytorch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4)) * 2
    ours, theirs = nf.tensor(w), torch.tensor(w)
    idx = [1, 3, 3, 5]
    a = embedding_ops.embedding(nf.tensor(idx), ours, max_norm=1.5, norm_type=1.0)
    b = torch.nn.functional.embedding(torch.tensor(idx), theirs, max_norm=1.5, norm_type=1.0)
    assert_close(a, b, rtol=1e-12, what="rows")
    assert_close(ours, theirs, rtol=1e-12, what="weight after renorm")


def test_embedding_errors():
    w = nf.randn(4, 2)
    with pytest.raises(RuntimeError, match="embedding: Expected tensor for argument #1 'indices'"):
        embedding_ops.embedding(nf.tensor([1.0, 2.0]), w)
    with pytest.raises(IndexError, match="embedding: index 5 is out of range"):
        embedding_ops.embedding(nf.tensor([1, 5]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        embedding_ops.embedding(nf.tensor([1]), w, padding_idx=4)


@needs_torch
@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_pytorch(num_classes):
    t = np.array([[0, 3], [4, 1]])
    ours = embedding_ops.one_hot(nf.tensor(t), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(t), num_classes)
    assert ours.dtype == nf.int64
    assert_close(ours, theirs, what="one_hot")


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        embedding_ops.one_hot(nf.tensor([1, -2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        embedding_ops.one_hot(nf.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        embedding_ops.one_hot(nf.tensor(np.zeros(0, np.int64)))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        embedding_ops.one_hot(nf.tensor([1.0]))
    assert tuple(embedding_ops.one_hot(nf.tensor(np.zeros(0, np.int64)), 3).shape) == (0, 3)


@needs_torch
def test_embedding_double_backward_reads_rows_back_like_pytorch():
    rng = np.random.default_rng(1)
    w0, seed0, r0 = rng.standard_normal((5, 3)), rng.standard_normal((2, 4, 3)), rng.standard_normal((5, 3))
    idx = np.array([[1, 4, 1, 0], [2, 4, 4, 3]])
    results = []
    for lib, emb in ((nf, embedding_ops.embedding), (torch, torch.nn.functional.embedding)):
        w = lib.tensor(w0, requires_grad=True)
        seed = lib.tensor(seed0, requires_grad=True)
        (g,) = lib.autograd.grad(emb(lib.tensor(idx), w, padding_idx=4), [w], seed, create_graph=True)
        (g * lib.tensor(r0)).sum().backward()
        results.append((g, seed.grad))
    assert_close(results[0][0], results[1][0], rtol=1e-12, what="weight gradient")
    assert_close(results[0][1], results[1][1], rtol=1e-12, what="gradient of the weight gradient wrt its seed")
