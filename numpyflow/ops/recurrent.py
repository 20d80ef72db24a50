"""The time loop of a recurrent layer (RNN, LSTM, GRU) as one op.

The input projection of every time step (``x W_ih^T + b_ih``) is one GEMM computed
before this op; what is left is the recurrence.  Each step is one GEMM against the hidden
state and one fused pass over the gates, in place in preallocated arrays, and the
backward through time is written by hand: per step the gate gradients and one GEMM back
to the previous hidden state; the weight gradient is one GEMM over all steps at the end.

Sequences are laid out as packed sequences are: step ``t`` holds the first
``batch_sizes[t]`` rows of the batch (non-increasing), stacked in time order, so a padded
batch ``(T, B, *)`` is the same layout with every size ``B``.  A reverse direction walks
the steps from the last, so a shorter sequence starts late from its initial state.

Gates are stacked in PyTorch's order: LSTM ``i, f, g, o``, GRU ``r, z, n``.  The double
backward differentiates the same recurrence written with differentiable ops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autograd.composed import backward_of_backward
from ..autograd.function import Function
from ..backend import array_module
from ..parallel import get_num_threads, parallel_for
from ..parallel import matmul as _matmul
from .elementwise import relu, sigmoid, tanh
from .linalg import matmul
from .shape import cat

__all__: list[str] = []

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class Scan(NamedTuple):
    """What a scan runs: the cell (one of ``MODES``), the rows of each time step, and
    whether it walks the steps from the last."""

    mode: str
    batch_sizes: tuple
    reverse: bool = False

    def steps(self):
        """``(t, rows)`` in the order the forward walks them."""
        offsets = np.concatenate([[0], np.cumsum(self.batch_sizes)]).tolist()
        order = range(len(self.batch_sizes) - 1, -1, -1) if self.reverse else range(len(self.batch_sizes))
        return [(t, slice(offsets[t], offsets[t + 1])) for t in order]


# The gates of a step activated together, in their order: s sigmoid, t tanh (a GRU's
# candidate gate n comes later, from the reset gate).
_ACTIVATED = {"LSTM": "ssts", "GRU": "ss"}


def _gate_affine(mode, hidden, dtype):
    """``(scale, offset)`` with ``scale * tanh(scale * x) + offset`` every gate's
    activation: ``sigmoid(x) = tanh(x / 2) / 2 + 1 / 2`` and ``tanh(x) = 1 tanh(x) + 0``, so
    that the gates of a step take one pass of each kind over contiguous memory."""
    kinds = _ACTIVATED[mode]
    scale = np.repeat([0.5 if k == "s" else 1.0 for k in kinds], hidden).astype(dtype)
    offset = np.repeat([0.5 if k == "s" else 0.0 for k in kinds], hidden).astype(dtype)
    return scale, offset


def _activation_slope(a, squared_scale, offset):
    """The derivative of each gate's activation from its value ``a``: ``scale^2 - (a -
    offset)^2`` (``s (1 - s)`` for a sigmoid, ``1 - t^2`` for tanh)."""
    slope = a - offset
    slope *= slope
    np.subtract(squared_scale, slope, out=slope)
    return slope


def _activate(a, scale, offset):
    a *= scale
    np.tanh(a, out=a)
    a *= scale
    a += offset


def _row_steps(scan, r0, r1):
    """``(rows, state)`` for each step the batch rows ``[r0, r1)`` take part in, in the
    order the forward walks them: their rows in the flat layout and in the state."""
    out = []
    for _t, rows in scan.steps():
        size = min(rows.stop - rows.start, r1) - r0
        if size > 0:
            out.append((slice(rows.start + r0, rows.start + r0 + size), slice(r0, r0 + size)))
    return out


def _by_batch_rows(scan, flops, body):
    """``body(r0, r1)`` over groups of batch rows: the recurrences of different rows are
    independent, so the groups run on the threads without meeting between time steps."""
    batch = scan.batch_sizes[0] if scan.batch_sizes else 0
    if flops < _MIN_PARALLEL_FLOPS or get_num_threads() == 1 or batch < 2 * get_num_threads():
        body(0, batch)
    else:
        parallel_for(range(batch), lambda r: body(r.start, r.stop))


# Below this many multiply-adds in a scan's step GEMMs, one thread runs it all.
_MIN_PARALLEL_FLOPS = 1 << 23


def _step_biases(mode, hidden, b, b_i):
    """``(bias, n_bias)``: what each step adds to ``h W_hh^T`` (``b_hh``, and ``b_ih``
    too where it adds to the same gates: all but a GRU's candidate gate, whose input bias is
    ``n_bias``)."""
    if b_i is None:
        return b, None
    if mode != "GRU":
        return (b_i if b is None else b + b_i), None
    bias = b_i.copy() if b is None else b.copy()
    if b is not None:
        bias[: 2 * hidden] += b_i[: 2 * hidden]
    else:
        bias[2 * hidden :] = 0
    return bias, b_i[2 * hidden :]


def _forward(scan, gi, h0, c0, w, b, w_r, b_i):
    """``(out, h_n, c_n, saved)``: every step's output ``(N, P)``, the final states and
    what the backward needs."""
    xp = array_module(gi)
    mode = scan.mode
    n, hidden = gi.shape[0], w.shape[0] // GATES[mode]
    h = h0.copy()
    out = xp.empty((n, h0.shape[1]), dtype=gi.dtype)
    acts = xp.empty((n, w.shape[0]), dtype=gi.dtype)  # the gates after their activation
    h_prev = xp.empty_like(out)
    c = c_prev = tanh_c = h_n_gate = None
    if mode == "LSTM":
        c = c0.copy()
        c_prev = xp.empty((n, hidden), dtype=gi.dtype)
        tanh_c = xp.empty_like(c_prev)
    elif mode == "GRU":
        h_n_gate = xp.empty((n, hidden), dtype=gi.dtype)
    wt = xp.ascontiguousarray(w.T)  # numpy copies a transposed operand on every product
    if mode in _ACTIVATED:
        scale, offset = (xp.asarray(v) for v in _gate_affine(mode, hidden, gi.dtype))
    w_rt = None if w_r is None else xp.ascontiguousarray(w_r.T)
    b, n_bias = _step_biases(mode, hidden, b, b_i)

    def rows_forward(r0, r1):
        for rows, state in _row_steps(scan, r0, r1):
            hp = h[state]
            h_prev[rows] = hp
            a = acts[rows]
            xp.matmul(hp, wt, out=a)
            if b is not None:
                a += b
            if mode == "GRU":
                h_n_gate[rows] = a[:, 2 * hidden :]
                a[:, : 2 * hidden] += gi[rows, : 2 * hidden]
                _activate(a[:, : 2 * hidden], scale, offset)
                n_gate = a[:, 2 * hidden :]
                n_gate *= a[:, :hidden]
                n_gate += gi[rows, 2 * hidden :]
                if n_bias is not None:
                    n_gate += n_bias
                xp.tanh(n_gate, out=n_gate)
                new = out[rows]
                xp.subtract(hp, n_gate, out=new)
                new *= a[:, hidden : 2 * hidden]
                new += n_gate
                h[state] = new
                continue
            a += gi[rows]
            if mode == "LSTM":
                _activate(a, scale, offset)
                cp = c[state]
                c_prev[rows] = cp
                cp *= a[:, hidden : 2 * hidden]
                cp += a[:, :hidden] * a[:, 2 * hidden : 3 * hidden]
                tc = tanh_c[rows]
                xp.tanh(cp, out=tc)
                if w_r is None:
                    xp.multiply(a[:, 3 * hidden :], tc, out=out[rows])
                else:
                    xp.matmul(a[:, 3 * hidden :] * tc, w_rt, out=out[rows])
            elif mode == "RNN_TANH":
                xp.tanh(a, out=out[rows])
            else:
                xp.maximum(a, 0, out=out[rows])
            h[state] = out[rows]

    _by_batch_rows(scan, n * w.size, rows_forward)
    saved = (acts, h_prev, c_prev, tanh_c, h_n_gate, out)
    return out, h, c, saved


def _backward(scan, saved, d_out, d_hn, d_cn, w, w_r, needs):
    """``(d_gi, d_h0, d_c0, d_w, d_b, d_w_r, d_b_i)``, each None where ``needs`` says no."""
    xp = array_module(d_out)
    mode = scan.mode
    acts, h_prev, c_prev, tanh_c, h_n_gate, out = saved
    hidden = w.shape[0] // GATES[mode]
    d_gates = xp.empty_like(acts)  # the pre-activation gradient of h W_hh^T + b_hh
    d_gi = d_gates if mode != "GRU" else xp.empty_like(acts)
    dh = d_hn.copy()
    dc = d_cn.copy() if mode == "LSTM" else None
    d_h_all = xp.empty_like(out) if w_r is not None else None
    if mode == "LSTM":
        scale, offset = (xp.asarray(v) for v in _gate_affine(mode, hidden, acts.dtype))
        squared_scale = scale * scale

    def rows_backward(r0, r1):
        for rows, state in reversed(_row_steps(scan, r0, r1)):
            g = dh[state] + d_out[rows]
            a = acts[rows]
            dg = d_gates[rows]
            if mode == "LSTM":
                if w_r is not None:
                    d_h_all[rows] = g
                    g = g @ w_r
                i, f, gg, o = (a[:, k * hidden : (k + 1) * hidden] for k in range(4))
                tc = tanh_c[rows]
                dct = dc[state]
                dct += g * o * (1 - tc * tc)
                xp.multiply(dct, gg, out=dg[:, :hidden])
                xp.multiply(dct, c_prev[rows], out=dg[:, hidden : 2 * hidden])
                xp.multiply(dct, i, out=dg[:, 2 * hidden : 3 * hidden])
                xp.multiply(g, tc, out=dg[:, 3 * hidden :])
                dg *= _activation_slope(a, squared_scale, offset)
                dct *= f
            elif mode == "GRU":
                r, z, n = (a[:, k * hidden : (k + 1) * hidden] for k in range(3))
                di = d_gi[rows]
                dn = xp.multiply(g * (1 - z), 1 - n * n, out=di[:, 2 * hidden :])
                xp.multiply(g * (h_prev[rows] - n), z * (1 - z), out=di[:, hidden : 2 * hidden])
                xp.multiply(dn * h_n_gate[rows], r * (1 - r), out=di[:, :hidden])
                dg[:, : 2 * hidden] = di[:, : 2 * hidden]
                xp.multiply(dn, r, out=dg[:, 2 * hidden :])
                g = g * z
            elif mode == "RNN_TANH":
                o = out[rows]
                xp.multiply(g, 1 - o * o, out=dg)
            else:
                xp.multiply(g, out[rows] > 0, out=dg)
            back = dg @ w
            if mode == "GRU":
                back += g
            dh[state] = back

    _by_batch_rows(scan, out.shape[0] * w.size, rows_backward)
    d_w = _matmul(d_gates.T, h_prev) if needs[3] else None
    d_b = d_gates.sum(0) if needs[4] else None
    d_w_r = None
    if w_r is not None and needs[5]:
        d_w_r = _matmul(d_h_all.T, acts[:, 3 * hidden :] * tanh_c)
    d_b_i = None
    if needs[6]:
        d_b_i = d_b if d_b is not None and mode != "GRU" else d_gi.sum(0)
    return (d_gi if needs[0] else None, dh if needs[1] else None, dc if needs[2] else None, d_w, d_b, d_w_r, d_b_i)


def composed_scan(scan, gi, h0, c0, w, b, w_r, b_i):
    """The scan written with differentiable ops, one step at a time: ``(out, h_n, c_n)``.
    The double backward differentiates it; the tests hold the fused op to it."""
    if b_i is not None:
        gi = gi + b_i
    h, c = h0, c0
    outs = [None] * len(scan.batch_sizes)
    hidden = w.shape[0] // GATES[scan.mode]
    for t, rows in scan.steps():
        size = rows.stop - rows.start
        x, hp = gi[rows], h[:size]
        gh = matmul(hp, w.t())
        if b is not None:
            gh = gh + b
        if scan.mode == "LSTM":
            i, f, g, o = (x + gh).chunk(4, 1)
            cn = sigmoid(f) * c[:size] + sigmoid(i) * tanh(g)
            new = sigmoid(o) * tanh(cn)
            if w_r is not None:
                new = matmul(new, w_r.t())
            c = cn if size == c.shape[0] else cat([cn, c[size:]])
        elif scan.mode == "GRU":
            r = sigmoid(x[:, :hidden] + gh[:, :hidden])
            z = sigmoid(x[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
            n = tanh(x[:, 2 * hidden :] + r * gh[:, 2 * hidden :])
            new = n + z * (hp - n)
        else:
            new = tanh(x + gh) if scan.mode == "RNN_TANH" else relu(x + gh)
        h = new if size == h.shape[0] else cat([new, h[size:]])
        outs[t] = new
    return cat(outs), h, c


class RecurrentScan(Function):
    """``(out, h_n, c_n) = scan(gi, h0, c0, W_hh, b_hh, W_hr, b_ih)``: see the module
    docstring; ``gi`` is ``x W_ih^T`` of every step, ``b_ih`` added here (where a step adds
    ``b_hh`` anyway, so it costs nothing); ``c0``/``c_n`` are None except for LSTM,
    ``W_hr`` except for a projected LSTM."""

    @staticmethod
    def forward(ctx, gi, h0, c0, w, b, w_r, b_i, scan):
        out, h_n, c_n, saved = _forward(scan, gi, h0, c0, w, b, w_r, b_i)
        ctx.scan = scan
        ctx.save_for_backward(gi, h0, c0, w, b, w_r, b_i, saved)
        return out, h_n, c_n

    @staticmethod
    def backward(ctx, d_out, d_hn, d_cn):
        *inputs, saved = ctx.saved_tensors
        needs = ctx.needs_input_grad[:7]
        grads = RecurrentScanBackward.apply(d_out, d_hn, d_cn, *inputs, ctx.scan, saved, needs)
        return (*grads, None)


class RecurrentScanBackward(Function):
    """The gradients of :class:`RecurrentScan` for its outputs' gradients; its own
    gradient differentiates :func:`composed_scan`."""

    @staticmethod
    def forward(ctx, d_out, d_hn, d_cn, gi, h0, c0, w, b, w_r, b_i, scan, saved, needs):
        ctx.scan = scan
        ctx.save_for_backward(d_out, d_hn, d_cn, gi, h0, c0, w, b, w_r, b_i)
        xp = array_module(d_out)
        if d_cn is None and c0 is not None:
            d_cn = xp.zeros_like(c0)
        return _backward(scan, saved, d_out, d_hn, d_cn, w, w_r, needs)

    @staticmethod
    def backward(ctx, *grads):
        d_out, d_hn, d_cn, *primals = ctx.saved_tensors
        scan = ctx.scan
        result = backward_of_backward(lambda *p: composed_scan(scan, *p), primals, (d_out, d_hn, d_cn), grads)
        primal, cotangent = result[:7], result[7:]
        return (*cotangent, *primal, None, None, None)
