"""Function hooks: code that watches every op as it runs, forward and backward.

Cross-cutting tools (anomaly detection, the profiler, a tracer) subclass
:class:`FunctionHook` and register an instance; ``Function.apply`` and the engine call
the registered hooks around each op's ``forward`` and ``backward``.  With no hook
registered the cost is one test of an empty dict per op, and no op knows who watches::

    class CountOps(nf.autograd.FunctionHook):
        def __init__(self):
            self.calls = collections.Counter()

        def forward_post(self, function, args, outputs):
            self.calls[function.op_name()] += 1

    with CountOps() as counter:
        model(x).sum().backward()
    print(counter.calls)

Each ``*_pre`` call is matched by its ``*_post`` call, also when the op raises (the
post call then gets None for what the op would have produced), so a hook that keeps a
stack stays balanced.  Hooks run in the order they were registered; post calls in the
reverse order.
"""

from __future__ import annotations

from .._handles import RemovableHandle

__all__ = ["FunctionHook", "register_function_hook"]

# The registered hooks, {handle id: hook}; Function.apply and the engine test it per op.
hooks: dict = {}


class FunctionHook:
    """Base class of function hooks: override the calls you need (all do nothing here).

    ``function`` is the op's node (its ``ctx``: ``type(function)`` is the ``Function``
    subclass, ``function.op_name()`` its name); ``args`` are the arguments given to
    ``apply``; ``outputs`` a tuple of the forward's result Tensors; ``grads`` the output
    gradients a backward receives, and ``input_grads`` the gradients it returns, one per
    forward input (reduced to the input's shape), or None where it raised.
    """

    _handle = None

    def forward_pre(self, function, args):
        """Before ``forward`` runs."""

    def forward_post(self, function, args, outputs):
        """After ``forward`` ran and its outputs were recorded (``outputs`` is None if it
        raised)."""

    def backward_pre(self, function, grads):
        """Before ``backward`` runs."""

    def backward_post(self, function, grads, input_grads):
        """After ``backward`` ran (``input_grads`` is None if it raised)."""

    def __enter__(self):
        self._handle = register_function_hook(self)
        return self

    def __exit__(self, *exc):
        self._handle.remove()
        self._handle = None
        return False


def register_function_hook(hook: FunctionHook) -> RemovableHandle:
    """Call ``hook`` around every op from now on; ``handle.remove()`` stops it."""
    return RemovableHandle(hooks, hook)


def watch(stage: str, function, given, run):
    """``run()`` (an op's ``stage``, "forward" or "backward") between the hooks'
    ``{stage}_pre(function, given)`` and ``{stage}_post(function, given, produced)``
    calls; a forward's outputs are passed on as a tuple."""
    active = list(hooks.values())
    for h in active:
        getattr(h, stage + "_pre")(function, given)
    produced = None
    try:
        result = run()
        produced = result if type(result) is tuple or stage == "backward" else (result,)
        return result
    finally:
        for h in reversed(active):
            getattr(h, stage + "_post")(function, given, produced)
