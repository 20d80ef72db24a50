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

Resuming. Because a batch's seed depends on its number, not on the batches loaded before
it, ``start_batch=k`` begins each pass at batch ``k`` without loading the first ``k``:
given the ``generator`` in the state it had when the interrupted pass began, the batches
are exactly those of the uninterrupted pass.

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
import signal
import sys
import time

from ._collate import default_collate, default_convert
from ._fetch import make_fetcher
from ._worker import (
    STATUS_CHECK_INTERVAL,
    ExceptionWrapper,
    IsolatedSeed,
    IterableDatasetStopIteration,
    ResumeIteration,
    WorkerInfo,
    batch_seed,
    draw_seed,
    get_worker_info,
    worker_loop,
)
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

# How long shutdown waits for a worker to finish its current batch before killing it.
_SHUTDOWN_JOIN_TIMEOUT = 5.0


class _InfiniteConstantSampler(Sampler):
    """For IterableDatasets: endless ``None`` s (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


# -- iterators -------------------------------------------------------------------------


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._dataset_kind_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._generator = loader.generator
        self._start_batch = loader.start_batch
        self._start_pass()

    def _start_pass(self):
        self._base_seed = draw_seed(self._generator)
        self._sampler_iter = iter(self._index_sampler)
        # The skipped batches' indices are drawn and dropped, so the sampler's random
        # stream reaches the first batch loaded where an uninterrupted pass has it.
        next(itertools.islice(self._sampler_iter, self._start_batch, self._start_batch), None)

    def __iter__(self):
        return self

    def __len__(self):
        return max(len(self._index_sampler) - self._start_batch, 0)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = make_fetcher(
            self._dataset,
            iterable=self._iterable,
            auto_collation=self._auto_collation,
            collate_fn=self._collate_fn,
            drop_last=self._drop_last,
        )
        self._batch_idx = self._start_batch
        # Pull the first index now, as the worker iterator does when it prefetches: a
        # shuffling sampler then draws its seed at iter(loader) in both modes.
        first = list(itertools.islice(self._sampler_iter, 1))
        self._sampler_iter = itertools.chain(first, self._sampler_iter)

    def __next__(self):
        index = next(self._sampler_iter)
        key = (self._batch_idx, 0) if self._iterable else (self._batch_idx,)
        self._batch_idx += 1
        with IsolatedSeed(batch_seed(self._base_seed, *key)):
            return self._fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
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
                    target=worker_loop,
                    name=f"DataLoaderWorker-{i}",
                    daemon=True,
                    kwargs=dict(
                        dataset=self._dataset,
                        iterable=self._iterable,
                        auto_collation=self._auto_collation,
                        collate_fn=self._collate_fn,
                        drop_last=self._drop_last,
                        index_queue=index_queue,
                        data_queue=self._data_queue,
                        done_event=self._workers_done_event,
                        base_seed=self._base_seed,
                        init_fn=loader.worker_init_fn,
                        worker_id=i,
                        num_workers=self._num_workers,
                        parent_pid=os.getpid(),
                    ),
                )
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown = False
            self._shutdown_workers()
            raise
        self._shutdown = False
        self._reset(first_iter=True)

    def _reset(self, first_iter=False):
        if not first_iter:
            self._start_pass()
        self._send_idx = self._start_batch  # number of the next batch to send to a worker
        self._rcvd_idx = self._start_batch  # number of the next batch to hand out, in order
        self._task_info = {}  # send idx -> (worker id,) or (worker id, data)
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_batches = [0] * self._num_workers  # for IterableDataset seeds
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(ResumeIteration())
            pending = self._num_workers
            while pending > 0:  # skip results of the last pass left over (after a break)
                idx, _ = self._get_data()
                if isinstance(idx, ResumeIteration):
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
            wait = STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            ok, item = self._try_get_data(wait)
            if ok:
                idx, payload = item
                return idx, (None if payload is None else pickle.loads(payload))
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def __next__(self):
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
            if self._iterable and isinstance(data, IterableDatasetStopIteration):
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
            index = next(self._sampler_iter)
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
            seed = batch_seed(self._base_seed, self._worker_batches[worker_id], worker_id)
            self._worker_batches[worker_id] += 1
        else:
            seed = batch_seed(self._base_seed, self._send_idx)
        self._index_queues[worker_id].put((self._send_idx, seed, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._send_idx += 1

    def _mark_worker_as_unavailable(self, worker_id):
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
                    self._mark_worker_as_unavailable(worker_id)
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
                how += f" (killed by signal {signal.Signals(-code).name})"
            except ValueError:
                pass
        parts.append(f"pid {w.pid}, {how}")
    return (
        f"DataLoader worker ({'; '.join(parts)}) exited unexpectedly. If it was killed for lack of "
        "memory, use fewer workers or a smaller batch_size / prefetch_factor."
    )


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
        start_batch: begin each pass at this batch, without loading the ones before it
            (to resume an epoch stopped part-way; map-style datasets only). The batches
            yielded are exactly the rest of a full pass: same indices, same random draws.

    See the module docstring for how seeding makes batches reproducible.
    """

    __initialized = False

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
        start_batch=0,
    ):
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(
                f"num_workers option should be a non-negative int; use num_workers=0 to disable "
                f"multiprocessing (got {num_workers!r})"
            )
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got {timeout})")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive int (got {prefetch_factor!r})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if not isinstance(start_batch, int) or isinstance(start_batch, bool) or start_batch < 0:
            raise ValueError(f"start_batch option should be a non-negative int (got {start_batch!r})")

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
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
            if start_batch:
                raise ValueError(
                    f"DataLoader with IterableDataset: start_batch needs a map-style dataset "
                    f"(a stream cannot skip batches without reading them), but got "
                    f"start_batch={start_batch}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind_iterable = False

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

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
        self.start_batch = start_batch
        self._iterator = None
        self.__initialized = True

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    f"multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        f"multiprocessing_context option should specify a valid start method "
                        f"in {methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    f"multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got {context!r}"
                )
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
            "start_batch",
        ):
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
                self._iterator._reset()
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
        return max(len(self._index_sampler) - self.start_batch, 0)
