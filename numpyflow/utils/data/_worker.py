"""What runs in a DataLoader worker process, and the seeding policy that makes a batch
the same whichever process loads it (see :mod:`numpyflow.utils.data.dataloader`)."""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

import numpyflow as nf

from ._fetch import make_fetcher

# How often (seconds) a waiting worker checks that its parent lives, and a waiting main
# process checks that its workers live.
STATUS_CHECK_INTERVAL = 1.0


# -- seeding ---------------------------------------------------------------------------


def draw_seed(generator) -> int:
    """A non-negative 63-bit seed drawn from ``generator`` (or the global generator)."""
    return int(nf.randint(0, 2**63 - 1, (1,), generator=generator).item())


def batch_seed(base_seed: int, *key: int) -> int:
    """A 64-bit seed for one batch, well mixed from the pass's base seed and the key."""
    return int(np.random.SeedSequence([base_seed, *key]).generate_state(1, np.uint64)[0])


def seed_globals(seed: int) -> None:
    """Seed this process's global generators: numpyflow's, numpy's legacy and Python's."""
    nf.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


class IsolatedSeed:
    """Fetch under a batch's seed, then put the caller's generators back as they were
    (used in the main process, whose random stream belongs to the training loop)."""

    __slots__ = ("seed", "saved")

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        self.saved = (nf.get_rng_state(), random.getstate(), np.random.get_state())
        seed_globals(self.seed)

    def __exit__(self, *exc):
        nf_state, py_state, np_state = self.saved
        nf.set_rng_state(nf_state)
        random.setstate(py_state)
        np.random.set_state(np_state)
        return False


# -- worker info -----------------------------------------------------------------------


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


# -- messages between the processes ----------------------------------------------------


class _KeyErrorMessage(str):
    """A KeyError's message shown as written (KeyError quotes its argument otherwise)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """The exception being handled in a worker, carried to the main process as its type
    and formatted traceback, and re-raised there by :meth:`reraise`."""

    def __init__(self, where):
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


class IterableDatasetStopIteration:
    """A worker's note that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Tells a persistent worker that a new pass begins."""


# -- the worker process ----------------------------------------------------------------


def worker_loop(
    *,
    dataset,
    iterable,
    auto_collation,
    collate_fn,
    drop_last,
    index_queue,
    data_queue,
    done_event,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
    parent_pid,
):
    """The body of a worker process: fetch the batches the main process asks for."""
    global _worker_info

    def new_fetcher():
        return make_fetcher(
            dataset, iterable=iterable, auto_collation=auto_collation, collate_fn=collate_fn, drop_last=drop_last
        )

    try:
        seed = base_seed + worker_id
        seed_globals(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        fetcher = new_fetcher()
        iteration_end = False

        while True:
            try:
                r = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # orphaned: the main process is gone
                    break
                continue
            if r is None:  # shut down
                break
            if isinstance(r, ResumeIteration):  # a new pass of persistent workers
                data_queue.put((r, None))
                iteration_end = False
                fetcher = new_fetcher()
                continue
            if done_event.is_set() or iteration_end:
                continue  # drain the queue until the None comes
            idx, fetch_seed, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    seed_globals(fetch_seed)
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and iterable:
                        data = IterableDatasetStopIteration(worker_id)
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
            data = ExceptionWrapper(
                where=f"{where} while sending the batch to the main process (collate_fn must return picklable objects)"
            )
        return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
