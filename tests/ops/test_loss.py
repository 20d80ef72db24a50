"""numpyflow/ops/loss.py: every loss against PyTorch (forward and every gradient, each
reduction), finite differences (first and second derivatives), float32, numerical
edge cases and errors."""

import math
import warnings

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import loss as losses


def F(L):
    """The functional namespace of the library under test (torch.nn.functional or ours)."""
    return L.nn.functional if L is torch else losses


REDUCTIONS = ("mean", "sum", "none")


def _targets(classes, ignore=None, at=(0,)):
    """Integer class targets for an (N, C, d1, ...) input (shape (N, d1, ...)); positions
    ``at`` (flat) set to ``ignore``."""

    def extra(rng, shapes):
        x = shapes[0]
        t = rng.integers(0, classes, size=x[:1] + x[2:])
        if ignore is not None:
            t.reshape(-1)[list(at)] = ignore
        return [t]

    return extra


def _weights(L, x, c=None):
    c = x.shape[1] if c is None else c
    return L.linspace(0.5, 2.0, c, dtype=x.dtype)


def _ce(name, shapes, classes, ignore=None, at=(0,), grad_shapes=None, weighted=False, **kw):
    """Cross-entropy with class-index targets, once per reduction."""
    cases = []
    for red in REDUCTIONS:

        def fn(L, x, t, red=red):
            opts = dict(kw)
            if ignore is not None:
                opts["ignore_index"] = ignore
            w = _weights(L, x) if weighted else None
            return F(L).cross_entropy(x, t, weight=w, reduction=red, **opts)

        cases.append(Case(f"{name}_{red}", fn, shapes, extra=_targets(classes, ignore, at), grad_shapes=grad_shapes))
    return cases


CE_CASES = (
    _ce("cross_entropy", [((4, 5),)], 5)
    + _ce("cross_entropy_batch_1", [((1, 3),)], 3)
    + _ce("cross_entropy_weighted", [((4, 5),)], 5, weighted=True)
    + _ce("cross_entropy_ignore_index", [((5, 4),)], 4, ignore=-100, at=(1,))
    + _ce("cross_entropy_ignore_valid_class", [((6, 3),)], 3, ignore=1, grad_shapes=[((4, 3),)])
    + _ce("cross_entropy_weighted_ignore_smoothing", [((5, 4),)], 4, ignore=-100, weighted=True, label_smoothing=0.2)
    + _ce("cross_entropy_label_smoothing", [((4, 5),)], 5, label_smoothing=0.1)
    + _ce("cross_entropy_extra_dims", [((2, 3, 4, 2),)], 3, ignore=-100, grad_shapes=[((2, 3, 2, 2),)])
    + [
        Case(
            "cross_entropy_extra_dims_weighted_smoothing",
            lambda L, x, t: F(L).cross_entropy(x, t, _weights(L, x), ignore_index=0, label_smoothing=0.3),
            [((2, 4, 3),)],
            extra=_targets(4),
        ),
        Case(
            "cross_entropy_unbatched",
            lambda L, x, t: F(L).cross_entropy(x, t, reduction="none"),
            [((5,),)],
            extra=lambda rng, shapes: [np.asarray(3)],
        ),
        Case(
            "cross_entropy_unbatched_mean",
            lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.2),
            [((5,),)],
            extra=lambda rng, shapes: [np.asarray(1)],
        ),
        Case(
            "cross_entropy_large_logits",
            lambda L, x, t: F(L).cross_entropy(x * 1e3, t),
            [((3, 4),)],
            extra=_targets(4),
            finite_differences=False,
        ),
    ]
)


def _probs(name, **kw):
    cases = []
    for red in REDUCTIONS:

        def fn(L, x, p, red=red):
            opts = dict(kw)
            if opts.pop("weighted", False):
                opts["weight"] = _weights(L, x)
            return F(L).cross_entropy(x, p, reduction=red, **opts)

        cases.append(
            Case(
                f"{name}_{red}",
                fn,
                [((4, 5), (4, 5)), ((2, 3, 2, 2), (2, 3, 2, 2))],
                ("normal", "pos"),
                grad_shapes=[((3, 4), (3, 4)), ((2, 3, 2), (2, 3, 2))],
            )
        )
    return cases


PROB_CASES = (
    _probs("cross_entropy_probabilities")
    + _probs("cross_entropy_probabilities_weighted_smoothing", weighted=True, label_smoothing=0.25)
    + [
        Case(
            "cross_entropy_probabilities_unbatched",
            lambda L, x, p: F(L).cross_entropy(x, p, label_smoothing=0.1),
            [((5,), (5,))],
            ("normal", "pos"),
        )
    ]
)


def _nll(red, **kw):
    def fn(L, x, t):
        opts = dict(kw)
        if opts.pop("weighted", False):
            opts["weight"] = _weights(L, x)
        return F(L).nll_loss(x, t, reduction=red, **opts)

    return fn


NLL_CASES = [
    Case(f"nll_loss_{red}", _nll(red, weighted=True, ignore_index=2), [((5, 4),)], extra=_targets(4))
    for red in REDUCTIONS
] + [
    Case(
        "nll_loss_extra_dims",
        _nll("mean", ignore_index=-100),
        [((2, 3, 2, 2),)],
        extra=_targets(3, ignore=-100, at=(3,)),
    ),
    Case("nll_loss_unbatched_none", _nll("none"), [((4,),)], extra=lambda rng, shapes: [np.asarray(2)]),
]

PAIR = [((3, 4), (3, 4)), ((2, 1, 3), (2, 1, 3))]
PAIR_GRAD = [((2, 3), (2, 3))]


def _pair(name, fn, values="normal"):
    return [
        Case(f"{name}_{red}", (lambda L, a, b, red=red: fn(L, a, b, red)), PAIR, values, grad_shapes=PAIR_GRAD)
        for red in REDUCTIONS
    ]


def _elementwise_weight(L, a):
    return L.linspace(0.5, 1.5, a.numel(), dtype=a.dtype).reshape(a.shape)


REGRESSION_CASES = (
    _pair("mse_loss", lambda L, a, b, red: F(L).mse_loss(a, b, reduction=red))
    + _pair(
        "mse_loss_weighted", lambda L, a, b, red: F(L).mse_loss(a, b, reduction=red, weight=_elementwise_weight(L, a))
    )
    + _pair("l1_loss", lambda L, a, b, red: F(L).l1_loss(a, b, reduction=red))
    + _pair(
        "l1_loss_weighted", lambda L, a, b, red: F(L).l1_loss(a, b, reduction=red, weight=_elementwise_weight(L, a))
    )
    + _pair("smooth_l1_loss", lambda L, a, b, red: F(L).smooth_l1_loss(a, b, reduction=red, beta=0.7))
    + _pair("smooth_l1_loss_beta_0", lambda L, a, b, red: F(L).smooth_l1_loss(a, b, reduction=red, beta=0.0))
    + _pair("huber_loss", lambda L, a, b, red: F(L).huber_loss(a, b, reduction=red, delta=0.8))
    + _pair(
        "huber_loss_weighted",
        lambda L, a, b, red: F(L).huber_loss(a, b, reduction=red, delta=1.2, weight=_elementwise_weight(L, a)),
    )
)


def _probability(a):  # "unit" values in (-0.9, 0.9) -> (0.05, 0.95)
    return (a + 1) * 0.5


BCE_CASES = (
    _pair(
        "binary_cross_entropy",
        lambda L, a, b, red: F(L).binary_cross_entropy(_probability(a), _probability(b), reduction=red),
        ("unit", "unit"),
    )
    + _pair(
        "binary_cross_entropy_weighted",
        lambda L, a, b, red: F(L).binary_cross_entropy(
            _probability(a), _probability(b), reduction=red, weight=L.linspace(0.5, 2, a.shape[-1], dtype=a.dtype)
        ),
        ("unit", "unit"),
    )
    + _pair(
        "binary_cross_entropy_with_logits",
        lambda L, a, b, red: F(L).binary_cross_entropy_with_logits(a * 3, _probability(b), reduction=red),
        ("normal", "unit"),
    )
    + _pair(
        "binary_cross_entropy_with_logits_pos_weight",
        lambda L, a, b, red: F(L).binary_cross_entropy_with_logits(
            a * 3,
            _probability(b),
            reduction=red,
            pos_weight=L.linspace(0.3, 3, a.shape[-1], dtype=a.dtype),
            weight=L.linspace(0.5, 2, a.shape[-1], dtype=a.dtype),
        ),
        ("normal", "unit"),
    )
)

CASES = CE_CASES + PROB_CASES + NLL_CASES + REGRESSION_CASES + BCE_CASES

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


# -- behaviour ----------------------------------------------------------------------------------


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_batch():
    x = nf.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=nf.float64, requires_grad=True)
    t = nf.tensor([1, 2])
    losses.cross_entropy(x, t).backward()
    p = np.exp(x.detach().numpy())
    p /= p.sum(1, keepdims=True)
    p[[0, 1], [1, 2]] -= 1
    np.testing.assert_allclose(x.grad.numpy(), p / 2, rtol=1e-12)


@needs_torch
def test_cross_entropy_all_targets_ignored_gives_nan_mean_like_pytorch():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = np.full(3, -100)
    ours = losses.cross_entropy(nf.tensor(x), nf.tensor(t))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert math.isnan(ours.item()) and math.isnan(theirs.item())
    assert losses.cross_entropy(nf.tensor(x), nf.tensor(t), reduction="sum").item() == 0.0


def test_cross_entropy_create_graph_gradient_equals_plain_gradient():
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((4, 3, 2))
    t = nf.tensor(np.array([[0, 2], [1, -100], [2, 2], [0, 1]]))
    for kw in ({}, {"label_smoothing": 0.2, "weight": nf.tensor([0.5, 1.0, 2.0], dtype=nf.float64)}):
        a = nf.tensor(x0, requires_grad=True)
        losses.cross_entropy(a, t, **kw).backward()
        b = nf.tensor(x0, requires_grad=True)
        (g,) = nf.autograd.grad(losses.cross_entropy(b, t, **kw), [b], create_graph=True)
        assert g.requires_grad
        np.testing.assert_allclose(a.grad.numpy(), g.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_cross_entropy_float32_stays_float32_at_imagenet_size():
    rng = np.random.default_rng(2)
    x = nf.tensor(rng.standard_normal((64, 1000)).astype(np.float32), requires_grad=True)
    t = nf.tensor(rng.integers(0, 1000, 64))
    loss = losses.cross_entropy(x, t, label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == nf.float32 and x.grad.dtype == nf.float32
    np.testing.assert_allclose(x.grad.numpy().sum(1), 0, atol=1e-6)  # softmax rows sum to the target's mass


@needs_torch
def test_binary_cross_entropy_clamps_log_at_minus_100_like_pytorch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    ours = losses.binary_cross_entropy(nf.tensor(x, requires_grad=True), nf.tensor(t), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    assert_close(ours, theirs, rtol=1e-12, what="clamped loss")
    assert ours.tolist()[:2] == [100.0, 100.0]


@needs_torch
def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    x = np.array([-1000.0, 1000.0, -50.0, 50.0, 0.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    a = nf.tensor(x, requires_grad=True)
    ours = losses.binary_cross_entropy_with_logits(a, nf.tensor(t), reduction="none")
    ours.sum().backward()
    b = torch.tensor(x, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(b, torch.tensor(t), reduction="none")
    theirs.sum().backward()
    assert np.all(np.isfinite(ours.detach().numpy()))
    assert_close(ours, theirs, rtol=1e-12, what="loss")
    assert_close(a.grad, b.grad, rtol=1e-12, what="gradient")


@needs_torch
def test_legacy_size_average_and_reduce_map_to_reductions():
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = losses.cross_entropy(nf.tensor(x), nf.tensor(t), None, size_average, -100, reduce)
            theirs = torch.nn.functional.cross_entropy(
                torch.tensor(x), torch.tensor(t), None, size_average, -100, reduce
            )
        assert_close(ours, theirs, rtol=1e-12, what=f"size_average={size_average} reduce={reduce}")


def test_mse_loss_warns_when_target_broadcasts():
    with pytest.warns(UserWarning, match="mse_loss: Using a target size"):
        out = losses.mse_loss(nf.ones(2, 3), nf.zeros(3))
    assert out.item() == 1.0


# -- errors ----------------------------------------------------------------------------------


def test_cross_entropy_rejects_float_class_indices():
    with pytest.raises(RuntimeError, match="cross_entropy: expected target dtype to be an integer type"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("bad", [7, 5, -1])
def test_cross_entropy_target_out_of_range_names_value_and_classes(bad):
    with pytest.raises(IndexError, match=rf"cross_entropy: Target {bad} is out of bounds: .*\[0, 5\)"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, bad, 3]))


def test_nll_loss_target_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match=r"nll_loss: Target 4 is out of bounds"):
        losses.nll_loss(nf.randn(2, 4), nf.tensor([4, 0]))


def test_cross_entropy_shape_mismatches():
    with pytest.raises(
        ValueError, match=r"cross_entropy: Expected input batch_size \(3\) to match target batch_size \(2\)"
    ):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="cross_entropy: size mismatch"):
        losses.cross_entropy(nf.randn(3, 5, 2), nf.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor(np.zeros((3, 2), np.int64)))
    with pytest.raises(RuntimeError, match="cross_entropy: weight tensor should be defined either for all 5 classes"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, 2, 3]), weight=nf.ones(4))


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, 2, 3]), reduction="avg")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        losses.cross_entropy(nf.randn(3, 5), nf.tensor([1, 2, 3]), weight=nf.ones(5, requires_grad=True))
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta"):
        losses.smooth_l1_loss(nf.randn(3), nf.randn(3), beta=-1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w: losses.cross_entropy(x, nf.tensor([1, 2, 0]), weight=w),
        lambda x, w: losses.cross_entropy(x, nf.softmax(nf.randn(3, 5), 1), weight=w),
        lambda x, w: losses.nll_loss(x, nf.tensor([1, 2, 0]), weight=w),
    ],
    ids=["cross_entropy", "cross_entropy_probabilities", "nll_loss"],
)
def test_class_weights_that_require_grad_are_refused_only_while_recording(call):
    x, w = nf.randn(3, 5, requires_grad=True), nf.rand(5, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        call(x, w)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        call(x, w.to(nf.float64))  # also through a cast to the input's dtype
    with nf.no_grad():
        assert np.isfinite(call(x, w).item())
    assert np.isfinite(call(x, w.detach()).item())


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="binary_cross_entropy: Using a target size"):
        losses.binary_cross_entropy(nf.rand(3), nf.rand(4))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        losses.binary_cross_entropy(nf.rand(3) + 1, nf.rand(3))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        losses.binary_cross_entropy(nf.rand(3), nf.rand(3) + 1)
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: Target size"):
        losses.binary_cross_entropy_with_logits(nf.randn(3), nf.rand(4))
