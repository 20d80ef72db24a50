"""The DataLoader, as ``torch.utils.data``: batches from a dataset, in one process or
loaded in parallel by worker processes.

Reproducibility. Each pass over a loader (each ``iter(loader)``) draws one *base seed*
from the loader's ``generator`` (default: the global generator). Before a batch is
fetched, the global random generators of the process that fetches it -- numpyflow's
(``nf.rand``, random transforms), numpy's legacy ``np.random`` and Python's ``random``
-- are seeded from ``(base seed, batch number)``. The random draws a dataset makes for
a batch therefore depend only on the global seed and the batch's place in the epoch,
never on which process fetches it: ``nf.manual_seed(s)`` gives the same batches with
``num_workers=0`` and with any number of workers. With ``num_workers=0`` the main
process's generators are restored after each fetch, so data loading draws nothing from
the training loop's random stream beyond the base seed (and the shuffle's seed), in
every mode alike.

Workers. ``num_workers > 0`` starts that many processes per pass (once for all passes
with ``persistent_workers=True``). Batches are dealt to the workers round-robin, at most
``prefetch_factor`` ahead per worker, and handed out in sampler order (unless
``in_order=False``). A worker's exception is re-raised in the main process with the
worker's traceback in its message; a worker that dies is reported; workers are shut
down when a pass ends, when its iterator is dropped (``break``) and on errors.
"""
from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.context
import os
import pickle
import queue
import random
import sys
import time
import traceback

import numpy as np

import numpyflow as nf

from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

# How often (seconds) a waiting worker checks that its parent lives, and a waiting main
# process checks that its workers live.
_STATUS_CHECK_INTERVAL = 1.0
# How long shutdown waits for a worker to finish its current batch before killing it.
_SHUTDOWN_JOIN_TIMEOUT = 5.0


# -- seeding ---------------------------------------------------------------------------

def _draw_seed(generator) -> int:
    """A non-negative 63-bit seed drawn from ``generator`` (or the global generator)."""
    return int(nf.randint(0, 2 ** 63 - 1, (1,), generator=generator).item())


def _batch_seed(base_seed: int, *key: int) -> int:
    """A 64-bit seed for one batch, well mixed from the pass's base seed and the key."""
    return int(np.random.SeedSequence([base_seed, *key]).generate_state(1, np.uint64)[0])


def _seed_globals(seed: int) -> None:
    """Seed this process's global generators: numpyflow's, numpy's legacy and Python's."""
    nf.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)


class _IsolatedSeed:
    """Fetch under a batch's seed, then put the caller's generators back as they were
    (used in the main process, whose random stream belongs to the training loop)."""

    __slots__ = ("seed", "saved")

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        self.saved = (nf.get_rng_state(), random.getstate(), np.random.get_state())
        _seed_globals(self.seed)

    def __exit__(self, *exc):
        nf_state, py_state, np_state = self.saved
        nf.set_rng_state(nf_state)
        random.setstate(py_state)
        np.random.set_state(np_state)
        return False


# -- worker info and exceptions --------------------------------------------------------

class WorkerInfo:
    """What a worker process knows about itself (see :func:`get_worker_info`):
    ``id``, ``num_workers``, ``seed`` (``base seed + id``) and ``dataset`` (its copy)."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: its :class:`WorkerInfo`. In the main process: None.

    Use it in an ``IterableDataset.__iter__`` or a ``worker_init_fn`` to give each
    worker its own share of the data.
    """
    return _worker_info


class _KeyErrorMessage(str):
    """A KeyError's message shown as written (KeyError quotes its argument otherwise)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and
    formatted traceback, and re-raised there by :meth:`reraise`."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type whose constructor needs other arguments
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # No reference cycle exception -> traceback -> this frame -> exception: the
            # iterator (and its workers) go away as soon as the exception does.
            del exception


class _IterableDatasetStopIteration:
    """A worker's note that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Tells a persistent worker that a new pass begins."""


# -- fetching --------------------------------------------------------------------------

class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if self.auto_collation:
            if self.getitems is not None:
                data = self.getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """Pulls samples from an IterableDataset; the iterator is made on the first fetch
    (so under the first batch's seed, in every mode)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterator = None
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.iterator is None:
            self.iterator = iter(self.dataset)
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.iterator)
        return self.collate_fn(data)


def _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


class _InfiniteConstantSampler(Sampler):
    """For IterableDatasets: endless ``None`` s (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


# -- the worker process ----------------------------------------------------------------

def _worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                 drop_last, base_seed, init_fn, worker_id, num_workers, parent_pid):
    """The body of a worker process: fetch the batches the main process asks for."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        _seed_globals(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        iteration_end = False

        while True:
            try:
                r = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # orphaned: the main process is gone
                    break
                continue
            if r is None:  # shut down
                break
            if isinstance(r, _ResumeIteration):  # a new pass of persistent workers
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                continue
            if done_event.is_set() or iteration_end:
                continue  # drain the queue until the None comes
            idx, batch_seed, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    _seed_globals(batch_seed)
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            payload = _pickle_result(data, where)
            data_queue.put((idx, payload))
            del data, payload, r
    except KeyboardInterrupt:
        pass  # the main process sees Ctrl-C too and shuts down
    if done_event.is_set():
        # Leave without flushing results nobody will read.
        data_queue.cancel_join_thread()
        data_queue.close()


def _pickle_result(data, where):
    """``data`` pickled here, where a failure can still be reported (a multiprocessing
    queue pickles in a background thread and drops what it cannot pickle)."""
    try:
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        if isinstance(data, ExceptionWrapper):  # an exception type that cannot be pickled
            data.exc_msg = f"({data.exc_type.__name__}, which cannot be pickled)\n{data.exc_msg}"
            data.exc_type = RuntimeError
        else:
            data = ExceptionWrapper(where=f"{where} while sending the batch to the main process "
                                          "(collate_fn must return picklable objects)")
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


# -- iterators -------------------------------------------------------------------------

class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._dataset_kind_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._generator = loader.generator
        self._num_yielded = 0
        self._start_pass()

    def _start_pass(self):
        self._base_seed = _draw_seed(self._generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                      self._collate_fn, self._drop_last)
        self._batch_idx = 0
        self._pull_first_index()

    def _pull_first_index(self):
        # Pull the first index now, as the worker iterator does when it prefetches: a
        # shuffling sampler then draws its seed at iter(loader) in both modes.
        try:
            self._first_index = (next(self._sampler_iter),)
        except StopIteration:
            self._first_index = ()

    def _next_index(self):
        if self._first_index is not None:
            first, self._first_index = self._first_index, None
            if not first:
                raise StopIteration
            return first[0]
        return next(self._sampler_iter)

    def _next_data(self):
        index = self._next_index()
        key = (self._batch_idx, 0) if self._iterable else (self._batch_idx,)
        self._batch_idx += 1
        with _IsolatedSeed(_batch_seed(self._base_seed, *key)):
            return self._fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor if loader.prefetch_factor is not None else 2
        self._persistent_workers = loader.persistent_workers
        self._in_order = loader.in_order
        self._shutdown = True  # until the workers are up
        self._worker_died = False
        ctx = loader.multiprocessing_context or _default_context()
        self._workers_done_event = ctx.Event()
        self._data_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        self._workers_status = [True] * self._num_workers
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker_loop, name=f"DataLoaderWorker-{i}", daemon=True,
                    args=(self._iterable, self._dataset, index_queue, self._data_queue,
                          self._workers_done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._base_seed, loader.worker_init_fn, i,
                          self._num_workers, os.getpid()))
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown = False
            self._shutdown_workers()
            raise
        self._shutdown = False
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        if not first_iter:
            self._start_pass()
        self._send_idx = 0  # index of the next task to send to a worker
        self._rcvd_idx = 0  # index of the next task to hand out, in order
        self._task_info = {}  # send idx -> (worker id,) or (worker id, data)
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_batches = [0] * self._num_workers  # for IterableDataset seeds
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:  # skip results of the last pass left over (after a break)
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # .. receiving ..

    def _try_get_data(self, timeout):
        try:
            return True, self._data_queue.get(timeout=timeout)
        except queue.Empty:
            failed = [w for i, w in enumerate(self._workers) if self._workers_status[i] and not w.is_alive()]
            if failed:
                self._worker_died = True  # it may have died halfway through writing to the queue
                self._shutdown_workers()
                raise RuntimeError(_died_message(failed)) from None
            return False, None

    def _get_data(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            ok, item = self._try_get_data(wait)
            if ok:
                idx, payload = item
                return idx, (None if payload is None else pickle.loads(payload))
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # Skip the tasks of workers whose IterableDataset ran out.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._iterable and isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _process_data(self, data, worker_id):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    # .. sending ..

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        max_tasks = self._prefetch_factor * self._num_workers
        for _ in range(self._num_workers):  # the next active worker, round-robin
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                if self._in_order or self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status):
                    break
        else:
            return
        if self._iterable:
            seed = _batch_seed(self._base_seed, self._worker_batches[worker_id], worker_id)
            self._worker_batches[worker_id] += 1
        else:
            seed = _batch_seed(self._base_seed, self._send_idx)
        self._index_queues[worker_id].put((self._send_idx, seed, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _mark_worker_as_unavailable(self, worker_id, shutdown=False):
        self._index_queues[worker_id].put(None)  # the worker exits when it reads this
        self._workers_status[worker_id] = False

    # .. shutting down ..

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id, shutdown=True)
            deadline = time.monotonic() + _SHUTDOWN_JOIN_TIMEOUT
            for w in self._workers:
                while w.is_alive() and time.monotonic() < deadline:
                    self._drain()  # a worker may wait to flush results nobody reads
                    w.join(timeout=0.05)
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
                    if w.is_alive():
                        w.kill()
                        w.join()
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()

    def _drain(self):
        if self._worker_died:
            return
        try:
            while True:
                self._data_queue.get_nowait()
        except (queue.Empty, OSError, EOFError, ValueError):
            pass

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # interpreter shutdown: multiprocessing cleans up daemons itself
            pass


def _died_message(workers) -> str:
    parts = []
    for w in workers:
        code = w.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            try:
                import signal
                how += f" (killed by signal {signal.Signals(-code).name})"
            except ValueError:
                pass
        parts.append(f"pid {w.pid}, {how}")
    return (f"DataLoader worker ({'; '.join(parts)}) exited unexpectedly. If it was killed for lack of "
            "memory, use fewer workers or a smaller batch_size / prefetch_factor.")


def _default_context():
    # fork where the platform has it (fast, and the dataset need not be picklable);
    # pass multiprocessing_context='spawn' or 'forkserver' to choose otherwise.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


# -- the DataLoader --------------------------------------------------------------------

class DataLoader:
    """Batches from ``dataset``, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style :class:`Dataset` (``__getitem__``/``__len__``) or an
            :class:`IterableDataset`.
        batch_size: samples per batch (``None``: no batching, samples one at a time).
        shuffle: a new random order every pass (drawn from ``generator``).
        sampler: the order of indices (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes that load batches in parallel (0: in this process).
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted for compatibility; no effect (CPU memory is not pinned).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers before an error (0: forever).
        worker_init_fn: called as ``fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: start method (``'fork'``, ``'spawn'``, ``'forkserver'``)
            or a multiprocessing context; default fork where available.
        generator: the source of the shuffle and of the pass's base seed (default: the
            global generator).
        prefetch_factor: batches loaded ahead per worker (default 2).
        persistent_workers: keep the workers between passes.
        in_order: hand batches out in sampler order (``False``: as they arrive).

    See the module docstring for how seeding makes batches reproducible.
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="", in_order=True):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative int; use num_workers=0 to disable "
                             f"multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got {timeout})")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive int (got {prefetch_factor!r})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind_iterable = True
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind_iterable = False

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")

        if sampler is None:
            if self._dataset_kind_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self.__initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method "
                                     f"in {methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a "
                                f"string specifying the start method, but got {context!r}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:  # none yet, or stopped by an error
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

