"""The arithmetic of ``nn.SyncBatchNorm`` (in ``norm.py``): batch normalization whose batch
statistics span every process of an ``nf.distributed`` group, as PyTorch's.

In training, each process computes its channels' count, mean and sum of squared
deviations; one all-gather combines them exactly (Chan's pairwise rule), so k processes
with b images each normalize as one process with k*b would.  The backward all-reduces
the two per-channel sums the input gradient needs; the weight and bias gradients stay
local sums, which ``DistributedDataParallel`` then averages.  Outside training, or in a
world of one, it is ``BatchNorm``.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = ["SyncBatchNormFunction", "global_statistics"]


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def global_statistics(comm, x):
    """``(mean, biased variance, count)`` per channel over every rank's ``x`` (float64)."""
    axes = _axes(x)
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes, dtype=np.float64)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    deviations = np.square(x - mean.reshape(shape).astype(x.dtype), dtype=np.float64).sum(axis=axes)
    mine = np.concatenate([[float(n)], mean, deviations])
    every = np.empty((comm.Get_size(), mine.size))
    comm.Allgather(mine, every)
    counts, means, m2 = every[:, :1], every[:, 1 : 1 + x.shape[1]], every[:, 1 + x.shape[1] :]
    total = counts.sum()
    if total <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(x.shape)}")
    mean = (counts * means).sum(axis=0) / total
    m2 = m2.sum(axis=0) + (counts * np.square(means - mean)).sum(axis=0)
    return mean, m2 / total, total


class SyncBatchNormFunction(Function):
    """``(x - mean) * invstd * weight + bias`` with global statistics; the backward
    all-reduces the per-channel sums of ``grad`` and ``grad * (x - mean)``."""

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, count, comm):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        ctx.mean, ctx.invstd, ctx.count, ctx.comm = mean, invstd, count, comm
        ctx.save_for_backward(x, weight)
        y = (x - mean.reshape(shape).astype(x.dtype)) * invstd.reshape(shape).astype(x.dtype)
        if weight is not None:
            y *= weight.reshape(shape)
        if bias is not None:
            y += bias.reshape(shape)
        return y

    @staticmethod
    def backward(ctx, grad):
        if is_grad_enabled():
            raise RuntimeError("SyncBatchNorm: the backward cannot be differentiated again (create_graph=True)")
        x_t, w_t = ctx.saved_tensors
        x, g = x_t._data, grad._data
        shape = (1, -1) + (1,) * (x.ndim - 2)
        axes = _axes(x)
        xmu = x - ctx.mean.reshape(shape).astype(x.dtype)
        sum_dy = g.sum(axis=axes, dtype=np.float64)
        sum_dy_xmu = (g * xmu).sum(axis=axes, dtype=np.float64)
        gx = None
        if ctx.needs_input_grad[0]:
            from mpi4py import MPI

            sums = np.concatenate([sum_dy, sum_dy_xmu])
            ctx.comm.Allreduce(MPI.IN_PLACE, sums, op=MPI.SUM)
            c = x.shape[1]
            mean_dy, mean_dy_xmu = sums[:c] / ctx.count, sums[c:] / ctx.count
            scale = ctx.invstd * (1.0 if w_t is None else w_t._data.astype(np.float64))
            gx = (g - mean_dy.reshape(shape).astype(x.dtype)) - xmu * (
                (np.square(ctx.invstd) * mean_dy_xmu).reshape(shape).astype(x.dtype)
            )
            gx *= scale.reshape(shape).astype(x.dtype)
            gx = Tensor._make(gx)
        gw = Tensor._make((sum_dy_xmu * ctx.invstd).astype(x.dtype)) if ctx.needs_input_grad[1] else None
        gb = Tensor._make(sum_dy.astype(x.dtype)) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None
