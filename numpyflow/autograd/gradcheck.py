"""Check analytical gradients against central finite differences (float64)."""

from __future__ import annotations

import warnings

import numpy as np

from ..creation import zeros_like
from ..tensor import Tensor
from . import grad as autograd_grad
from . import grad_mode


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical Jacobians differ."""


def _as_outputs(out):
    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobians(func, inputs, diff_idx, outputs, eps):
    """J[o][i] of shape (outputs[o].numel(), inputs[i].numel()) by central differences."""
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outputs]
    for col, i in enumerate(diff_idx):
        x = inputs[i]._data
        flat = x.reshape(-1)  # a view: x is contiguous (checked by the caller)
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            with grad_mode.no_grad():
                plus = [o._data.astype(np.float64).ravel().copy() for o in _as_outputs(func(*inputs))]
            flat[k] = orig - eps
            with grad_mode.no_grad():
                minus = [o._data.astype(np.float64).ravel().copy() for o in _as_outputs(func(*inputs))]
            flat[k] = orig
            for o in range(len(outputs)):
                jac[o][col][:, k] = (plus[o] - minus[o]) / (2 * eps)
    return jac


def _analytical_jacobians(outputs, inputs, diff_idx):
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outputs]
    targets = [inputs[i] for i in diff_idx]
    for o, out in enumerate(outputs):
        if not out._requires_grad:
            continue
        for j in range(out._data.size):
            seed = np.zeros(out._data.shape, out._data.dtype)
            seed.reshape(-1)[j] = 1
            grads = autograd_grad(out, targets, Tensor._make(seed), retain_graph=True, allow_unused=True)
            for col, g in enumerate(grads):
                if g is not None:
                    jac[o][col][j, :] = g._data.astype(np.float64).ravel()
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored) -> bool:
    """Compare the gradients ``backward`` computes for ``func(*inputs)`` with central
    differences, for every input that requires grad.  Use float64 inputs.

    Returns True, or raises ``GradcheckError`` naming the first mismatching element (or
    returns False with ``raise_exception=False``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check may fail from rounding alone",
                stacklevel=2,
            )
        if not inputs[i]._data.flags.c_contiguous or not inputs[i]._data.flags.writeable:
            raise ValueError(f"gradcheck: input {i} must be a contiguous, writeable tensor")
    with grad_mode.enable_grad():
        outputs = _as_outputs(func(*inputs))
    analytical = _analytical_jacobians(outputs, inputs, diff_idx)
    numerical = _numerical_jacobians(func, inputs, diff_idx, outputs, eps)
    for o in range(len(outputs)):
        for col, i in enumerate(diff_idx):
            a = analytical[o][col]
            n = numerical[o][col]
            bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
            if bad.any():
                r, c = np.argwhere(bad)[0]
                out_idx = np.unravel_index(r, outputs[o]._data.shape) if outputs[o]._data.ndim else ()
                in_idx = np.unravel_index(c, inputs[i]._data.shape) if inputs[i]._data.ndim else ()
                msg = (
                    f"Jacobian mismatch for output {o} with respect to input {i}: at output element "
                    f"{tuple(int(v) for v in out_idx)}, input element {tuple(int(v) for v in in_idx)}: "
                    f"numerical {float(n[r, c])!r} vs analytical {float(a[r, c])!r} (atol={atol}, rtol={rtol}; "
                    f"{int(bad.sum())} of {bad.size} entries differ)"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0, **_ignored
) -> bool:
    """``gradcheck`` of the gradients themselves: checks second derivatives of ``func``
    (through ``backward(create_graph=True)``) against finite differences of its first
    derivatives.  Random ``grad_outputs`` are drawn when not given."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    with grad_mode.enable_grad():
        outputs = [o for o in _as_outputs(func(*inputs)) if o._requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_(True) for o in outputs
        )
    grad_outputs = tuple(grad_outputs)
    n = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]

    def first_derivatives(*args):
        ins, gos = args[:n], args[n:]
        with grad_mode.enable_grad():
            outs = [o for o in _as_outputs(func(*ins)) if o._requires_grad]
            targets = [ins[i] for i in diff_idx]
            grads = autograd_grad(outs, targets, gos, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else zeros_like(t) for g, t in zip(grads, targets))

    return gradcheck(
        first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )
