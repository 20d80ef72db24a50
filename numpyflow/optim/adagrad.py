"""Adagrad."""

from __future__ import annotations

import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor
from ._common import as_real, check_common, from_real, l2_grad
from .optimizer import Optimizer


def _adagrad(p, g, state_sum, *, step, lr, lr_decay, eps, weight_decay, maximize):
    """One Adagrad update on arrays; returns new arrays (delta, sum), with the operations
    in the order of PyTorch's single-tensor Adagrad."""
    g = l2_grad(p, g, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    new_sum = np.multiply(g, g, out=np.empty_like(p))
    np.add(state_sum, new_sum, out=new_sum)
    std = np.sqrt(new_sum, out=np.empty_like(p))
    np.add(std, eps, out=std)
    new = np.multiply(g, -clr, out=np.empty_like(p))
    np.divide(new, std, out=new)
    return new, new_sum  # p + new


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: the starting value of ``s`` (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility.

    As in PyTorch the state (``step`` and ``sum``) exists from construction on.
    """

    _param_shaped_state = ("sum",)

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = as_tensor(self._zero_step())
                state["sum"] = as_tensor(self._initial_sum(group, p))

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o, ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"))

    @staticmethod
    def _initial_sum(group, p):
        value = float(group["initial_accumulator_value"])
        if p._data.dtype.kind == "c":
            value = complex(value, value)
        return np.full_like(p._data, value)

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        step_t, step = self._next_step(state)
        a = p._data
        sum_t = state.get("sum") if state else None
        current = sum_t._data if isinstance(sum_t, Tensor) else self._initial_sum(group, p)
        new = _adagrad(
            *as_real([a, grad, current], a),
            step=float(step),
            lr=float(group["lr"]),
            lr_decay=float(group["lr_decay"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            maximize=group["maximize"],
        )
        delta, new_sum = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "sum", sum_t, new_sum)
        commit.add(p, delta)


__all__ = ["Adagrad"]
