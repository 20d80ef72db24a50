"""Intra-op parallelism on the CPU: ``nf.set_num_threads`` / ``nf.get_num_threads``.

numpy runs its ufuncs and copies on one core, and its BLAS keeps its worker threads
spinning between calls, where they fight any other thread for the cores.  So the big ops
(convolution, pooling, normalization, elementwise work on large arrays) split their work
themselves: :func:`parallel_for` runs contiguous groups of work items on a small pool of
threads, the calling thread included, with BLAS held at one thread meanwhile.  numpy
releases the GIL inside ufunc loops, copies and BLAS calls, so the groups really run at
the same time.

The thread count is ``NUMPYFLOW_NUM_THREADS`` when set, else the number of cores this
process may run on.  Where the BLAS library's thread count cannot be set (a BLAS other
than OpenBLAS or MKL), work runs on the calling thread alone and BLAS keeps its own
threads.
"""

from __future__ import annotations

import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["get_num_threads", "set_num_threads", "parallel_for"]


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


class _BlasThreads:
    """Get and set the thread count of the BLAS library numpy loaded, through its C API."""

    _NAMES = [
        ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
        ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
        ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
        ("openblas_get_num_threads", "openblas_set_num_threads"),
        ("MKL_Get_Max_Threads", "MKL_Set_Num_Threads"),
    ]

    def __init__(self):
        self.get = self.set = None  # numpy, imported above, has loaded its BLAS library
        for path in self._loaded_libraries():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for get_name, set_name in self._NAMES:
                if hasattr(lib, get_name) and hasattr(lib, set_name):
                    self.get, self.set = getattr(lib, get_name), getattr(lib, set_name)
                    self.get.restype, self.get.argtypes = ctypes.c_int, []
                    self.set.restype, self.set.argtypes = None, [ctypes.c_int]
                    return

    @staticmethod
    def _loaded_libraries():
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
        except OSError:  # pragma: no cover - not Linux
            return []
        return sorted(p for p in paths if p.startswith("/") and ".so" in p)


_blas = None
_threads = None
_pool = None
_local = threading.local()
_lock = threading.Lock()


def _blas_threads() -> _BlasThreads:
    global _blas
    if _blas is None:
        _blas = _BlasThreads()
    return _blas


def get_num_threads() -> int:
    """The number of threads NumpyFlow's CPU ops use (as ``torch.get_num_threads``)."""
    global _threads
    if _threads is None:
        _threads = _env_threads()
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumpyFlow's CPU ops (as ``torch.set_num_threads``)."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, but got {n!r}")
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


def parallel_for(items, fn) -> None:
    """Call ``fn(group)`` for contiguous groups of ``items`` (a sequence) that together
    cover it, one group per thread, and wait for all of them.  ``fn`` must write to
    disjoint places for different items.  An exception in any group is raised here."""
    n = min(get_num_threads(), len(items))
    blas = _blas_threads()
    if n <= 1 or blas.set is None or getattr(_local, "busy", False):
        fn(items)
        return
    bounds = [len(items) * k // n for k in range(n + 1)]
    groups = [items[bounds[k] : bounds[k + 1]] for k in range(n)]
    previous = blas.get()
    blas.set(1)
    try:
        pool = _executor()
        futures = [pool.submit(_run_group, fn, g) for g in groups[1:]]
        try:
            _run_group(fn, groups[0])
        finally:
            for f in futures:
                f.exception()  # wait for every group before anything is raised
        for f in futures:
            f.result()
    finally:
        blas.set(previous)


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
