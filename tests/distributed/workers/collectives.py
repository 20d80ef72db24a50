"""Every collective and dtype against numpy on all ranks' inputs (each rank checks its
own result; any failure exits non-zero)."""

import numpy as np

import numpyflow as nf
import numpyflow.distributed as dist

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64"]
OPS = {
    dist.ReduceOp.SUM: lambda a: a.sum(0),
    dist.ReduceOp.PRODUCT: lambda a: a.prod(0),
    dist.ReduceOp.MAX: lambda a: a.max(0),
    dist.ReduceOp.MIN: lambda a: a.min(0),
    dist.ReduceOp.AVG: lambda a: a.mean(0),
}
BOOL = {dist.ReduceOp.SUM: np.any, dist.ReduceOp.MAX: np.any, dist.ReduceOp.PRODUCT: np.all, dist.ReduceOp.MIN: np.all}


def values(r, dtype, shape=(3, 4)):
    """Rank ``r``'s input: small values, so that products and sums stay exact."""
    a = (np.arange(np.prod(shape)).reshape(shape) + 2 * r) % 3 + (r == 1)
    return a.astype(dtype) if dtype != "bool" else (a % 2 == 0)


def every(dtype, shape=(3, 4)):
    return np.stack([values(r, dtype, shape) for r in range(size)])


def check(got, expected, what):
    np.testing.assert_allclose(
        np.asarray(got, np.complex128), np.asarray(expected, np.complex128), rtol=1e-3, err_msg=what
    )


for dtype in DTYPES:
    for op, reference in OPS.items():
        kind = np.dtype(dtype).kind
        if (kind == "c" and op in (dist.ReduceOp.MAX, dist.ReduceOp.MIN)) or (
            kind in "iub" and op is dist.ReduceOp.AVG
        ):
            try:
                dist.all_reduce(nf.from_numpy(values(rank, dtype)), op=op)
            except ValueError:
                continue
            raise AssertionError(f"{op} on {dtype} should be refused")
        expected = BOOL[op](every(dtype), axis=0) if dtype == "bool" else reference(every(dtype))
        t = nf.from_numpy(values(rank, dtype).copy())
        dist.all_reduce(t, op=op)  # in place
        check(t.numpy(), expected, f"all_reduce {op} {dtype}")
        assert t.dtype == nf.from_numpy(values(0, dtype)).dtype
        u = nf.from_numpy(values(rank, dtype).copy())
        work = dist.all_reduce(u, op=op, async_op=True)
        work.wait()
        assert work.is_completed()
        check(u.numpy(), expected, f"async all_reduce {op} {dtype}")
        v = nf.from_numpy(values(rank, dtype).copy())
        dist.reduce(v, dst=size - 1, op=op)
        check(v.numpy(), expected if rank == size - 1 else values(rank, dtype), f"reduce {op} {dtype}")

    # non-contiguous tensors are reduced in place too
    t = nf.from_numpy(values(rank, dtype, (4, 3)).copy()).t()
    dist.all_reduce(t)
    expected = every(dtype, (4, 3)).any(0) if dtype == "bool" else every(dtype, (4, 3)).sum(0).astype(dtype)
    check(t.numpy(), expected.T, f"strided all_reduce {dtype}")

    b = nf.from_numpy(values(rank, dtype).copy())
    dist.broadcast(b, src=size - 1)
    check(b.numpy(), values(size - 1, dtype), f"broadcast {dtype}")

    out = [nf.zeros(3, 4, dtype=b.dtype) for _ in range(size)]
    dist.all_gather(out, nf.from_numpy(values(rank, dtype)))
    for r, o in enumerate(out):
        check(o.numpy(), values(r, dtype), f"all_gather {dtype}")

    cat = nf.zeros(3 * size, 4, dtype=b.dtype)
    dist.all_gather_into_tensor(cat, nf.from_numpy(values(rank, dtype)))
    check(cat.numpy(), np.concatenate(list(every(dtype))), f"all_gather_into_tensor {dtype}")
    stacked = nf.zeros(size, 3, 4, dtype=b.dtype)
    dist.all_gather_into_tensor(stacked, nf.from_numpy(values(rank, dtype)), async_op=True).wait()
    check(stacked.numpy(), every(dtype), f"all_gather_into_tensor stacked {dtype}")

    if dtype != "bool":
        big = nf.from_numpy(np.concatenate([values(rank, dtype)] * size))
        part = nf.zeros(3, 4, dtype=b.dtype)
        dist.reduce_scatter_tensor(part, big)
        check(part.numpy(), every(dtype).sum(0), f"reduce_scatter_tensor {dtype}")

    target = nf.zeros(3, 4, dtype=b.dtype)
    pieces = [nf.from_numpy(values(r, dtype) + (dtype != "bool")) for r in range(size)] if rank == 0 else None
    dist.scatter(target, pieces, src=0)
    check(target.numpy(), values(rank, dtype) + (dtype != "bool"), f"scatter {dtype}")

    gathered = [nf.zeros(3, 4, dtype=b.dtype) for _ in range(size)] if rank == 1 else None
    dist.gather(nf.from_numpy(values(rank, dtype)), gathered, dst=1)
    if rank == 1:
        for r, g in enumerate(gathered):
            check(g.numpy(), values(r, dtype), f"gather {dtype}")

# point to point: a ring, blocking and not
message = nf.full((5,), float(rank))
incoming = nf.zeros(5)
send = dist.isend(message, dst=(rank + 1) % size)
source = dist.recv(incoming)
send.wait()
assert source == (rank - 1) % size and incoming.tolist() == [float(source)] * 5, (source, incoming)
pending = dist.irecv(incoming, src=(rank - 1) % size, tag=7)
dist.send(nf.full((5,), 10.0 + rank), dst=(rank + 1) % size, tag=7)
pending.wait()
assert pending.source_rank() == (rank - 1) % size and incoming[0].item() == 10.0 + (rank - 1) % size

# mismatched shapes and dtypes: the same clear error on every rank, no hang
for mine in (nf.zeros(2 + rank), nf.zeros(3, dtype=nf.float32 if rank else nf.float64)):
    try:
        dist.all_reduce(mine)
    except RuntimeError as e:
        assert "different shapes or dtypes" in str(e), e
    else:
        raise AssertionError("a mismatch across ranks was not detected")

objects = [None] * size
dist.all_gather_object(objects, {"rank": rank})
assert objects == [{"rank": r} for r in range(size)]
shared = [{"lr": 0.1}, rank] if rank == 0 else [None, None]
dist.broadcast_object_list(shared, src=0)
assert shared == [{"lr": 0.1}, 0]
dist.barrier()
dist.barrier(async_op=True).wait()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank}: ok")
