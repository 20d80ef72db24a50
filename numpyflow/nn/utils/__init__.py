"""``nn.utils``: gradient clipping and flattening parameters to one vector."""

from __future__ import annotations

import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """Scale all gradients together so their total ``norm_type`` norm is at most ``max_norm``.
    Returns the total norm before clipping."""
    params = _grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor._make(np.zeros((), np.float32))
    grads = [p.grad._data for p in params]
    if norm_type == math.inf:
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        total = sum(float((np.abs(g.astype(np.float64)) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        with no_grad():
            for p in params:
                p.grad.mul_(coef)
    return Tensor._make(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    with no_grad():
        for p in _grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (differentiable)."""
    from ...ops.shape import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into ``parameters`` (in place)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset : offset + n].reshape(p.shape))
            offset += n


from . import rnn  # noqa: E402,F401  (nn.utils.rnn)
