"""``unfold`` (im2col) and ``fold`` (col2im), with ``torch.nn.functional``'s signatures.

``unfold`` takes every ``kh x kw`` block (stride, dilation, zero padding) of an
``(N, C, H, W)`` input as a column: ``(N, C*kh*kw, L)``, rows ordered (channel, kernel
row, kernel column), columns the ``L = Ho*Wo`` blocks in row-major order.  It is one
strided view of the padded input, copied once.  ``fold`` is its adjoint: every column's
values added back at their positions (one vectorised add per kernel tap), the padding
cropped.  Each is the other's backward, so gradients of any order follow.
"""

from __future__ import annotations

from typing import NamedTuple

from ..autograd.function import Function
from ..backend import array_module
from ._window_args import as_int, as_tensor, shape_of

__all__ = ["fold", "unfold"]


class BlockGeometry(NamedTuple):
    """Blocks of ``kh x kw`` with dilation, padding and stride over an ``H x W`` plane,
    ``Ho x Wo`` of them."""

    kh: int
    kw: int
    dh: int
    dw: int
    ph: int
    pw: int
    sh: int
    sw: int
    H: int
    W: int
    Ho: int
    Wo: int

    def tap(self, i, j):
        """The ``(Ho, Wo)`` slice of the padded plane that kernel tap ``(i, j)`` reads."""
        h0, w0 = i * self.dh, j * self.dw
        return (
            slice(h0, h0 + (self.Ho - 1) * self.sh + 1, self.sh),
            slice(w0, w0 + (self.Wo - 1) * self.sw + 1, self.sw),
        )


def _im2col(x, g: BlockGeometry):
    """``(N, C, H, W) -> (N, C*kh*kw, Ho*Wo)``."""
    xp = array_module(x)
    N, C = x.shape[:2]
    if g.ph or g.pw:
        padded = xp.zeros((N, C, g.H + 2 * g.ph, g.W + 2 * g.pw), x.dtype)
        padded[:, :, g.ph : g.ph + g.H, g.pw : g.pw + g.W] = x
    else:
        padded = xp.ascontiguousarray(x)
    sn, sc, sy, sx = padded.strides
    view = xp.lib.stride_tricks.as_strided(
        padded,
        (N, C, g.kh, g.kw, g.Ho, g.Wo),
        (sn, sc, sy * g.dh, sx * g.dw, sy * g.sh, sx * g.sw),
        writeable=False,
    )
    return xp.ascontiguousarray(view).reshape(N, C * g.kh * g.kw, g.Ho * g.Wo)


def _col2im(cols, g: BlockGeometry):
    """``(N, C*kh*kw, Ho*Wo) -> (N, C, H, W)``: the adjoint of ``_im2col``."""
    xp = array_module(cols)
    N = cols.shape[0]
    C = cols.shape[1] // (g.kh * g.kw)
    blocks = cols.reshape(N, C, g.kh, g.kw, g.Ho, g.Wo)
    out = xp.zeros((N, C, g.H + 2 * g.ph, g.W + 2 * g.pw), cols.dtype)
    for i in range(g.kh):
        for j in range(g.kw):
            out[(slice(None), slice(None), *g.tap(i, j))] += blocks[:, :, i, j]
    return out[:, :, g.ph : g.ph + g.H, g.pw : g.pw + g.W]


class Im2Col(Function):
    """``unfold``: the blocks of the input as columns (a linear gather)."""

    _public_name = "Im2Col"

    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        return _im2col(x, g)

    @staticmethod
    def backward(ctx, grad):
        return Col2Im.apply(grad, ctx.g), None


class Col2Im(Function):
    """``fold``: columns summed back into the plane (the adjoint of ``Im2Col``)."""

    _public_name = "Col2Im"

    @staticmethod
    def forward(ctx, cols, g):
        ctx.g = g
        return _col2im(cols, g)

    @staticmethod
    def backward(ctx, grad):
        return Im2Col.apply(grad, ctx.g), None


# -- argument checks ----------------------------------------------------------------------


def _pair(op, v, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = (v[0], v[0])
        if len(v) != 2:
            raise RuntimeError(f"{op}: {name} must be an int or a tuple of 2 ints, but got {name}={tuple(v)}")
        return as_int(v[0], name, op), as_int(v[1], name, op)
    v = as_int(v, name, op)
    return v, v


def _geometry(op, size, kernel_size, dilation, padding, stride):
    (kh, kw), (dh, dw) = _pair(op, kernel_size, "kernel_size"), _pair(op, dilation, "dilation")
    (ph, pw), (sh, sw) = _pair(op, padding, "padding"), _pair(op, stride, "stride")
    for name, (a, b) in (("kernel size", (kh, kw)), ("dilation", (dh, dw)), ("stride", (sh, sw))):
        if a <= 0 or b <= 0:
            raise RuntimeError(f"{op}: {name} should be greater than zero, but got {name}={(a, b)}")
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: padding should be non-negative, but got padding={(ph, pw)}")
    H, W = size
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if Ho < 1 or Wo < 1:
        raise RuntimeError(
            f"{op}: Given input with spatial size {(H, W)}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"padding={(ph, pw)}, calculated shape of the array of sliding blocks as {(Ho, Wo)}, but its "
            "components must be at least one."
        )
    return BlockGeometry(kh, kw, dh, dw, ph, pw, sh, sw, H, W, Ho, Wo)


def _check_dtype(op, x):
    """PyTorch's im2col and col2im take floating-point and bool tensors (bool blocks add
    up as a logical or), not integers."""
    if x._data.dtype.kind not in "fb":
        raise NotImplementedError(f"{op}: not implemented for {x.dtype} (expected a floating-point or bool input)")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of an ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input as columns:
    ``(N, C*kh*kw, L)``, as ``torch.nn.functional.unfold``."""
    op = "unfold"
    x = as_tensor(input, "input", op)
    shape = shape_of(x)
    if x._data.ndim < 3:
        raise IndexError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, but got input of shape {shape}")
    if x._data.ndim > 4 or any(s == 0 for s in shape[-3:]):
        raise RuntimeError(
            f"{op}: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {list(shape)}"
        )
    _check_dtype(op, x)
    g = _geometry(op, shape[-2:], kernel_size, dilation, padding, stride)
    unbatched = x._data.ndim == 3
    y = Im2Col.apply(x.unsqueeze(0) if unbatched else x, g)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns ``(N, C*kh*kw, L)`` (or unbatched ``(C*kh*kw, L)``) of sliding blocks
    into an ``(N, C, *output_size)`` tensor (overlaps add up), as
    ``torch.nn.functional.fold``; the adjoint of ``unfold``."""
    op = "fold"
    x = as_tensor(input, "input", op)
    shape = shape_of(x)
    if x._data.ndim not in (2, 3) or any(s == 0 for s in shape[-2:]):
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
            f"dimensions for input, but got: {list(shape)}"
        )
    _check_dtype(op, x)
    g = _geometry(op, _pair(op, output_size, "output_size"), kernel_size, dilation, padding, stride)
    rows, blocks = shape[-2:]
    if rows % (g.kh * g.kw):
        raise RuntimeError(
            f"{op}: Expected size of input's dimension {x._data.ndim - 2} to be divisible by the product of "
            f"kernel_size, but got input.size({x._data.ndim - 2})={rows} and kernel_size={(g.kh, g.kw)}."
        )
    if blocks != g.Ho * g.Wo:
        raise RuntimeError(
            f"{op}: Given output_size={(g.H, g.W)}, kernel_size={(g.kh, g.kw)}, dilation={(g.dh, g.dw)}, "
            f"padding={(g.ph, g.pw)}, stride={(g.sh, g.sw)}, expected size of input's dimension "
            f"{x._data.ndim - 1} to match the calculated number of sliding blocks {g.Ho} * {g.Wo} = "
            f"{g.Ho * g.Wo}, but got input.size({x._data.ndim - 1})={blocks}."
        )
    unbatched = x._data.ndim == 2
    y = Col2Im.apply(x.unsqueeze(0) if unbatched else x, g)
    return y.squeeze(0) if unbatched else y
