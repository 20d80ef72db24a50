"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

``checkpoint(function, *args)`` runs ``function`` without recording a graph and keeps
only its inputs; one graph node stands for the whole call.  When the backward pass
reaches that node, it runs ``function`` again, this time recording a graph (with the
random-number state of the first run when ``preserve_rng_state``, so dropout draws the
same masks), and backpropagates through the recomputed graph: the inputs get their
gradients from the node, and the parameters used inside accumulate theirs into
``.grad`` as in the plain run.

As PyTorch's reentrant variant, it supports ``backward()`` but not ``create_graph=True``
(double backward raises); with ``use_reentrant=False`` it also passes keyword arguments
to ``function`` and gives parameters their gradients when no input requires grad.
"""

from __future__ import annotations

import warnings

from .. import autograd
from .. import random as _random
from ..autograd import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..creation import zeros
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Call:
    """What the checkpoint node needs to run ``function`` again (not a Tensor, so
    ``Function.apply`` passes it to ``forward`` as is)."""

    def __init__(self, function, args, kwargs, preserve_rng_state):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.preserve_rng_state = preserve_rng_state
        self.rng_state = None
        self.single = True
        self.n_extra = 0  # inputs after the Tensor arguments that only record the node


class CheckpointFunction(Function):
    """One graph node for a checkpointed call: ``forward`` runs the function with no
    graph; ``backward`` recomputes it with one and backpropagates through it."""

    @staticmethod
    def forward(ctx, call, *arrays):
        if call.preserve_rng_state:
            call.rng_state = _random.get_rng_state()
        with no_grad():
            out = call.function(*call.args, **call.kwargs)
        call.single = not isinstance(out, tuple)
        outs = (out,) if call.single else out
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"checkpoint: the checkpointed function must return Tensors (or a tuple of them), "
                    f"got {type(o).__name__}"
                )
        ctx.call = call
        return outs[0] if call.single else tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        if is_grad_enabled():
            raise RuntimeError(
                "checkpoint: double backward (backward(create_graph=True) or autograd.grad(create_graph=True) "
                "through a checkpointed call) is not supported"
            )
        call = ctx.call
        if call is None:
            raise RuntimeError(
                "checkpoint: trying to backward through a checkpointed call a second time; "
                "pass retain_graph=True to the first backward"
            )
        inputs = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in call.args)
        current = _random.get_rng_state() if call.preserve_rng_state else None
        try:
            if current is not None:
                _random.set_rng_state(call.rng_state)
            with enable_grad():
                out = call.function(*inputs, **call.kwargs)
        finally:
            if current is not None:
                _random.set_rng_state(current)
        outs = (out,) if not isinstance(out, tuple) else out
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        grads_in = [(a.grad if a.requires_grad else None) for a in inputs if isinstance(a, Tensor)]
        return (None, *grads_in, *([None] * call.n_extra))

    def _release(self):
        super()._release()
        self.call = None


def _use_reentrant(use_reentrant, who):
    if use_reentrant is None:
        warnings.warn(
            f"{who}: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
            "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            UserWarning,
            stacklevel=3,
        )
        return True
    return bool(use_reentrant)


def checkpoint(
    function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False, **kwargs
):
    """``function(*args, **kwargs)``, recomputed during backward instead of keeping its
    intermediate results.  ``preserve_rng_state=True`` (a keyword) replays the random
    draws (dropout) of the first run.  Warns, as PyTorch, when ``use_reentrant`` is not
    given (and then behaves as ``use_reentrant=True``)."""
    use_reentrant = _use_reentrant(use_reentrant, "numpyflow.utils.checkpoint")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant and (context_fn is not None or debug is not False):
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if context_fn is not None or debug:
        raise NotImplementedError("checkpoint: context_fn and debug are not supported")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    tensors = [a for a in args if isinstance(a, Tensor)]
    needs_grad = any(t.requires_grad for t in tensors)
    if use_reentrant and not needs_grad:
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning, stacklevel=2)
    call = _Call(function, args, kwargs, preserve)
    extra = () if needs_grad or use_reentrant else (zeros((), requires_grad=True),)  # records the node
    call.n_extra = len(extra)
    return CheckpointFunction.apply(call, *tensors, *extra)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a list or an ``nn.Sequential``) one after another on ``input``,
    checkpointing all but the last of ``segments`` equal segments, as PyTorch."""
    use_reentrant = _use_reentrant(use_reentrant, "numpyflow.utils.checkpoint.checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)
