"""ASGD: averaged stochastic gradient descent."""

from __future__ import annotations

import numpy as np

from ._common import (
    as_real,
    check_common,
    check_number,
    from_real,
    l2_grad,
    scalar_dtype,
    scalar_state,
    state_entry,
)
from .optimizer import Optimizer


def _asgd(p, g, ax, *, eta, mu, weight_decay, lambd, maximize):
    """One ASGD update on arrays, with the operations in the order of PyTorch's
    single-tensor ASGD (``eta`` and ``mu`` are the values of the state scalars). Returns
    new arrays (delta, ax) and the factor the parameter is first multiplied by: the new
    parameter is ``p * factor + delta``, and ``ax`` already averages that new value."""
    g = l2_grad(p, g, weight_decay, maximize)

    scale = 1 - lambd * eta  # the decay term
    delta = np.multiply(g, -eta, out=np.empty_like(p))
    new_p = np.multiply(p, scale, out=np.empty_like(p))
    np.add(new_p, delta, out=new_p)  # what the commit will write: p * scale + delta

    if mu != 1:  # averaging: ax + mu * (p - ax)
        diff = np.subtract(new_p, ax, out=new_p)
        np.multiply(diff, p.dtype.type(mu), out=diff)
        ax = np.add(ax, diff, out=diff)
    else:
        ax = new_p
    return (delta, ax), scale


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak & Juditsky, 1992), as
    ``torch.optim.ASGD``.

    With ``t`` the step count and ``g`` the gradient (``-g`` with ``maximize``)::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)              (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t)**alpha
        mu = 1 / max(1, t - t0)

    ``ax`` is the running average of the parameter (averaging starts after step ``t0``);
    copy it into the model to evaluate the averaged weights.

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the ``eta`` update (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step``, ``eta`` and ``mu`` (0-d float tensors), and ``ax``.
    """

    _param_shaped_state = ("ax",)

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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
        check_common(cls.__name__, o, ("weight_decay",))
        for key in ("lambd", "alpha", "t0"):  # PyTorch accepts any value of these
            check_number(cls.__name__, key, o[key])

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        lr, lambd, alpha, t0 = (float(group[k]) for k in ("lr", "lambd", "alpha", "t0"))
        step_t, step = self._next_step(state)
        eta_t, eta = scalar_state(state, "eta", lr)
        mu_t, mu = scalar_state(state, "mu", 1.0)
        a = p._data
        ax_t, ax = state_entry(state, "ax", a)
        new, scale = _asgd(
            *as_real([a, grad, ax], a),
            eta=float(eta),
            mu=float(mu),
            weight_decay=float(group["weight_decay"]),
            lambd=lambd,
            maximize=group["maximize"],
        )
        delta, new_ax = from_real(new, a)
        step_value = float(step)
        # as PyTorch: a Python float, made a tensor of the default dtype, copied into the state
        new_eta = np.array(lr / ((1 + lambd * lr * step_value) ** alpha), scalar_dtype()).astype(eta.dtype)
        new_mu = np.array(1 / max(1, step_value - t0), scalar_dtype()).astype(mu.dtype)
        commit.set(p, "step", step_t, step)
        commit.set(p, "eta", eta_t, new_eta)
        commit.set(p, "mu", mu_t, new_mu)
        commit.set(p, "ax", ax_t, new_ax)
        commit.add(p, delta, scale)


__all__ = ["ASGD"]
