"""numpyflow/autograd/function_hooks.py: hooks see every op's forward and backward, in
matched pre/post pairs, and cost nothing once removed."""

from __future__ import annotations

import pytest

import numpyflow as nf
from numpyflow.autograd import FunctionHook, function_hooks, register_function_hook


class Recorder(FunctionHook):
    def __init__(self):
        self.events = []

    def forward_pre(self, function, args):
        self.events.append(("forward_pre", function.op_name()))

    def forward_post(self, function, args, outputs):
        self.events.append(("forward_post", function.op_name(), None if outputs is None else len(outputs)))

    def backward_pre(self, function, grads):
        self.events.append(("backward_pre", function.name()))

    def backward_post(self, function, grads, input_grads):
        self.events.append(("backward_post", function.name(), input_grads is not None))


def _balanced(events):
    """Every pre has its post, properly nested."""
    stack = []
    for e in events:
        kind, name = e[0], e[1]
        if kind.endswith("_pre"):
            stack.append((kind[:-4], name))
        else:
            assert stack.pop() == (kind[:-5], name)
    return not stack


def test_hook_sees_each_forward_and_backward_in_order():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    with Recorder() as rec:
        y = (x.exp() * 2).sum()
        y.backward()
    forwards = [e for e in rec.events if e[0] == "forward_post"]
    assert forwards[:3] == [("forward_post", "Exp", 1), ("forward_post", "Mul", 1), ("forward_post", "Sum", 1)]
    backwards = [e[1] for e in rec.events if e[0] == "backward_post"]
    assert backwards == ["SumBackward0", "MulBackward0", "ExpBackward0"]
    inside_exp_backward = rec.events[rec.events.index(("backward_pre", "ExpBackward0")) :]
    assert ("forward_post", "Mul", 1) in inside_exp_backward  # the op ExpBackward applies
    assert _balanced(rec.events)
    assert not function_hooks.hooks


def test_forward_post_gets_the_result_tensors():
    seen = []

    class Outputs(FunctionHook):
        def forward_post(self, function, args, outputs):
            seen.append(outputs)

    x = nf.randn(3, 4)
    with Outputs():
        values, indices = x.max(1)
    assert seen[-1][0] is values and seen[-1][1] is indices


class _Fails(nf.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        raise ZeroDivisionError("forward fails")

    @staticmethod
    def backward(ctx, grad):
        raise ZeroDivisionError("backward fails")


def test_post_runs_with_none_when_the_op_raises_so_stacks_stay_balanced():
    with Recorder() as rec, pytest.raises(ZeroDivisionError):
        _Fails.apply(nf.ones(2))
    assert rec.events == [("forward_pre", "_Fails"), ("forward_post", "_Fails", None)]


def test_hooks_run_in_registration_order_and_post_calls_in_reverse():
    order = []

    class Named(FunctionHook):
        def __init__(self, name):
            self.name = name

        def forward_pre(self, function, args):
            order.append(("pre", self.name))

        def forward_post(self, function, args, outputs):
            order.append(("post", self.name))

    with Named("a"), Named("b"):
        nf.ones(2) + 1
    assert order == [("pre", "a"), ("pre", "b"), ("post", "b"), ("post", "a")]


def test_a_removed_hook_sees_nothing():
    rec = Recorder()
    handle = register_function_hook(rec)
    handle.remove()
    nf.ones(2) * 2
    assert rec.events == [] and not function_hooks.hooks
