"""Separable linear resampling: the index machinery behind ``interpolate``, the
non-constant ``pad`` modes and ``embedding``.

Interpolation and the non-constant paddings are linear maps that act on one axis at a
time: along each axis an output position ``k`` reads input positions ``idx[k]``
(nearest, reflect, replicate, circular) or ``w0[k] * x[i0[k]] + w1[k] * x[i1[k]]``
(linear).  A plan is a list of ``AxisPlan`` (one per axis), each a sum of ``TakePlan``
taps.  One ``Resample`` Function applies a plan; its backward is the adjoint plan (sums
of the gradient grouped by source index, with ``ufunc.reduceat`` on sorted indices: no
Python loops, no ``add.at``), and the adjoint's backward is the plan again, so
derivatives of every order are exact.

The module is private to ``numpyflow.ops``: its names are public so the op modules that
build plans (interpolation, padding, embedding) can share them.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, scatter_add


class TakePlan:
    """``take(x, idx, axis)`` and its adjoint, with the grouping work done once.

    The adjoint sums the gradient over the output positions that read the same source.
    After sorting (when ``idx`` is not already sorted) those positions are runs; with
    short runs (interpolation, padding) it adds the r-th element of every run in one
    vectorised step per r, else it uses ``add.reduceat``.
    """

    __slots__ = ("idx", "size", "order", "starts", "targets", "full", "extra")

    _MAX_PASSES = 8

    def __init__(self, idx, size):
        idx = np.asarray(idx, dtype=np.int64)
        self.idx = idx
        self.size = size
        if idx.size and np.any(idx[1:] < idx[:-1]):
            self.order = np.argsort(idx, kind="stable")
            srt = idx[self.order]
        else:
            self.order = None
            srt = idx
        if srt.size:
            first = np.empty(srt.shape, bool)
            first[0] = True
            np.not_equal(srt[1:], srt[:-1], out=first[1:])
            self.starts = np.flatnonzero(first)
            self.targets = srt[self.starts]
        else:
            self.starts = self.targets = np.zeros(0, np.int64)
        # every input position is read, in order: the run sums are the result as they are
        self.full = self.targets.size == size
        counts = np.diff(np.append(self.starts, srt.size))
        longest = int(counts.max()) if counts.size else 0
        self.extra = None  # None: use reduceat
        if longest <= self._MAX_PASSES:
            # for r = 1, 2, ...: (runs longer than r as positions into targets, or None
            # for all of them; where their r-th elements are)
            self.extra = []
            for r in range(1, longest):
                runs = np.flatnonzero(counts > r)
                self.extra.append((None if runs.size == counts.size else runs, self.starts[runs] + r))

    def take(self, x, axis):
        xp = array_module(x)
        return xp.take(x, self.idx if xp is np else xp.asarray(self.idx), axis=axis)

    def adjoint(self, g, axis):
        """``out[..., j, ...] = sum of g[..., k, ...] over k with idx[k] == j``."""
        xp = array_module(g)
        shape = list(g.shape)
        shape[axis] = self.size
        if xp is not np:  # pragma: no cover - needs a GPU
            out = xp.zeros(shape, g.dtype)
            scatter_add(xp, xp.moveaxis(out, axis, 0), xp.asarray(self.idx), xp.moveaxis(g, axis, 0))
            return out
        if self.idx.size == 0 or g.size == 0:
            return np.zeros(shape, g.dtype)
        if self.order is not None:
            g = np.take(g, self.order, axis=axis)
        if self.extra is None:
            sums = np.add.reduceat(g, self.starts, axis=axis)
        else:
            sums = np.take(g, self.starts, axis=axis)
            head = (slice(None),) * axis
            for runs, positions in self.extra:
                part = np.take(g, positions, axis=axis)
                if runs is None:
                    sums += part
                else:
                    sums[head + (runs,)] += part
        if self.full:
            return sums
        out = np.zeros(shape, g.dtype)
        out[(slice(None),) * axis + (self.targets,)] = sums
        return out


class AxisPlan:
    """One axis of a plan: ``sum_k weight_k * take(x, gather_k)`` along ``axis``."""

    __slots__ = ("axis", "taps")

    def __init__(self, axis, taps):
        self.axis = axis
        self.taps = taps  # [(TakePlan, weights array or None)]

    def _weights(self, w, ndim, like):
        shape = [1] * ndim
        shape[self.axis] = w.shape[0]
        xp = array_module(like)
        w = w.astype(like.dtype, copy=False).reshape(shape)
        return w if xp is np else xp.asarray(w)

    def apply(self, x):
        out = None
        for gather, w in self.taps:
            v = gather.take(x, self.axis)
            if w is not None:
                v *= self._weights(w, x.ndim, v)
            if out is None:
                out = v
            else:
                out += v
        return out

    def adjoint(self, g):
        out = None
        for gather, w in self.taps:
            gw = g * self._weights(w, g.ndim, g) if w is not None else g
            v = gather.adjoint(gw, self.axis)
            if out is None:
                out = v
            else:
                out += v
        return out


class Resample(Function):
    """A separable linear map (``plan``: a list of ``AxisPlan``, applied in order) or, with
    ``adjoint=True``, its transpose.  Each one's backward is the other.  ``direct``, when
    given, computes the forward map faster (``numpy.pad`` for paddings)."""

    @staticmethod
    def forward(ctx, x, plan, adjoint, direct=None):
        ctx.meta = (plan, adjoint)
        if direct is not None and not adjoint:
            return direct(x)
        out = x
        for axis in reversed(plan) if adjoint else plan:
            out = axis.adjoint(out) if adjoint else axis.apply(out)
        if out is x:
            out = x.copy()
        return out

    @staticmethod
    def backward(ctx, grad):
        plan, adjoint = ctx.meta
        return type(ctx).apply(grad, plan, not adjoint), None, None, None
