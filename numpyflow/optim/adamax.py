"""Adamax."""

from __future__ import annotations

import numpy as np

from ._common import adam_options, as_real, check_adam_options, from_real, l2_grad, lerp, state_entry
from .optimizer import Optimizer


def _adamax(p, g, exp_avg, exp_inf, *, step, lr, beta1, beta2, eps, weight_decay, maximize):
    """One Adamax update on arrays; returns new arrays (delta, exp_avg, exp_inf), with the
    operations in the order of PyTorch's single-tensor Adamax."""
    g = l2_grad(p, g, weight_decay, maximize)

    exp_avg = lerp(exp_avg, g, 1 - beta1)
    inf = np.multiply(exp_inf, beta2, out=np.empty_like(p))
    t = np.abs(g, out=np.empty_like(p))
    np.add(t, eps, out=t)
    exp_inf = np.maximum(inf, t, out=inf)  # max(beta2 * u, |g| + eps)

    clr = lr / (1 - beta1**step)
    np.multiply(exp_avg, -clr, out=t)
    np.divide(t, exp_inf, out=t)
    return t, exp_avg, exp_inf  # p + t


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2014), as
    ``torch.optim.Adamax``.

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running average of the gradient and of the decay of
            the infinity norm (default (0.9, 0.999)).
        eps: added to the infinity norm (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step`` (a 0-d float tensor), ``exp_avg`` (``m``) and
    ``exp_inf`` (``u``).
    """

    _param_shaped_state = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_adam_options(cls.__name__, o)

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        step_t, step = self._next_step(state)
        a = p._data
        exp_avg_t, exp_avg = state_entry(state, "exp_avg", a)
        exp_inf_t, exp_inf = state_entry(state, "exp_inf", a)
        new = _adamax(
            *as_real([a, grad, exp_avg, exp_inf], a),
            step=float(step),
            **adam_options(group),
        )
        delta, new_avg, new_inf = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "exp_avg", exp_avg_t, new_avg)
        commit.set(p, "exp_inf", exp_inf_t, new_inf)
        commit.add(p, delta)


__all__ = ["Adamax"]
