"""numpyflow/ops/ctc_loss.py and nn.CTCLoss: values and gradients against PyTorch
(padded and concatenated targets, repeated labels, empty targets, impossible alignments
with and without zero_infinity, unbatched input, every reduction), finite differences
through log_softmax, float32, and the double-backward error."""

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def F(L):
    return L.nn.functional


T, N, C = 6, 3, 4
# repeated labels (2, 2), a target of length 0, and one needing every frame (1, 1, 1 in 5 frames)
TARGETS = np.array([[2, 2, 3], [1, 1, 1], [3, 0, 0]])
INPUT_LENGTHS = np.array([6, 5, 4])
TARGET_LENGTHS = np.array([3, 3, 0])


def _extras(targets=TARGETS, input_lengths=INPUT_LENGTHS, target_lengths=TARGET_LENGTHS):
    def extra(rng, shapes):
        return [targets, input_lengths, target_lengths]

    return extra


def _ctc(**kw):
    return lambda L, x, tg, il, tl: F(L).ctc_loss(x.log_softmax(-1), tg, il, tl, **kw)


CASES = []
for red in ("none", "mean", "sum"):
    CASES.append(Case(f"ctc_{red}", _ctc(reduction=red), [((T, N, C),)], second=False, extra=_extras()))
CASES += [
    Case(
        "ctc_blank_last", _ctc(blank=C - 1), [((T, N, C),)], second=False, extra=_extras(TARGETS - 1 + (TARGETS == 0))
    ),
    Case(
        "ctc_concatenated_targets",
        _ctc(reduction="sum"),
        [((T, N, C),)],
        second=False,
        extra=_extras(np.array([2, 2, 3, 1, 1, 1])),
    ),
    # sample 1 can't be aligned (1, 1 needs 3 frames, it has 2): inf loss, zeroed with zero_infinity
    Case(
        "ctc_zero_infinity",
        _ctc(reduction="mean", zero_infinity=True),
        [((T, N, C),)],
        second=False,
        extra=_extras(np.array([[2, 3], [1, 1], [3, 3]]), np.array([6, 2, 5]), np.array([2, 2, 1])),
    ),
    Case(
        "ctc_unbatched",
        lambda L, x, tg, il, tl: F(L).ctc_loss(x.log_softmax(-1), tg, il, tl, reduction="none"),
        [((T, C),)],
        second=False,
        extra=lambda rng, shapes: [np.array([1, 1, 2]), np.array(5), np.array(3)],
    ),
    # the log-probabilities used as given (not normalised): PyTorch's gradient formula
    Case(
        "ctc_raw_log_probs",
        lambda L, x, tg, il, tl: F(L).ctc_loss(x, tg, il, tl, reduction="none"),
        [((T, N, C),)],
        second=False,
        finite_differences=False,
        extra=_extras(),
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def _random_problem(rng, T=30, N=5, C=6, S=8):
    x = rng.standard_normal((T, N, C))
    tl = rng.integers(0, S + 1, N)
    tg = rng.integers(1, 3, (N, S))  # few labels: many repeats
    il = rng.integers(2 * S + 1, T + 1, N)
    il[0] = T
    return x, tg, il, tl


@needs_torch
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_random_problems_match_pytorch(seed, zero_infinity):
    rng = np.random.default_rng(seed)
    x, tg, il, tl = _random_problem(rng)
    il[-1] = 3  # too short for most targets: an infinite loss
    tl[-1] = 4
    a = nf.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    la = F(nf).ctc_loss(
        a.log_softmax(2), nf.tensor(tg), nf.tensor(il), nf.tensor(tl), reduction="none", zero_infinity=zero_infinity
    )
    lb = F(torch).ctc_loss(
        b.log_softmax(2),
        torch.tensor(tg),
        torch.tensor(il),
        torch.tensor(tl),
        reduction="none",
        zero_infinity=zero_infinity,
    )
    np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=1e-10)
    g = rng.standard_normal(la.shape)
    g[-1] = 0 if not zero_infinity else g[-1]  # an inf loss has NaN gradients (in PyTorch too)
    la.backward(nf.tensor(g))
    lb.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
def test_ctc_infinite_loss_gives_nan_gradients_like_pytorch():
    x = np.random.default_rng(0).standard_normal((2, 1, 3))
    a = nf.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    args = ([[1, 1]], [2], [2])
    F(nf).ctc_loss(a.log_softmax(2), *map(nf.tensor, args)).backward()
    F(torch).ctc_loss(b.log_softmax(2), *map(torch.tensor, args)).backward()
    np.testing.assert_array_equal(np.isnan(a.grad.numpy()), np.isnan(b.grad.numpy()))


@needs_torch
def test_ctc_float32_matches_pytorch():
    rng = np.random.default_rng(1)
    x, tg, il, tl = _random_problem(rng, T=50, N=4, C=10, S=10)
    x = x.astype(np.float32)
    a = nf.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    la = nf.nn.CTCLoss()(a.log_softmax(2), nf.tensor(tg), nf.tensor(il), nf.tensor(tl))
    lb = torch.nn.CTCLoss()(b.log_softmax(2), torch.tensor(tg), torch.tensor(il), torch.tensor(tl))
    assert la.dtype == nf.float32
    la.backward()
    lb.backward()
    assert a.grad.dtype == nf.float32
    np.testing.assert_allclose(la.item(), lb.item(), rtol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_ctc_lengths_as_lists_and_module_options():
    x = nf.randn(T, N, C, dtype=nf.float64).log_softmax(2)
    loss = nf.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    a = loss(x, nf.tensor(TARGETS), INPUT_LENGTHS.tolist(), TARGET_LENGTHS.tolist())
    b = F(nf).ctc_loss(x, nf.tensor(TARGETS), nf.tensor(INPUT_LENGTHS), nf.tensor(TARGET_LENGTHS), reduction="sum")
    np.testing.assert_allclose(a.item(), b.item())


def test_ctc_double_backward_raises_naming_the_op():
    x = nf.randn(T, N, C, dtype=nf.float64, requires_grad=True)
    loss = F(nf).ctc_loss(x.log_softmax(2), nf.tensor(TARGETS), nf.tensor(INPUT_LENGTHS), nf.tensor(TARGET_LENGTHS))
    (g,) = nf.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="ctc_loss: double backward"):
        g.sum().backward()


@pytest.mark.parametrize(
    "targets, input_lengths, target_lengths, match",
    [
        (TARGETS, [6, 5], TARGET_LENGTHS, "input_lengths must be of size batch_size"),
        (TARGETS, [7, 5, 4], TARGET_LENGTHS, "input_lengths must be in"),
        (TARGETS, INPUT_LENGTHS, [4, 3, 0], "exceeds the padded targets"),
        (np.array([1, 2]), INPUT_LENGTHS, TARGET_LENGTHS, "concatenated targets"),
        (TARGETS + 4, INPUT_LENGTHS, TARGET_LENGTHS, "label range"),
    ],
)
def test_ctc_bad_arguments_are_errors(targets, input_lengths, target_lengths, match):
    x = nf.randn(T, N, C).log_softmax(2)
    with pytest.raises(RuntimeError, match=match):
        F(nf).ctc_loss(x, nf.tensor(targets), nf.tensor(input_lengths), nf.tensor(target_lengths))


@needs_torch
def test_ctc_zero_input_length_matches_pytorch():
    x = np.random.default_rng(2).standard_normal((4, 3, 3))
    args = ([[1], [1], [2]], [4, 0, 0], [1, 0, 1])
    for zero_infinity in (False, True):
        a = nf.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        la = F(nf).ctc_loss(a.log_softmax(2), *map(nf.tensor, args), reduction="none", zero_infinity=zero_infinity)
        lb = F(torch).ctc_loss(
            b.log_softmax(2), *map(torch.tensor, args), reduction="none", zero_infinity=zero_infinity
        )
        np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=1e-12)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
