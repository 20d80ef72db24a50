"""The double backward of a fused op, from a composition of differentiable ops that
computes the same forward.

A fused op's backward (a recurrent layer's backward through time, say) is fast array
code; its own derivative is rarely needed and tedious to write by hand.  Given the
composed forward, :func:`backward_of_backward` differentiates the first-order
vector-Jacobian product ``v(p, c) = d<f(p), c>/dp`` once more, so gradients of every order
stay exact.  When the engine is recording (a gradient of a gradient of a gradient was
asked for), the result keeps its graph back to the real inputs.
"""

from __future__ import annotations

from ..tensor import Tensor
from . import grad_mode
from .engine import run_backward


def _leaf(t: Tensor | None, keep_graph: bool):
    """A tensor to differentiate with respect to: a view of ``t`` that keeps its graph
    (its own node, so that gradients are taken with respect to this use of ``t`` alone and
    not through other paths that reach ``t``), else a detached copy."""
    if t is None:
        return None
    if keep_graph and t._requires_grad:
        return t.view(tuple(t.shape))
    return t.detach().requires_grad_()


def backward_of_backward(composed, primals, cotangents, grads):
    """Gradients of ``v = vjp(composed, primals, cotangents)`` (one output per primal) for
    the incoming ``grads`` (one per primal, Tensor or None), with respect to the primals
    and then the cotangents: a list of Tensors or None, primals first.

    ``composed(*primals)`` returns a tuple of outputs (None where an output does not
    exist), one per cotangent."""
    keep_graph = grad_mode.state.enabled
    p = [_leaf(t, keep_graph) for t in primals]
    c = [_leaf(t, keep_graph) for t in cotangents]
    with grad_mode.enable_grad():
        outs = composed(*p)
        pairs = [(o, ct) for o, ct in zip(outs, c) if o is not None and ct is not None and o._requires_grad]
        wrt = [t for t in p if t is not None]
        firsts = run_backward(
            [o for o, _ in pairs], [ct for _, ct in pairs], True, True, inputs=wrt, who="double backward"
        )
        first_of = dict(zip(map(id, wrt), firsts))
        chain = [
            (first_of[id(t)], g)
            for t, g in zip(p, grads)
            if t is not None and g is not None and first_of.get(id(t)) is not None and first_of[id(t)]._requires_grad
        ]
        targets = [t for t in p + c if t is not None]
        if not chain:
            return [None] * (len(p) + len(c))
        seconds = run_backward(
            [f for f, _ in chain], [g for _, g in chain], keep_graph, keep_graph, inputs=targets, who="double backward"
        )
    second_of = dict(zip(map(id, targets), seconds))
    return [None if t is None else second_of[id(t)] for t in p + c]
