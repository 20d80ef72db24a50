"""2-D convolution and transposed convolution (NCHW), with PyTorch's
``torch.nn.functional`` signatures and semantics: ``conv2d`` and ``conv_transpose2d``.

How it runs
-----------
Forward (``Conv2d``): the batch goes in chunks whose column matrix fits in the CPU's
caches, split over NumpyFlow's threads (``nf.set_num_threads``).  Per chunk, the
zero-padded input is laid out in stride phases (see "Layout" below) and viewed through
``as_strided`` as its windows; one copy makes the column matrix ``cols (C*kh*kw,
n*Ho*Wq)``, and ONE GEMM with the weight ``(O, C*kh*kw)`` gives the output as ``(O,
n*Ho*Wq)`` (grouped convolutions: one batched matmul over the groups), copied back to
NCHW without the junk columns, plus the bias.  A 1x1 convolution without padding is a
matmul over channels per image.  Nothing but the input is saved for backward.

Backward, each a Function of its own so that second derivatives come for free:

* the input gradient is a transposed convolution, ``ConvTranspose2d(grad, weight)``:
  col2im (one GEMM to columns, then one contiguous-run add per kernel tap), or, for
  stride 1 into at least as many channels as the output has, a convolution of the
  padded ``grad`` with the flipped, transposed weight (no larger column matrix);
* the weight gradient is ``Conv2dWeightGrad(input, grad)``: per chunk, one GEMM of the
  column matrix (rebuilt from the input) with ``grad`` as ``(O, n*Ho*Wq)``;
* the bias gradient is ``grad.sum((0, 2, 3))``.

A plain ``backward()`` (no graph to record) computes the input and weight gradients in
one pass over the chunks, each chunk's ``grad`` shared by both (``conv_backward``).

The three Functions are the three bilinear maps of a convolution, and the backward of
each is written with the other two (and itself), so ``gradgradcheck`` holds for
``conv2d`` and ``conv_transpose2d``.  float32 stays float32 throughout.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Function
from ..backend import array_module, is_array
from ..parallel import get_num_threads, parallel_for
from ..tensor import Tensor

# -- argument checks shared with pooling --------------------------------------------------

def _int(v, name, op):
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {v!r}")
    return int(v)


def _pair(v, name, op):
    """``v`` (an int, or a sequence of two ints) as a tuple of two ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = (v[0], v[0])
        if len(v) != 2:
            raise RuntimeError(f"{op}: expected {name} to be a single int or a tuple of 2 ints, "
                               f"but got {name}={tuple(v)}")
        return _int(v[0], name, op), _int(v[1], name, op)
    v = _int(v, name, op)
    return v, v


def _check_tensor(x, name, op):
    if isinstance(x, Tensor):
        return x
    if is_array(x):
        return Tensor._make(x)
    raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _shape(t):
    return tuple(t._data.shape)


# -- geometry -----------------------------------------------------------------------------

class ConvGeometry(NamedTuple):
    """Everything about a convolution from an ``x`` space ``(N, C, H, W)`` to a ``y`` space
    ``(N, O, Ho, Wo)`` but the batch and channel counts: window ``k``, stride ``s``,
    dilation ``d``, padding top/bottom/left/right and groups.  ``Ho, Wo`` may be smaller
    than the natural output size (a transposed convolution's ``output_padding`` makes
    ``x`` larger than the windows reach)."""
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pb: int
    pl: int
    pr: int
    groups: int
    H: int
    W: int
    Ho: int
    Wo: int


def _flipped_weight(w, groups):
    """The weight of the stride-1 convolution that is this convolution's transpose:
    ``(C, O/groups, kh, kw)``, channels swapped within each group, kernel flipped."""
    O, Cg, kh, kw = w.shape
    Og = O // groups
    wf = w.reshape(groups, Og, Cg, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    return wf.reshape(groups * Cg, Og, kh, kw)  # a copy (the flip makes it non-contiguous)


def _transposed_geometry(g: ConvGeometry) -> ConvGeometry:
    """For stride 1: the convolution of ``grad`` (y space) with the flipped weight that
    gives the input gradient (x space).  Negative padding means cropping."""
    top = g.dh * (g.kh - 1) - g.pt
    left = g.dw * (g.kw - 1) - g.pl
    bottom = g.H + g.dh * (g.kh - 1) - g.Ho - top
    right = g.W + g.dw * (g.kw - 1) - g.Wo - left
    return ConvGeometry(g.kh, g.kw, 1, 1, g.dh, g.dw, top, bottom, left, right, g.groups,
                        g.Ho, g.Wo, g.H, g.W)


# -- raw kernels --------------------------------------------------------------------------
#
# Layout.  The zero-padded input is stored as stride phases: for stride (sh, sw), plane
# (n, c, a, b) holds padded rows a, a+sh, a+2sh, ... and columns b, b+sw, ...: a
# ``(N, C, sh, sw, Hq, Wq)`` buffer (for stride 1 it is just the padded input).  Kernel
# tap (i, j) then reads, for every output row, a run of consecutive elements of one plane,
# and the ``Ho`` rows it reads are themselves consecutive when output rows are taken
# ``Wq`` wide instead of ``Wo`` ("wide" rows: the last ``Wq - Wo`` columns of each row are
# junk, computed and thrown away).  So every copy in im2col and every add in col2im runs
# over ``Ho*Wq`` contiguous elements, and the GEMMs see ``M = N*Ho*Wq`` columns.

def _valid_range(offset, stride, n_out, n_in):
    """Positions ``o`` in ``[o0, o1)`` with ``o*stride + offset`` in ``[0, n_in)``;
    returns ``(o0, o1, o0*stride + offset)``."""
    o0 = 0 if offset >= 0 else (stride - 1 - offset) // stride
    o1 = min(n_out, (n_in - 1 - offset) // stride + 1) if offset < n_in else 0
    return o0, max(o0, o1), o0 * stride + offset


def _plane_dims(g: ConvGeometry):
    """``(Hq, Wq)``: rows and columns of one stride-phase plane of the padded input."""
    return -(-(g.H + g.pt + g.pb) // g.sh), -(-(g.W + g.pl + g.pr) // g.sw)


def _tap(g: ConvGeometry, i, j, Hq, Wq):
    """Offset (in elements, inside one ``(n, c)`` block) of the first element tap (i, j)
    reads: its phase plane, then its row and column shift inside the plane."""
    r0, a = divmod(i * g.dh, g.sh)
    c0, b = divmod(j * g.dw, g.sw)
    return ((a * g.sw + b) * Hq + r0) * Wq + c0


def _phase_ranges(g: ConvGeometry, Hq, Wq):
    """For each phase (a, b): the plane rows/cols that hold input values, and where."""
    for a in range(g.sh):
        h0, h1, r = _valid_range(a - g.pt, g.sh, Hq, g.H)
        for b in range(g.sw):
            w0, w1, c = _valid_range(b - g.pl, g.sw, Wq, g.W)
            yield a, b, (h0, h1, r), (w0, w1, c)


def _to_phases(x, g: ConvGeometry, fill=0):
    """The flat phase buffer of ``x (N, C, H, W)``, padded with ``fill``:
    ``N*C*sh*sw*Hq*Wq`` elements and ``Wq`` of slack (the junk columns of the last rows
    read past the end)."""
    xp = array_module(x)
    N, C = x.shape[:2]
    Hq, Wq = _plane_dims(g)
    size = N * C * g.sh * g.sw * Hq * Wq
    buf = xp.empty((size + Wq,), x.dtype)
    buf.fill(fill)  # one pass over a cache-sized buffer costs less than per-edge fills
    P = buf[:size].reshape(N, C, g.sh, g.sw, Hq, Wq)
    for a, b, (h0, h1, r), (w0, w1, c) in _phase_ranges(g, Hq, Wq):
        if h1 > h0 and w1 > w0:
            P[:, :, a, b, h0:h1, w0:w1] = x[:, :, r:r + (h1 - h0 - 1) * g.sh + 1:g.sh,
                                            c:c + (w1 - w0 - 1) * g.sw + 1:g.sw]
    return buf


def _from_phases(buf, g: ConvGeometry, out):
    """The inverse of ``_to_phases``: fills ``out (N, C, H, W)`` (padding dropped)."""
    N, C = out.shape[:2]
    Hq, Wq = _plane_dims(g)
    P = buf[:N * C * g.sh * g.sw * Hq * Wq].reshape(N, C, g.sh, g.sw, Hq, Wq)
    if min(g.pt, g.pb, g.pl, g.pr) < 0:  # cropped-away positions get no value
        out.fill(0)
    for a, b, (h0, h1, r), (w0, w1, c) in _phase_ranges(g, Hq, Wq):
        if h1 > h0 and w1 > w0:
            out[:, :, r:r + (h1 - h0 - 1) * g.sh + 1:g.sh, c:c + (w1 - w0 - 1) * g.sw + 1:g.sw] = \
                P[:, :, a, b, h0:h1, w0:w1]
    return out


def _strided(buf, offset, shape, strides):
    """A view of the flat array ``buf`` from element ``offset`` with byte ``strides``
    (numpy's bounds-checked ndarray constructor: ~5x cheaper than ``as_strided``)."""
    if type(buf) is np.ndarray and 0 not in shape:
        return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset * buf.itemsize, strides=strides)
    return array_module(buf).lib.stride_tricks.as_strided(buf[offset:], shape, strides)


def _tap_views(buf, g: ConvGeometry, N, C):
    """``(i, j, view)`` per kernel tap: ``view (C, N, Ho*Wq)`` of the phase buffer, the
    (wide) output rows' inputs under that tap."""
    Hq, Wq = _plane_dims(g)
    item = buf.itemsize
    cs = g.sh * g.sw * Hq * Wq
    strides = (cs * item, C * cs * item, item)
    shape = (C, N, g.Ho * Wq)
    for i in range(g.kh):
        for j in range(g.kw):
            yield i, j, _strided(buf, _tap(g, i, j, Hq, Wq), shape, strides)


def _im2col(x, g: ConvGeometry):
    """The column matrix ``(C*kh*kw, N*Ho*Wq)`` of ``x (N, C, H, W)``: row ``(c, i, j)``
    holds what kernel tap ``(i, j)`` of channel ``c`` sees at every (wide) output
    position.  One strided copy for stride 1, one per tap otherwise."""
    xp = array_module(x)
    N, C = x.shape[:2]
    Hq, Wq = _plane_dims(g)
    buf = _to_phases(x, g)
    L = g.Ho * Wq
    cols = xp.empty((C, g.kh, g.kw, N, L), x.dtype)
    if g.sh == 1 and g.sw == 1:
        item = buf.itemsize
        cs = Hq * Wq
        view = _strided(buf, 0, (C, g.kh, g.kw, N, L),
                        (cs * item, g.dh * Wq * item, g.dw * item, C * cs * item, item))
        xp.copyto(cols, view)
    else:
        for i, j, view in _tap_views(buf, g, N, C):
            xp.copyto(cols[:, i, j], view)
    return cols.reshape(C * g.kh * g.kw, N * L)


def _gemm_weight_cols(w, cols, groups, transpose_w=False):
    """``w`` as ``(O, K)`` (or its transpose) times ``cols (K, M)``: one GEMM, or one
    batched matmul over the groups."""
    xp = array_module(w, cols)
    K, M = cols.shape
    if transpose_w:   # w (K', Kg...) : rows of the result are w's columns
        O = w.shape[1] * w.shape[2] * w.shape[3] * groups
        wg = w.reshape(groups, K // groups, -1).transpose(0, 2, 1)
    else:
        O = w.shape[0]
        wg = w.reshape(groups, O // groups, K // groups)
    out = xp.empty((O, M), cols.dtype)
    if groups == 1:
        xp.matmul(wg[0], cols, out=out)
    else:
        xp.matmul(wg, cols.reshape(groups, K // groups, M), out=out.reshape(groups, O // groups, M))
    return out


def _wide_to_nchw(y, out, bias=None):
    """Write the grid ``y (O, N, rows, cols)`` (at least ``out``'s rows and columns: the
    rest is junk) into ``out (N, O, Ho, Wo)``, plus ``bias`` per channel when given."""
    xp = array_module(y)
    O = y.shape[0]
    src = y[:, :, :out.shape[2], :out.shape[3]].transpose(1, 0, 2, 3)
    if bias is not None:
        xp.add(src, bias.reshape(O, 1, 1), out=out)
    else:
        xp.copyto(out, src)
    return out


def _wide_grad(gy, Wq):
    """``grad (N, O, Ho, Wo)`` as the GEMM operand ``(O, N*Ho*Wq)``, junk columns zero."""
    xp = array_module(gy)
    N, O, Ho, Wo = gy.shape
    out = xp.empty((O, N, Ho, Wq), gy.dtype)
    out[:, :, :, Wo:] = 0
    out[:, :, :, :Wo] = gy.transpose(1, 0, 2, 3)
    return out.reshape(O, N * Ho * Wq)


# Work goes through the batch in chunks whose column matrix fits in the CPU's caches:
# im2col writes a chunk and the GEMM reads it back from cache instead of from memory,
# and no column matrix of the whole batch ever exists (forward ~1.5x faster, and the
# backward needs nothing saved but the input).  Scratch arrays are then a few MiB, which
# malloc reuses from chunk to chunk (a pool of reusable buffers measured no faster and
# kept hundreds of MiB).
_CHUNK_BYTES = 4 << 20


def _batch_chunks(N, bytes_per_image):
    """``(n0, n1)`` ranges covering ``range(N)``, each about ``_CHUNK_BYTES`` of columns."""
    threads = get_num_threads()
    step = max(1, _CHUNK_BYTES // max(bytes_per_image, 1))
    count = -(-N // step)
    count = min(N, -(-count // threads) * threads)  # a multiple of the threads: balanced
    bounds = [N * k // count for k in range(count + 1)] if count else [0]
    return list(zip(bounds[:-1], bounds[1:]))


def _for_chunks(xp, chunks, work):
    """``work(chunks)``, split over threads on the CPU (a GPU runs it as one stream)."""
    if xp is np:
        parallel_for(chunks, work)
    else:
        work(chunks)


def _cols_bytes(C, g: ConvGeometry, itemsize):
    """Bytes of one image's column matrix."""
    return C * g.kh * g.kw * g.Ho * _plane_dims(g)[1] * itemsize


def _pointwise(g: ConvGeometry):
    """A 1x1 convolution without padding or groups: a matmul over channels per image."""
    return g.kh == 1 and g.kw == 1 and g.groups == 1 and g.pt == g.pb == g.pl == g.pr == 0


def _sampled(x, g: ConvGeometry):
    """``x (N, C, H, W)`` at the positions a 1x1 kernel reads: ``(N, C, Ho*Wo)``."""
    xs = x[:, :, :(g.Ho - 1) * g.sh + 1:g.sh, :(g.Wo - 1) * g.sw + 1:g.sw]
    return array_module(x).ascontiguousarray(xs).reshape(x.shape[0], x.shape[1], g.Ho * g.Wo)


# -- stride-1 convolutions by kernel rows ------------------------------------------------
#
# For stride 1, a chunk's padded input goes channel-major and "tall": ``(C, n, Hq, Wq)``,
# the images one under another.  Output position ``m`` of that tall, wide grid reads,
# under tap ``(i, j)``, element ``m + i*dh*Wq + j*dw`` of each channel's run.  So one
# matrix ``R`` of the ``kw`` column shifts (``C*kw`` rows: 3x the input where im2col
# makes 9x) serves every kernel row ``i`` as a column-offset view, and the convolution
# is ``kh`` GEMMs of depth ``C*kw``, summed.  Junk rows (the last ``(kh-1)*dh`` of each
# image) and columns are computed and dropped.  Measured 7-25% faster than im2col on
# ResNet's 16-channel layers (forward and both gradients).

def _rows_path(g: ConvGeometry, C):
    """Whether the convolution of ``C`` input channels runs by kernel rows: stride 1, no
    groups, no cropping, and im2col's GEMM depth ``C*kh*kw`` at most 144 (deeper GEMMs
    run efficiently enough that the extra GEMM calls cost more than the copy saves:
    measured equal at 288, 17% slower at 576)."""
    return (g.sh == 1 and g.sw == 1 and g.groups == 1 and g.kh > 1 and C * g.kh * g.kw <= 144
            and min(g.pt, g.pb, g.pl, g.pr) >= 0)


def _rows_dims(g: ConvGeometry):
    """``(Hq, Wq)``, the padded plane, and ``L``, the columns of ``R`` per chunk image
    count ``S = n*Hq*Wq`` (``R`` is ``S + (kh-1)*dh*Wq`` wide)."""
    return g.H + g.pt + g.pb, g.W + g.pl + g.pr


def _row_shifts(x, g: ConvGeometry):
    """``(R (C*kw, S + (kh-1)*dh*Wq), S)`` for the chunk ``x (n, C, H, W)``."""
    xp = array_module(x)
    n, C = x.shape[:2]
    Hq, Wq = _rows_dims(g)
    S = n * Hq * Wq
    L = S + (g.kh - 1) * g.dh * Wq
    buf = xp.zeros((C * S + (g.kh - 1) * g.dh * Wq + (g.kw - 1) * g.dw,), x.dtype)
    buf[:C * S].reshape(C, n, Hq, Wq)[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x.transpose(1, 0, 2, 3)
    R = xp.empty((C, g.kw, L), x.dtype)
    item = x.itemsize
    xp.copyto(R, _strided(buf, 0, (C, g.kw, L), (S * item, g.dw * item, item)))
    return R.reshape(C * g.kw, L), S


def _rows_bytes(C, g: ConvGeometry, itemsize):
    """Bytes of ``R`` per image."""
    Hq, Wq = _rows_dims(g)
    return C * g.kw * Hq * Wq * itemsize


def _rows_forward(x, w_rows, g: ConvGeometry, out, bias):
    """``out (n, O, Ho, Wo) = conv(x)`` for one chunk; ``w_rows[i]`` is ``w[:, :, i, :]``
    as ``(O, C*kw)``."""
    xp = array_module(x)
    n = x.shape[0]
    O = w_rows[0].shape[0]
    Hq, Wq = _rows_dims(g)
    R, S = _row_shifts(x, g)
    acc = xp.empty((O, S), x.dtype)
    tmp = xp.empty((O, S), x.dtype)
    xp.matmul(w_rows[0], R[:, :S], out=acc)
    for i in range(1, g.kh):
        off = i * g.dh * Wq
        xp.matmul(w_rows[i], R[:, off:off + S], out=tmp)
        acc += tmp
    _wide_to_nchw(acc.reshape(O, n, Hq, Wq), out, bias)


def _rows_weight_grad(x, gy, g: ConvGeometry):
    """One chunk's weight gradient as ``(kh, C*kw, O)``: per kernel row, the shifted
    input against the gradient laid out like the forward's output grid."""
    xp = array_module(x)
    n, O = gy.shape[:2]
    Hq, Wq = _rows_dims(g)
    R, S = _row_shifts(x, g)
    G = xp.zeros((O, n, Hq, Wq), gy.dtype)
    G[:, :, :g.Ho, :g.Wo] = gy.transpose(1, 0, 2, 3)
    G = G.reshape(O, S)
    return xp.stack([R[:, i * g.dh * Wq:i * g.dh * Wq + S] @ G.T for i in range(g.kh)])


def conv_forward(x, w, bias, g: ConvGeometry):
    """Raw convolution of ``x (N, C, H, W)`` with ``w``: a new ``(N, O, Ho, Wo)`` array."""
    xp = array_module(x, w)
    N, C = x.shape[:2]
    if _pointwise(g):
        out = xp.matmul(w.reshape(w.shape[0], C), _sampled(x, g)).reshape(N, w.shape[0], g.Ho, g.Wo)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out
    out = xp.empty((N, w.shape[0], g.Ho, g.Wo), x.dtype)
    if _rows_path(g, C):
        w_rows = [xp.ascontiguousarray(w[:, :, i, :]).reshape(w.shape[0], -1) for i in range(g.kh)]

        def work(chunks):
            for n0, n1 in chunks:
                _rows_forward(x[n0:n1], w_rows, g, out[n0:n1], bias)
        _for_chunks(xp, _batch_chunks(N, _rows_bytes(C, g, x.itemsize)), work)
        return out
    Wq = _plane_dims(g)[1]

    def work(chunks):
        for n0, n1 in chunks:
            y = _gemm_weight_cols(w, _im2col(x[n0:n1], g), g.groups)
            _wide_to_nchw(y.reshape(-1, n1 - n0, g.Ho, Wq), out[n0:n1], bias)
    _for_chunks(xp, _batch_chunks(N, _cols_bytes(C, g, x.itemsize)), work)
    return out


def _weight_grad_part(cols, g2, groups, w_shape):
    """One chunk's weight gradient ``(groups, K, O/groups)``: its column matrix
    ``(K*groups, M)`` against its wide gradient ``(O, M)``.  The ``(K, M) @ (M, O)``
    orientation runs faster than ``(O, M) @ (M, K)`` for few output channels."""
    xp = array_module(cols)
    M = cols.shape[1]
    O = w_shape[0]
    return xp.matmul(cols.reshape(groups, -1, M), g2.reshape(groups, O // groups, M).transpose(0, 2, 1))


def _chunk_sum(xp, chunks, part):
    """``sum(part(n0, n1) for each chunk)``, the chunks split over the threads (each
    thread sums its own, then those sums are added); None for no chunks."""
    partial = []

    def work(group):
        acc = None
        for n0, n1 in group:
            p = part(n0, n1)
            acc = p if acc is None else acc + p
        if acc is not None:
            partial.append(acc)
    _for_chunks(xp, chunks, work)
    return sum(partial[1:], partial[0]) if partial else None


def _weight_grad_total(total, w_shape, dtype, xp):
    """The ``(groups, K, O/groups)`` chunk sum as ``(O, C/groups, kh, kw)`` (zeros for an
    empty batch)."""
    if total is None:
        return xp.zeros(w_shape, dtype)
    return xp.ascontiguousarray(total.transpose(0, 2, 1)).reshape(w_shape)


def _col2im_into(w, g2, g: ConvGeometry, out):
    """``out (n, C, H, W) = `` the input gradient of one chunk from its wide gradient
    ``g2 (O, n*Ho*Wq)``: one GEMM to columns, then one contiguous-run add per tap."""
    xp = array_module(g2)
    n, C = out.shape[:2]
    Hq, Wq = _plane_dims(g)
    dcols = _gemm_weight_cols(w, g2, g.groups, transpose_w=True).reshape(C, g.kh, g.kw, n, g.Ho * Wq)
    buf = xp.zeros((n * C * g.sh * g.sw * Hq * Wq + Wq,), g2.dtype)
    for i, j, view in _tap_views(buf, g, n, C):
        view += dcols[:, i, j]
    _from_phases(buf, g, out)


def conv_weight_grad(x, gy, w_shape, g: ConvGeometry):
    """Raw weight gradient: ``grad (O, M)`` against ``cols (K, M)``, summed over batch
    chunks."""
    xp = array_module(x, gy)
    N, C = x.shape[:2]
    if _pointwise(g):
        gy3 = gy.reshape(N, w_shape[0], g.Ho * g.Wo)
        return xp.tensordot(gy3, _sampled(x, g), axes=([0, 2], [0, 2])).reshape(w_shape)
    if _rows_path(g, C):
        total = _chunk_sum(xp, _batch_chunks(N, _rows_bytes(C, g, x.itemsize)),
                           lambda n0, n1: _rows_weight_grad(x[n0:n1], gy[n0:n1], g))
        if total is None:  # an empty batch
            return xp.zeros(w_shape, x.dtype)
        O, Cg, kh, kw = w_shape  # (kh, C*kw, O) -> (O, C, kh, kw)
        return xp.ascontiguousarray(total.reshape(kh, Cg, kw, O).transpose(3, 1, 0, 2))
    Wq = _plane_dims(g)[1]
    total = _chunk_sum(xp, _batch_chunks(N, _cols_bytes(C, g, x.itemsize)), lambda n0, n1: _weight_grad_part(
        _im2col(x[n0:n1], g), _wide_grad(gy[n0:n1], Wq), g.groups, w_shape))
    return _weight_grad_total(total, w_shape, x.dtype, xp)


def _transposed_conv_path(g: ConvGeometry, C, O):
    """Whether the input gradient is best a stride-1 convolution of the padded gradient
    with the flipped weight (its column matrix has ``O*kh*kw`` rows) rather than col2im
    (``C*kh*kw`` rows, and nine adds back; measured slower on ResNet layers with O = C)."""
    return g.sh == 1 and g.sw == 1 and O <= C


def conv_input_grad(gy, w, x_shape, g: ConvGeometry, bias=None):
    """Raw input gradient (the transposed convolution of ``gy`` with ``w``), of shape
    ``x_shape``, plus ``bias`` per channel when given."""
    xp = array_module(gy, w)
    N, C = x_shape[0], x_shape[1]
    if _pointwise(g):
        gx = xp.matmul(w.reshape(w.shape[0], C).T, gy.reshape(N, w.shape[0], g.Ho * g.Wo))
        gx = gx.reshape(N, C, g.Ho, g.Wo)
        if (g.Ho, g.Wo, g.sh, g.sw) != (g.H, g.W, 1, 1):
            full = xp.zeros(x_shape, gy.dtype)
            full[:, :, :(g.Ho - 1) * g.sh + 1:g.sh, :(g.Wo - 1) * g.sw + 1:g.sw] = gx
            gx = full
        if bias is not None:
            gx += bias.reshape(C, 1, 1)
        return gx
    if _transposed_conv_path(g, C, w.shape[0]):
        return conv_forward(gy, _flipped_weight(w, g.groups), bias, _transposed_geometry(g))
    Wq = _plane_dims(g)[1]
    out = xp.empty(x_shape, gy.dtype)

    def work(chunks):
        for n0, n1 in chunks:
            _col2im_into(w, _wide_grad(gy[n0:n1], Wq), g, out[n0:n1])
    _for_chunks(xp, _batch_chunks(N, _cols_bytes(C, g, gy.itemsize)), work)
    if bias is not None:
        out += bias.reshape(C, 1, 1)
    return out


def conv_backward(x, gy, w, g: ConvGeometry):
    """Raw ``(input gradient, weight gradient)`` in one pass over the batch chunks, each
    chunk's wide gradient shared by both; None where col2im isn't the input gradient's
    best path (see ``conv_input_grad``)."""
    xp = array_module(x, gy, w)
    N, C = x.shape[:2]
    if _pointwise(g) or _transposed_conv_path(g, C, w.shape[0]):
        return None
    Wq = _plane_dims(g)[1]
    gx = xp.empty(x.shape, x.dtype)

    def part(n0, n1):  # writes the chunk's input gradient, returns its weight gradient
        g2 = _wide_grad(gy[n0:n1], Wq)
        _col2im_into(w, g2, g, gx[n0:n1])
        return _weight_grad_part(_im2col(x[n0:n1], g), g2, g.groups, w.shape)
    total = _chunk_sum(xp, _batch_chunks(N, _cols_bytes(C, g, x.itemsize)), part)
    return gx, _weight_grad_total(total, w.shape, x.dtype, xp)


# -- Functions ----------------------------------------------------------------------------

def _sum_channels(grad):
    return grad.sum((0, 2, 3))


class Conv2d(Function):
    """``y = conv2d(x, w) + b``."""

    _public_name = "Convolution"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.geom, ctx.shapes = geom, (x.shape, w.shape)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return conv_forward(x, w, b, geom)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geom = ctx.geom
        gx = gw = gb = None
        if ctx.needs_input_grad[2]:
            gb = _sum_channels(grad)
        if ctx.needs_input_grad[0] and ctx.needs_input_grad[1] and not grad_mode.state.enabled:
            both = conv_backward(x._data, grad._data, w._data, geom)  # no graph: one fused pass
            if both is not None:
                return Tensor._make(both[0]), Tensor._make(both[1]), gb, None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose2d.apply(grad, w, None, geom, ctx.shapes[0])
        if ctx.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(x, grad, geom, ctx.shapes[1])
        return gx, gw, gb, None


class ConvTranspose2d(Function):
    """``z = conv_x^T(g; w) + b``: the adjoint of the convolution ``x -> conv2d(x, w)``
    (geometry ``geom``) applied to ``g``; ``x_shape`` is the shape of ``z``."""

    _public_name = "Convolution"

    @staticmethod
    def forward(ctx, g, w, b, geom, x_shape):
        ctx.geom, ctx.w_shape = geom, w.shape
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return conv_input_grad(g, w, x_shape, geom, b)

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        geom = ctx.geom
        gg = gw = gb = None
        if ctx.needs_input_grad[0]:   # d<grad, conv^T(g; w)>/dg = conv(grad; w)
            gg = Conv2d.apply(grad, w, None, geom)
        if ctx.needs_input_grad[1]:   # ... /dw = the weight gradient of conv(grad; w) at g
            gw = Conv2dWeightGrad.apply(grad, g, geom, ctx.w_shape)
        if ctx.needs_input_grad[2]:
            gb = _sum_channels(grad)
        return gg, gw, gb, None, None


class Conv2dWeightGrad(Function):
    """``gw = dconv2d(x, w)/dw`` contracted with ``g``: bilinear in ``(x, g)``."""

    _public_name = "ConvolutionBackward"

    @staticmethod
    def forward(ctx, x, g, geom, w_shape):
        ctx.geom, ctx.x_shape = geom, x.shape
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, g if ctx.needs_input_grad[0] else None)
        return conv_weight_grad(x, g, w_shape, geom)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        geom = ctx.geom
        gx = gg = None
        if ctx.needs_input_grad[0]:   # <grad, W(x, g)> = <conv(x; grad), g>: d/dx = conv^T(g; grad)
            gx = ConvTranspose2d.apply(g, grad, None, geom, ctx.x_shape)
        if ctx.needs_input_grad[1]:   # d/dg = conv(x; grad)
            gg = Conv2d.apply(x, grad, None, geom)
        return gx, gg, None, None


# -- public functions ---------------------------------------------------------------------

def _check_common(op, x, w, b):
    if x._data.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D (unbatched) or 4-D (batched) input, but got input of "
                           f"shape {_shape(x)}")
    if w._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight, but got weight of shape {_shape(w)}")
    dts = [x._data.dtype, w._data.dtype] + ([b._data.dtype] if b is not None else [])
    if any(d.kind != "f" for d in dts):
        raise RuntimeError(f"{op}: expected floating-point tensors, but got input {x.dtype}, weight {w.dtype}"
                           + (f", bias {b.dtype}" if b is not None else ""))
    if len(set(dts)) != 1:
        raise RuntimeError(f"{op}: input, weight and bias must have the same dtype, but got input {x.dtype}, "
                           f"weight {w.dtype}" + (f", bias {b.dtype}" if b is not None else ""))


def _check_bias(op, b, n, w):
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != n):
        raise RuntimeError(f"{op}: expected bias to be 1-D with {n} elements (one per output channel), but got "
                           f"bias of shape {_shape(b)} (weight shape {_shape(w)})")


def _check_positive(op, **params):
    for name, (a, b) in params.items():
        if a <= 0 or b <= 0:
            raise RuntimeError(f"{op}: {name} must be positive, but got {name}={(a, b)}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input with a
    ``(O, C/groups, kH, kW)`` weight, as ``torch.nn.functional.conv2d``.  ``padding`` is an
    int, a pair, ``'valid'`` (no padding) or ``'same'`` (output size = input size; stride 1,
    any odd padding goes to the bottom/right)."""
    op = "conv2d"
    x = _check_tensor(input, "input", op)
    w = _check_tensor(weight, "weight", op)
    b = _check_tensor(bias, "bias", op) if bias is not None else None
    _check_common(op, x, w, b)
    unbatched = x._data.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    N, C, H, W = _shape(x)
    O, Cg, kh, kw = _shape(w)
    sh, sw = _pair(stride, "stride", op)
    dh, dw = _pair(dilation, "dilation", op)
    _check_positive(op, stride=(sh, sw), dilation=(dh, dw))
    groups = _int(groups, "groups", op)
    if groups <= 0:
        raise RuntimeError(f"{op}: groups must be positive, but got groups={groups}")
    if isinstance(padding, str):
        if padding == "valid":
            pt = pb = pl = pr = 0
        elif padding == "same":
            if sh != 1 or sw != 1:
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions "
                                   f"(stride={(sh, sw)})")
            th, tw = dh * (kh - 1), dw * (kw - 1)
            pt, pl = th // 2, tw // 2
            pb, pr = th - pt, tw - pl
        else:
            raise RuntimeError(f"{op}: invalid padding string {padding!r}, expected 'valid' or 'same'")
    else:
        pt, pl = _pair(padding, "padding", op)
        if pt < 0 or pl < 0:
            raise RuntimeError(f"{op}: negative padding is not supported, but got padding={(pt, pl)}")
        pb, pr = pt, pl
    if O % groups:
        raise RuntimeError(f"{op}: the weight's {O} output channels are not divisible by groups={groups} "
                           f"(weight shape {_shape(w)})")
    if C != Cg * groups:
        extra = f", groups={groups}" if groups != 1 else ""
        raise RuntimeError(f"{op}: input has {C} channels but the weight expects {Cg * groups} "
                           f"(input shape {_shape(x)}, weight shape {_shape(w)}{extra})")
    _check_bias(op, b, O, w)
    Hp, Wp = H + pt + pb, W + pl + pr
    ekh, ekw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if Hp < ekh or Wp < ekw:
        raise RuntimeError(f"{op}: the kernel ({kh}x{kw}, dilation {(dh, dw)}: {ekh}x{ekw}) is larger than the "
                           f"padded input ({Hp}x{Wp}) (input shape {_shape(x)}, padding {(pt, pl)})")
    Ho, Wo = (Hp - ekh) // sh + 1, (Wp - ekw) // sw + 1
    geom = ConvGeometry(kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, groups, H, W, Ho, Wo)
    y = Conv2d.apply(x, w, b, geom)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input)
    over ``(N, C_in, H, W)`` (or ``(C_in, H, W)``) with a ``(C_in, C_out/groups, kH, kW)``
    weight, as ``torch.nn.functional.conv_transpose2d``."""
    op = "conv_transpose2d"
    x = _check_tensor(input, "input", op)
    w = _check_tensor(weight, "weight", op)
    b = _check_tensor(bias, "bias", op) if bias is not None else None
    _check_common(op, x, w, b)
    unbatched = x._data.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    N, Cin, Hin, Win = _shape(x)
    Wc, Cog, kh, kw = _shape(w)
    sh, sw = _pair(stride, "stride", op)
    dh, dw = _pair(dilation, "dilation", op)
    _check_positive(op, stride=(sh, sw), dilation=(dh, dw))
    if isinstance(padding, str):
        raise RuntimeError(f"{op}: padding must be an int or a tuple of 2 ints, but got {padding!r}")
    ph, pw = _pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, but got padding={(ph, pw)}")
    oph, opw = _pair(output_padding, "output_padding", op)
    if oph < 0 or opw < 0 or oph >= max(sh, dh) or opw >= max(sw, dw):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={(oph, opw)}, stride={(sh, sw)}, dilation={(dh, dw)}")
    groups = _int(groups, "groups", op)
    if groups <= 0:
        raise RuntimeError(f"{op}: groups must be positive, but got groups={groups}")
    if Wc % groups:
        raise RuntimeError(f"{op}: the weight's {Wc} input channels are not divisible by groups={groups} "
                           f"(weight shape {_shape(w)})")
    if Cin != Wc:
        raise RuntimeError(f"{op}: input has {Cin} channels but the weight expects {Wc} "
                           f"(input shape {_shape(x)}, weight shape {_shape(w)})")
    Cout = Cog * groups
    _check_bias(op, b, Cout, w)
    H = (Hin - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    W = (Win - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if H <= 0 or W <= 0:
        raise RuntimeError(f"{op}: output size is too small: input {Hin}x{Win} gives output {H}x{W}; expected "
                           "at least 1x1 "
                           f"(input shape {_shape(x)}, weight shape {_shape(w)}, stride {(sh, sw)}, "
                           f"padding {(ph, pw)})")
    geom = ConvGeometry(kh, kw, sh, sw, dh, dw, ph, ph, pw, pw, groups, H, W, Hin, Win)
    y = ConvTranspose2d.apply(x, w, b, geom, (N, Cout, H, W))
    return y.squeeze(0) if unbatched else y
