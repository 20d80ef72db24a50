"""``nn.functional.pad``: constant padding (``shape.pad``) and the reflect, replicate and
circular modes, which read the input at computed indices (see ``_resample``)."""

from __future__ import annotations

import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from ._resample import AxisPlan, Resample, TakePlan
from .shape import pad as constant_pad

__all__ = ["pad"]


class Pad(Resample):
    """Reflect, replicate or circular padding and its adjoint."""


def _pad_indices(n, before, after, mode):
    """Source index of each output position along one axis (negative pads crop)."""
    if n + before + after == 0:
        return np.zeros(0, np.int64)
    if mode == "circular":
        kept = n + min(before, 0) + min(after, 0)
        start = max(-before, 0)
        k = np.arange(kept + max(before, 0) + max(after, 0))
        return start + (k - max(before, 0)) % kept
    j = np.arange(-before, n + after)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    return np.clip(j, 0, n - 1)  # replicate


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` is PyTorch's flat tuple, last dim
    first: ``(left, right, top, bottom, front, back)``.  ``mode`` 'constant' (with
    ``value``; negative widths crop), 'reflect' (mirror without repeating the edge),
    'replicate' (repeat the edge) or 'circular' (wrap around)."""
    op = "pad"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"{op}: Unrecognised padding mode {mode} (expected one of {', '.join(_PAD_MODES)})")
    if mode == "constant":
        return constant_pad(input, pad, "constant", value)
    if value is not None and value != 0:
        raise RuntimeError(f'{op}: Padding mode "{mode}" doesn\'t take in value argument')
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"{op}: Padding length must be divisible by 2 (got {len(pad)})")
    k = len(pad) // 2
    nd = input._data.ndim
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"{op}: Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    shape = tuple(input._data.shape)
    if any(s == 0 for s in (shape[1:] if nd == k + 2 else shape)):
        raise RuntimeError(
            f"{op}: Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(shape)}"
        )
    plan = []
    widths = [(0, 0)] * nd
    sizes = []
    for i in range(k):
        axis = nd - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        n = shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(
                f"{op}: Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({before}, {after}) at dimension {axis} of input "
                f"{list(shape)}"
            )
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError(
                f"{op}: Padding value causes wrapping around more than once "
                f"(padding ({before}, {after}) at dimension {axis} of input {list(shape)})."
            )
        size = n + before + after
        if size < 0:
            raise RuntimeError(
                f"{op}: input (size {n} at dimension {axis}) is too small for padding "
                f"({before}, {after}): calculated output size {size}, expected at least 0"
            )
        kept = n + min(before, 0) + min(after, 0)  # what is left after the negative pads crop
        if mode == "circular" and size and (before > kept or after > kept):
            raise RuntimeError(
                f"{op}: Padding value causes wrapping around more than once (padding ({before}, {after}) "
                f"at dimension {axis} of input {list(shape)} wraps around the {max(kept, 0)} elements left)"
            )
        sizes.append(size)
        widths[axis] = (before, after)
        if before == 0 and after == 0:
            continue
        plan.append(AxisPlan(axis, [(TakePlan(_pad_indices(n, before, after, mode), n), None)]))
    if mode != "circular" and not any(sizes):
        # PyTorch's reflect and replicate kernels need one padded dim left non-empty
        raise RuntimeError(
            f"{op}: input {list(shape)} is too small for padding {pad}: calculated output sizes "
            f"{sizes[::-1]} of the padded dims, expected at least one of them > 0"
        )
    direct = None
    if all(b >= 0 and e >= 0 for b, e in widths):  # numpy's pad has the same three modes
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        direct = lambda x: array_module(x).pad(x, widths, mode=np_mode)  # noqa: E731
    return Pad.apply(input, plan, False, direct)
