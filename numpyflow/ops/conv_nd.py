"""1-D and 3-D convolution and transposed convolution, with PyTorch's
``torch.nn.functional`` signatures and semantics: ``conv1d``, ``conv3d``,
``conv_transpose1d`` and ``conv_transpose3d``, composed from the 2-D ops of ``conv.py``.

* ``conv1d`` / ``conv_transpose1d`` are ``conv2d`` / ``conv_transpose2d`` on an input with
  a height of one (a ``1 x k`` kernel): the same kernels, the same gradients.
* ``conv3d`` reads, for every output depth ``t`` and kernel-depth tap ``a``, the input
  slice at depth ``t*stride + a*dilation - padding`` (zeros outside the input): the taps
  of all output depths at once are one strided view, copied once into an
  ``(N*Do, C*kd, H, W)`` stack (``DepthTaps``) that a single ``conv2d`` with the weight
  viewed as ``(O, kd*C/groups, kh, kw)`` turns into the output.  Channels are stacked as
  (group, tap, channel) so ``groups`` carries over unchanged.
* ``conv_transpose3d`` is the adjoint of that: ``conv_transpose2d`` of the depth slices
  folded into the batch, then the taps added back at their depths (``DepthTapsAdjoint``).

``DepthTaps`` and ``DepthTapsAdjoint`` are linear and each other's adjoint, so gradients of
any order come from the 2-D ops' own.  float32 stays float32 throughout.
"""

from __future__ import annotations

from typing import NamedTuple

from ..autograd.function import Function
from ..backend import array_module
from ._window_args import as_int, as_tensor, shape_of
from .conv import conv2d, conv_transpose2d

__all__ = ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose3d"]


# -- the depth taps -----------------------------------------------------------------------


class DepthGeometry(NamedTuple):
    """Taps along depth: ``k`` taps of dilation ``d``, windows ``s`` apart, ``Do`` windows
    over an input of depth ``D`` padded by ``front`` (window ``t``'s tap ``a`` reads depth
    ``t*s + a*d - front``; depths outside ``[0, D)`` read zeros), and the channel groups."""

    k: int
    s: int
    d: int
    front: int
    D: int
    Do: int
    groups: int

    def tap_range(self, a):
        """``(t0, t1, p0)``: the windows ``[t0, t1)`` whose tap ``a`` lands inside the input,
        and the depth ``p0`` the first of them reads."""
        offset = a * self.d - self.front
        t0 = 0 if offset >= 0 else (self.s - 1 - offset) // self.s
        t1 = min(self.Do, (self.D - 1 - offset) // self.s + 1) if offset < self.D else 0
        return t0, max(t0, t1), t0 * self.s + offset


def _depth_taps(x, g: DepthGeometry):
    """``x (N, C, D, H, W)`` -> ``(N*Do, C*k, H, W)``, channels ordered (group, tap, channel)."""
    xp = array_module(x)
    N, C, D, H, W = x.shape
    G = g.groups
    out = xp.empty((N, g.Do, G, g.k, C // G, H, W), x.dtype)
    xv = x.reshape(N, G, C // G, D, H, W)
    for a in range(g.k):
        t0, t1, p0 = g.tap_range(a)
        if t0 > 0:
            out[:, :t0, :, a] = 0
        if t1 < g.Do:
            out[:, t1:, :, a] = 0
        if t1 > t0:
            src = xv[:, :, :, p0 : p0 + (t1 - t0 - 1) * g.s + 1 : g.s]
            out[:, t0:t1, :, a] = src.transpose(0, 3, 1, 2, 4, 5)
    return out.reshape(N * g.Do, C * g.k, H, W)


def _depth_fold(z, g: DepthGeometry):
    """The adjoint of ``_depth_taps``: ``z (N*Do, C*k, H, W)`` -> ``(N, C, D, H, W)``, each
    tap added back at the depth it was read from."""
    xp = array_module(z)
    M, Ck, H, W = z.shape
    N, G = M // g.Do, g.groups
    C = Ck // g.k
    zv = z.reshape(N, g.Do, G, g.k, C // G, H, W)
    out = xp.zeros((N, G, C // G, g.D, H, W), z.dtype)
    for a in range(g.k):
        t0, t1, p0 = g.tap_range(a)
        if t1 > t0:
            out[:, :, :, p0 : p0 + (t1 - t0 - 1) * g.s + 1 : g.s] += zv[:, t0:t1, :, a].transpose(0, 2, 3, 1, 4, 5)
    return out.reshape(N, C, g.D, H, W)


class DepthTaps(Function):
    """``(N, C, D, H, W) -> (N*Do, C*k, H, W)``: every window's depth taps stacked as
    channels (a linear gather; its backward is ``DepthTapsAdjoint``)."""

    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        return _depth_taps(x, g)

    @staticmethod
    def backward(ctx, grad):
        return DepthTapsAdjoint.apply(grad, ctx.g), None


class DepthTapsAdjoint(Function):
    """``(N*Do, C*k, H, W) -> (N, C, D, H, W)``: the taps summed back at their depths (the
    adjoint of ``DepthTaps``, whose backward it is, and the other way round)."""

    @staticmethod
    def forward(ctx, z, g):
        ctx.g = g
        return _depth_fold(z, g)

    @staticmethod
    def backward(ctx, grad):
        return DepthTaps.apply(grad, ctx.g), None


# -- argument checks ----------------------------------------------------------------------


def _ntuple(v, n, name, op):
    """``v`` (an int, or a sequence of 1 or ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(
                f"{op}: expected {name} to be a single integer value or a list of {n} values to match the "
                f"convolution dimensions, but got {name}={list(v)}"
            )
        return tuple(as_int(e, name, op) for e in v)
    return (as_int(v, name, op),) * n


def _tensors(op, input, weight, bias, n):
    """``(x, w, b, unbatched)``: the Tensors checked for rank and dtype, ``x`` batched."""
    x = as_tensor(input, "input", op)
    w = as_tensor(weight, "weight", op)
    b = as_tensor(bias, "bias", op) if bias is not None else None
    if x._data.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"{op}: expected a {n + 1}-D (unbatched) or {n + 2}-D (batched) input, but got input of shape {shape_of(x)}"
        )
    if w._data.ndim != n + 2:
        raise RuntimeError(f"{op}: expected a {n + 2}-D weight, but got weight of shape {shape_of(w)}")
    dts = [x._data.dtype, w._data.dtype] + ([b._data.dtype] if b is not None else [])
    if any(d.kind != "f" for d in dts) or len(set(dts)) != 1:
        raise RuntimeError(
            f"{op}: input, weight and bias must be floating-point tensors of the same dtype, but got input "
            f"{x.dtype}, weight {w.dtype}" + (f", bias {b.dtype}" if b is not None else "")
        )
    unbatched = x._data.ndim == n + 1
    return (x.unsqueeze(0) if unbatched else x), w, b, unbatched


def _groups(op, groups):
    groups = as_int(groups, "groups", op)
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, but got groups={groups}")
    return groups


def _positive(op, name, values):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: non-positive {name} is not supported, but got {name}={values}")


def _check_bias(op, b, n, w):
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != n):
        raise RuntimeError(
            f"{op}: expected bias to be 1-D with {n} elements (one per output channel), but got "
            f"bias of shape {shape_of(b)} (weight shape {shape_of(w)})"
        )


def _conv_geometry(op, x, w, b, stride, padding, dilation, groups, n):
    """Checks a convolution's arguments; returns ``(stride, (front, back) per dim,
    dilation, groups)``."""
    stride = _ntuple(stride, n, "stride", op)
    dilation = _ntuple(dilation, n, "dilation", op)
    _positive(op, "stride", stride)
    _positive(op, "dilation", dilation)
    groups = _groups(op, groups)
    kernel = shape_of(w)[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = tuple((t // 2, t - t // 2) for t in total)  # any odd padding goes to the end
        else:
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r} (expected 'valid' or 'same')")
    else:
        p = _ntuple(padding, n, "padding", op)
        if any(v < 0 for v in p):
            raise RuntimeError(f"{op}: negative padding is not supported, but got padding={p}")
        pads = tuple((v, v) for v in p)
    C = shape_of(x)[1]
    O, Cg = shape_of(w)[:2]
    if O % groups:
        raise RuntimeError(
            f"{op}: the weight's {O} output channels are not divisible by groups={groups} (weight shape {shape_of(w)})"
        )
    if C != Cg * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(shape_of(w))}, expected input{list(shape_of(x))} "
            f"to have {Cg * groups} channels, but got {C} channels instead"
        )
    _check_bias(op, b, O, w)
    spatial = shape_of(x)[2:]
    padded = tuple(s + f + e for s, (f, e) in zip(spatial, pads))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: {padded}. Kernel size: {eff}. Kernel size "
            f"can't be greater than actual input size (input shape {shape_of(x)}, weight shape {shape_of(w)})"
        )
    return stride, pads, dilation, groups


def _transpose_geometry(op, x, w, b, stride, padding, output_padding, groups, dilation, n):
    """Checks a transposed convolution's arguments; returns ``(stride, padding,
    output_padding, dilation, groups, output spatial size)``."""
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride = _ntuple(stride, n, "stride", op)
    dilation = _ntuple(dilation, n, "dilation", op)
    padding = _ntuple(padding, n, "padding", op)
    output_padding = _ntuple(output_padding, n, "output_padding", op)
    _positive(op, "stride", stride)
    _positive(op, "dilation", dilation)
    if any(v < 0 for v in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, but got padding={padding}")
    if any(o < 0 or o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    groups = _groups(op, groups)
    Cin = shape_of(x)[1]
    Wc, Cog = shape_of(w)[:2]
    if Wc % groups:
        raise RuntimeError(
            f"{op}: the weight's {Wc} input channels are not divisible by groups={groups} (weight shape {shape_of(w)})"
        )
    if Cin != Wc:
        raise RuntimeError(
            f"{op}: Given transposed=1, weight of size {list(shape_of(w))}, expected input{list(shape_of(x))} "
            f"to have {Wc} channels, but got {Cin} channels instead"
        )
    _check_bias(op, b, Cog * groups, w)
    kernel = shape_of(w)[2:]
    size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + o + 1
        for i, s, p, d, k, o in zip(shape_of(x)[2:], stride, padding, dilation, kernel, output_padding)
    )
    if any(v <= 0 for v in size):
        raise RuntimeError(
            f"{op}: output size is too small: input {shape_of(x)[2:]} gives output {size} "
            f"(weight shape {shape_of(w)}, stride {stride}, padding {padding})"
        )
    return stride, padding, output_padding, dilation, groups, size


def _unbatch(y, unbatched):
    return y.squeeze(0) if unbatched else y


# -- public functions ---------------------------------------------------------------------


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an ``(N, C, L)`` (or unbatched ``(C, L)``) input with an
    ``(O, C/groups, k)`` weight, as ``torch.nn.functional.conv1d``: ``conv2d`` on a height
    of one.  ``padding`` is an int, ``(p,)``, ``'valid'`` or ``'same'``."""
    op = "conv1d"
    x, w, b, unbatched = _tensors(op, input, weight, bias, 1)
    (s,), pads, (d,), groups = _conv_geometry(op, x, w, b, stride, padding, dilation, groups, 1)
    pad2 = padding if isinstance(padding, str) else (0, pads[0][0])
    y = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, (1, s), pad2, (1, d), groups).squeeze(2)
    return _unbatch(y, unbatched)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over an ``(N, C, D, H, W)`` (or unbatched ``(C, D, H, W)``) input with
    an ``(O, C/groups, kD, kH, kW)`` weight, as ``torch.nn.functional.conv3d``.  ``padding``
    is an int, a triple, ``'valid'`` or ``'same'`` (any odd padding goes to the end)."""
    op = "conv3d"
    x, w, b, unbatched = _tensors(op, input, weight, bias, 3)
    (sd, sh, sw), pads, (dd, dh, dw), groups = _conv_geometry(op, x, w, b, stride, padding, dilation, groups, 3)
    N, C, D, H, W = shape_of(x)
    O, Cg, kd, kh, kw = shape_of(w)
    (pf, pb), (pt, _), (pl, _) = pads
    Do = (D + pf + pb - dd * (kd - 1) - 1) // sd + 1
    stack = DepthTaps.apply(x, DepthGeometry(kd, sd, dd, pf, D, Do, groups))
    w2 = w if kd == 1 else w.permute(0, 2, 1, 3, 4)
    w2 = w2.reshape(O, kd * Cg, kh, kw)
    pad2 = "same" if padding == "same" else (pt, pl)
    y = conv2d(stack, w2, b, (sh, sw), pad2, (dh, dw), groups)  # (N*Do, O, Ho, Wo)
    y = y.reshape(N, Do, O, *shape_of(y)[2:]).permute(0, 2, 1, 3, 4)
    return _unbatch(y, unbatched)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution (the gradient of ``conv1d`` with respect to its input)
    over ``(N, C_in, L)`` (or ``(C_in, L)``) with a ``(C_in, C_out/groups, k)`` weight, as
    ``torch.nn.functional.conv_transpose1d``: ``conv_transpose2d`` on a height of one."""
    op = "conv_transpose1d"
    x, w, b, unbatched = _tensors(op, input, weight, bias, 1)
    (s,), (p,), (o,), (d,), groups, _ = _transpose_geometry(
        op, x, w, b, stride, padding, output_padding, groups, dilation, 1
    )
    y = conv_transpose2d(x.unsqueeze(2), w.unsqueeze(2), b, (1, s), (0, p), (0, o), groups, (1, d)).squeeze(2)
    return _unbatch(y, unbatched)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution (the gradient of ``conv3d`` with respect to its input)
    over ``(N, C_in, D, H, W)`` (or unbatched) with a ``(C_in, C_out/groups, kD, kH, kW)``
    weight, as ``torch.nn.functional.conv_transpose3d``."""
    op = "conv_transpose3d"
    x, w, b, unbatched = _tensors(op, input, weight, bias, 3)
    (sd, sh, sw), (pd, ph, pw), (od, oh, ow), (dd, dh, dw), groups, size = _transpose_geometry(
        op, x, w, b, stride, padding, output_padding, groups, dilation, 3
    )
    N, Cin, Din, Hin, Win = shape_of(x)
    _, Cog, kd, kh, kw = shape_of(w)
    xs = x.permute(0, 2, 1, 3, 4).reshape(N * Din, Cin, Hin, Win)
    w2 = w if kd == 1 else w.permute(0, 2, 1, 3, 4)
    w2 = w2.reshape(Cin, kd * Cog, kh, kw)
    z = conv_transpose2d(xs, w2, None, (sh, sw), (ph, pw), (oh, ow), groups, (dh, dw))
    y = DepthTapsAdjoint.apply(z, DepthGeometry(kd, sd, dd, pd, size[0], Din, groups))
    if b is not None:
        y = y + b.reshape(-1, 1, 1, 1)
    return _unbatch(y, unbatched)
