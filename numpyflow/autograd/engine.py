"""Backward: run the graph's nodes in topological order, summing the gradients that
flow into each node before it runs.  No recursion (a chain of 100,000 ops is fine) and
every node runs once (shared subgraphs cost linear time)."""

from __future__ import annotations

from . import grad_mode


class AccumulateGrad:
    """The graph node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable", "__weakref__")
    _next = ()
    _n_outputs = 1
    _retained = None

    def __init__(self, variable):
        self.variable = variable

    @property
    def _tensor_hooks(self):
        hooks = self.variable._hooks
        return {0: hooks} if hooks else None

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"

    next_functions = ()


def _order(roots):
    """The nodes reachable from ``roots`` in topological order (every node after all
    nodes that send it gradients): the reverse of an iterative depth-first post-order."""
    order = []
    seen = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root._next))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None:
                    child = edge[0]
                    if child not in seen:
                        seen.add(child)
                        stack.append((child, iter(child._next)))
                        break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _needed(order, targets):
    """The nodes whose backward must run for gradients to reach ``targets``."""
    reaches = set()
    for node in reversed(order):
        if node in targets or any(e is not None and e[0] in reaches for e in node._next):
            reaches.add(node)
    return reaches


def run_backward(outputs, grad_outputs, retain_graph=False, create_graph=False, inputs=None, who="backward"):
    """Backpropagate from ``outputs`` (Tensors) seeded with ``grad_outputs`` (Tensors).

    Without ``inputs``, gradients accumulate into the ``.grad`` of the leaves.  With
    ``inputs`` (Tensors), their gradients are returned instead (``autograd.grad``) and no
    ``.grad`` is touched.
    """
    roots = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(
                f"{who}: element {i} of tensors does not require grad and does not have a grad_fn; "
                "expected a result computed from a tensor with requires_grad=True"
            )
        roots.append(t._grad_fn if t._grad_fn is not None else t._accumulator())

    capture = None
    if inputs is not None:
        capture = {}
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            key = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._accumulator(), 0)
            capture[key] = None

    order = _order(roots)
    run_only = _needed(order, {k[0] for k in capture}) if capture is not None else None

    buffers = {}
    for node, t, g in zip(roots, outputs, grad_outputs):
        _add_into(buffers, node, t._output_nr if t._grad_fn is not None else 0, g)

    previous = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    _callbacks.append([])
    try:
        for node in order:
            grads = buffers.pop(node, None)
            if grads is None:
                continue
            if node._tensor_hooks or node._retained:
                grads = _run_hooks(node, grads)
            if capture is not None:
                if node not in run_only:
                    continue
                for nr in range(len(grads)):
                    if (node, nr) in capture:
                        capture[(node, nr)] = grads[nr]
                if not any(e is not None and e[0] in run_only for e in node._next):
                    continue
            elif type(node) is AccumulateGrad:
                leaf = node.variable
                accumulate(leaf, grads[0], create_graph)
                if leaf is not None and leaf._post_accumulate_hooks:
                    for hook in list(leaf._post_accumulate_hooks.values()):
                        hook(leaf)
                continue
            in_grads = node._run_backward(grads)
            for edge, g in zip(node._next, in_grads):
                if g is not None:
                    _add_into(buffers, edge[0], edge[1], g)
            if not retain_graph:
                node._release()
        callbacks = _callbacks[-1]
        while callbacks:  # a callback may queue more
            callbacks.pop(0)()
    finally:
        _callbacks.pop()
        grad_mode.state.enabled = previous
    if capture is not None:
        return list(capture.values())
    return None


# The callbacks of the backward passes running now (a backward inside a hook nests).
_callbacks: list = []


def queue_callback(callback) -> None:
    """Run ``callback()`` once the backward pass now running has computed every
    gradient (PyTorch's ``Variable._execution_engine.queue_callback``): what
    data-parallel training uses to wait for its gradient all-reduces before
    ``backward()`` returns."""
    if not _callbacks:
        raise RuntimeError("queue_callback: no backward pass is running")
    _callbacks[-1].append(callback)


def _add_into(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._n_outputs
    old = buf[nr]
    if old is None:
        buf[nr] = g
    elif grad_mode.state.enabled:  # create_graph: the sum is part of the new graph
        buf[nr] = old + g
    else:  # both already have the input's shape and dtype
        buf[nr] = type(g)._make(old._data + g._data)


def _run_hooks(node, grads):
    """Tensor hooks may replace the gradient; ``retain_grad`` tensors then keep it."""
    grads = list(grads)
    for nr, fns in (node._tensor_hooks or {}).items():
        if grads[nr] is None:
            continue
        for fn in list(fns.values()):
            new = fn(grads[nr])
            if new is not None:
                grads[nr] = new
    for nr, ref in (node._retained or {}).items():
        t = ref()
        if t is not None and grads[nr] is not None:
            g = grads[nr]
            if t._grad is None:
                t._grad = g if g._requires_grad else g._copy_detached()
            else:
                t._grad = t._grad + g
    return grads


def accumulate(leaf, g, create_graph):
    """Add ``g`` into ``leaf.grad``: the first gradient is copied (it may alias another
    tensor), later ones are added in place; with ``create_graph`` the sum keeps its graph."""
    if leaf is None:
        return
    if create_graph:
        leaf._grad = g if leaf._grad is None else leaf._grad + g
        return
    old = leaf._grad
    if old is None:
        leaf._grad = g._copy_detached()
    elif old._requires_grad:  # left by an earlier create_graph backward
        leaf._grad = old.detach() + g.detach()
    else:
        old._data += g._data
        old._bump_version()
