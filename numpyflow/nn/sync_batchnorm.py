"""``nn.SyncBatchNorm``: batch normalization whose batch statistics span every process
of an ``nf.distributed`` group, as PyTorch's.

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
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor
from .norm import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over the whole batch of all processes in ``process_group``
    (``nf.distributed``'s default group when None); any input of at least 2 dims
    ``(N, C, ...)``."""

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        process_group=None,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"SyncBatchNorm: input has {input.shape[1]} channels but the layer expects {self.num_features} "
                f"(input shape {tuple(input.shape)})"
            )

    def _comm(self):
        import numpyflow.distributed as dist

        if not (self.training and dist.is_available() and dist.is_initialized()):
            return None
        from numpyflow.distributed.process_group import _group

        comm = _group(self.process_group, "SyncBatchNorm").comm
        return comm if comm.Get_size() > 1 else None

    def forward(self, input):
        self._check_input(input)
        comm = self._comm()
        if comm is None:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        mean, var, count = _global_statistics(comm, input._data)
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                unbiased = var * (count / (count - 1))
                rm, rv = self.running_mean._data, self.running_var._data
                rm[...] = (1 - factor) * rm + factor * mean.astype(rm.dtype)
                rv[...] = (1 - factor) * rv + factor * unbiased.astype(rv.dtype)
                self.running_mean._bump_version()
                self.running_var._bump_version()
        invstd = 1.0 / np.sqrt(var + self.eps)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, mean, invstd, count, comm)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every ``BatchNorm*d`` inside replaced by a ``SyncBatchNorm``
        sharing its parameters and statistics (a new layer if ``module`` is one)."""
        output = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            output = SyncBatchNorm(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                with no_grad():
                    output.weight = module.weight
                    output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _global_statistics(comm, x):
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


class _SyncBatchNormFunction(Function):
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
