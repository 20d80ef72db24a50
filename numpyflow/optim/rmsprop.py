"""RMSprop."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _as_real, _check_common, _from_real, _lerp, _scalar


def _rmsprop(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum, centered,
             maximize):
    """One RMSprop update on arrays; returns new arrays (delta, square_avg, grad_avg, buf),
    with the operations in the order of PyTorch's single-tensor RMSprop."""
    if maximize:
        g = np.negative(g, out=np.empty_like(p))
    if weight_decay != 0:
        t = np.multiply(p, weight_decay, out=np.empty_like(p))
        g = np.add(g, t, out=t)  # g + weight_decay * p

    sq = np.multiply(square_avg, alpha, out=np.empty_like(p))
    avg = np.multiply(g, 1 - alpha, out=np.empty_like(p))
    np.multiply(avg, g, out=avg)
    square_avg = np.add(sq, avg, out=sq)  # alpha * s + (1 - alpha) * g * g

    if centered:
        grad_avg = _lerp(grad_avg, g, 1 - alpha)
        np.negative(grad_avg, out=avg)
        np.multiply(avg, grad_avg, out=avg)
        np.add(square_avg, avg, out=avg)  # s - grad_avg**2
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    np.add(avg, eps, out=avg)

    if momentum > 0:
        buf = np.multiply(buf, momentum, out=np.empty_like(p))
        np.divide(g, avg, out=avg)
        np.add(buf, avg, out=buf)  # momentum * buf + g / avg
        new = np.multiply(buf, -lr, out=avg)
    else:
        new = np.multiply(g, -lr, out=np.empty_like(p))
        np.divide(new, avg, out=new)
    return new, square_avg, grad_avg, buf  # p + new


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    With ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g
        avg = sqrt(s - a * a) + eps,  a = alpha * a + (1 - alpha) * g   (centered)
        avg = sqrt(s) + eps                                             (otherwise)
        buf = momentum * buf + g / avg;  p = p - lr * buf               (momentum > 0)
        p = p - lr * g / avg                                            (otherwise)

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        _check_common(cls.__name__, o, ("eps", "momentum", "weight_decay", "alpha"))

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        momentum = _scalar(group["momentum"])
        centered = group["centered"]
        step_t, step = self._next_step(state)
        a = p._data
        square_t = state.get("square_avg") if state else None
        buf_t = state.get("momentum_buffer") if state else None
        grad_avg_t = state.get("grad_avg") if state else None

        def current(t, needed):
            if not needed:
                return None
            return t._data if isinstance(t, Tensor) else np.zeros_like(a)

        inputs = [a, grad, current(square_t, True), current(grad_avg_t, centered),
                  current(buf_t, momentum > 0)]
        new = _rmsprop(*_as_real(inputs, a), lr=_scalar(group["lr"]), alpha=_scalar(group["alpha"]),
                       eps=_scalar(group["eps"]), weight_decay=_scalar(group["weight_decay"]),
                       momentum=momentum, centered=centered, maximize=group["maximize"])
        delta, new_square, new_grad_avg, new_buf = _from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "square_avg", square_t, new_square)
        if momentum > 0:
            commit.set(p, "momentum_buffer", buf_t, new_buf)
        if centered:
            commit.set(p, "grad_avg", grad_avg_t, new_grad_avg)
        commit.add(p, delta)


__all__ = ["RMSprop"]
