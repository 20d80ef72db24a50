"""Rprop: resilient backpropagation."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._common import as_real, check_common, check_number, from_real, state_entry
from .optimizer import Optimizer


def _rprop(p, g, prev, step_size, *, etaminus, etaplus, step_size_min, step_size_max, maximize):
    """One Rprop update on arrays; returns new arrays (delta, prev, step_size), with the
    operations in the order of PyTorch's single-tensor Rprop."""
    if maximize:
        g = np.negative(g, out=np.empty_like(p))
    kind = p.dtype.type
    sign = np.multiply(g, prev, out=np.empty_like(p))
    np.sign(sign, out=sign)
    positive, negative, zero = sign > 0, sign < 0, sign == 0
    sign[positive] = etaplus
    sign[negative] = etaminus
    sign[zero] = 1

    step_size = np.multiply(step_size, sign, out=np.empty_like(p))
    np.clip(step_size, kind(step_size_min), kind(step_size_max), out=step_size)

    g = g.copy()
    g[sign == kind(etaminus)] = 0  # where the gradient changed sign: no step, and forget it

    delta = np.sign(g, out=sign)
    np.negative(delta, out=delta)
    np.multiply(delta, step_size, out=delta)
    return delta, g, step_size  # p + delta


class Rprop(Optimizer):
    r"""Rprop, resilient backpropagation (Riedmiller & Braun, 1993), as ``torch.optim.Rprop``.

    Each weight has its own step size, which grows by ``etaplus`` while its gradient
    keeps its sign and shrinks by ``etaminus`` when the sign flips. With ``g`` the
    gradient (``-g`` with ``maximize``) and ``g_prev`` the one of the previous step::

        s = clamp(s * etaplus,  *step_sizes)          where g * g_prev > 0
        s = clamp(s * etaminus, *step_sizes); g = 0   where g * g_prev < 0
        p = p - sign(g) * s
        g_prev = g

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: the initial step size (default 1e-2).
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow the step sizes
            (default (0.5, 1.2)); ``0 < etaminus < 1 < etaplus``.
        step_sizes: the smallest and largest step size (default (1e-6, 50)).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable: accepted for PyTorch compatibility.

    State per parameter: ``step`` (a 0-d float tensor), ``prev`` (the previous gradient)
    and ``step_size``.
    """

    _param_shaped_state = ("prev", "step_size")

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        defaults = dict(
            lr=lr,
            etas=tuple(etas),
            step_sizes=tuple(step_sizes),
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o)
        for key in ("etas", "step_sizes"):
            pair = o[key]
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"{cls.__name__}: {key} must be a pair, but got {pair!r}")
            for i, value in enumerate(pair):
                check_number(cls.__name__, f"{key}[{i}]", value)
        etaminus, etaplus = o["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(
                f"{cls.__name__}: Invalid eta values: {etaminus}, {etaplus} (expected 0 < etaminus < 1 < etaplus)"
            )

    def step(self, closure=None):
        """Do one step; ``closure`` (optional) re-evaluates the model and returns the loss."""
        return self._step(closure)

    def _update(self, group, p, grad, state, commit):
        etaminus, etaplus = (float(e) for e in group["etas"])
        step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
        step_t, step = self._next_step(state)
        a = p._data
        prev_t, prev = state_entry(state, "prev", a)
        size_t = state.get("step_size") if state else None
        if isinstance(size_t, Tensor):
            step_size = size_t._data
        else:  # the first step: every step size starts at lr (both parts of a complex weight)
            lr = float(group["lr"])
            step_size = np.full_like(a, complex(lr, lr) if a.dtype.kind == "c" else lr)
        new = _rprop(
            *as_real([a, grad, prev, step_size], a),
            etaminus=etaminus,
            etaplus=etaplus,
            step_size_min=step_size_min,
            step_size_max=step_size_max,
            maximize=group["maximize"],
        )
        delta, new_prev, new_size = from_real(new, a)
        commit.set(p, "step", step_t, step)
        commit.set(p, "prev", prev_t, new_prev)
        commit.set(p, "step_size", size_t, new_size)
        commit.add(p, delta)


__all__ = ["Rprop"]
