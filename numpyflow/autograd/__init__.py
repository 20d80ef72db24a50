"""Automatic differentiation: ``backward``, ``grad``, grad modes, custom ``Function``s and
gradient checks."""

from __future__ import annotations

import warnings

import numpy as np

from ..backend import array_module
from ..dtypes import default_numpy_float
from ..tensor import Tensor, as_tensor_arg
from .anomaly_mode import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .engine import accumulate, run_backward
from .function import Function, FunctionCtx  # noqa: F401
from .function_hooks import FunctionHook, register_function_hook  # noqa: F401
from .grad_mode import *  # noqa: F401,F403


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _seed_gradients(outputs, grad_outputs, create_graph, who):
    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"{who}: grad can be implicitly created only for scalar outputs, but output "
                    f"{i} has shape {tuple(out._data.shape)}; pass a gradient of that shape"
                )
            g = Tensor._make(array_module(out._data).ones_like(out._data))
        else:
            g = as_tensor_arg(g)
            if tuple(g._data.shape) != tuple(out._data.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                    f"output[{i}] has a shape of {tuple(out.shape)}."
                )
            if g._data.dtype != out._data.dtype:
                g = g.to(out._data.dtype)
            if not create_graph and g._requires_grad:
                g = g.detach()
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves
    (or only of ``inputs`` when given)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _seed_gradients(tensors, grad_tensors, create_graph, "backward")
    if inputs is None:
        run_backward(tensors, grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    results = run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)
    for t, g in zip(inputs, results):
        if g is not None:
            accumulate(t, g, create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs`` (returned, not stored in
    ``.grad``).  With ``create_graph=True`` they are differentiable again."""
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched is not supported")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _seed_gradients(outputs, grad_outputs, create_graph, "grad")
    results = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs, who="grad")
    out = []
    for t, g in zip(inputs, results):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = Tensor._make(array_module(t._data).zeros_like(t._data))
        out.append(g)
    return tuple(out)


from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The deprecated pre-0.4 wrapper, kept so old code runs: ``Variable(t, requires_grad=True)``
    returns a Tensor, as in PyTorch: a leaf that shares ``t``'s memory, cut from ``t``'s graph,
    with the ``requires_grad`` asked for.  Every Tensor is an instance of ``Variable``."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with nf.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if data is None:
            data = Tensor._make(np.empty(0, default_numpy_float()))
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
