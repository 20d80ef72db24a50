"""numpyflow/ops/normalization.py: batch_norm, layer_norm and group_norm against PyTorch
(forward, every gradient), finite differences (first and second derivatives), float32,
running statistics and errors."""

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import normalization as norm


def F(L):
    """The functional namespace of the library under test (torch.nn.functional or ours)."""
    return L.nn.functional if L is torch else norm


def _stats(L, x):
    c = x.shape[1]
    return (L.linspace(-0.5, 0.5, c, dtype=x.dtype), L.linspace(0.5, 2.0, c, dtype=x.dtype))


def _bn_train(L, x, w, b):
    c = x.shape[1]
    return F(L).batch_norm(x, L.zeros(c, dtype=x.dtype), L.ones(c, dtype=x.dtype), w, b, training=True)


def _bn_eval(L, x, w, b):
    mean, var = _stats(L, x)
    return F(L).batch_norm(x, mean, var, w, b, training=False, eps=1e-3)


def _params(*shapes):
    """(x, weight, bias) shapes with per-channel parameters."""
    return [(s, (s[1],), (s[1],)) for s in shapes]


BN_SHAPES = _params((4, 3), (2, 3, 5), (2, 3, 4, 4), (1, 3, 2, 2), (2, 2, 2, 2, 3))
BN_GRAD = _params((3, 2), (2, 2, 3))

CASES = [
    Case("batch_norm_training", _bn_train, BN_SHAPES, grad_shapes=BN_GRAD),
    Case(
        "batch_norm_training_no_affine",
        lambda L, x: F(L).batch_norm(x, None, None, training=True, eps=1e-4),
        [((4, 3),), ((2, 3, 5),), ((1, 2, 3, 3),)],
        grad_shapes=[((3, 2),), ((2, 2, 3),)],
    ),
    Case(
        "batch_norm_training_weight_only",
        lambda L, x, w: F(L).batch_norm(x, None, None, w, None, training=True),
        [((3, 2, 4), (2,))],
        grad_shapes=[((2, 2, 3), (2,))],
    ),
    Case("batch_norm_eval", _bn_eval, BN_SHAPES, grad_shapes=BN_GRAD),
    Case(
        "batch_norm_eval_no_affine",
        lambda L, x: F(L).batch_norm(x, *_stats(L, x)),
        [((4, 3),), ((2, 3, 2, 2),)],
        grad_shapes=[((2, 3, 2),)],
    ),
    Case(
        "layer_norm_last_dim",
        lambda L, x, w, b: F(L).layer_norm(x, tuple(w.shape), w, b),
        [((2, 3, 4), (4,), (4,)), ((5, 6), (6,), (6,)), ((1, 4), (4,), (4,))],
        grad_shapes=[((2, 3, 3), (3,), (3,))],
    ),
    Case(
        "layer_norm_two_dims",
        lambda L, x, w, b: F(L).layer_norm(x, tuple(w.shape), w, b, eps=1e-3),
        [((2, 3, 4), (3, 4), (3, 4)), ((2, 2, 3, 2), (3, 2), (3, 2))],
        grad_shapes=[((2, 2, 3), (2, 3), (2, 3))],
    ),
    Case(
        "layer_norm_no_affine",
        lambda L, x: F(L).layer_norm(x, tuple(x.shape[-1:])),
        [((3, 5),), ((2, 2, 4),)],
        grad_shapes=[((3, 4),)],
    ),
    Case(
        "group_norm",
        lambda L, x, w, b: F(L).group_norm(x, 2, w, b),
        [((2, 4, 3), (4,), (4,)), ((2, 6, 2, 2), (6,), (6,)), ((1, 4, 5), (4,), (4,))],
        grad_shapes=[((2, 4, 2), (4,), (4,))],
    ),
    Case(
        "group_norm_one_group",
        lambda L, x, w, b: F(L).group_norm(x, 1, w, b),
        [((2, 3, 4), (3,), (3,))],
        grad_shapes=[((2, 3, 2), (3,), (3,))],
    ),
    Case(
        "group_norm_no_affine",
        lambda L, x: F(L).group_norm(x, 3, eps=1e-3),
        [((2, 6, 3),), ((2, 3, 2, 2),)],
        grad_shapes=[((2, 3, 4),)],
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


# -- running statistics ------------------------------------------------------------------------


def _batches(rng, shape, n, dtype=np.float64):
    return [(rng.standard_normal(shape) * (1 + i) + i).astype(dtype) for i in range(n)]


@needs_torch
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_norm_running_stats_follow_pytorch_with_momentum(shape, dtype):
    rng = np.random.default_rng(0)
    c = shape[1]
    rm, rv = nf.zeros(c, dtype=nf.float64 if dtype == np.float64 else nf.float32), None
    rv = nf.ones(c, dtype=rm.dtype)
    trm, trv = (
        torch.zeros(c, dtype=getattr(torch, np.dtype(dtype).name)),
        torch.ones(c, dtype=getattr(torch, np.dtype(dtype).name)),
    )
    tol = 1e-12 if dtype == np.float64 else 1e-6
    for x in _batches(rng, shape, 4, dtype):
        out = norm.batch_norm(nf.tensor(x), rm, rv, training=True, momentum=0.1)
        ref = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.1)
        assert_close(out, ref, rtol=tol, atol=tol * 10, what="output")
        assert_close(rm, trm, rtol=tol, atol=tol, what="running_mean")
        assert_close(rv, trv, rtol=tol, atol=tol, what="running_var")
    assert rm.dtype == rv.dtype == nf.tensor(np.zeros(1, dtype)).dtype
    x = _batches(rng, shape, 1, dtype)[0]
    out = norm.batch_norm(nf.tensor(x), rm, rv, training=False)
    ref = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=False)
    assert_close(out, ref, rtol=tol, atol=tol * 10, what="eval output from the running statistics")


@needs_torch
def test_batch_norm_cumulative_average_matches_momentum_none():
    rng = np.random.default_rng(1)
    layer = torch.nn.BatchNorm2d(3, momentum=None, affine=False, dtype=torch.float64)
    rm, rv = nf.zeros(3, dtype=nf.float64), nf.ones(3, dtype=nf.float64)
    for step, x in enumerate(_batches(rng, (2, 3, 3, 3), 5), start=1):
        layer(torch.tensor(x))
        factor = norm.running_average_factor(None, step)
        norm.batch_norm(nf.tensor(x), rm, rv, training=True, momentum=factor)
        assert_close(rm, layer.running_mean, rtol=1e-12, atol=1e-13, what="running_mean")
        assert_close(rv, layer.running_var, rtol=1e-12, atol=1e-13, what="running_var")
    assert norm.running_average_factor(0.3, 7) == 0.3


def test_batch_norm_running_stats_update_outside_the_graph():
    x = nf.randn(4, 3, requires_grad=True)
    rm, rv = nf.zeros(3), nf.ones(3)
    v0 = rm._version
    y = norm.batch_norm(x, rm, rv, training=True)
    assert y.requires_grad and not rm.requires_grad and rm.grad_fn is None
    assert rm._version == v0 + 1
    y.sum().backward()  # the in-place update of the statistics does not disturb backward
    assert x.grad is not None


def test_batch_norm_refuses_running_stats_that_require_grad_while_recording_like_pytorch():
    x = nf.randn(4, 3, requires_grad=True)
    rm, rv = nf.zeros(3, requires_grad=True), nf.ones(3)
    with pytest.raises(RuntimeError, match="batch_norm: running statistics .* must not require grad .running_mean"):
        norm.batch_norm(x, rm, rv, training=True)
    with pytest.raises(RuntimeError, match="must not require grad .running_var"):
        norm.batch_norm(x.detach(), nf.zeros(3), rm * 1 + 1, training=True)
    assert rm.tolist() == [0.0, 0.0, 0.0] and rv.tolist() == [1.0, 1.0, 1.0]  # the refused call changed nothing
    with nf.no_grad():  # nothing is recorded: the update is allowed
        norm.batch_norm(x, rm, rv, training=True)
    assert rm.abs().sum().item() > 0


def test_batch_norm_eval_leaves_running_stats_unchanged():
    rm, rv = nf.tensor([0.1, -0.2]), nf.tensor([1.5, 0.5])
    norm.batch_norm(nf.randn(3, 2), rm, rv, training=False)
    assert rm.tolist() == pytest.approx([0.1, -0.2]) and rv.tolist() == pytest.approx([1.5, 0.5])


# -- backward(create_graph=True) records the gradients a plain backward computes ------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: norm.batch_norm(x, nf.zeros(3, dtype=nf.float64), nf.ones(3, dtype=nf.float64) * 2, w, b),
        lambda x, w, b: norm.group_norm(x, 3, w, b),
        lambda x, w, b: norm.layer_norm(x.transpose(1, 2), (3,), w, b),
    ],
    ids=["batch_norm_training", "batch_norm_eval", "group_norm", "layer_norm"],
)
def test_create_graph_backward_equals_plain_backward(fn):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3, 4)), rng.standard_normal(3), rng.standard_normal(3)]
    seed = nf.tensor(rng.standard_normal((2, 3, 4)))
    plain = [nf.tensor(a, requires_grad=True) for a in arrays]
    graph = [nf.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*plain)
    nf.autograd.backward(out if out.shape == seed.shape else out.transpose(1, 2), seed)
    out = fn(*graph)
    grads = nf.autograd.grad(out if out.shape == seed.shape else out.transpose(1, 2), graph, seed, create_graph=True)
    assert grads[0].requires_grad  # a graph was built (the bias gradient is constant in the inputs)
    for a, g in zip(plain, grads):
        np.testing.assert_allclose(a.grad.numpy(), g.detach().numpy(), rtol=1e-12, atol=1e-13)


# -- float32 at a realistic size ---------------------------------------------------------------


@needs_torch
def test_batch_norm_float32_matches_pytorch_at_resnet_like_shape():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((8, 16, 8, 8)) * 3 + 1).astype(np.float32)
    w, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    ours = [nf.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = norm.batch_norm(ours[0], nf.zeros(16), nf.ones(16), ours[1], ours[2], training=True)
    ref = torch.nn.functional.batch_norm(
        theirs[0], torch.zeros(16), torch.ones(16), theirs[1], theirs[2], training=True
    )
    assert out.dtype == nf.float32
    out.backward(nf.tensor(g))
    ref.backward(torch.tensor(g))
    assert_close(out, ref, rtol=1e-5, atol=1e-5, what="output")
    for a, t in zip(ours, theirs):
        assert a.grad.dtype == nf.float32
        assert_close(a.grad, t.grad, rtol=1e-4, atol=1e-4, what="gradient")


# -- errors ----------------------------------------------------------------------------------


def test_batch_norm_training_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        norm.batch_norm(nf.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        norm.group_norm(nf.randn(1, 3), 3)


def test_batch_norm_eval_without_running_stats_is_an_error():
    with pytest.raises(RuntimeError, match="batch_norm: running_mean must be defined"):
        norm.batch_norm(nf.randn(2, 3), None, None, training=False)


def test_batch_norm_rejects_mismatched_parameter_sizes():
    with pytest.raises(RuntimeError, match="batch_norm: running_mean should contain 3 elements"):
        norm.batch_norm(nf.randn(2, 3), nf.zeros(2), nf.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm: weight should have shape \[3\]"):
        norm.batch_norm(nf.randn(2, 3), None, None, nf.ones(2), training=True)


def test_batch_norm_momentum_none_asks_for_the_factor():
    with pytest.raises(ValueError, match="num_batches_tracked"):
        norm.batch_norm(nf.randn(4, 3), nf.zeros(3), nf.ones(3), training=True, momentum=None)


def test_layer_norm_rejects_a_shape_that_is_not_the_trailing_dims():
    with pytest.raises(RuntimeError, match=r"layer_norm: Given normalized_shape=\[4\]"):
        norm.layer_norm(nf.randn(4, 3, 5), (4,))
    with pytest.raises(RuntimeError, match="layer_norm: weight should have shape"):
        norm.layer_norm(nf.randn(4, 3, 5), (5,), nf.ones(4))


def test_group_norm_needs_channels_divisible_by_groups():
    with pytest.raises(RuntimeError, match="group_norm: Expected number of channels in input to be divisible"):
        norm.group_norm(nf.randn(2, 3, 4), 2)


def test_normalization_rejects_integer_input():
    with pytest.raises(RuntimeError, match="batch_norm: expected a floating-point input"):
        norm.batch_norm(nf.tensor([[1, 2], [3, 4]]), None, None, training=True)


@pytest.mark.parametrize("op", ["batch_norm", "group_norm", "layer_norm"])
def test_float32_normalization_stays_accurate_far_from_zero(op):
    """Inputs with mean 100 and std 0.01: the mean's float32 rounding is recovered, so
    output and gradients stay within float32 accuracy of the float64 result."""
    rng = np.random.default_rng(6)
    x = (100 + 0.01 * rng.standard_normal((4, 6, 5, 5))).astype(np.float32).astype(np.float64)
    w, b, g = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal(x.shape)
    fn = {
        "batch_norm": lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
        "group_norm": lambda x, w, b: norm.group_norm(x, 2, w, b),
        "layer_norm": lambda x, w, b: norm.layer_norm(x.transpose(1, 3), (6,), w, b).transpose(1, 3),
    }[op]
    results = []
    for dtype in (np.float64, np.float32):
        ts = [nf.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b)]
        out = fn(*ts)
        out.backward(nf.tensor(g.astype(dtype)))
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in ts])
    for r64, r32, what in zip(*results, ("output", "input grad", "weight grad", "bias grad")):
        scale = np.abs(r64).max()
        assert np.abs(r32 - r64).max() < 2e-6 * scale * (10 if what == "input grad" else 1), what
