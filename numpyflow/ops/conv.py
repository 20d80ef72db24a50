"""2-D convolution and transposed convolution (NCHW), with PyTorch's
``torch.nn.functional`` signatures and semantics: ``conv2d`` and ``conv_transpose2d``.

This file holds the argument checks, the geometry (``ConvGeometry``) they give, the
Functions and the public wrappers; the raw-array kernels, and the choice among them, are
in ``_conv_kernels.py``.

A convolution is three bilinear maps, one Function each:

* ``Conv2d``: ``y = conv(x; w)``, the forward;
* ``ConvTranspose2d``: ``z = conv^T(g; w)``, the adjoint in ``x``: the input gradient,
  and ``conv_transpose2d``;
* ``Conv2dWeightGrad``: ``W(x, g)``, the weight gradient.

The backward of each is written with the three, so ``gradgradcheck`` holds for
``conv2d`` and ``conv_transpose2d``.  ``Conv2d``'s backward applies its gradient op,
``ConvolutionBackward``, as PyTorch does: its forward is the raw kernels, the input and
weight gradients in one pass over the batch where the kernels have one; its backward is
the double derivative, written with the three Functions.  The bias gradient is
``grad.sum((0, 2, 3))``.  float32 stays float32 throughout.
"""

from __future__ import annotations

from ..autograd.function import Function
from ._conv_kernels import ConvGeometry, strategy_for
from ._window_args import as_int, as_tensor, pair, shape_of

__all__ = ["conv2d", "conv_transpose2d"]


# -- Functions ----------------------------------------------------------------------------


class Conv2d(Function):
    """``y = conv2d(x, w) + b``."""

    _public_name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        needs_x, needs_w = ctx.needs_input_grad[:2]
        ctx.geom, ctx.shapes = geom, (x.shape, w.shape)
        ctx.save_for_backward(x if needs_w else None, w if needs_x else None)
        return strategy_for(geom, x.shape[1], w.shape[0]).forward(x, w, b)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if needs_x or needs_w:
            gx, gw = ConvolutionBackward.apply(grad, x, w, ctx.geom, ctx.shapes, (needs_x, needs_w))
        if needs_b:
            gb = grad.sum((0, 2, 3))
        return gx, gw, gb, None


class ConvolutionBackward(Function):
    """``(gx, gw) = (conv^T(g; w), W(x, g))``: the input and weight gradients of
    ``conv2d(x, w)`` for the output gradient ``g``, each None where ``mask`` (the pair
    of outputs wanted) leaves it out; ``shapes`` are ``x``'s and ``w``'s (either array
    may be None when its partner's gradient isn't wanted)."""

    _public_name = "ConvolutionBackward"

    @staticmethod
    def forward(ctx, g, x, w, geom, shapes, mask):
        needs_g, needs_x, needs_w = ctx.needs_input_grad[:3]
        ctx.geom, ctx.shapes = geom, shapes
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(g if needs_x or needs_w else None, x if needs_g else None, w if needs_g else None)
        x_shape, w_shape = shapes
        kernels = strategy_for(geom, x_shape[1], w_shape[0])
        if mask[0] and mask[1]:
            return kernels.input_and_weight_grad(x, g, w)
        return (
            kernels.input_grad(g, w, x_shape) if mask[0] else None,
            kernels.weight_grad(x, g, w_shape) if mask[1] else None,
        )

    @staticmethod
    def backward(ctx, ggx, ggw):
        # Both outputs are bilinear: <ggx, conv^T(g; w)> = <conv(ggx; w), g> and
        # <ggw, W(x, g)> = <conv(x; ggw), g>.
        g, x, w = ctx.saved_tensors
        needs_g, needs_x, needs_w = ctx.needs_input_grad[:3]
        geom = ctx.geom
        x_shape, w_shape = ctx.shapes
        dg = dx = dw = None
        if needs_g and ggx is not None:
            dg = Conv2d.apply(ggx, w, None, geom)
        if needs_g and ggw is not None:
            by_ggw = Conv2d.apply(x, ggw, None, geom)
            dg = by_ggw if dg is None else dg + by_ggw
        if needs_x and ggw is not None:
            dx = ConvTranspose2d.apply(g, ggw, None, geom, x_shape)
        if needs_w and ggx is not None:
            dw = Conv2dWeightGrad.apply(ggx, g, geom, w_shape)
        return dg, dx, dw, None, None, None


class ConvTranspose2d(Function):
    """``z = conv_x^T(g; w) + b``: the adjoint of the convolution ``x -> conv2d(x, w)``
    (geometry ``geom``) applied to ``g``; ``x_shape`` is the shape of ``z``."""

    _public_name = "Convolution"

    @staticmethod
    def forward(ctx, g, w, b, geom, x_shape):
        ctx.geom, ctx.w_shape = geom, w.shape
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return strategy_for(geom, x_shape[1], w.shape[0]).input_grad(g, w, x_shape, b)

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        geom = ctx.geom
        gg = gw = gb = None
        if ctx.needs_input_grad[0]:  # d<grad, conv^T(g; w)>/dg = conv(grad; w)
            gg = Conv2d.apply(grad, w, None, geom)
        if ctx.needs_input_grad[1]:  # ... /dw = the weight gradient of conv(grad; w) at g
            gw = Conv2dWeightGrad.apply(grad, g, geom, ctx.w_shape)
        if ctx.needs_input_grad[2]:
            gb = grad.sum((0, 2, 3))
        return gg, gw, gb, None, None


class Conv2dWeightGrad(Function):
    """``gw = dconv2d(x, w)/dw`` contracted with ``g``: bilinear in ``(x, g)``."""

    _public_name = "ConvolutionBackward"

    @staticmethod
    def forward(ctx, x, g, geom, w_shape):
        ctx.geom, ctx.x_shape = geom, x.shape
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, g if ctx.needs_input_grad[0] else None)
        return strategy_for(geom, x.shape[1], w_shape[0]).weight_grad(x, g, w_shape)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        geom = ctx.geom
        gx = gg = None
        if ctx.needs_input_grad[0]:  # <grad, W(x, g)> = <conv(x; grad), g>: d/dx = conv^T(g; grad)
            gx = ConvTranspose2d.apply(g, grad, None, geom, ctx.x_shape)
        if ctx.needs_input_grad[1]:  # d/dg = conv(x; grad)
            gg = Conv2d.apply(x, grad, None, geom)
        return gx, gg, None, None


# -- argument checks and geometry ---------------------------------------------------------


def _tensors(op, input, weight, bias):
    """``(x, w, b)`` as Tensors, checked for rank and dtype; ``x`` made 4-D, and whether
    it was unbatched."""
    x = as_tensor(input, "input", op)
    w = as_tensor(weight, "weight", op)
    b = as_tensor(bias, "bias", op) if bias is not None else None
    if x._data.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, but got input of shape {shape_of(x)}"
        )
    if w._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight, but got weight of shape {shape_of(w)}")
    dts = [x._data.dtype, w._data.dtype] + ([b._data.dtype] if b is not None else [])
    if any(d.kind != "f" for d in dts):
        raise RuntimeError(
            f"{op}: expected floating-point tensors, but got input {x.dtype}, weight {w.dtype}"
            + (f", bias {b.dtype}" if b is not None else "")
        )
    if len(set(dts)) != 1:
        raise RuntimeError(
            f"{op}: input, weight and bias must have the same dtype, but got input {x.dtype}, "
            f"weight {w.dtype}" + (f", bias {b.dtype}" if b is not None else "")
        )
    unbatched = x._data.ndim == 3
    return (x.unsqueeze(0) if unbatched else x), w, b, unbatched


def _check_bias(op, b, n, w):
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != n):
        raise RuntimeError(
            f"{op}: expected bias to be 1-D with {n} elements (one per output channel), but got "
            f"bias of shape {shape_of(b)} (weight shape {shape_of(w)})"
        )


def _stride_dilation(op, stride, dilation):
    (sh, sw), (dh, dw) = pair(stride, "stride", op), pair(dilation, "dilation", op)
    for name, (a, b) in (("stride", (sh, sw)), ("dilation", (dh, dw))):
        if a <= 0 or b <= 0:
            raise RuntimeError(f"{op}: {name} must be positive, but got {name}={(a, b)}")
    return sh, sw, dh, dw


def _groups(op, groups):
    groups = as_int(groups, "groups", op)
    if groups <= 0:
        raise RuntimeError(f"{op}: groups must be positive, but got groups={groups}")
    return groups


def _check_divisible(op, channels, groups, w, what):
    if channels % groups:
        raise RuntimeError(
            f"{op}: the weight's {channels} {what} channels are not divisible by groups={groups} "
            f"(weight shape {shape_of(w)})"
        )


def _padding(op, padding, sh, sw, dh, dw, kh, kw):
    """``(top, bottom, left, right)`` of conv2d's ``padding`` (an int, a pair,
    ``'valid'`` or ``'same'``)."""
    if not isinstance(padding, str):
        pt, pl = pair(padding, "padding", op)
        if pt < 0 or pl < 0:
            raise RuntimeError(f"{op}: negative padding is not supported, but got padding={(pt, pl)}")
        return pt, pt, pl, pl
    if padding == "valid":
        return 0, 0, 0, 0
    if padding != "same":
        raise RuntimeError(f"{op}: invalid padding string {padding!r}, expected 'valid' or 'same'")
    if sh != 1 or sw != 1:
        raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions (stride={(sh, sw)})")
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return th // 2, th - th // 2, tw // 2, tw - tw // 2  # any odd padding goes to the bottom/right


def _conv2d_geometry(op, x, w, b, stride, padding, dilation, groups):
    N, C, H, W = shape_of(x)
    O, Cg, kh, kw = shape_of(w)
    sh, sw, dh, dw = _stride_dilation(op, stride, dilation)
    groups = _groups(op, groups)
    pt, pb, pl, pr = _padding(op, padding, sh, sw, dh, dw, kh, kw)
    _check_divisible(op, O, groups, w, "output")
    if C != Cg * groups:
        extra = f", groups={groups}" if groups != 1 else ""
        raise RuntimeError(
            f"{op}: input has {C} channels but the weight expects {Cg * groups} "
            f"(input shape {shape_of(x)}, weight shape {shape_of(w)}{extra})"
        )
    _check_bias(op, b, O, w)
    Hp, Wp = H + pt + pb, W + pl + pr
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if Hp < ekh or Wp < ekw:
        raise RuntimeError(
            f"{op}: the kernel ({kh}x{kw}, dilation {(dh, dw)}: {ekh}x{ekw}) is larger than the "
            f"padded input ({Hp}x{Wp}) (input shape {shape_of(x)}, padding {(pt, pl)})"
        )
    return ConvGeometry(
        kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, groups, H, W, (Hp - ekh) // sh + 1, (Wp - ekw) // sw + 1
    )


def _conv_transpose2d_geometry(op, x, w, b, stride, padding, output_padding, groups, dilation):
    """The geometry of the convolution whose adjoint this is, and the output shape."""
    N, Cin, Hin, Win = shape_of(x)
    Wc, Cog, kh, kw = shape_of(w)
    sh, sw, dh, dw = _stride_dilation(op, stride, dilation)
    if isinstance(padding, str):
        raise RuntimeError(f"{op}: padding must be an int or a tuple of 2 ints, but got {padding!r}")
    ph, pw = pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, but got padding={(ph, pw)}")
    oph, opw = pair(output_padding, "output_padding", op)
    if oph < 0 or opw < 0 or oph >= max(sh, dh) or opw >= max(sw, dw):
        raise RuntimeError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={(oph, opw)}, stride={(sh, sw)}, dilation={(dh, dw)}"
        )
    groups = _groups(op, groups)
    _check_divisible(op, Wc, groups, w, "input")
    if Cin != Wc:
        raise RuntimeError(
            f"{op}: input has {Cin} channels but the weight expects {Wc} "
            f"(input shape {shape_of(x)}, weight shape {shape_of(w)})"
        )
    _check_bias(op, b, Cog * groups, w)
    H = (Hin - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    W = (Win - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if H <= 0 or W <= 0:
        raise RuntimeError(
            f"{op}: output size is too small: input {Hin}x{Win} gives output {H}x{W}; expected "
            f"at least 1x1 (input shape {shape_of(x)}, weight shape {shape_of(w)}, "
            f"stride {(sh, sw)}, padding {(ph, pw)})"
        )
    geom = ConvGeometry(kh, kw, sh, sw, dh, dw, ph, ph, pw, pw, groups, H, W, Hin, Win)
    return geom, (N, Cog * groups, H, W)


# -- public functions ---------------------------------------------------------------------


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input with a
    ``(O, C/groups, kH, kW)`` weight, as ``torch.nn.functional.conv2d``.  ``padding`` is an
    int, a pair, ``'valid'`` (no padding) or ``'same'`` (output size = input size; stride 1,
    any odd padding goes to the bottom/right)."""
    x, w, b, unbatched = _tensors("conv2d", input, weight, bias)
    geom = _conv2d_geometry("conv2d", x, w, b, stride, padding, dilation, groups)
    y = Conv2d.apply(x, w, b, geom)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input)
    over ``(N, C_in, H, W)`` (or ``(C_in, H, W)``) with a ``(C_in, C_out/groups, kH, kW)``
    weight, as ``torch.nn.functional.conv_transpose2d``."""
    op = "conv_transpose2d"
    x, w, b, unbatched = _tensors(op, input, weight, bias)
    geom, out_shape = _conv_transpose2d_geometry(op, x, w, b, stride, padding, output_padding, groups, dilation)
    y = ConvTranspose2d.apply(x, w, b, geom, out_shape)
    return y.squeeze(0) if unbatched else y
