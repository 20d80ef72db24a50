"""``nn.parallel.DistributedDataParallel``: one model replica per process, gradients
averaged over the processes of an ``nf.distributed`` group during ``backward()``.

At construction the replicas are checked to hold parameters of the same shapes and
rank 0's parameters and buffers are broadcast to all.  The parameters that need
gradients are cut into buckets (reverse registration order, which is roughly the order
backward produces gradients: the first bucket small, so communication starts early, the
others up to ``bucket_cap_mb``).  As each parameter's gradient is accumulated, it is
copied into its bucket; a full bucket's all-reduce starts at once, non-blocking, and
MPI is given a chance to progress it at every later gradient, so it runs while the
rest of the backward does.  Before ``backward()`` returns, every bucket is waited for,
averaged and written back into the ``.grad`` of its parameters.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from ...autograd.engine import queue_callback
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor
from ..module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1 << 20  # PyTorch's: with the default cap, the first bucket is 1 MiB


class _Bucket:
    """Parameters whose gradients travel together, in one flat array."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params])
        self.flat = np.zeros(int(self.offsets[-1]), dtype)
        self.pending = len(params)
        self.request = None

    def view(self, i):
        p = self.params[i]
        return self.flat[self.offsets[i] : self.offsets[i + 1]].reshape(p.shape)


class DistributedDataParallel(Module):
    """Data-parallel training over the processes of ``process_group`` (the default group
    of ``nf.distributed``), with PyTorch's arguments: gradients are averaged across the
    processes in buckets of ``bucket_cap_mb`` during ``backward()``; ``no_sync()`` skips
    that for gradient accumulation; ``broadcast_buffers`` sends rank 0's buffers (batch
    norm statistics) to all before each forward that follows a synchronizing one; ``find_unused_parameters`` lets some
    parameters get no gradient in an iteration.  ``device_ids``, ``output_device`` and
    ``dim`` are accepted for PyTorch's scripts (CPU processes take none)."""

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
        delay_all_reduce_named_params=None,
        param_to_hook_all_reduce=None,
        mixed_precision=None,
        device_mesh=None,
    ):
        super().__init__()
        import numpyflow.distributed as dist
        from numpyflow.distributed.process_group import resolve_group

        if device_ids:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters on cpu"
            )
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a "
                "gradient."
            )
        self.module = module
        self.device_ids = None
        self.output_device = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.process_group = resolve_group(process_group, "DistributedDataParallel")
        self._comm = self.process_group.comm
        self._dist = dist
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * (1 << 20))
        self._first_bucket_cap = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._check_same_parameters()
        self._sync_module_states()
        self._buckets = self._make_buckets()
        self._where = {}
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]
        self._in_backward = False
        self._ready = set()
        self._unused = []
        self._wait_seconds = 0.0

    # -- construction ----------------------------------------------------------------------

    def _check_same_parameters(self):
        mine = [(tuple(p.shape), str(p.dtype)) for p in self._params]
        every = self._comm.allgather(mine)
        for rank, theirs in enumerate(every):
            if theirs != mine:
                raise RuntimeError(
                    f"DistributedDataParallel: rank {rank}'s module has parameters {_describe(theirs)}, this rank "
                    f"({self._comm.Get_rank()}) has {_describe(mine)}; every process must build the same model"
                )

    def _sync_module_states(self):
        """Rank 0's parameters and buffers, everywhere."""
        if self._comm.Get_size() == 1:
            return
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            _broadcast_array(self._comm, t)

    def _make_buckets(self):
        buckets, current, size, cap = [], [], 0, self._first_bucket_cap
        for p in reversed(self._params):
            if current and (p.dtype != current[0].dtype or size + p._data.nbytes > cap):
                buckets.append(_Bucket(current, current[0]._data.dtype))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += p._data.nbytes
        if current:
            buckets.append(_Bucket(current, current[0]._data.dtype))
        return buckets

    # -- forward ---------------------------------------------------------------------------

    def forward(self, *inputs, **kwargs):
        # PyTorch's rule: buffers are broadcast before a forward that follows a forward
        # whose backward synchronizes (not after one under no_sync or no_grad).
        if self.broadcast_buffers and self.require_forward_param_sync and self._comm.Get_size() > 1:
            for b in self.module.buffers():
                _broadcast_array(self._comm, b)
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = is_grad_enabled() and self.require_backward_grad_sync
        if self.find_unused_parameters and self.require_backward_grad_sync:
            used = _reachable_leaves(output)
            self._unused = [p for p in self._params if id(p) not in used]
        else:
            self._unused = []
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward passes accumulate gradients locally; the first backward
        outside averages what has accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -- backward --------------------------------------------------------------------------

    def _grad_ready(self, param):
        if not self.require_backward_grad_sync:
            return
        if not self._in_backward:
            self._in_backward = True
            self._ready = set()
            for b in self._buckets:
                b.pending, b.request = len(b.params), None
            queue_callback(self._finish)
            for p in self._unused:
                self._mark(p, None)
        self._mark(param, param.grad)
        self._progress()

    def _mark(self, param, grad):
        self._ready.add(id(param))
        bucket, i = self._where[id(param)]
        view = bucket.view(i)
        if grad is None:
            view[...] = 0
        else:
            np.copyto(view, grad._data)
        bucket.pending -= 1
        if bucket.pending == 0 and self._comm.Get_size() > 1:
            from mpi4py import MPI

            bucket.request = self._comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)

    def _progress(self):
        """Let MPI move the started all-reduces along (MPI progresses inside its calls)."""
        for b in self._buckets:
            if b.request is not None:
                b.request.Test()

    def _finish(self):
        self._in_backward = False
        if any(b.pending for b in self._buckets):
            missing = [n for n, p in self.module.named_parameters() if p.requires_grad and id(p) not in self._ready]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable "
                "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                f"participate in calculating loss. Parameters that received no gradient: {', '.join(missing)}"
            )
        size = self._comm.Get_size()
        start = time.perf_counter()
        for b in self._buckets:
            if b.request is not None:
                b.request.Wait()
        self._wait_seconds = time.perf_counter() - start  # communication the backward did not hide
        if size > 1:
            for b in self._buckets:
                b.flat /= size
        used_somewhere = self._used_somewhere()
        for b in self._buckets:
            for i, p in enumerate(b.params):
                if p.grad is not None:
                    np.copyto(p.grad._data, b.view(i))
                    p.grad._bump_version()
                elif id(p) in used_somewhere:  # unused here, used by another rank
                    p.grad = Tensor._make(b.view(i).copy())

    def _used_somewhere(self):
        """ids of the parameters some rank used in this iteration (with
        ``find_unused_parameters``: a gradient left None everywhere stays None)."""
        if not self._unused:
            return {id(p) for p in self._params}
        unused = {id(p) for p in self._unused}
        mine = np.array([id(p) not in unused for p in self._params], np.int32)
        if self._comm.Get_size() > 1:
            from mpi4py import MPI

            self._comm.Allreduce(MPI.IN_PLACE, mine, op=MPI.MAX)
        return {id(p) for p, used in zip(self._params, mine) if used}


def _describe(shapes):
    return f"{len(shapes)} tensors ({', '.join(f'{s}' for s, _ in shapes[:4])}{', ...' if len(shapes) > 4 else ''})"


def _broadcast_array(comm, t):
    array = t._data
    if array.flags.c_contiguous:
        comm.Bcast(array, root=0)
    else:
        tmp = np.ascontiguousarray(array)
        comm.Bcast(tmp, root=0)
        array[...] = tmp
    t._bump_version()


def _reachable_leaves(output):
    """ids of the leaf tensors the autograd graph of ``output`` (tensors in any nesting)
    reaches."""
    roots = []

    def collect(obj):
        if isinstance(obj, Tensor):
            if obj._grad_fn is not None:
                roots.append(obj._grad_fn)
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                collect(o)
        elif isinstance(obj, dict):
            for o in obj.values():
                collect(o)

    collect(output)
    seen, stack, leaves = set(), list(roots), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.add(id(variable))
        for edge in node._next:
            if edge is not None:
                stack.append(edge[0])
    return leaves
