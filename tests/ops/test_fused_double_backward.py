"""Second and third derivatives of the fused ops whose backward applies a gradient op
(numpyflow/ops/normalization.py, loss.py, activation.py): finite differences of the
first derivatives (gradgradcheck, float64), PyTorch's second and third derivatives, and the
node each gradient op records."""

from __future__ import annotations

import numpy as np
import pytest
from cases import Case
from reference import assert_close, needs_torch, torch

import numpyflow as nf
from numpyflow.ops import activation as act
from numpyflow.ops import loss as losses
from numpyflow.ops import normalization as norm


def F(L, ours):
    """The functional namespace of the library under test (torch.nn.functional or ours)."""
    return L.nn.functional if L is torch else ours


def N(L):
    return F(L, norm)


def C(L):
    return F(L, losses)


def A(L):
    return F(L, act)


def _running(L, x):
    c = x.shape[1]
    return L.linspace(-0.5, 0.5, c, dtype=x.dtype), L.linspace(0.5, 2.0, c, dtype=x.dtype)


def _case(name, fn, shapes, extra=None, torch_third=True, rtol=1e-8):
    """One input configuration; ``torch_third=False`` where PyTorch's own third derivative
    is wrong or raises (its training-mode batch norm and layer norm backward treat the
    saved mean and invstd as constants: torch.autograd.gradcheck of its second
    derivatives fails), so only finite differences judge ours there."""
    return Case(name, fn, [tuple(shapes)], extra=extra, rtol=rtol, params={"torch_third": torch_third})


def _no_weight(L, x, shape):
    """No weight; PyTorch gets a constant weight of ones instead (the same function): its
    second derivative raises when a bias comes without a weight."""
    return None if L is nf else L.ones(shape, dtype=x.dtype)


NORMALIZATION = [
    _case(
        "batch_norm_training",
        lambda L, x, w, b: N(L).batch_norm(x, None, None, w, b, training=True),
        [(3, 2, 2), (2,), (2,)],
        torch_third=False,
    ),
    _case(
        "batch_norm_training_2d",
        lambda L, x, w, b: N(L).batch_norm(x, None, None, w, b, training=True, eps=1e-3),
        [(5, 3), (3,), (3,)],
        torch_third=False,
    ),
    _case(
        "batch_norm_training_weight_only",
        lambda L, x, w: N(L).batch_norm(x, None, None, w, None, training=True),
        [(3, 2, 2), (2,)],
        torch_third=False,
    ),
    _case(
        "batch_norm_training_bias_only",
        lambda L, x, b: N(L).batch_norm(x, None, None, _no_weight(L, x, 2), b, training=True),
        [(3, 2, 2), (2,)],
        torch_third=False,
    ),
    _case(
        "batch_norm_training_no_affine",
        lambda L, x: N(L).batch_norm(x, None, None, training=True),
        [(4, 3)],
        torch_third=False,
    ),
    _case(
        "batch_norm_training_running_stats",
        lambda L, x, w, b: N(L).batch_norm(x, *_running(L, x), w, b, training=True),
        [(4, 3), (3,), (3,)],
        torch_third=False,
    ),
    _case(
        "batch_norm_eval",
        lambda L, x, w, b: N(L).batch_norm(x, *_running(L, x), w, b, eps=1e-3),
        [(3, 2, 2), (2,), (2,)],
    ),
    _case("batch_norm_eval_weight_only", lambda L, x, w: N(L).batch_norm(x, *_running(L, x), w), [(3, 2, 2), (2,)]),
    _case("batch_norm_eval_no_affine", lambda L, x: N(L).batch_norm(x, *_running(L, x)), [(3, 2, 2)]),
    _case("layer_norm", lambda L, x, w, b: N(L).layer_norm(x, (4,), w, b), [(2, 3, 4), (4,), (4,)], torch_third=False),
    _case(
        "layer_norm_two_dims_weight_only",
        lambda L, x, w: N(L).layer_norm(x, (2, 3), w, eps=1e-3),
        [(2, 2, 3), (2, 3)],
        torch_third=False,
    ),
    _case(
        "layer_norm_bias_only",
        lambda L, x, b: N(L).layer_norm(x, (5,), _no_weight(L, x, 5), b),
        [(3, 5), (5,)],
        torch_third=False,
    ),
    _case("layer_norm_no_affine", lambda L, x: N(L).layer_norm(x, (5,)), [(3, 5)], torch_third=False),
    _case("group_norm", lambda L, x, w, b: N(L).group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    _case("group_norm_one_group_weight_only", lambda L, x, w: N(L).group_norm(x, 1, w), [(2, 3, 2, 2), (3,)]),
    _case("group_norm_bias_only", lambda L, x, b: N(L).group_norm(x, 3, _no_weight(L, x, 6), b), [(2, 6, 2), (6,)]),
    _case("group_norm_no_affine", lambda L, x: N(L).group_norm(x, 3, eps=1e-3), [(2, 6, 2)]),
]


def _classes(c, ignore=None):
    """Class-index targets for an (N, C, ...) input, the first set to ``ignore``."""

    def extra(rng, shapes):
        x = shapes[0]
        t = rng.integers(0, c, size=x[:1] + x[2:])
        if ignore is not None:
            t.reshape(-1)[0] = ignore
        return [t]

    return extra


def _class_weights(L, x):
    return L.linspace(0.5, 2.0, x.shape[1], dtype=x.dtype)


def _probabilities(L, p):
    return L.softmax(p, 1)


LOSSES = (
    [
        _case(
            f"cross_entropy_{red}",
            lambda L, x, t, red=red: C(L).cross_entropy(x, t, reduction=red),
            [(4, 5)],
            _classes(5),
        )
        for red in ("mean", "sum", "none")
    ]
    + [
        _case(
            "cross_entropy_weighted_ignore_smoothing",
            lambda L, x, t: C(L).cross_entropy(x, t, _class_weights(L, x), ignore_index=-100, label_smoothing=0.2),
            [(5, 4)],
            _classes(4, ignore=-100),
        ),
        _case(
            "cross_entropy_extra_dims_none",
            lambda L, x, t: C(L).cross_entropy(x, t, _class_weights(L, x), reduction="none", label_smoothing=0.1),
            [(2, 3, 2, 2)],
            _classes(3),
        ),
        _case(
            "cross_entropy_extra_dims_sum_ignore",
            lambda L, x, t: C(L).cross_entropy(x, t, ignore_index=1, reduction="sum"),
            [(2, 3, 4)],
            _classes(3),
        ),
    ]
    + [
        _case(
            f"cross_entropy_probabilities_{red}",
            lambda L, x, p, red=red: C(L).cross_entropy(x, _probabilities(L, p), reduction=red),
            [(3, 4), (3, 4)],
        )
        for red in ("mean", "sum", "none")
    ]
    + [
        _case(
            "cross_entropy_probabilities_weighted_smoothing",
            lambda L, x, p: C(L).cross_entropy(x, _probabilities(L, p), _class_weights(L, x), label_smoothing=0.25),
            [(3, 4), (3, 4)],
        ),
        _case(
            "cross_entropy_probabilities_extra_dims_none",
            lambda L, x, p: C(L).cross_entropy(x, _probabilities(L, p), reduction="none", label_smoothing=0.1),
            [(2, 3, 2), (2, 3, 2)],
        ),
    ]
)

ACTIVATIONS = [
    _case(name, fn, [(3, 4)])
    for name, fn in [
        ("elu", lambda L, x: A(L).elu(x * 2, alpha=1.3)),
        ("selu", lambda L, x: A(L).selu(x * 2)),
        ("gelu", lambda L, x: A(L).gelu(x * 2)),
        ("gelu_tanh", lambda L, x: A(L).gelu(x * 2, approximate="tanh")),
        ("silu", lambda L, x: A(L).silu(x * 3)),
        ("softplus", lambda L, x: A(L).softplus(x * 3)),
        ("softplus_beta_threshold", lambda L, x: A(L).softplus(x * 3, beta=2.0, threshold=3.0)),
        ("logsigmoid", lambda L, x: A(L).logsigmoid(x * 4)),
        ("mish", lambda L, x: A(L).mish(x * 3)),
    ]
] + [
    # PyTorch's celu backward rounds 1/alpha to float32 (ours is exact): 1e-8 apart
    _case("celu", lambda L, x: A(L).celu(x * 2, alpha=0.7), [(3, 4)], rtol=1e-7),
]

CASES = NORMALIZATION + LOSSES + ACTIVATIONS
TORCH_THIRD = [c for c in CASES if c.params["torch_third"]]


def _inputs(case, seed):
    rng = np.random.default_rng(seed)
    shapes = case.shapes[0]
    arrays = [rng.standard_normal(s) for s in shapes]
    extras = case.extra(rng, shapes) if case.extra else []
    return arrays, extras, rng


def _fixed(case, extras):
    """``case.fn`` on numpyflow with the integer extras bound."""
    ext = [nf.tensor(e) for e in extras]
    return lambda *ts: case.fn(nf, *ts, *ext)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_second_derivatives_equal_finite_differences_of_the_gradients(case):
    arrays, extras, _ = _inputs(case, 0)
    inputs = [nf.tensor(a, requires_grad=True) for a in arrays]
    assert nf.autograd.gradgradcheck(_fixed(case, extras), inputs, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_third_derivatives_equal_finite_differences_of_the_second(case):
    """The gradient ops' backward is made of differentiable ops: a third derivative is
    exact too (checked here by finite differences of projected second derivatives)."""
    arrays, extras, rng = _inputs(case, 3)
    fn = _fixed(case, extras)
    with nf.no_grad():
        out_shape = tuple(fn(*(nf.tensor(a) for a in arrays)).shape)
    n = len(arrays)
    projections = [nf.tensor(rng.standard_normal(a.shape)) for a in arrays]

    def second(*ts):
        ins, seed = ts[:n], ts[n]
        with nf.enable_grad():
            firsts = nf.autograd.grad(fn(*ins), ins, seed, create_graph=True)
            total = _project(firsts, projections)
            return nf.autograd.grad(total, ts, create_graph=True, allow_unused=True, materialize_grads=True)

    inputs = [nf.tensor(a, requires_grad=True) for a in arrays]
    inputs.append(nf.tensor(rng.standard_normal(out_shape), requires_grad=True))
    assert nf.autograd.gradcheck(second, inputs, atol=1e-5, rtol=1e-4)


def _project(grads, projections):
    """``sum(<g, p>)`` over the gradients that depend on something; None if none does."""
    total = None
    for g, p in zip(grads, projections):
        if g is not None and g.requires_grad:
            term = (g * p).sum()
            total = term if total is None else total + term
    return total


def _derivatives(L, fn, arrays, extras, seed, projections):
    """The first derivatives of ``fn`` (seeded by ``seed``, which is an input too), then
    the gradients of ``<first, projections[0]>``, of ``<second, projections[1]>``, ...
    with respect to every input: one list of arrays (zeros for None) per order."""
    ins = [L.tensor(a, requires_grad=True) for a in arrays]
    seed = L.tensor(seed, requires_grad=True)
    out = fn(L, *ins, *(L.tensor(e) for e in extras))
    levels = [list(L.autograd.grad(out, ins, seed, create_graph=True))]
    for proj in projections:
        total = _project(levels[-1], [L.tensor(p) for p in proj])
        if total is None:
            break
        levels.append(list(L.autograd.grad(total, ins + [seed], create_graph=True, allow_unused=True)))
    shapes = [a.shape for a in arrays] + [seed.shape]
    return [[np.zeros(s) if g is None else g.detach().numpy() for g, s in zip(level, shapes)] for level in levels]


def _compare_with_pytorch(case, orders):
    arrays, extras, rng = _inputs(case, 1)
    with torch.no_grad():
        out_shape = tuple(case.fn(torch, *(torch.tensor(a) for a in arrays), *(torch.tensor(e) for e in extras)).shape)
    shapes = [a.shape for a in arrays]
    seed = rng.standard_normal(out_shape)
    projections = [[rng.standard_normal(s) for s in shapes], [rng.standard_normal(s) for s in shapes + [out_shape]]]
    projections = projections[: orders - 1]
    ours = _derivatives(nf, case.fn, arrays, extras, seed, projections)
    theirs = _derivatives(torch, case.fn, arrays, extras, seed, projections)
    assert len(ours) == len(theirs), f"{case}: {len(ours)} derivative orders vs PyTorch's {len(theirs)}"
    for order, (a_level, b_level) in enumerate(zip(ours, theirs), start=1):
        for i, (a, b) in enumerate(zip(a_level, b_level)):
            assert_close(a, b, rtol=case.rtol, atol=1e-9, what=f"{case}: derivative {order} w.r.t. input {i}")


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=str)
def test_second_derivatives_match_pytorch(case):
    _compare_with_pytorch(case, 2)


@needs_torch
@pytest.mark.parametrize("case", TORCH_THIRD, ids=str)
def test_third_derivatives_match_pytorch(case):
    _compare_with_pytorch(case, 3)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True), "NativeBatchNormBackwardBackward0"),
        (
            lambda x, w, b: norm.batch_norm(x, nf.zeros(3, dtype=nf.float64), nf.ones(3, dtype=nf.float64), w, b),
            "NativeBatchNormBackwardBackward0",
        ),
        (lambda x, w, b: norm.layer_norm(x, (4,)), "NativeLayerNormBackwardBackward0"),
        (lambda x, w, b: norm.group_norm(x, 3, w, b), "NativeGroupNormBackwardBackward0"),
        (
            lambda x, w, b: losses.cross_entropy(x.reshape(2, 12), nf.tensor([0, 5])),
            "CrossEntropyLossBackwardBackward0",
        ),
        (lambda x, w, b: losses.cross_entropy(x, act.softmax(x.detach(), 1)), "CrossEntropyLossBackwardBackward0"),
        (lambda x, w, b: act.gelu(x), "GeluBackwardBackward0"),
        (lambda x, w, b: act.softplus(x), "SoftplusBackwardBackward0"),
    ],
    ids=[
        "batch_norm_training",
        "batch_norm_eval",
        "layer_norm",
        "group_norm",
        "cross_entropy",
        "cross_entropy_probabilities",
        "gelu",
        "softplus",
    ],
)
def test_create_graph_records_the_gradient_op_and_a_plain_backward_records_nothing(make, expected):
    rng = np.random.default_rng(2)
    x = nf.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w, b = nf.tensor(rng.standard_normal(3), requires_grad=True), nf.tensor(rng.standard_normal(3), requires_grad=True)
    (gx,) = nf.autograd.grad(make(x, w, b).sum(), [x], create_graph=True)
    names = set()
    stack = [gx.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node.name() not in names:
            names.add(node.name())
            stack.extend(n for n, _ in node.next_functions)
    assert expected in names
    (gx,) = nf.autograd.grad(make(x, w, b).sum(), [x])
    assert gx.grad_fn is None and not gx.requires_grad


@pytest.mark.parametrize(
    "make",
    [
        lambda x, w, b: norm.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: norm.layer_norm(x, (3,), w, b),
        lambda x, w, b: losses.cross_entropy(x * w, nf.tensor([0, 2, 1, 1])),
    ],
    ids=["batch_norm_training", "layer_norm", "cross_entropy"],
)
def test_differentiating_one_first_gradient_of_several_is_exact(make):
    """Only the weight's gradient is differentiated again (the input's gradient gets no
    upstream, the bias needs none): the gradient op skips those terms."""
    rng = np.random.default_rng(3)
    b = nf.tensor(rng.standard_normal(3))

    def weight_gradient(x, w):
        with nf.enable_grad():
            out = make(x, w, b)
            gx, gw = nf.autograd.grad((out * out).sum(), [x, w], create_graph=True)
            return gw

    inputs = [
        nf.tensor(rng.standard_normal((4, 3)), requires_grad=True),
        nf.tensor(rng.standard_normal(3), requires_grad=True),
    ]
    assert nf.autograd.gradcheck(weight_gradient, inputs)
