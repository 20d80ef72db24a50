"""RAdam."""

from __future__ import annotations

import numpy as np

from ._common import adam_options, as_real, check_adam_options, decayed_grad, ema_square, from_real, lerp, state_entry
from .optimizer import Optimizer


def _radam(p, g, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize):
    """One RAdam update on arrays, with the operations in the order of PyTorch's
    single-tensor RAdam. Returns the new arrays (delta, exp_avg, exp_avg_sq) and the
    factor the parameter is first multiplied by (None, or ``1 - lr * weight_decay`` when
    decoupled): the new parameter is ``p * factor + delta``."""
    g, scale = decayed_grad(p, g, lr=lr, weight_decay=weight_decay, maximize=maximize, decoupled=decoupled)

    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = ema_square(exp_avg_sq, g, beta2)  # beta2 * v + (1 - beta2) * g * g

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    update = np.divide(exp_avg, bias_correction1, out=np.empty_like(p))  # the bias-corrected m
    np.multiply(update, lr, out=update)

    rho_inf = 2 / (1 - beta2) - 1  # the maximum length of the approximated SMA
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    if rho_t > 5.0:  # the variance is tractable: rectify the adaptive learning rate
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        adaptive = np.sqrt(exp_avg_sq, out=np.empty_like(p))
        np.add(adaptive, eps, out=adaptive)
        np.reciprocal(adaptive, out=adaptive)  # PyTorch's scalar / tensor is reciprocal(tensor) * scalar
        np.multiply(adaptive, bias_correction2**0.5, out=adaptive)
        np.multiply(update, adaptive, out=update)
        np.multiply(update, rect, out=update)
    np.negative(update, out=update)
    return (update, exp_avg, exp_avg_sq), scale


class RAdam(Optimizer):
    r"""RAdam, Adam with a rectified adaptive learning rate (Liu et al., 2019), as
    ``torch.optim.RAdam``.

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p             (p *= 1 - lr * weight_decay when decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        r = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
        p = p - lr * m / (1 - beta1**t) * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r   (rho_t > 5)
        p = p - lr * m / (1 - beta1**t)                                              (otherwise)

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of the gradient and its square
            (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0): an L2 penalty, or with
            ``decoupled_weight_decay=True`` a direct decay of the weights (RAdamW).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step`` (a 0-d float tensor), ``exp_avg`` (``m``) and
    ``exp_avg_sq`` (``v``).
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
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
        exp_avg_sq_t, exp_avg_sq = state_entry(state, "exp_avg_sq", a)
        new, scale = _radam(
            *as_real([a, grad, exp_avg, exp_avg_sq], a),
            step=float(step),
            decoupled=group.get("decoupled_weight_decay", False),
            **adam_options(group),
        )
        delta, new_avg, new_sq = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "exp_avg", exp_avg_t, new_avg)
        commit.set(p, "exp_avg_sq", exp_avg_sq_t, new_sq)
        commit.add(p, delta, scale)


__all__ = ["RAdam"]
