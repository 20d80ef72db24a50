"""Intra-op parallelism on the CPU: ``nf.set_num_threads`` / ``nf.get_num_threads``.

numpy runs its ufuncs and copies on one core, and its BLAS keeps its worker threads
spinning after each call, where they fight any other thread for the cores.  So the big
ops (convolution, pooling, normalization, matrix products, elementwise work on large
arrays) split their work themselves: :func:`parallel_for` runs contiguous groups of work
items on a small pool of threads, the calling thread included, and from the first such
split on (or ``set_num_threads``) numpy's BLAS stays on one thread, for the whole
process.  numpy releases the GIL inside ufunc loops, copies and BLAS calls, so the
groups really run at the same time.

The thread count is ``NUMPYFLOW_NUM_THREADS`` when set, else the number of cores this
process may run on.  The BLAS library's thread count is set through ``threadpoolctl``'s
handle on it (``_blas.py``); where it cannot be set (a BLAS other than OpenBLAS or MKL),
work runs on the calling thread alone and BLAS keeps its own threads.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._blas import blas

__all__ = ["get_num_threads", "set_num_threads", "parallel_for", "matmul"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _env_threads() -> int:
    value = os.environ.get("NUMPYFLOW_NUM_THREADS", "")
    try:
        return max(1, int(value)) if value else _cores()
    except ValueError:
        raise RuntimeError(f"NUMPYFLOW_NUM_THREADS must be a positive integer, got {value!r}") from None


_threads = None
_pool = None
_local = threading.local()
_lock = threading.Lock()


def get_num_threads() -> int:
    """The number of threads NumpyFlow's CPU ops use (as ``torch.get_num_threads``)."""
    global _threads
    if _threads is None:
        _threads = _env_threads()
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumpyFlow's CPU ops (as ``torch.set_num_threads``); numpy's
    BLAS runs on one thread from then on (NumpyFlow's threads split the big products)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, but got {n!r}")
    if blas().set_threads is not None:
        _hold_blas_single(blas())
    with _lock:
        _threads = n
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, get_num_threads() - 1), thread_name_prefix="numpyflow")
        return _pool


def _run_group(fn, group):
    _local.busy = True
    try:
        fn(group)
    finally:
        _local.busy = False


def _hold_blas_single(lib) -> None:
    """Keep numpy's BLAS on one thread: its idle workers spin for a while after each
    multithreaded call, taking the cores from NumpyFlow's threads (measured: a stride-1
    convolution on two threads ran 1.8x slower after one two-thread GEMM than after none)."""
    if lib.get_threads() != 1:
        lib.set_threads(1)


def parallel_for(items, fn) -> None:
    """Call ``fn(group)`` for contiguous groups of ``items`` (a sequence) that together
    cover it, one group per thread, and wait for all of them.  ``fn`` must write to
    disjoint places for different items.  An exception in any group is raised here."""
    n = min(get_num_threads(), len(items))
    lib = blas()
    if n <= 1 or lib.set_threads is None or getattr(_local, "busy", False):
        fn(items)
        return
    bounds = [len(items) * k // n for k in range(n + 1)]
    groups = [items[bounds[k] : bounds[k + 1]] for k in range(n)]
    _hold_blas_single(lib)
    pool = _executor()
    futures = [pool.submit(_run_group, fn, g) for g in groups[1:]]
    try:
        _run_group(fn, groups[0])
    finally:
        for f in futures:
            f.exception()  # wait for every group before anything is raised
    for f in futures:
        f.result()


def matmul(a, b):
    """``numpy.matmul(a, b)``, split over the threads by batch entries or by rows (or
    columns) of the result when the product is large enough to pay for the hand-off."""
    n = get_num_threads()
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim < 2 or b.ndim < 2 or n == 1:
        return np.matmul(a, b)
    m, k = a.shape[-2:]
    cols = b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = math.prod(batch)
    if 2 * count * m * k * cols < _MIN_PARALLEL_FLOPS:
        return np.matmul(a, b)
    out = np.empty(batch + (m, cols), np.result_type(a, b))
    flat = out.reshape(-1, m, cols)
    if b.ndim == 2 and count * m >= max(n, cols):  # rows of the (flattened) left operand
        a2, out2 = a.reshape(-1, k), out.reshape(-1, cols)
        parallel_for(range(count * m), lambda r: np.matmul(a2[r.start : r.stop], b, out=out2[r.start : r.stop]))
    elif count >= n and a.shape[:-2] in (batch, ()) and b.shape[:-2] in (batch, ()):  # batch entries
        a3 = a.reshape(-1, m, k) if a.ndim > 2 else a[None]
        b3 = b.reshape(-1, k, cols) if b.ndim > 2 else b[None]

        def entries(r):
            sa = a3[r.start : r.stop] if len(a3) > 1 else a3
            sb = b3[r.start : r.stop] if len(b3) > 1 else b3
            np.matmul(sa, sb, out=flat[r.start : r.stop])

        parallel_for(range(count), entries)
    elif count == 1 and cols >= n:  # columns of the right operand (the longer side)
        a2, b2, out2 = a.reshape(m, k), b.reshape(k, cols), out.reshape(m, cols)
        parallel_for(range(cols), lambda c: np.matmul(a2, b2[:, c.start : c.stop], out=out2[:, c.start : c.stop]))
    else:
        np.matmul(a, b, out=out)
    return out


_MIN_PARALLEL_FLOPS = 1 << 23


# Elementwise work splits into blocks of about this many bytes: small enough that the
# passes an op makes over a block hit the (shared) cache, large enough that the threads
# rarely wait for each other's turn with the GIL between numpy calls (measured best on a
# ResNet-20 step among 0.5 and 2 MiB blocks, threaded or not).
_BLOCK_BYTES = 1 << 21
_MIN_PARALLEL_BYTES = 1 << 22


def map_ranges(n: int, item_bytes: int, body) -> list:
    """``[body(i0, i1) for each block]`` over blocks ``[i0, i1)`` covering ``range(n)``,
    computed on all threads when the work (``n * item_bytes`` bytes) is large enough;
    the results come back in block order.  ``body`` must write to disjoint places for
    different blocks."""
    step = max(1, _BLOCK_BYTES // max(item_bytes, 1))
    if n * item_bytes < _MIN_PARALLEL_BYTES or get_num_threads() == 1 or n <= 1:
        return [body(i0, min(n, i0 + step)) for i0 in range(0, n, step)] if n else []
    blocks = [(i0, min(n, i0 + step)) for i0 in range(0, n, step)]
    if len(blocks) < get_num_threads():
        step = -(-n // get_num_threads())
        blocks = [(i0, min(n, i0 + step)) for i0 in range(0, n, step)]
    results = [None] * len(blocks)
    indexed = list(enumerate(blocks))

    def run(group):
        for k, (i0, i1) in group:
            results[k] = body(i0, i1)

    parallel_for(indexed, run)
    return results


def elementwise(fn, out, *arrays):
    """``fn(out, *arrays)`` for an elementwise ``fn`` writing into ``out``, split into
    blocks over the threads when every array is a C-contiguous numpy array of ``out``'s
    shape (otherwise one call).  Returns ``out``."""
    same = all(type(a) is np.ndarray and a.shape == out.shape and a.flags.c_contiguous for a in arrays)
    if not same or type(out) is not np.ndarray or not out.flags.c_contiguous:
        fn(out, *arrays)
        return out
    flat_out = out.reshape(-1)
    flat = [a.reshape(-1) for a in arrays]

    def body(i0, i1):
        fn(flat_out[i0:i1], *(a[i0:i1] for a in flat))

    map_ranges(flat_out.size, out.itemsize, body)
    return out
