"""numpyflow/ops/activation.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

from cases import ACTIVATIONS
from runner import op_tests

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(ACTIVATIONS)


# -- pointwise activations (numpyflow/ops/activation.py) ----------------------------------------

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from cases import Case  # noqa: E402
from reference import assert_close, needs_torch, torch  # noqa: E402

import numpyflow as nf  # noqa: E402
from numpyflow.ops import activation as act  # noqa: E402


def F(L):
    """The functional namespace of the library under test (torch.nn.functional or ours)."""
    return L.nn.functional if L is torch else act


SHAPES = [((2, 5),), ((3, 2, 4),), ((),)]
GRAD = [((3, 4),)]


def _act(name, fn, values="normal", rtol=1e-9, second=True):
    return Case(name, fn, SHAPES, values, second, grad_shapes=GRAD, rtol=rtol)


POINTWISE = [
    _act("leaky_relu", lambda L, x: F(L).leaky_relu(x, 0.2), "away"),
    _act("leaky_relu_default_slope", lambda L, x: F(L).leaky_relu(x), "away"),
    _act("elu", lambda L, x: F(L).elu(x * 2, alpha=1.3)),
    _act("selu", lambda L, x: F(L).selu(x * 2)),
    # PyTorch's celu backward rounds 1/alpha to float32 (ours is exact): 1e-8 apart
    _act("celu", lambda L, x: F(L).celu(x * 2, alpha=0.7), rtol=1e-7),
    _act("gelu", lambda L, x: F(L).gelu(x * 2)),
    _act("gelu_tanh", lambda L, x: F(L).gelu(x * 2, approximate="tanh")),
    _act("silu", lambda L, x: F(L).silu(x * 3)),
    _act("relu6", lambda L, x: F(L).relu6(x * 5), "away"),
    _act("hardtanh", lambda L, x: F(L).hardtanh(x * 2, -0.5, 1.5)),
    _act("softplus", lambda L, x: F(L).softplus(x * 3)),
    _act("softplus_beta_threshold", lambda L, x: F(L).softplus(x * 3, beta=2.0, threshold=3.0)),
    _act("logsigmoid", lambda L, x: F(L).logsigmoid(x * 4)),
    _act("mish", lambda L, x: F(L).mish(x * 3)),
    # PyTorch's hardsigmoid backward uses 1/6 rounded to float32 (ours is exact)
    _act("hardsigmoid", lambda L, x: F(L).hardsigmoid(x * 4), rtol=1e-7),
    _act("hardswish", lambda L, x: F(L).hardswish(x * 4)),
    Case(
        "leaky_relu_inplace_on_nonleaf",
        lambda L, x: F(L).leaky_relu(x * 1.0, 0.1, inplace=True) * x,
        [((3, 4),)],
        "away",
    ),
    Case("elu_inplace_on_nonleaf", lambda L, x: F(L).elu(x * 2.0, inplace=True), [((3, 4),)]),
]

(
    test_pointwise_matches_pytorch,
    test_pointwise_gradcheck,
    test_pointwise_gradgradcheck,
    test_pointwise_float32_stays_float32,
) = op_tests(POINTWISE)


@needs_torch
@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "silu", "mish", "gelu", "elu", "selu"])
def test_activation_is_finite_and_matches_pytorch_for_huge_inputs(name):
    x = np.array([-1000.0, -80.0, -20.0, 0.0, 20.0, 80.0, 1000.0])
    a = nf.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ours, theirs = getattr(act, name)(a), getattr(torch.nn.functional, name)(b)
    ours.sum().backward()
    theirs.sum().backward()
    assert np.all(np.isfinite(ours.detach().numpy())) and np.all(np.isfinite(a.grad.numpy()))
    assert_close(ours, theirs, rtol=1e-12, atol=1e-300, what=f"{name} forward")
    assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-300, what=f"{name} gradient")


def test_inplace_activation_writes_into_the_input():
    x = nf.tensor([-2.0, 3.0])
    assert act.leaky_relu(x, 0.5, inplace=True) is x
    assert x.tolist() == [-1.0, 3.0]
    y = nf.tensor([-1.0, 7.0])
    act.relu6(y, inplace=True)
    assert y.tolist() == [0.0, 6.0]


def test_activation_argument_errors():
    with pytest.raises(RuntimeError, match="gelu: approximate argument must be either none or tanh"):
        act.gelu(nf.randn(3), approximate="fast")
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        act.hardtanh(nf.randn(3), 2.0, 1.0)
    with pytest.raises(RuntimeError, match="silu: expected a floating-point input"):
        act.silu(nf.tensor([1, 2]))


COMPOSED = [
    Case("softmin", lambda L, x: F(L).softmin(x, dim=1), [((3, 4),)]),
    Case("softsign", lambda L, x: F(L).softsign(x), [((3, 4),)]),
    Case("tanhshrink", lambda L, x: F(L).tanhshrink(x), [((3, 4),)]),
    Case("threshold", lambda L, x: F(L).threshold(x, 0.1, 20.0), [((3, 4),)], "away"),
    Case("hardshrink", lambda L, x: F(L).hardshrink(x, 0.3), [((3, 4),)], "away"),
    Case("softshrink", lambda L, x: F(L).softshrink(x, 0.3), [((3, 4),)], "away"),
    Case("glu_last", lambda L, x: F(L).glu(x), [((3, 4),)]),
    Case("glu_dim1", lambda L, x: F(L).glu(x, 1), [((2, 6, 3),)]),
    Case("prelu_shared", lambda L, x, w: F(L).prelu(x, w), [((2, 3, 4), (1,))], ("away", "pos")),
    Case("prelu_per_channel", lambda L, x, w: F(L).prelu(x, w), [((2, 3, 4), (3,))], ("away", "pos")),
    Case("rrelu_eval", lambda L, x: F(L).rrelu(x, 0.1, 0.3, training=False), [((3, 4),)], "away"),
]

(
    test_composed_matches_pytorch,
    test_composed_gradcheck,
    test_composed_gradgradcheck,
    test_composed_float32_stays_float32,
) = op_tests(COMPOSED)


def test_rrelu_in_training_draws_a_slope_per_negative_element_from_the_seeded_generator():
    x = -nf.ones(10000)
    nf.manual_seed(0)
    y = nf.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    nf.manual_seed(0)
    assert np.array_equal(nf.nn.RReLU(0.1, 0.3)(x).numpy(), y.numpy())
    assert np.array_equal(nf.nn.functional.rrelu(-x, training=True).numpy(), -x.numpy())


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L: F(L).glu(L.ones(3, 5)),
        lambda L: F(L).softshrink(L.ones(3), -1.0),
        lambda L: F(L).prelu(L.ones(2, 3, 4), L.ones(4)),
        lambda L: F(L).prelu(L.ones(5), L.ones(5)),
    ],
)
def test_composed_activation_mistakes_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(nf)


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float32_gelu_and_its_gradient_are_as_accurate_as_pytorchs(approximate):
    """float32 gelu (the erf form runs its own float32 erf) judged against the float64
    result over [-8, 8]: within float32 rounding of it, as PyTorch's float32 is."""
    x = np.linspace(-8, 8, 40001)
    exact = nf.tensor(x, requires_grad=True)
    nf.nn.functional.gelu(exact, approximate=approximate).sum().backward()
    exact_value = nf.nn.functional.gelu(nf.tensor(x), approximate=approximate).numpy()
    ours = nf.tensor(x.astype(np.float32), requires_grad=True)
    value = nf.nn.functional.gelu(ours, approximate=approximate)
    value.sum().backward()
    theirs = torch.tensor(x.astype(np.float32), requires_grad=True)
    torch.nn.functional.gelu(theirs, approximate=approximate).sum().backward()
    torch_err = np.abs(torch.nn.functional.gelu(theirs.detach(), approximate=approximate).numpy() - exact_value).max()
    assert np.abs(value.detach().numpy() - exact_value).max() <= torch_err + 2e-7
    torch_grad_err = np.abs(theirs.grad.numpy() - exact.grad.numpy()).max()
    assert np.abs(ours.grad.numpy() - exact.grad.numpy()).max() <= torch_grad_err + 2e-7
