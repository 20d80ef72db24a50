"""Stochastic gradient descent (optionally with momentum and Nesterov momentum)."""

from __future__ import annotations

import numpy as np

from ._common import check_common, l2_grad, required
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD``.

    For each parameter with a gradient ``g`` (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        buf = g                                            (first step)
        buf = momentum * buf + (1 - dampening) * g         (later steps)
        g = g + momentum * buf if nesterov else buf        (when momentum != 0)
        p = p - lr * g

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility; the update is always one
            vectorised pass per parameter.
    """

    _param_shaped_state = ("momentum_buffer",)

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o, ("momentum", "weight_decay"))
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        lr = float(group["lr"])
        momentum = float(group["momentum"])
        dampening = float(group["dampening"])
        weight_decay = float(group["weight_decay"])
        a = p._data
        g = l2_grad(a, grad, weight_decay, group["maximize"])  # -g with maximize, then + weight_decay * p
        if momentum != 0:
            buf_t = state.get("momentum_buffer") if state else None
            if buf_t is None:  # the first step: the buffer is the gradient itself
                buf = g.copy() if g is grad else g
            else:
                buf = np.multiply(buf_t._data, momentum, out=np.empty_like(a))
                if dampening != 0:
                    t = np.multiply(g, 1 - dampening, out=np.empty_like(a))
                    np.add(buf, t, out=buf)
                else:
                    np.add(buf, g, out=buf)
            commit.set(p, "momentum_buffer", buf_t, buf)
            if group["nesterov"]:
                t = np.multiply(buf, momentum, out=np.empty_like(a))
                g = np.add(g, t, out=t)  # g + momentum * buf
            else:
                g = buf
        commit.add(p, np.multiply(g, -lr, out=np.empty_like(a)))  # p + (-lr) * g


__all__ = ["SGD", "required"]
