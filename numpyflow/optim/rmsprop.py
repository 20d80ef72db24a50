"""RMSprop."""

from __future__ import annotations

import numpy as np

from ._common import as_real, check_common, ema_square, from_real, l2_grad, lerp, state_entry
from .optimizer import Optimizer


def _rmsprop(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """One RMSprop update on arrays; returns new arrays (delta, square_avg, grad_avg, buf),
    with the operations in the order of PyTorch's single-tensor RMSprop."""
    g = l2_grad(p, g, weight_decay, maximize)

    square_avg = ema_square(square_avg, g, alpha)  # alpha * s + (1 - alpha) * g * g
    avg = np.empty_like(p)

    if centered:
        grad_avg = lerp(grad_avg, g, 1 - alpha)
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

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o, ("eps", "momentum", "weight_decay", "alpha"))

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        momentum = float(group["momentum"])
        centered = group["centered"]
        step_t, step = self._next_step(state)
        a = p._data
        square_t, square_avg = state_entry(state, "square_avg", a)
        grad_avg_t, grad_avg = state_entry(state, "grad_avg", a, needed=centered)
        buf_t, buf = state_entry(state, "momentum_buffer", a, needed=momentum > 0)
        inputs = [a, grad, square_avg, grad_avg, buf]
        new = _rmsprop(
            *as_real(inputs, a),
            lr=float(group["lr"]),
            alpha=float(group["alpha"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            momentum=momentum,
            centered=centered,
            maximize=group["maximize"],
        )
        delta, new_square, new_grad_avg, new_buf = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "square_avg", square_t, new_square)
        if momentum > 0:
            commit.set(p, "momentum_buffer", buf_t, new_buf)
        if centered:
            commit.set(p, "grad_avg", grad_avg_t, new_grad_avg)
        commit.add(p, delta)


__all__ = ["RMSprop"]
