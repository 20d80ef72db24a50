"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, ``LayerNorm``, ``GroupNorm``,
``RMSNorm``."""

from __future__ import annotations

import numbers

import numpy as np

from .. import creation
from ..autograd.grad_mode import no_grad
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .sync_batchnorm import SyncBatchNormFunction, global_statistics


def _affine_parameters(module, shape, affine, bias, dtype, device):
    """A normalization layer's ``weight`` (ones) and ``bias`` (zeros) of ``shape``,
    registered as None where ``affine`` or ``bias`` is off (PyTorch's order and names)."""
    if affine:
        module.weight = Parameter(creation.ones(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(creation.zeros(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


class NormBase(Module):
    """What batch and instance normalisation share (PyTorch's ``_NormBase``): the
    attributes, the affine ``weight`` and ``bias``, the running statistics buffers and
    their resets."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _affine_parameters(self, num_features, affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=np.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)


class _BatchNorm(NormBase):
    _expected_dims: tuple = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.use_bias = bias

    def _check_input(self, input):
        if input.dim() not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {dims} input (got {input.dim()}D input of shape {tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}: input has {input.shape[1]} channels but the layer expects "
                f"{self.num_features} (input shape {tuple(input.shape)})"
            )

    def _running_average_factor(self):
        """Count this batch (in training) and return the running statistics' update factor:
        ``momentum``, or ``1 / batches seen`` for a cumulative average (``momentum=None``)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        return factor

    def forward(self, input):
        self._check_input(input)
        factor = self._running_average_factor()
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight,
            self.bias,
            batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs."""

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) inputs."""

    _expected_dims = (5,)


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
        from numpyflow.distributed.process_group import resolve_group

        comm = resolve_group(self.process_group, "SyncBatchNorm").comm
        return comm if comm.Get_size() > 1 else None

    def forward(self, input):
        self._check_input(input)
        comm = self._comm()
        if comm is None:
            return super().forward(input)
        factor = self._running_average_factor()
        mean, var, count = global_statistics(comm, input._data)
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                unbiased = var * (count / (count - 1))
                rm, rv = self.running_mean._data, self.running_var._data
                rm[...] = (1 - factor) * rm + factor * mean.astype(rm.dtype)
                rv[...] = (1 - factor) * rv + factor * unbiased.astype(rv.dtype)
                self.running_mean._bump_version()
                self.running_var._bump_version()
        invstd = 1.0 / np.sqrt(var + self.eps)
        return SyncBatchNormFunction.apply(input, self.weight, self.bias, mean, invstd, count, comm)

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


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.use_bias = bias
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise over groups of channels."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.use_bias = bias
        _affine_parameters(self, num_channels, affine, bias, dtype, device)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims
    (``eps=None``: the machine epsilon of the input's dtype)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
