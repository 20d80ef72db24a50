"""Raw-array kernels of 2-D convolution (NCHW): the stride-phase layout, im2col/col2im,
the tall layout of the taps and kernel-rows kernels, the pointwise path, and batch
chunking over threads.  The Functions in ``conv.py`` call them; pooling reuses the
layout (``ConvGeometry``, ``to_phases``, ``from_phases``, ``tap_views``, ``plane_dims``).

One strategy object per geometry, each with ``forward``, ``input_grad``, ``weight_grad``
and ``input_and_weight_grad`` (one fused pass where the strategy has one):

* ``Pointwise``: a 1x1 convolution without padding or groups, a matmul over channels;
* ``Taps``: no groups, 8 to 256 input channels: the forward as ``kh*kw`` GEMMs summed
  by BLAS over the padded input, the input gradient as taps BLAS adds back into it (or a
  flipped convolution), the stride-1 weight gradient by kernel rows;
* ``FewChannels``: fewer than 8 input channels, no groups: im2col per image;
* ``Im2col``: everything else: a column matrix and one GEMM per batch chunk.

``strategy_for`` is the one place the choice is made.  Everything here works on numpy or
CuPy arrays and keeps their dtype.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from .._blas import blas
from ..backend import array_module
from ..parallel import get_num_threads, parallel_for


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


# -- layout -------------------------------------------------------------------------------
#
# The zero-padded input is stored as stride phases: for stride (sh, sw), plane
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


def plane_dims(geom: ConvGeometry):
    """``(Hq, Wq)``: rows and columns of one stride-phase plane of the padded input."""
    return -(-(geom.H + geom.pt + geom.pb) // geom.sh), -(-(geom.W + geom.pl + geom.pr) // geom.sw)


def _tap(geom: ConvGeometry, i, j, Hq, Wq):
    """Offset (in elements, inside one ``(n, c)`` block) of the first element tap (i, j)
    reads: its phase plane, then its row and column shift inside the plane."""
    r0, a = divmod(i * geom.dh, geom.sh)
    c0, b = divmod(j * geom.dw, geom.sw)
    return ((a * geom.sw + b) * Hq + r0) * Wq + c0


def _axis_groups(stride, ranges, merge):
    """The phases of one axis as copy groups ``(phases, count, first)``: ``phases`` the
    ``(phase, start)`` pairs a copy covers (in the order of their first input index),
    ``count`` positions each, ``first`` the input index of the group's first one.  At
    stride 2, where both phases hold as many positions, they are one group (their inputs
    interleave: one copy reads the input once instead of once per phase)."""
    valid = [(r, a, o0, o1 - o0) for a, (o0, o1, r) in enumerate(ranges) if o1 > o0]
    if merge and stride == 2 and len(valid) == 2 and valid[0][3] == valid[1][3]:
        (r0, a0, o0, count), (_, a1, o1, _) = sorted(valid)
        return [([(a0, o0), (a1, o1)], count, r0)]
    return [([(a, o0)], count, r) for r, a, o0, count in valid]


@functools.lru_cache(maxsize=256)
def _phase_copies(geom: ConvGeometry, Hq, Wq, strides, merge):
    """The copies of ``_phase_pairs``: ``(offset, phase strides, input rows, input
    columns, (E, F, rows, cols))`` each, in elements (the same for every call with one
    geometry and layout, so kept)."""
    rows = _axis_groups(geom.sh, [_valid_range(a - geom.pt, geom.sh, Hq, geom.H) for a in range(geom.sh)], merge)
    cols = _axis_groups(geom.sw, [_valid_range(b - geom.pl, geom.sw, Wq, geom.W) for b in range(geom.sw)], merge)
    s0, s1, sa, sb, sq, sp = strides
    copies = []
    for row_phases, n_rows, r in rows:
        (a, h0), *rest_a = row_phases
        step_a = (rest_a[0][0] - a) * sa + (rest_a[0][1] - h0) * sq if rest_a else 0
        # merged phases read consecutive rows (columns): split off as an axis of 2
        rows_read = slice(r, r + 2 * n_rows) if rest_a else slice(r, r + (n_rows - 1) * geom.sh + 1, geom.sh)
        for col_phases, n_cols, c in cols:
            (b, w0), *rest_b = col_phases
            step_b = (rest_b[0][0] - b) * sb + (rest_b[0][1] - w0) * sp if rest_b else 0
            cols_read = slice(c, c + 2 * n_cols) if rest_b else slice(c, c + (n_cols - 1) * geom.sw + 1, geom.sw)
            offset = a * sa + b * sb + h0 * sq + w0 * sp
            dims = (len(row_phases), len(col_phases), n_rows, n_cols)
            copies.append((offset, (s0, s1, step_a, step_b, sq, sp), rows_read, cols_read, dims))
    return copies


def _phase_pairs(x4, buf, strides, geom: ConvGeometry, Hq, Wq, gather):
    """``(phase_view, input_view)`` pairs that together cover the input ``x4 (D0, D1, H,
    W)`` once, each position next to its place in the phase planes: the flat ``buf``
    with element ``strides`` for ``(D0, D1, sh, sw, Hq, Wq)``.  Both views are ``(D0,
    D1, rows phases, cols phases, rows, cols)``.  Stride-2 phases are merged only to
    ``gather`` the input into the planes (measured up to 44% faster than per phase on
    16-64 channel planes, equal on 32 channels of 16x16); scattered back, merged copies
    ran slower."""
    D0, D1 = x4.shape[:2]
    item = buf.itemsize
    for offset, phase_strides, rows_read, cols_read, (E, F, n_rows, n_cols) in _phase_copies(
        geom, Hq, Wq, strides, gather and type(buf) is np.ndarray
    ):
        phase_view = _strided(buf, offset, (D0, D1, E, F, n_rows, n_cols), tuple(k * item for k in phase_strides))
        input_view = x4[:, :, rows_read, cols_read].reshape(D0, D1, n_rows, E, n_cols, F).transpose(0, 1, 3, 5, 2, 4)
        yield phase_view, input_view


def _phase_strides(geom: ConvGeometry, C, Hq, Wq):
    """Element strides of the phase buffer as ``(N, C, sh, sw, Hq, Wq)``."""
    block = geom.sh * geom.sw * Hq * Wq
    return C * block, block, geom.sw * Hq * Wq, Hq * Wq, Wq, 1


def to_phases(x, geom: ConvGeometry, fill=0):
    """The flat phase buffer of ``x (N, C, H, W)``, padded with ``fill``:
    ``N*C*sh*sw*Hq*Wq`` elements and ``Wq`` of slack (the junk columns of the last rows
    read past the end)."""
    xp = array_module(x)
    N, C = x.shape[:2]
    Hq, Wq = plane_dims(geom)
    size = N * C * geom.sh * geom.sw * Hq * Wq
    buf = xp.empty((size + Wq,), x.dtype)
    buf.fill(fill)  # one pass over a cache-sized buffer costs less than per-edge fills
    for phase_view, input_view in _phase_pairs(x, buf, _phase_strides(geom, C, Hq, Wq), geom, Hq, Wq, gather=True):
        xp.copyto(phase_view, input_view)
    return buf


def from_phases(buf, geom: ConvGeometry, out):
    """The inverse of ``to_phases``: fills ``out (N, C, H, W)`` (padding dropped)."""
    N, C = out.shape[:2]
    Hq, Wq = plane_dims(geom)
    if min(geom.pt, geom.pb, geom.pl, geom.pr) < 0:  # cropped-away positions get no value
        out.fill(0)
    for phase_view, output_view in _phase_pairs(out, buf, _phase_strides(geom, C, Hq, Wq), geom, Hq, Wq, gather=False):
        array_module(out).copyto(output_view, phase_view)
    return out


def _strided(buf, offset, shape, strides):
    """A view of the flat array ``buf`` from element ``offset`` with byte ``strides``
    (numpy's bounds-checked ndarray constructor: ~5x cheaper than ``as_strided``)."""
    if type(buf) is np.ndarray and 0 not in shape:
        return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset * buf.itemsize, strides=strides)
    return array_module(buf).lib.stride_tricks.as_strided(buf[offset:], shape, strides)


def tap_views(buf, geom: ConvGeometry, N, C):
    """``(i, j, view)`` per kernel tap: ``view (C, N, Ho*Wq)`` of the phase buffer, the
    (wide) output rows' inputs under that tap."""
    Hq, Wq = plane_dims(geom)
    item = buf.itemsize
    cs = geom.sh * geom.sw * Hq * Wq
    strides = (cs * item, C * cs * item, item)
    shape = (C, N, geom.Ho * Wq)
    for i in range(geom.kh):
        for j in range(geom.kw):
            yield i, j, _strided(buf, _tap(geom, i, j, Hq, Wq), shape, strides)


# -- im2col / col2im ------------------------------------------------------------------------


def _im2col(x, geom: ConvGeometry):
    """The column matrix ``(C*kh*kw, N*Ho*Wq)`` of ``x (N, C, H, W)``: row ``(c, i, j)``
    holds what kernel tap ``(i, j)`` of channel ``c`` sees at every (wide) output
    position.  One strided copy for stride 1, one per tap otherwise."""
    xp = array_module(x)
    N, C = x.shape[:2]
    Hq, Wq = plane_dims(geom)
    buf = to_phases(x, geom)
    L = geom.Ho * Wq
    cols = xp.empty((C, geom.kh, geom.kw, N, L), x.dtype)
    if geom.sh == 1 and geom.sw == 1:
        item = buf.itemsize
        cs = Hq * Wq
        view = _strided(
            buf, 0, (C, geom.kh, geom.kw, N, L), (cs * item, geom.dh * Wq * item, geom.dw * item, C * cs * item, item)
        )
        xp.copyto(cols, view)
    else:
        for i, j, view in tap_views(buf, geom, N, C):
            xp.copyto(cols[:, i, j], view)
    return cols.reshape(C * geom.kh * geom.kw, N * L)


def _gemm_weight_cols(w, cols, groups, transpose_w=False):
    """``w`` as ``(O, K)`` (or its transpose) times ``cols (K, M)``: one GEMM, or one
    batched matmul over the groups."""
    xp = array_module(w, cols)
    K, M = cols.shape
    if transpose_w:  # w (K', Kg...) : rows of the result are w's columns
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
    src = y[:, :, : out.shape[2], : out.shape[3]].transpose(1, 0, 2, 3)
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


def _col2im_into(w, gy_wide, geom: ConvGeometry, out):
    """``out (n, C, H, W) = `` the input gradient of one chunk from its wide gradient
    ``gy_wide (O, n*Ho*Wq)``: one GEMM to columns, then one contiguous-run add per tap."""
    xp = array_module(gy_wide)
    n, C = out.shape[:2]
    Hq, Wq = plane_dims(geom)
    dcols = _gemm_weight_cols(w, gy_wide, geom.groups, transpose_w=True).reshape(C, geom.kh, geom.kw, n, geom.Ho * Wq)
    buf = xp.zeros((n * C * geom.sh * geom.sw * Hq * Wq + Wq,), gy_wide.dtype)
    for i, j, view in tap_views(buf, geom, n, C):
        view += dcols[:, i, j]
    from_phases(buf, geom, out)


def _weight_grad_part(cols, gy_wide, groups, w_shape):
    """One chunk's weight gradient ``(groups, O/groups, K)``: its column matrix
    ``(K*groups, M)`` against its wide gradient ``(O, M)``.  With few output channels
    ``(K, M) @ (M, O)`` runs faster, then transposed (a small copy); with few columns
    per output channel ``(O, M) @ (M, K)`` saves transposing a large result (measured
    2.5x faster for 512 channels over 384 columns, 20% for 256 over 1500)."""
    xp = array_module(cols)
    M = cols.shape[1]
    O = w_shape[0]
    c = cols.reshape(groups, -1, M)
    g = gy_wide.reshape(groups, O // groups, M)
    if M < 8 * O:
        return xp.matmul(g, c.transpose(0, 2, 1))
    return xp.matmul(c, g.transpose(0, 2, 1)).transpose(0, 2, 1)


def _weight_grad_total(total, w_shape, dtype, xp):
    """The ``(groups, O/groups, K)`` chunk sum as ``(O, C/groups, kh, kw)`` (zeros for an
    empty batch)."""
    if total is None:
        return xp.zeros(w_shape, dtype)
    return xp.ascontiguousarray(total).reshape(w_shape)


def _flipped_weight(w, groups):
    """The weight of the stride-1 convolution that is this convolution's transpose:
    ``(C, O/groups, kh, kw)``, channels swapped within each group, kernel flipped."""
    O, Cg, kh, kw = w.shape
    Og = O // groups
    wf = w.reshape(groups, Og, Cg, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    return wf.reshape(groups * Cg, Og, kh, kw)  # a copy (the flip makes it non-contiguous)


def _transposed_geometry(geom: ConvGeometry) -> ConvGeometry:
    """For stride 1: the convolution of ``grad`` (y space) with the flipped weight that
    gives the input gradient (x space).  Negative padding means cropping."""
    top = geom.dh * (geom.kh - 1) - geom.pt
    left = geom.dw * (geom.kw - 1) - geom.pl
    bottom = geom.H + geom.dh * (geom.kh - 1) - geom.Ho - top
    right = geom.W + geom.dw * (geom.kw - 1) - geom.Wo - left
    return ConvGeometry(
        geom.kh,
        geom.kw,
        1,
        1,
        geom.dh,
        geom.dw,
        top,
        bottom,
        left,
        right,
        geom.groups,
        geom.Ho,
        geom.Wo,
        geom.H,
        geom.W,
    )


# -- chunking -------------------------------------------------------------------------------
#
# Work goes through the batch in chunks whose column matrix fits in the CPU's caches:
# im2col writes a chunk and the GEMM reads it back from cache instead of from memory,
# and no column matrix of the whole batch ever exists (forward ~1.5x faster, and the
# backward needs nothing saved but the input).  Scratch arrays are then a few MiB, which
# malloc reuses from chunk to chunk (a pool of reusable buffers measured no faster and
# kept hundreds of MiB).

CHUNK_BYTES = 4 << 20
"""Scratch bytes per batch chunk (read at each call; tests lower it to force many chunks)."""


def _batch_chunks(N, bytes_per_image, result_bytes=0):
    """``(n0, n1)`` ranges covering ``range(N)``, each about ``CHUNK_BYTES`` of columns,
    or as large as ``result_bytes`` (the weight gradient each chunk writes and the sum
    adds: a chunk's columns should outweigh it; measured 2x faster on 512-channel layers)."""
    threads = get_num_threads()
    step = max(1, max(CHUNK_BYTES, result_bytes) // max(bytes_per_image, 1))
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


def _cols_bytes(C, geom: ConvGeometry, itemsize):
    """Bytes of one image's column matrix."""
    return C * geom.kh * geom.kw * geom.Ho * plane_dims(geom)[1] * itemsize


# -- the tall layout, and weight gradients by kernel rows ---------------------------------
#
# For stride 1, a chunk's padded input goes channel-major and "tall": ``(C, n, Hq, Wq)``,
# the images one under another, each row followed by ``Wq - W`` zeros that serve as the
# right padding of that row and the left padding of the next, each image by ``Hq - H``
# zero rows that pad it below and the next one above (one shared gap, not two: a 3x3
# convolution of an 8x8 plane then computes 81 positions per 64 outputs, not 100).
# Output position ``m`` of that tall, wide grid reads, under tap ``(i, j)``, element
# ``m + i*dh*Wq + j*dw`` of each channel's run.  Junk rows and columns (where a window
# straddles a gap) are computed and dropped.  The forward by taps reads that layout as
# it stands (below).  The weight gradient uses one matrix ``R`` of the ``kw`` column
# shifts (``C*kw`` rows: 3x the input where im2col makes 9x), every kernel row ``i``
# a column-offset view of it: ``kh`` GEMMs of ``R`` against the gradient laid out as
# the output grid (measured as fast as im2col from 12 channels, 12% faster at 128; from
# 8 channels down im2col's one deeper GEMM wins, up to 2x at 1 and 3).


def _rows_dims(geom: ConvGeometry):
    """``(Hq, Wq)``: the rows per image and the columns per row of the tall layout: the
    plane and one shared gap, wide enough for both paddings and for every output."""
    gap_h = max(geom.pt, geom.pb, geom.pt + geom.pb - geom.dh * (geom.kh - 1))
    gap_w = max(geom.pl, geom.pr, geom.pl + geom.pr - geom.dw * (geom.kw - 1))
    return geom.H + gap_h, geom.W + gap_w


class TallLayout(NamedTuple):
    """Where a chunk of ``n`` images lives in the tall layout (stride 1: the shared-gap
    layout above; strided: one tall block per stride phase, see the taps below): channel
    ``c``'s run of ``ld`` elements from ``c*ld``; the output grid ``(n, Hq, Wq)`` of ``S``
    positions; tap ``t = i*kw + j`` reads (or, for the input gradient, writes) the
    ``(C, S)`` matrix at column ``offsets[t]`` of the runs."""

    Hq: int
    Wq: int
    S: int
    ld: int
    offsets: list


def _tall_layout(geom: ConvGeometry, n) -> TallLayout:
    taps = [divmod(t, geom.kw) for t in range(geom.kh * geom.kw)]
    if geom.sh == geom.sw == 1:
        Hq, Wq = _rows_dims(geom)
        S = n * Hq * Wq
        lead = geom.pt * Wq + geom.pl
        ld = lead + S + (geom.kh - 1) * geom.dh * Wq + (geom.kw - 1) * geom.dw
        return TallLayout(Hq, Wq, S, ld, [i * geom.dh * Wq + j * geom.dw for i, j in taps])
    Hq, Wq = plane_dims(geom)
    S = n * Hq * Wq
    reach = (geom.kh - 1) * geom.dh // geom.sh * Wq + (geom.kw - 1) * geom.dw // geom.sw
    offsets = []
    for i, j in taps:
        r0, a = divmod(i * geom.dh, geom.sh)
        c0, b = divmod(j * geom.dw, geom.sw)
        offsets.append((a * geom.sw + b) * S + r0 * Wq + c0)
    return TallLayout(Hq, Wq, S, geom.sh * geom.sw * S + reach, offsets)


def _tall_pairs(buf, geom: ConvGeometry, layout: TallLayout, xt, gather):
    """``(tall_view, input_view)`` pairs of the flat tall ``buf`` and ``xt (C, n, H, W)``
    (the chunk channel-first, ``x.transpose(1, 0, 2, 3)``): together they cover ``xt``
    once, each position next to its place in the tall layout."""
    C, n = xt.shape[:2]
    Hq, Wq, S, ld = layout.Hq, layout.Wq, layout.S, layout.ld
    if geom.sh == geom.sw == 1:
        lead = geom.pt * Wq + geom.pl
        yield buf.reshape(C, ld)[:, lead : lead + S].reshape(C, n, Hq, Wq)[:, :, : geom.H, : geom.W], xt
        return
    yield from _phase_pairs(xt, buf, (ld, Hq * Wq, geom.sw * S, S, Wq, 1), geom, Hq, Wq, gather)


def _to_tall(x, geom: ConvGeometry):
    """``(buf, layout)``: the chunk ``x (n, C, H, W)`` padded with zeros in the tall
    layout."""
    xp = array_module(x)
    n, C = x.shape[:2]
    layout = _tall_layout(geom, n)
    buf = xp.zeros((C * layout.ld,), x.dtype)
    for tall_view, input_view in _tall_pairs(buf, geom, layout, x.transpose(1, 0, 2, 3), gather=True):
        xp.copyto(tall_view, input_view)
    return buf, layout


def _from_tall(buf, geom: ConvGeometry, layout: TallLayout, out):
    """The inverse of ``_to_tall``: fills ``out (n, C, H, W)`` (padding dropped)."""
    for tall_view, output_view in _tall_pairs(buf, geom, layout, out.transpose(1, 0, 2, 3), gather=False):
        array_module(out).copyto(output_view, tall_view)
    return out


def _grid(gy, layout: TallLayout):
    """``gy (n, O, Ho, Wo)`` as the output grid ``(O, S)``, zero at the junk positions."""
    n, O, Ho, Wo = gy.shape
    G = array_module(gy).zeros((O, n, layout.Hq, layout.Wq), gy.dtype)
    G[:, :, :Ho, :Wo] = gy.transpose(1, 0, 2, 3)
    return G.reshape(O, layout.S)


def _row_shifts(x, geom: ConvGeometry):
    """``(R (C*kw, S + (kh-1)*dh*Wq), layout)`` for the chunk ``x (n, C, H, W)`` in the
    stride-1 tall layout, whose output grid has ``S = n*Hq*Wq`` positions."""
    xp = array_module(x)
    C = x.shape[1]
    buf, layout = _to_tall(x, geom)
    L = layout.S + (geom.kh - 1) * geom.dh * layout.Wq
    R = xp.empty((C, geom.kw, L), x.dtype)
    item = x.itemsize
    xp.copyto(R, _strided(buf, 0, (C, geom.kw, L), (layout.ld * item, geom.dw * item, item)))
    return R.reshape(C * geom.kw, L), layout


def _weight_grad_by_rows(x, gy, geom: ConvGeometry, w_shape):
    """The weight gradient of a stride-1 convolution without groups: per batch chunk
    (over the threads) and kernel row, the column shifts against ``gy``, summed."""
    xp = array_module(x, gy)
    N, C = x.shape[:2]
    total = _chunk_sum(
        xp,
        _batch_chunks(N, _rows_bytes(C, geom, x.itemsize), math.prod(w_shape) * x.itemsize),
        lambda n0, n1: _rows_weight_grad(x[n0:n1], gy[n0:n1], geom),
    )
    if total is None:  # an empty batch
        return xp.zeros(w_shape, x.dtype)
    O, Cg, kh, kw = w_shape  # (C*kw, kh*O) -> (O, C, kh, kw)
    return xp.ascontiguousarray(total.reshape(Cg, kw, kh, O).transpose(3, 0, 2, 1))


def _rows_bytes(C, geom: ConvGeometry, itemsize):
    """Bytes of ``R`` per image."""
    Hq, Wq = _rows_dims(geom)
    return C * geom.kw * Hq * Wq * itemsize


def _rows_weight_grad(x, gy, geom: ConvGeometry):
    """One chunk's weight gradient as ``(C*kw, kh*O)``, in one GEMM: the column shifts
    ``R`` against the gradient's output grid stacked once per kernel row at that row's
    offset (``T[i, o, m] = grid[o, m - i*dh*Wq]``, zero outside), so that
    ``(R @ T.T)[(c, j), (i, o)] = w.grad[o, c, i, j]``.  One wide product runs 4-22%
    faster than one per kernel row at 1 thread, even at 2 (measured on 16 to 128
    channels)."""
    xp = array_module(x)
    O = gy.shape[1]
    R, layout = _row_shifts(x, geom)
    G = _grid(gy, layout)
    S, L = layout.S, R.shape[1]
    T = xp.empty((geom.kh, O, L), gy.dtype)
    for i in range(geom.kh):
        off = i * geom.dh * layout.Wq
        T[i, :, :off] = 0
        T[i, :, off : off + S] = G
        T[i, :, off + S :] = 0
    return R @ T.reshape(geom.kh * O, L).T


# -- convolutions by taps ---------------------------------------------------------------------
#
# In the tall layout above, kernel tap ``(i, j)`` reads column offset ``i*dh*Wq + j*dw``
# of the one ``(C, S)`` matrix of the padded chunk: a BLAS operand as it stands (leading
# dimension: the channel's run).  So the forward is ``kh*kw`` GEMMs of depth ``C`` that
# BLAS sums into one output grid through its ``beta``, with no column matrix: the input
# is copied once (padding) where im2col copies it ``kh*kw`` times.  A strided
# convolution reads its input as stride phases (see the layout at the top), each phase
# tall in the same way, ``(C, sh, sw, n, Hq, Wq)``: tap ``(i, j)`` is then a column
# offset into one phase.  It needs BLAS's own ``gemm`` (``_blas.py``); without it the
# forward is the gradient strategy's.


def _taps_forward(lib, x, w_taps, geom: ConvGeometry, out, bias):
    """``out (n, O, Ho, Wo) = conv(x) + bias`` for one chunk; ``w_taps`` is the flat
    ``(kh, kw, O, C)`` weight."""
    n, C = x.shape[:2]
    O = out.shape[1]
    buf, layout = _to_tall(x, geom)
    S = layout.S
    acc = np.empty((O, S), x.dtype)
    flat = acc.reshape(-1)
    for t, offset in enumerate(layout.offsets):
        lib.gemm((w_taps, t * O * C, C), (buf, offset, layout.ld), (flat, 0, S), O, S, C, beta=float(t > 0))
    _wide_to_nchw(acc.reshape(O, n, layout.Hq, layout.Wq), out, bias)


def _taps_input_grad(lib, gy, w_taps_t, geom: ConvGeometry, out):
    """``out (n, C, H, W) =`` the input gradient of one chunk: each tap's ``w^T @ grid``
    added by BLAS (``beta = 1``) into the tall layout where that tap reads, then taken
    out of it; ``w_taps_t`` is the flat ``(kh, kw, C, O)`` weight."""
    n, C = out.shape[:2]
    O = gy.shape[1]
    layout = _tall_layout(geom, n)
    G = _grid(gy, layout).reshape(-1)
    buf = np.zeros((C * layout.ld,), gy.dtype)
    for t, offset in enumerate(layout.offsets):
        lib.gemm((w_taps_t, t * C * O, O), (G, 0, layout.S), (buf, offset, layout.ld), C, layout.S, O, beta=1.0)
    _from_tall(buf, geom, layout, out)


class Taps:
    """No groups, 8 to 256 input channels: the forward by taps (see above), the input
    gradient by taps added into the tall layout (or, where ``rest`` says so, as a flipped
    convolution), at stride 1 the weight gradient by kernel rows from
    ``ROWS_MIN_CHANNELS`` channels; everything else, and whatever BLAS can't take, is
    ``rest``'s (an ``Im2col``)."""

    def __init__(self, geom: ConvGeometry, rest, in_channels):
        self.geom = geom
        self.rest = rest
        self.rows_weight_grad = in_channels >= ROWS_MIN_CHANNELS and geom.sh == geom.sw == 1

    def forward(self, x, w, bias):
        """Per batch chunk, ``kh*kw`` accumulating GEMMs over the padded chunk."""
        lib = blas()
        if type(x) is not np.ndarray or type(w) is not np.ndarray or not lib.has_gemm(x.dtype):
            return self.rest.forward(x, w, bias)
        geom = self.geom
        N, C = x.shape[:2]
        O = w.shape[0]
        out = np.empty((N, O, geom.Ho, geom.Wo), x.dtype)
        w_taps = np.ascontiguousarray(w.transpose(2, 3, 0, 1)).reshape(-1)

        def work(chunks):
            for n0, n1 in chunks:
                _taps_forward(lib, x[n0:n1], w_taps, geom, out[n0:n1], bias)

        parallel_for(_batch_chunks(N, self._bytes_per_image(C, O, x.itemsize)), work)
        return out

    def _bytes_per_image(self, C, O, itemsize):
        """Scratch per image: the tall input and the output grid."""
        layout = _tall_layout(self.geom, 1)
        return (C * self.geom.sh * self.geom.sw + O) * layout.Hq * layout.Wq * itemsize

    def input_grad(self, gy, w, x_shape, bias=None):
        """By the flipped convolution where ``rest`` makes it so (stride 1, no more
        output than input channels), else by taps added into the tall layout."""
        lib = blas()
        usable = type(gy) is np.ndarray and type(w) is np.ndarray and lib.has_gemm(gy.dtype)
        if self.rest.input_grad_by_conv or not usable:
            return self.rest.input_grad(gy, w, x_shape, bias)
        N, C = x_shape[:2]
        O = w.shape[0]
        out = np.empty(x_shape, gy.dtype)
        w_taps_t = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1)

        def work(chunks):
            for n0, n1 in chunks:
                _taps_input_grad(lib, gy[n0:n1], w_taps_t, self.geom, out[n0:n1])

        parallel_for(_batch_chunks(N, self._bytes_per_image(C, O, gy.itemsize)), work)
        if bias is not None:
            out += bias.reshape(C, 1, 1)
        return out

    def weight_grad(self, x, gy, w_shape):
        if self.rows_weight_grad:
            return _weight_grad_by_rows(x, gy, self.geom, w_shape)
        return self.rest.weight_grad(x, gy, w_shape)

    def input_and_weight_grad(self, x, gy, w):
        return self.input_grad(gy, w, x.shape), self.weight_grad(x, gy, w.shape)


# -- strategies -----------------------------------------------------------------------------


class Im2col:
    """The general path: per batch chunk, a column matrix and one GEMM (one batched
    matmul over groups).  The input gradient is col2im, or, where ``input_grad_by_conv``
    (stride 1 into at least as many channels as the output has), a stride-1 convolution
    of the gradient with the flipped weight (no larger column matrix, no adds back)."""

    def __init__(self, geom: ConvGeometry, input_grad_by_conv: bool):
        self.geom = geom
        self.input_grad_by_conv = input_grad_by_conv

    def forward(self, x, w, bias):
        """``conv2d(x, w) + bias`` as a new ``(N, O, Ho, Wo)`` array."""
        geom = self.geom
        xp = array_module(x, w)
        N, C = x.shape[:2]
        out = xp.empty((N, w.shape[0], geom.Ho, geom.Wo), x.dtype)
        Wq = plane_dims(geom)[1]

        def work(chunks):
            for n0, n1 in chunks:
                y = _gemm_weight_cols(w, _im2col(x[n0:n1], geom), geom.groups)
                _wide_to_nchw(y.reshape(-1, n1 - n0, geom.Ho, Wq), out[n0:n1], bias)

        _for_chunks(xp, _batch_chunks(N, _cols_bytes(C, geom, x.itemsize)), work)
        return out

    def input_grad(self, gy, w, x_shape, bias=None):
        """The transposed convolution of ``gy`` with ``w``, of shape ``x_shape``, plus
        ``bias`` per channel when given."""
        geom = self.geom
        xp = array_module(gy, w)
        N, C = x_shape[0], x_shape[1]
        if self.input_grad_by_conv:
            flipped = strategy_for(_transposed_geometry(geom), w.shape[0], C)
            return flipped.forward(gy, _flipped_weight(w, geom.groups), bias)
        Wq = plane_dims(geom)[1]
        out = xp.empty(x_shape, gy.dtype)

        def work(chunks):
            for n0, n1 in chunks:
                _col2im_into(w, _wide_grad(gy[n0:n1], Wq), geom, out[n0:n1])

        _for_chunks(xp, _batch_chunks(N, _cols_bytes(C, geom, gy.itemsize)), work)
        if bias is not None:
            out += bias.reshape(C, 1, 1)
        return out

    def weight_grad(self, x, gy, w_shape):
        """The gradient with respect to a weight of shape ``w_shape``: per chunk, the
        column matrix against ``gy`` as ``(O, n*Ho*Wq)``, summed."""
        geom = self.geom
        xp = array_module(x, gy)
        N, C = x.shape[:2]
        Wq = plane_dims(geom)[1]
        total = _chunk_sum(
            xp,
            _batch_chunks(N, _cols_bytes(C, geom, x.itemsize), math.prod(w_shape) * x.itemsize),
            lambda n0, n1: _weight_grad_part(_im2col(x[n0:n1], geom), _wide_grad(gy[n0:n1], Wq), geom.groups, w_shape),
        )
        return _weight_grad_total(total, w_shape, x.dtype, xp)

    def input_and_weight_grad(self, x, gy, w):
        """``(input_grad, weight_grad)``; with col2im, in one pass over the batch chunks,
        each chunk's wide gradient shared by both."""
        if self.input_grad_by_conv:
            return self.input_grad(gy, w, x.shape), self.weight_grad(x, gy, w.shape)
        geom = self.geom
        xp = array_module(x, gy, w)
        N, C = x.shape[:2]
        Wq = plane_dims(geom)[1]
        gx = xp.empty(x.shape, x.dtype)

        def part(n0, n1):  # writes the chunk's input gradient, returns its weight gradient
            gy_wide = _wide_grad(gy[n0:n1], Wq)
            _col2im_into(w, gy_wide, geom, gx[n0:n1])
            return _weight_grad_part(_im2col(x[n0:n1], geom), gy_wide, geom.groups, w.shape)

        total = _chunk_sum(xp, _batch_chunks(N, _cols_bytes(C, geom, x.itemsize), w.nbytes), part)
        return gx, _weight_grad_total(total, w.shape, x.dtype, xp)


def _image_cols(x, geom: ConvGeometry):
    """Per image, the column matrix ``(N, C*kh*kw, Ho*Wo)`` of ``x (N, C, H, W)``: image
    ``n``'s at ``[n]``, exactly ``Ho*Wo`` columns (no wide junk).  One strided copy at
    stride 1, one per tap otherwise."""
    xp = array_module(x)
    N, C = x.shape[:2]
    Hq, Wq = plane_dims(geom)
    buf = to_phases(x, geom)
    item = buf.itemsize
    block = geom.sh * geom.sw * Hq * Wq
    cols = xp.empty((N, C, geom.kh, geom.kw, geom.Ho, geom.Wo), x.dtype)
    plane = (geom.Ho, geom.Wo)
    plane_strides = (Wq * item, item)
    if geom.sh == 1 and geom.sw == 1:
        strides = (C * block * item, block * item, geom.dh * Wq * item, geom.dw * item) + plane_strides
        xp.copyto(cols, _strided(buf, 0, cols.shape, strides))
    else:
        for i in range(geom.kh):
            for j in range(geom.kw):
                view = _strided(
                    buf, _tap(geom, i, j, Hq, Wq), (N, C) + plane, (C * block * item, block * item) + plane_strides
                )
                xp.copyto(cols[:, :, i, j], view)
    return cols.reshape(N, C * geom.kh * geom.kw, geom.Ho * geom.Wo)


class FewChannels(Im2col):
    """Fewer than ``TAPS_MIN_CHANNELS`` input channels, no groups (input stems, most
    conv1d layers): im2col per image, so that the forward's GEMMs write the
    ``(N, O, Ho, Wo)`` output where it goes and the weight gradient reads the gradient as
    it is, where the shared column matrix of ``Im2col`` needs both transposed (most of the
    work when the output has several times the input's channels).  Measured against
    ``Im2col`` (1 and 2 threads): forward 1.1-2.7x and weight gradient 1.1-4.2x faster on
    1- to 4-channel layers from 8x8 to 32x32 planes and conv1d lengths 16-64; on 4x4
    planes equal to 8% slower; a 7x7 stride-2 224x224 stem equal forward, weight
    gradient 7-11% slower.  The input gradient is ``Im2col``'s."""

    def _chunks(self, N, C, itemsize, result_bytes=0):
        geom = self.geom
        return _batch_chunks(N, C * geom.kh * geom.kw * geom.Ho * geom.Wo * itemsize, result_bytes)

    def forward(self, x, w, bias):
        geom = self.geom
        xp = array_module(x, w)
        N, C = x.shape[:2]
        O = w.shape[0]
        w2 = w.reshape(O, -1)
        out = xp.empty((N, O, geom.Ho, geom.Wo), x.dtype)

        def work(chunks):
            for n0, n1 in chunks:
                xp.matmul(w2, _image_cols(x[n0:n1], geom), out=out[n0:n1].reshape(n1 - n0, O, -1))

        _for_chunks(xp, self._chunks(N, C, x.itemsize), work)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    def weight_grad(self, x, gy, w_shape):
        geom = self.geom
        xp = array_module(x, gy)
        N, C = x.shape[:2]
        O = w_shape[0]

        def part(n0, n1):
            gy3 = gy[n0:n1].reshape(n1 - n0, O, -1)
            return xp.matmul(gy3, _image_cols(x[n0:n1], geom).transpose(0, 2, 1)).sum(axis=0)

        total = _chunk_sum(xp, self._chunks(N, C, x.itemsize, math.prod(w_shape) * x.itemsize), part)
        return xp.zeros(w_shape, x.dtype) if total is None else total.reshape(w_shape)

    def input_and_weight_grad(self, x, gy, w):
        return self.input_grad(gy, w, x.shape), self.weight_grad(x, gy, w.shape)


class Pointwise:
    """A 1x1 convolution without padding or groups: a matmul over channels, per batch
    chunk (the chunk's input sampled at the stride first, inside the thread that uses
    it).  Measured on ResNet-18's stride-2 shortcuts (2 threads): forward, input and
    weight gradient 10-25% faster than one threaded matmul over the whole sampled batch
    (and a tensordot for the weight gradient)."""

    def __init__(self, geom: ConvGeometry):
        self.geom = geom

    def _sampled(self, x):
        """``x (n, C, H, W)`` at the positions the kernel reads, as a view ``(n, C, Ho, Wo)``."""
        geom = self.geom
        return x[:, :, : (geom.Ho - 1) * geom.sh + 1 : geom.sh, : (geom.Wo - 1) * geom.sw + 1 : geom.sw]

    def _chunks(self, N, C, O, itemsize, result_bytes=0):
        return _batch_chunks(N, (C + O) * self.geom.Ho * self.geom.Wo * itemsize, result_bytes)

    def forward(self, x, w, bias):
        """``w (O, C) @ x`` sampled, per image, plus ``bias``."""
        geom = self.geom
        xp = array_module(x, w)
        N, C = x.shape[:2]
        O = w.shape[0]
        P = geom.Ho * geom.Wo
        w2 = w.reshape(O, C)
        out = xp.empty((N, O, geom.Ho, geom.Wo), x.dtype)

        def work(chunks):
            for n0, n1 in chunks:
                xs = xp.ascontiguousarray(self._sampled(x[n0:n1])).reshape(n1 - n0, C, P)
                xp.matmul(w2, xs, out=out[n0:n1].reshape(n1 - n0, O, P))

        _for_chunks(xp, self._chunks(N, C, O, x.itemsize), work)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    def input_grad(self, gy, w, x_shape, bias=None):
        """``w.T @ gy`` per image, spread back to the sampled positions (zeros between)."""
        geom = self.geom
        xp = array_module(gy, w)
        N, C = x_shape[:2]
        O = w.shape[0]
        wt = w.reshape(O, C).T
        gy3 = gy.reshape(N, O, geom.Ho * geom.Wo)
        gx = xp.empty(x_shape, gy.dtype)
        sampled_everywhere = (geom.Ho, geom.Wo, geom.sh, geom.sw) == (geom.H, geom.W, 1, 1)

        def work(chunks):
            for n0, n1 in chunks:
                if sampled_everywhere:
                    xp.matmul(wt, gy3[n0:n1], out=gx[n0:n1].reshape(n1 - n0, C, -1))
                else:
                    part = xp.matmul(wt, gy3[n0:n1])
                    gx[n0:n1] = 0
                    self._sampled(gx[n0:n1])[...] = part.reshape(n1 - n0, C, geom.Ho, geom.Wo)

        _for_chunks(xp, self._chunks(N, C, O, gy.itemsize), work)
        if bias is not None:
            gx += bias.reshape(C, 1, 1)
        return gx

    def weight_grad(self, x, gy, w_shape):
        """Per chunk, one product of depth ``n*Ho*Wo``: the gradient and the sampled input
        each copied channel-major, ``(O, n*P) @ (C, n*P).T`` (one GEMM per chunk ran
        8-19% faster than one per image)."""
        geom = self.geom
        xp = array_module(x, gy)
        N, C = x.shape[:2]
        O = w_shape[0]

        def part(n0, n1):
            n = n1 - n0
            xs = xp.empty((C, n, geom.Ho, geom.Wo), x.dtype)
            xs[...] = self._sampled(x[n0:n1]).transpose(1, 0, 2, 3)
            g = xp.empty((O, n, geom.Ho, geom.Wo), gy.dtype)
            g[...] = gy[n0:n1].transpose(1, 0, 2, 3)
            return g.reshape(O, -1) @ xs.reshape(C, -1).T

        total = _chunk_sum(xp, self._chunks(N, C, O, x.itemsize, O * C * x.itemsize), part)
        return xp.zeros(w_shape, x.dtype) if total is None else total.reshape(w_shape)

    def input_and_weight_grad(self, x, gy, w):
        """``(input_grad, weight_grad)``: two matmuls, nothing to share."""
        return self.input_grad(gy, w, x.shape), self.weight_grad(x, gy, w.shape)


def _is_pointwise(geom: ConvGeometry):
    return geom.kh == 1 and geom.kw == 1 and geom.groups == 1 and geom.pt == geom.pb == geom.pl == geom.pr == 0


def _input_grad_by_conv(geom: ConvGeometry, in_channels, out_channels):
    """Whether the input gradient is best a stride-1 convolution of the padded gradient
    with the flipped weight rather than col2im (by taps, or im2col's), for no more output
    than input channels and up to depth ``BY_CONV_MAX_DEPTH``.  Measured on 3x3 layers
    with O = C (2 threads): at 64 channels the flipped convolution 8% faster than col2im
    by taps (64% than im2col's), at 128 within 5%, at 256 col2im by taps 20% faster, at
    512 im2col's col2im 20% faster."""
    return (
        geom.sh == 1
        and geom.sw == 1
        and out_channels <= in_channels
        and in_channels * geom.kh * geom.kw <= BY_CONV_MAX_DEPTH
    )


def _fits_taps(geom: ConvGeometry, in_channels):
    """Stride 1, no groups, no cropping, the taps' GEMMs (depth ``C``) deep enough to pay
    for their number, and im2col's (depth ``C*kh*kw``) shallow enough to lose to them.
    Measured on 3x3 layers (batch 32-128, 1 and 2 threads): taps 5-60% faster than
    im2col from 8 to 128 channels, even at 256 (where their input gradient is 15% faster),
    im2col faster at 1 and 3 channels and by 20-30% at 512 (a 4x4 plane wastes the most
    on padding); strided, taps up to 128 channels."""
    return (
        geom.groups == 1
        and TAPS_MIN_CHANNELS <= in_channels
        and in_channels * geom.kh * geom.kw <= (TAPS_MAX_DEPTH if geom.sh == geom.sw == 1 else TAPS_MAX_DEPTH_STRIDED)
        and min(geom.pt, geom.pb, geom.pl, geom.pr) >= 0
    )


TAPS_MIN_CHANNELS = 8
TAPS_MAX_DEPTH = 2304
TAPS_MAX_DEPTH_STRIDED = 1152  # a 256-channel stride-2 layer ran 30-45% slower by taps
BY_CONV_MAX_DEPTH = 1152
ROWS_MIN_CHANNELS = 12


def strategy_for(geom: ConvGeometry, in_channels, out_channels):
    """The kernels of the convolution ``geom`` from ``in_channels`` to ``out_channels``
    (forward, input and weight gradients): the one place they are chosen."""
    if _is_pointwise(geom):
        return Pointwise(geom)
    by_conv = _input_grad_by_conv(geom, in_channels, out_channels)
    if in_channels < TAPS_MIN_CHANNELS and geom.groups == 1:
        return FewChannels(geom, by_conv)
    rest = Im2col(geom, by_conv)
    return Taps(geom, rest, in_channels) if _fits_taps(geom, in_channels) else rest
