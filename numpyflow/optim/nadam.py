"""NAdam."""

from __future__ import annotations

import numpy as np

from ._common import (
    adam_options,
    as_real,
    check_adam_options,
    check_nonnegative,
    decayed_grad,
    ema_square,
    from_real,
    lerp,
    scalar_state,
    state_entry,
)
from .optimizer import Optimizer


def _nadam(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    mu_product,
    *,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    momentum_decay,
    decoupled,
    maximize,
):
    """One NAdam update on arrays, with the operations in the order of PyTorch's
    single-tensor NAdam. ``mu_product`` is the 0-d state array (its own dtype, as in
    PyTorch). Returns the new arrays (delta_grad, delta_avg, exp_avg, exp_avg_sq,
    mu_product) and the factor the parameter is first multiplied by (None, or
    ``1 - lr * weight_decay`` when decoupled): the new parameter is
    ``(p * factor + delta_grad) + delta_avg``."""
    g, scale = decayed_grad(p, g, lr=lr, weight_decay=weight_decay, maximize=maximize, decoupled=decoupled)
    bias_correction2 = 1 - beta2**step

    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product = np.multiply(mu_product, mu_product.dtype.type(mu), out=np.empty_like(mu_product))

    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = ema_square(exp_avg_sq, g, beta2)  # beta2 * v + (1 - beta2) * g * g

    denom = np.divide(exp_avg_sq, bias_correction2, out=np.empty_like(p))
    np.sqrt(denom, out=denom)
    mu_product_value = float(mu_product)
    mu_product_next = mu_product_value * mu_next
    np.add(denom, eps, out=denom)

    delta_grad = np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product_value), out=np.empty_like(p))
    np.divide(delta_grad, denom, out=delta_grad)
    delta_avg = np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=np.empty_like(p))
    np.divide(delta_avg, denom, out=delta_avg)
    return (delta_grad, delta_avg, exp_avg, exp_avg_sq), mu_product, scale


class NAdam(Optimizer):
    r"""NAdam, Adam with Nesterov momentum (Dozat, 2016), as ``torch.optim.NAdam``.

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p             (p *= 1 - lr * weight_decay when decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))
        mu_product = mu_product * mu_t       (the product of mu_1 ... mu_t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running averages of the gradient and its square
            (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0): an L2 penalty, or with
            ``decoupled_weight_decay=True`` a direct decay of the weights (NAdamW).
        momentum_decay: the decay of the momentum schedule ``mu_t`` (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step`` and ``mu_product`` (0-d float tensors), ``exp_avg``
    (``m``) and ``exp_avg_sq`` (``v``).
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
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
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_adam_options(cls.__name__, o)
        check_nonnegative(cls.__name__, "momentum_decay", o["momentum_decay"])

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        step_t, step = self._next_step(state)
        mu_product_t, mu_product = scalar_state(state, "mu_product", 1.0)
        a = p._data
        exp_avg_t, exp_avg = state_entry(state, "exp_avg", a)
        exp_avg_sq_t, exp_avg_sq = state_entry(state, "exp_avg_sq", a)
        new, new_mu_product, scale = _nadam(
            *as_real([a, grad, exp_avg, exp_avg_sq], a),
            mu_product,
            step=float(step),
            momentum_decay=float(group["momentum_decay"]),
            decoupled=group.get("decoupled_weight_decay", False),
            **adam_options(group),
        )
        delta_grad, delta_avg, new_avg, new_sq = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "mu_product", mu_product_t, new_mu_product)
        commit.set(p, "exp_avg", exp_avg_t, new_avg)
        commit.set(p, "exp_avg_sq", exp_avg_sq_t, new_sq)
        commit.add(p, delta_grad, scale)
        commit.add(p, delta_avg)


__all__ = ["NAdam"]
