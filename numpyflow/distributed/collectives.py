"""Collectives on Tensors over MPI, with ``torch.distributed``'s names and semantics:
in place where PyTorch's are, ``async_op=True`` returning a ``Work`` handle.

MPI works on the arrays' own buffers (no pickling; a non-contiguous tensor goes through
a contiguous copy that is written back).  Before each collective the ranks compare the
tensors' shapes and dtypes in one small all-reduce, so a mismatch is the same clear
error on every rank instead of a hang or garbage.  float16 travels as float32 (MPI has
no half type); bool reduces logically (SUM and MAX: or; PRODUCT and MIN: and), as
PyTorch's.
"""

from __future__ import annotations

import enum

import numpy as np

from ..tensor import Tensor
from .process_group import mpi, resolve_group

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "gather",
    "gather_object",
    "irecv",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter_tensor",
    "scatter",
    "send",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter_tensor`` combine the ranks'
    values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self):
        return f"<ReduceOp.{self.name}>"


def _mpi_op(op, dtype, who):
    MPI = mpi()
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{who}: op must be a ReduceOp, got {op!r}")
    if dtype.kind == "b":
        table = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND}
        table.update({ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND, ReduceOp.BXOR: MPI.LXOR})
        return table[op] if op in table else _unsupported(op, "bool", who)
    if dtype.kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise ValueError(f"{who} does not support {op!r} on complex tensors")
    if dtype.kind in "fc" and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        _unsupported(op, str(dtype), who)
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


def _unsupported(op, dtype, who):
    raise ValueError(f"{who} does not support {op!r} on {dtype} tensors")


class Work:
    """The handle of a collective started with ``async_op=True``: ``wait()`` blocks
    until it is done (and the tensors hold the result), ``is_completed()`` asks."""

    def __init__(self, requests=(), finish=None, receive=False):
        self._requests = list(requests)
        self._finish = finish
        self._statuses = [mpi().Status() for _ in self._requests] if receive else None
        self._done = False
        if not self._requests:
            self._complete()

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None) -> bool:
        """Block until the collective has finished; True."""
        if not self._done:
            mpi().Request.Waitall(self._requests, self._statuses)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """Whether it has finished (never blocks)."""
        if not self._done and mpi().Request.Testall(self._requests, self._statuses):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def source_rank(self) -> int:
        """The rank a receive got its message from."""
        if self._statuses is None:
            raise RuntimeError("source_rank: only a receive has a source rank")
        self.wait()
        return self._statuses[0].Get_source()

    def result(self):
        self.wait()
        return []


# -- buffers ------------------------------------------------------------------------------


class _Buffer:
    """What MPI reads and writes for a Tensor: its own array where that is contiguous
    and of a type MPI carries, else a contiguous (float32, for float16) copy that
    ``store`` writes back."""

    def __init__(self, tensor, who, name="tensor"):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{who}: {name} must be a Tensor, got {type(tensor).__name__}")
        array = tensor._data
        if type(array) is not np.ndarray:
            raise RuntimeError(f"{who}: MPI collectives take CPU tensors; {name} is on {tensor.device}")
        self.tensor = tensor
        self.dtype = array.dtype
        wire = np.float32 if array.dtype == np.float16 else array.dtype
        self.direct = array.flags.c_contiguous and wire == array.dtype
        self.array = array if self.direct else np.ascontiguousarray(array, dtype=wire)

    def store(self):
        """Make the tensor hold what MPI wrote (and count the in-place change)."""
        if not self.direct:
            self.tensor._data[...] = self.array.astype(self.dtype, copy=False)
        self.tensor._bump_version()


def _check_alike(comm, who, *tensors):
    """Raise the same error on every rank unless all of them pass tensors of one shape
    and dtype (one all-reduce of a few integers)."""
    if comm.Get_size() == 1:
        return
    codes = []
    for t in tensors:
        shape = t._data.shape
        codes += [
            len(shape),
            hash(shape) & 0x7FFFFFFFFFFF,
            t._data.dtype.num,
        ]  # int hashes are the same in every process
    mine = np.array(codes + [-c for c in codes], np.int64)
    seen = np.empty_like(mine)
    comm.Allreduce(mine, seen, op=mpi().MAX)
    n = len(codes)
    if not np.array_equal(seen[:n], -seen[n:]):
        described = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in tensors)
        raise RuntimeError(
            f"{who}: the ranks passed tensors of different shapes or dtypes (this rank {comm.Get_rank()}: "
            f"{described}); every rank must pass the same"
        )


def _run(async_op, start, finish):
    """``start()`` gives MPI requests (non-blocking calls); ``finish()`` runs once they
    are done: now, or on ``Work.wait()``."""
    requests = start()
    if async_op:
        return Work(requests, finish)
    if requests:
        mpi().Request.Waitall(requests)
    finish()
    return None


def _root(rank, comm, who, what):
    if rank is None:
        raise ValueError(f"{who}: {what} must be given")
    if not 0 <= rank < comm.Get_size():
        raise ValueError(f"{who}: {what}={rank} is not a rank of a group of {comm.Get_size()}")
    return rank


def _after(buffers, scale=None):
    def finish():
        for b in buffers:
            if scale is not None:
                b.array /= scale
            b.store()

    return finish


# -- collectives --------------------------------------------------------------------------


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across the ranks with ``op``; every rank's ``tensor`` then
    holds the result (in place)."""
    comm = resolve_group(group, "all_reduce").comm
    buf = _Buffer(tensor, "all_reduce")
    mpi_op = _mpi_op(op, buf.dtype, "all_reduce")
    if op is ReduceOp.AVG and buf.dtype.kind not in "fc":
        raise ValueError(f"all_reduce does not support ReduceOp.AVG on {buf.dtype} tensors")
    _check_alike(comm, "all_reduce", tensor)
    MPI = mpi()
    scale = comm.Get_size() if op is ReduceOp.AVG else None
    return _run(async_op, lambda: [comm.Iallreduce(MPI.IN_PLACE, buf.array, op=mpi_op)], _after([buf], scale))


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    comm = resolve_group(group, "broadcast").comm
    src = _root(src if src is not None else group_src, comm, "broadcast", "src")
    buf = _Buffer(tensor, "broadcast")
    _check_alike(comm, "broadcast", tensor)
    return _run(async_op, lambda: [comm.Ibcast(buf.array, root=src)], _after([buf]))


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Combine ``tensor`` across the ranks into rank ``dst``'s ``tensor`` (the others'
    are left as they were)."""
    comm = resolve_group(group, "reduce").comm
    dst = _root(dst if dst is not None else group_dst, comm, "reduce", "dst")
    buf = _Buffer(tensor, "reduce")
    mpi_op = _mpi_op(op, buf.dtype, "reduce")
    _check_alike(comm, "reduce", tensor)
    MPI = mpi()
    scale = comm.Get_size() if op is ReduceOp.AVG else None
    if comm.Get_rank() == dst:
        return _run(
            async_op, lambda: [comm.Ireduce(MPI.IN_PLACE, buf.array, op=mpi_op, root=dst)], _after([buf], scale)
        )
    send = buf.array.copy()
    return _run(async_op, lambda: [comm.Ireduce(send, None, op=mpi_op, root=dst)], lambda: None)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor``, in rank order, into each rank's ``tensor_list``."""
    comm = resolve_group(group, "all_gather").comm
    size = comm.Get_size()
    if len(tensor_list) != size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors for a group of {size}")
    for t in tensor_list:
        if not isinstance(t, Tensor) or t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError("all_gather: every tensor of tensor_list must have the input's shape and dtype")
    send = _Buffer(tensor, "all_gather")
    _check_alike(comm, "all_gather", tensor)
    received = np.empty((size,) + send.array.shape, send.array.dtype)

    def finish():
        for t, part in zip(tensor_list, received):
            t._data[...] = part.astype(t._data.dtype, copy=False)
            t._bump_version()

    return _run(async_op, lambda: [comm.Iallgather(send.array, received)], finish)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (along the first dimension) or stacked
    into ``output_tensor``, in rank order."""
    comm = resolve_group(group, "all_gather_into_tensor").comm
    size = comm.Get_size()
    shape, out_shape = tuple(input_tensor.shape), tuple(output_tensor.shape)
    stacked = (size,) + shape
    concatenated = (size * shape[0],) + shape[1:] if shape else None
    if out_shape not in (stacked, concatenated) or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output of shape {out_shape} ({output_tensor.dtype}) cannot hold {size} "
            f"inputs of shape {shape} ({input_tensor.dtype})"
        )
    send = _Buffer(input_tensor, "all_gather_into_tensor", "input_tensor")
    out = _Buffer(output_tensor, "all_gather_into_tensor", "output_tensor")
    _check_alike(comm, "all_gather_into_tensor", input_tensor, output_tensor)
    return _run(async_op, lambda: [comm.Iallgather(send.array, out.array)], _after([out]))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``input`` across the ranks with ``op`` and give rank ``r`` the ``r``-th
    slice of the result (``input`` is ``output`` concatenated or stacked ``world`` times)."""
    comm = resolve_group(group, "reduce_scatter_tensor").comm
    size = comm.Get_size()
    shape, in_shape = tuple(output.shape), tuple(input.shape)
    if not shape or in_shape not in ((size,) + shape, (size * shape[0],) + shape[1:]) or output.dtype != input.dtype:
        raise ValueError(
            f"reduce_scatter_tensor: input of shape {in_shape} ({input.dtype}) is not {size} outputs of shape "
            f"{shape} ({output.dtype})"
        )
    send = _Buffer(input, "reduce_scatter_tensor", "input")
    out = _Buffer(output, "reduce_scatter_tensor", "output")
    mpi_op = _mpi_op(op, out.dtype, "reduce_scatter_tensor")
    _check_alike(comm, "reduce_scatter_tensor", input, output)
    scale = size if op is ReduceOp.AVG else None
    return _run(async_op, lambda: [comm.Ireduce_scatter_block(send.array, out.array, op=mpi_op)], _after([out], scale))


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Give rank ``r`` the ``r``-th tensor of rank ``src``'s ``scatter_list``."""
    comm = resolve_group(group, "scatter").comm
    src = _root(src if src is not None else (group_src if group_src is not None else 0), comm, "scatter", "src")
    out = _Buffer(tensor, "scatter")
    _check_alike(comm, "scatter", tensor)
    send = None
    if comm.Get_rank() == src:
        if scatter_list is None or len(scatter_list) != comm.Get_size():
            raise ValueError(f"scatter: the source rank needs a scatter_list of {comm.Get_size()} tensors")
        if any(t.shape != tensor.shape or t.dtype != tensor.dtype for t in scatter_list):
            raise ValueError("scatter: every tensor of scatter_list must have the output tensor's shape and dtype")
        send = np.stack([np.asarray(t._data, out.array.dtype) for t in scatter_list])
    elif scatter_list:
        raise ValueError("scatter: only the source rank passes a scatter_list")
    return _run(async_op, lambda: [comm.Iscatter(send, out.array, root=src)], _after([out]))


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor``, in rank order, into rank ``dst``'s ``gather_list``."""
    comm = resolve_group(group, "gather").comm
    dst = _root(dst if dst is not None else (group_dst if group_dst is not None else 0), comm, "gather", "dst")
    send = _Buffer(tensor, "gather")
    _check_alike(comm, "gather", tensor)
    if comm.Get_rank() != dst:
        if gather_list:
            raise ValueError("gather: only the destination rank passes a gather_list")
        return _run(async_op, lambda: [comm.Igather(send.array, None, root=dst)], lambda: None)
    if gather_list is None or len(gather_list) != comm.Get_size():
        raise ValueError(f"gather: the destination rank needs a gather_list of {comm.Get_size()} tensors")
    if any(t.shape != tensor.shape or t.dtype != tensor.dtype for t in gather_list):
        raise ValueError("gather: every tensor of gather_list must have the input tensor's shape and dtype")
    received = np.empty((comm.Get_size(),) + send.array.shape, send.array.dtype)

    def finish():
        for t, part in zip(gather_list, received):
            t._data[...] = part.astype(t._data.dtype, copy=False)
            t._bump_version()

    return _run(async_op, lambda: [comm.Igather(send.array, received, root=dst)], finish)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; a ``Work`` handle."""
    comm = resolve_group(group, "isend").comm
    dst = _root(dst if dst is not None else group_dst, comm, "isend", "dst")
    buf = _Buffer(tensor, "isend")
    return Work([comm.Isend(buf.array, dest=dst, tag=tag)])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None); a ``Work``
    handle whose ``source_rank()`` says who sent it."""
    comm = resolve_group(group, "irecv").comm
    src = src if src is not None else group_src
    source = mpi().ANY_SOURCE if src is None else _root(src, comm, "irecv", "src")
    buf = _Buffer(tensor, "irecv")
    return Work([comm.Irecv(buf.array, source=source, tag=tag)], buf.store, receive=True)


def send(tensor, dst=None, group=None, tag=0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst`` (blocks until it can be reused)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of ``group`` has reached this call."""
    comm = resolve_group(group, "barrier").comm
    return _run(async_op, lambda: [comm.Ibarrier()], lambda: None)


# -- Python objects (pickled; for small things such as metadata) ----------------------------


def all_gather_object(object_list, obj, group=None) -> None:
    """Every rank's ``obj`` into each rank's ``object_list`` (as long as the world)."""
    comm = resolve_group(group, "all_gather_object").comm
    object_list[:] = comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=0, group=None) -> None:
    """Every rank's ``obj`` into rank ``dst``'s ``object_gather_list``."""
    comm = resolve_group(group, "gather_object").comm
    gathered = comm.gather(obj, root=dst)
    if comm.Get_rank() == dst:
        object_gather_list[:] = gathered


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None) -> None:
    """Rank ``src``'s ``object_list`` items into every rank's ``object_list``."""
    comm = resolve_group(group, "broadcast_object_list").comm
    src = _root(
        src if src is not None else (group_src if group_src is not None else 0), comm, "broadcast_object_list", "src"
    )
    object_list[:] = comm.bcast(list(object_list) if comm.Get_rank() == src else None, root=src)
