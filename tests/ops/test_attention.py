"""numpyflow/ops/attention.py: scaled_dot_product_attention against PyTorch (masks,
causal, scale, grouped-query heads, fully masked rows), finite differences of every
order, float32; dropout's statistics and PyTorch's errors."""

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def F(L):
    return L.nn.functional


def _sdpa(**kw):
    return lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, **kw)


def _bool_mask(lead=None, dead_row=None, seed=5):
    """A boolean mask of shape ``lead + (L, S)`` (``lead`` defaults to the query's batch dims)."""

    def extra(rng, shapes):
        q, k = shapes[0], shapes[1]
        shape = (q[:-2] if lead is None else lead) + (q[-2], k[-2])
        m = np.random.default_rng(seed).random(shape) > 0.4
        if dead_row is not None:
            m[..., dead_row, :] = False
        return [m]

    return extra


QKV = [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3)), ((4, 5), (6, 5), (6, 3))]
GRAD_QKV = [((1, 2, 3), (1, 3, 3), (1, 3, 2))]

CASES = [
    Case("sdpa", _sdpa(), QKV, grad_shapes=GRAD_QKV),
    Case("sdpa_scale", _sdpa(scale=0.3), QKV, grad_shapes=GRAD_QKV),
    Case("sdpa_causal", _sdpa(is_causal=True), QKV, grad_shapes=GRAD_QKV),
    Case("sdpa_causal_long_query", _sdpa(is_causal=True), [((2, 5, 4), (2, 3, 4), (2, 3, 2))], grad_shapes=GRAD_QKV),
    Case(
        "sdpa_bool_mask_broadcast",
        lambda L, q, k, v, m: F(L).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3))],
        extra=_bool_mask(lead=()),
    ),
    Case(
        "sdpa_bool_mask_fully_masked_row_gives_zero",
        lambda L, q, k, v, m: F(L).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [((2, 4, 5), (2, 6, 5), (2, 6, 3))],
        extra=_bool_mask(dead_row=1),
        grad_shapes=[((1, 3, 2), (1, 3, 2), (1, 3, 2))],
    ),
    Case(
        "sdpa_float_mask_differentiable",
        lambda L, q, k, v, m: F(L).scaled_dot_product_attention(q, k, v, attn_mask=m),
        [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3), (3, 1, 6))],
        grad_shapes=[((1, 2, 3), (1, 3, 3), (1, 3, 2), (2, 3))],
    ),
    Case(
        "sdpa_float_mask_inf_row_gives_zero",
        lambda L, q, k, v, m: F(L).scaled_dot_product_attention(
            q, k, v, attn_mask=m.masked_fill(L.tensor([False, True, False]).reshape(3, 1), float("-inf"))
        ),
        [((2, 3, 5), (2, 4, 5), (2, 4, 2), (3, 4))],
        grad_shapes=[((1, 3, 2), (1, 2, 2), (1, 2, 2), (3, 2))],
    ),
    Case(
        "sdpa_gqa",
        _sdpa(enable_gqa=True),
        [((1, 6, 4, 5), (1, 2, 6, 5), (1, 2, 6, 3)), ((4, 3, 5), (2, 3, 5), (1, 3, 2))],
        grad_shapes=[((4, 2, 2), (2, 2, 2), (1, 2, 2))],
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def _qkv(shape_q=(2, 2, 64, 8), s=64, seed=0):
    rng = np.random.default_rng(seed)
    q = nf.tensor(rng.standard_normal(shape_q))
    k = nf.tensor(rng.standard_normal(shape_q[:-2] + (s, shape_q[-1])))
    v = nf.tensor(rng.standard_normal(shape_q[:-2] + (s, 4)))
    return q, k, v


def test_sdpa_dropout_zero_equals_no_dropout():
    q, k, v = _qkv()
    a = F(nf).scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    b = F(nf).scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sdpa_dropout_drops_weights_at_rate_p_and_keeps_the_mean():
    # values all ones: each output is the sum of the kept (rescaled) weights of its row
    q, k, _ = _qkv(shape_q=(4, 8, 64, 8), s=64)
    v = nf.ones(4, 8, 64, 1, dtype=nf.float64)
    nf.manual_seed(0)
    out = F(nf).scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
    assert abs(out.mean() - 1.0) < 0.02  # the weights are rescaled by 1 / (1 - p)
    # the zeroed share of the weights: draw the same masks again through a uniform attention
    nf.manual_seed(0)
    eye = (
        F(nf)
        .scaled_dot_product_attention(
            nf.zeros(4, 8, 64, 8, dtype=nf.float64),
            nf.zeros(4, 8, 64, 8, dtype=nf.float64),
            nf.tensor(np.broadcast_to(np.eye(64), (4, 8, 64, 64)).copy()),
            dropout_p=0.3,
        )
        .numpy()
    )
    assert abs((eye == 0).mean() - 0.3) < 0.01
    nf.manual_seed(0)
    again = F(nf).scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
    np.testing.assert_array_equal(out, again)  # the seeded generator repeats the draws


def test_sdpa_dropout_gradient_uses_the_same_mask():
    q, k, v = _qkv(shape_q=(1, 1, 5, 3), s=5)
    q.requires_grad_(True)
    assert nf.autograd.gradcheck(
        lambda q: (nf.manual_seed(3), F(nf).scaled_dot_product_attention(q, k, v, dropout_p=0.5))[1], [q]
    )


def test_sdpa_mask_and_is_causal_is_an_error():
    q, k, v = _qkv()
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        F(nf).scaled_dot_product_attention(q, k, v, attn_mask=nf.ones(64, 64, dtype=nf.bool), is_causal=True)


def test_sdpa_gqa_heads_must_divide():
    q = nf.randn(1, 6, 3, 4)
    k = nf.randn(1, 4, 5, 4)
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F(nf).scaled_dot_product_attention(q, k, k, enable_gqa=True)


def test_sdpa_embedding_sizes_must_match():
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        F(nf).scaled_dot_product_attention(nf.randn(3, 4), nf.randn(5, 3), nf.randn(5, 2))


@needs_torch
def test_sdpa_float32_matches_pytorch():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 8, 16), (2, 4, 9, 16), (2, 4, 9, 16))]
    mask = rng.random((8, 9)) > 0.3
    ours = F(nf).scaled_dot_product_attention(*map(nf.tensor, arrays), attn_mask=nf.tensor(mask))
    theirs = F(torch).scaled_dot_product_attention(*map(torch.tensor, arrays), attn_mask=torch.tensor(mask))
    assert ours.dtype == nf.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
