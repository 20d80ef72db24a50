"""Adam and AdamW."""

from __future__ import annotations

import numpy as np

from ._common import adam_options, as_real, check_adam_options, decayed_grad, ema_square, from_real, lerp, state_entry
from .optimizer import Optimizer


def _adam(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    *,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled,
):
    """One Adam update on arrays: returns new arrays (delta, exp_avg, exp_avg_sq,
    max_exp_avg_sq) and the factor the parameter is first multiplied by (None or AdamW's
    ``1 - lr * weight_decay``); the new parameter is ``p * factor + delta``.

    The operations and their order are those of PyTorch's single-tensor Adam.
    """
    # AdamW (decoupled): shrink the parameter by scale, apart from the gradient
    g, scale = decayed_grad(p, g, lr=lr, weight_decay=weight_decay, maximize=maximize, decoupled=decoupled)
    exp_avg = lerp(exp_avg, g, 1 - beta1)
    exp_avg_sq = ema_square(exp_avg_sq, g, beta2)  # beta2 * v + (1 - beta2) * g * g

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    if amsgrad:
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, exp_avg_sq, out=np.empty_like(p))
        denom = np.sqrt(max_exp_avg_sq, out=np.empty_like(p))
    else:
        denom = np.sqrt(exp_avg_sq, out=np.empty_like(p))
    np.divide(denom, bias_correction2_sqrt, out=denom)
    np.add(denom, eps, out=denom)

    update = np.multiply(exp_avg, -step_size, out=np.empty_like(p))
    np.divide(update, denom, out=update)
    return (update, exp_avg, exp_avg_sq, max_exp_avg_sq), scale


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (Kingma & Ba, 2014; AMSGrad with ``amsgrad=True``).

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p             (p *= 1 - lr * weight_decay when decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                (amsgrad; used in place of v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of the gradient and its square
            (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the maximum of past squared-gradient averages.
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach, capturable, fused: accepted for PyTorch compatibility; the update is
            always one vectorised pass per parameter.

    State per parameter: ``step`` (a 0-d float tensor), ``exp_avg``, ``exp_avg_sq`` and
    (with amsgrad) ``max_exp_avg_sq``.
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
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
        amsgrad = group["amsgrad"]
        step_t, step = self._next_step(state)
        a = p._data
        exp_avg_t, exp_avg = state_entry(state, "exp_avg", a)
        exp_avg_sq_t, exp_avg_sq = state_entry(state, "exp_avg_sq", a)
        max_t, max_exp_avg_sq = state_entry(state, "max_exp_avg_sq", a, needed=amsgrad)
        inputs = [a, grad, exp_avg, exp_avg_sq, max_exp_avg_sq]
        new, scale = _adam(
            *as_real(inputs, a),
            step=float(step),
            amsgrad=amsgrad,
            **adam_options(group),
            decoupled=group.get("decoupled_weight_decay", False),
        )
        delta, new_avg, new_sq, new_max = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "exp_avg", exp_avg_t, new_avg)
        commit.set(p, "exp_avg_sq", exp_avg_sq_t, new_sq)
        if amsgrad:
            commit.set(p, "max_exp_avg_sq", max_t, new_max)
        commit.add(p, delta, scale)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``:
    ``p *= 1 - lr * weight_decay`` before the Adam update (default weight_decay 1e-2)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW always decouples, whatever was saved
            group["decoupled_weight_decay"] = True


__all__ = ["Adam", "AdamW"]
