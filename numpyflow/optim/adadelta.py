"""Adadelta."""

from __future__ import annotations

import numpy as np

from ._common import as_real, check_common, check_number, ema_square, from_real, l2_grad, state_entry
from .optimizer import Optimizer


def _adadelta(p, g, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta update on arrays; returns new arrays (delta, square_avg, acc_delta),
    with the operations in the order of PyTorch's single-tensor Adadelta."""
    g = l2_grad(p, g, weight_decay, maximize)

    square_avg = ema_square(square_avg, g, rho)  # rho * v + (1 - rho) * g * g

    std = np.add(square_avg, eps, out=np.empty_like(p))
    np.sqrt(std, out=std)
    delta = np.add(acc_delta, eps, out=np.empty_like(p))
    np.sqrt(delta, out=delta)
    np.divide(delta, std, out=delta)
    np.multiply(delta, g, out=delta)  # sqrt(u + eps) / sqrt(v + eps) * g

    acc_delta = ema_square(acc_delta, delta, rho)  # rho * u + (1 - rho) * delta * delta

    np.multiply(delta, -lr, out=delta)
    return delta, square_avg, acc_delta  # p + delta


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    With ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: coefficient that scales ``delta`` before it is applied (default 1.0).
        rho: coefficient of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility; the update is always one
            vectorised pass per parameter.

    State per parameter: ``step`` (a 0-d float tensor), ``square_avg`` (``v``) and
    ``acc_delta`` (``u``).
    """

    _param_shaped_state = ("square_avg", "acc_delta")

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o, ("eps", "weight_decay"))
        check_number(cls.__name__, "rho", o["rho"])
        if not 0.0 <= o["rho"] <= 1.0:
            raise ValueError(f"{cls.__name__}: Invalid rho value: {o['rho']} (expected 0 <= rho <= 1)")

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        step_t, step = self._next_step(state)
        a = p._data
        square_t, square_avg = state_entry(state, "square_avg", a)
        acc_t, acc_delta = state_entry(state, "acc_delta", a)
        new = _adadelta(
            *as_real([a, grad, square_avg, acc_delta], a),
            lr=float(group["lr"]),
            rho=float(group["rho"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            maximize=group["maximize"],
        )
        delta, new_square, new_acc = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "square_avg", square_t, new_square)
        commit.set(p, "acc_delta", acc_t, new_acc)
        commit.add(p, delta)


__all__ = ["Adadelta"]
