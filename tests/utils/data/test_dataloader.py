"""DataLoader: batch contents and order (also against PyTorch), workers that match the
main process batch for batch (random augmentation included), errors, and shutdown."""

import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    get_worker_info,
)
from numpyflow.vision import transforms as T

# -- datasets (module level, so worker processes can use them) --------------------------------


class Samples(Dataset):
    """Sample i is (float32 array [i, -i], i)."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, -i], np.float32), i


class Augmented(Dataset):
    """Random augmentation inside the dataset: a random crop and flip (numpyflow's
    generator) plus draws from numpy's and Python's global generators."""

    def __init__(self, n=24):
        self.n = n
        self.transform = T.Compose([T.RandomCrop(6, padding=2), T.RandomHorizontalFlip(), T.ToTensor()])

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        img = np.arange(36, dtype=np.uint8).reshape(6, 6) + i
        return self.transform(img), i, nf.rand(1).item(), np.random.rand(), random.random()


class Failing(Dataset):
    def __init__(self, bad, error=ValueError):
        self.bad, self.error = bad, error

    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error(f"sample {i} is broken")
        return i


class FailingPids(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 3:
            raise ValueError("broken")
        return os.getpid()


class Pids(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        return os.getpid()


class Counting(Dataset):
    """Counts fetched samples in shared memory (visible across processes)."""

    def __init__(self, counter, n=40):
        self.counter, self.n = counter, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with self.counter.get_lock():
            self.counter.value += 1
        return i


class Sharded(IterableDataset):
    """0..n-1, each worker taking every num_workers-th item."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class RandomStream(IterableDataset):
    def __iter__(self):
        for i in range(7):
            yield i, nf.rand(1).item()


class WorkerFacts(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return (info.id, info.num_workers, info.seed, info.dataset is not None) if info else None


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(1.0)
        return i


class Dies(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()


class LocalError(Exception):
    def __init__(self, a, b):  # not constructible from one message
        super().__init__(a, b)


class NeedsTwoArgs(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise LocalError("x", i)


class Marked(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return getattr(self, "marker", -1)


def mark_dataset(worker_id):
    get_worker_info().dataset.marker = 100 + worker_id


def unpicklable_collate(batch):
    return lambda: batch


def seed_numpy_in_worker(worker_id):
    np.random.seed(12345 + worker_id)


def failing_init(worker_id):
    raise RuntimeError(f"init of worker {worker_id} failed")


# -- helpers -------------------------------------------------------------------------


def plain(obj):
    if isinstance(obj, nf.Tensor) or (torch is not None and isinstance(obj, torch.Tensor)):
        return (str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


def batches(loader):
    return [plain(b) for b in loader]


def gone(pid):
    """True once the process has exited and been reaped (no zombie left)."""
    return not os.path.exists(f"/proc/{pid}")


def assert_no_workers_left(pids):
    assert not [p for p in multiprocessing.active_children() if p.pid in pids]
    assert all(gone(pid) for pid in pids), [pid for pid in pids if not gone(pid)]


# -- batching, against PyTorch -----------------------------------------------------------


@needs_torch
@pytest.mark.parametrize(
    "batch_size, drop_last",
    [(1, False), (3, False), (3, True), (5, True), (10, False), (4, False), (16, False), (16, True)],
)
def test_batches_order_and_len_match_pytorch(batch_size, drop_last):
    ours = DataLoader(Samples(10), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(Samples(10), batch_size=batch_size, drop_last=drop_last)
    assert batches(ours) == batches(theirs)
    assert len(ours) == len(theirs) == len(list(ours))


@needs_torch
def test_fixed_sampler_order_matches_pytorch():
    order = [7, 1, 8, 2, 0, 9, 3]
    ours = DataLoader(Samples(10), batch_size=3, sampler=order)
    theirs = torch.utils.data.DataLoader(Samples(10), batch_size=3, sampler=order)
    assert batches(ours) == batches(theirs)


@needs_torch
def test_batch_sampler_batches_match_pytorch():
    groups = [[3, 1], [0], [9, 8, 7, 6], [2]]
    ours = DataLoader(Samples(10), batch_sampler=groups)
    theirs = torch.utils.data.DataLoader(Samples(10), batch_sampler=groups)
    assert batches(ours) == batches(theirs)
    assert len(ours) == 4


@needs_torch
def test_batch_size_none_yields_converted_single_samples_like_pytorch():
    ours = DataLoader(Samples(3), batch_size=None)
    theirs = torch.utils.data.DataLoader(Samples(3), batch_size=None)
    assert batches(ours) == batches(theirs)
    assert len(ours) == 3


def test_tensor_dataset_batches_are_stacked_rows():
    x = nf.arange(20, dtype=nf.float32).reshape(10, 2)
    y = nf.arange(10)
    out = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert [tuple(b[0].shape) for b in out] == [(4, 2), (4, 2), (2, 2)]
    assert out[1][1].tolist() == [4, 5, 6, 7] and out[1][0].dtype == nf.float32


def test_collate_fn_receives_the_list_of_samples():
    seen = []
    loader = DataLoader(Samples(5), batch_size=2, collate_fn=lambda b: seen.append([s[1] for s in b]) or len(b))
    assert list(loader) == [2, 2, 1]
    assert seen == [[0, 1], [2, 3], [4]]


def test_getitems_fetches_a_whole_batch_at_once():
    class Batched(Samples):
        def __getitems__(self, indices):
            return [(i * 10, i) for i in indices]

    assert [b[0].tolist() for b in DataLoader(Batched(5), batch_size=2)] == [[0, 10], [20, 30], [40]]


def test_iterable_dataset_is_batched_in_stream_order():
    loader = DataLoader(Sharded(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(loader) == 3
    assert [b.tolist() for b in DataLoader(Sharded(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]


# -- shuffling ---------------------------------------------------------------------------


def test_shuffle_visits_every_sample_once_in_a_new_order_each_epoch():
    loader = DataLoader(Samples(20), batch_size=6, shuffle=True)
    nf.manual_seed(0)
    e1 = [i for b in loader for i in b[1].tolist()]
    e2 = [i for b in loader for i in b[1].tolist()]
    assert sorted(e1) == sorted(e2) == list(range(20)) and e1 != e2


def test_shuffle_repeats_with_the_same_global_seed():
    loader = DataLoader(Samples(20), batch_size=6, shuffle=True)
    nf.manual_seed(7)
    a = batches(loader)
    nf.manual_seed(7)
    assert batches(loader) == a


def test_shuffle_draws_from_the_loader_generator_when_given():
    def order(seed):
        g = nf.Generator().manual_seed(seed)
        return [i for b in DataLoader(Samples(20), batch_size=5, shuffle=True, generator=g) for i in b[1].tolist()]

    nf.manual_seed(1)
    a = order(3)
    nf.manual_seed(2)  # the global seed does not matter
    assert order(3) == a and order(4) != a


# -- workers ------------------------------------------------------------------------------


def augmented_epochs(epochs=2, **kwargs):
    nf.manual_seed(123)
    loader = DataLoader(Augmented(), batch_size=5, shuffle=True, **kwargs)
    out = [batches(loader) for _ in range(epochs)]
    return out, nf.rand(1).item()  # and where the main process's random stream is afterwards


def test_workers_give_the_same_batches_as_the_main_process_with_random_augmentation():
    single, after_single = augmented_epochs()
    workers, after_workers = augmented_epochs(num_workers=2)
    assert workers == single
    assert after_workers == after_single  # data loading drew the same from the global generator
    one_worker, _ = augmented_epochs(num_workers=1, prefetch_factor=1)
    assert one_worker == single


def test_augmentations_differ_between_epochs_and_between_seeds():
    (e1, e2), _ = augmented_epochs()
    assert e1 != e2
    nf.manual_seed(124)
    other = batches(DataLoader(Augmented(), batch_size=5, shuffle=True))
    assert other != e1


def test_persistent_workers_give_the_same_batches_as_fresh_workers():
    fresh, after_fresh = augmented_epochs(epochs=3, num_workers=2)
    persistent, after_persistent = augmented_epochs(epochs=3, num_workers=2, persistent_workers=True)
    assert persistent == fresh and after_persistent == after_fresh


def test_the_loader_generator_alone_decides_shuffle_and_augmentation():
    def run(global_seed):
        nf.manual_seed(global_seed)
        return batches(
            DataLoader(
                Augmented(10), batch_size=4, shuffle=True, num_workers=1, generator=nf.Generator().manual_seed(42)
            )
        )

    assert run(1) == run(2)


def test_persistent_workers_start_a_clean_epoch_after_a_break():
    loader = DataLoader(Samples(12), batch_size=2, num_workers=2, persistent_workers=True)
    for i, _ in enumerate(loader):
        if i == 1:
            break
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    pids = [w.pid for w in loader._iterator._workers]
    del loader
    assert_no_workers_left(pids)


def test_worker_init_fn_runs_in_each_worker_before_loading():
    markers = [b.item() for b in DataLoader(Marked(), batch_size=1, num_workers=2, worker_init_fn=mark_dataset)]
    assert markers == [100, 101, 100, 101]


def test_per_batch_seeding_overrides_seeds_set_in_worker_init_fn():
    nf.manual_seed(5)
    single = batches(DataLoader(Augmented(10), batch_size=2))
    nf.manual_seed(5)
    loader = DataLoader(Augmented(10), batch_size=2, num_workers=2, worker_init_fn=seed_numpy_in_worker)
    assert batches(loader) == single


def test_workers_load_in_separate_processes():
    pids = {p for b in DataLoader(Pids(), batch_size=2, num_workers=2) for p in b.tolist()}
    assert len(pids) == 2 and os.getpid() not in pids
    assert_no_workers_left(pids)


def test_workers_prefetch_up_to_prefetch_factor_batches_each_before_being_asked():
    counter = multiprocessing.get_context("fork").Value("i", 0)
    loader = DataLoader(Counting(counter), batch_size=2, num_workers=2, prefetch_factor=3)
    it = iter(loader)
    deadline = time.monotonic() + 10
    while counter.value < 2 * 3 * 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert counter.value == 2 * 3 * 2  # 2 workers x 3 batches x 2 samples, and no more
    assert next(it)[0].item() == 0
    del it


def test_get_worker_info_describes_the_worker_and_is_none_in_the_main_process():
    assert get_worker_info() is None
    facts = [
        tuple(x.tolist() if isinstance(x, nf.Tensor) else x for x in b)
        for b in DataLoader(WorkerFacts(), batch_size=1, num_workers=2)
    ]
    ids = [f[0][0] for f in facts]
    assert ids == [0, 1, 0, 1]  # batches are dealt round-robin
    assert all(f[1][0] == 2 and f[3][0] for f in facts)
    seeds = {f[0][0]: f[2][0] for f in facts}
    assert seeds[1] == seeds[0] + 1  # base seed + worker id
    assert DataLoader(WorkerFacts(), batch_size=None).__iter__().__next__() is None


def test_iterable_dataset_sharded_by_worker_info_yields_every_item_once():
    out = [i for b in DataLoader(Sharded(11), batch_size=2, num_workers=2) for i in b.tolist()]
    assert sorted(out) == list(range(11))


def test_iterable_dataset_with_one_worker_matches_the_main_process():
    nf.manual_seed(9)
    single = batches(DataLoader(RandomStream(), batch_size=3))
    nf.manual_seed(9)
    assert batches(DataLoader(RandomStream(), batch_size=3, num_workers=1)) == single


def test_out_of_order_loading_still_yields_every_batch():
    out = sorted(i for b in DataLoader(Samples(10), batch_size=2, num_workers=2, in_order=False) for i in b[1].tolist())
    assert out == list(range(10))


def test_spawned_workers_match_forked_ones():
    ds = TensorDataset(nf.arange(12).reshape(6, 2), nf.arange(6))
    forked = batches(DataLoader(ds, batch_size=4, num_workers=1))
    spawned = batches(DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn"))
    assert spawned == forked == batches(DataLoader(ds, batch_size=4))


# -- resuming from a batch -------------------------------------------------------------------


def resumable_pass(start_batch=0, **kwargs):
    """A shuffled, augmented pass whose generator is seeded as at the start of its epoch,
    and where the main process's random stream is afterwards."""
    nf.manual_seed(77)
    loader = DataLoader(
        Augmented(23),
        batch_size=5,
        shuffle=True,
        generator=nf.Generator().manual_seed(8),
        start_batch=start_batch,
        **kwargs,
    )
    return batches(loader), len(loader), nf.rand(1).item()


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("start_batch", [1, 3, 4])
def test_start_batch_yields_exactly_the_rest_of_the_uninterrupted_pass(start_batch, num_workers):
    full, full_len, after_full = resumable_pass()
    rest, rest_len, after_rest = resumable_pass(start_batch, num_workers=num_workers)
    assert rest == full[start_batch:]  # same samples, same random augmentation
    assert rest_len == full_len - start_batch == len(rest)
    assert after_rest == after_full  # the training loop's random stream is where it would be


def test_start_batch_skips_without_loading_and_past_the_end_yields_nothing():
    counter = multiprocessing.get_context("fork").Value("i", 0)
    assert [b.tolist() for b in DataLoader(Counting(counter, n=10), batch_size=3, start_batch=2)] == [[6, 7, 8], [9]]
    assert counter.value == 4
    past_end = DataLoader(Samples(10), batch_size=3, start_batch=5)
    assert list(past_end) == [] and len(past_end) == 0


def test_start_batch_applies_to_every_pass_of_persistent_workers():
    loader = DataLoader(Samples(8), batch_size=2, num_workers=2, persistent_workers=True, start_batch=3)
    assert [[b[1].tolist() for b in loader] for _ in range(2)] == [[[6, 7]], [[6, 7]]]


# -- errors and shutdown --------------------------------------------------------------------


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataset_errors_reach_the_main_process(num_workers):
    loader = DataLoader(Failing(bad=5), batch_size=2, num_workers=num_workers)
    got = []
    with pytest.raises(ValueError, match="sample 5 is broken") as excinfo:
        for b in loader:
            got.append(b.tolist())
    assert got == [[0, 1], [2, 3]]  # the batches before the broken one, in order
    if num_workers:
        msg = str(excinfo.value)
        assert "Caught ValueError in DataLoader worker process 0" in msg
        assert "Original Traceback" in msg and "__getitem__" in msg and "raise self.error" in msg
    del excinfo


def test_worker_key_errors_and_unconstructible_exceptions_keep_the_traceback():
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        list(DataLoader(Failing(bad=0, error=KeyError), num_workers=1))
    with pytest.raises(RuntimeError, match="(?s)Caught LocalError.*LocalError: \\('x', 0\\)"):
        list(DataLoader(NeedsTwoArgs(), num_workers=1))


def test_worker_init_fn_errors_surface_at_the_first_batch():
    with pytest.raises(RuntimeError, match="init of worker 0 failed"):
        list(DataLoader(Samples(4), num_workers=1, worker_init_fn=failing_init))


def test_unpicklable_batches_are_an_error_not_a_hang():
    loader = DataLoader(Samples(4), batch_size=2, num_workers=1, collate_fn=unpicklable_collate, timeout=30)
    with pytest.raises(Exception, match="picklable"):
        list(loader)


def test_no_worker_processes_remain_after_an_epoch():
    pids = {p for b in DataLoader(Pids(), batch_size=2, num_workers=2) for p in b.tolist()}
    assert_no_workers_left(pids)


def test_no_worker_processes_remain_after_a_break():
    for b in DataLoader(Pids(), batch_size=2, num_workers=2, prefetch_factor=4):
        pids = set(b.tolist())
        break
    assert_no_workers_left(pids)


def test_no_worker_processes_remain_after_a_worker_error():
    pids = set()
    with pytest.raises(ValueError) as excinfo:
        for b in DataLoader(FailingPids(), batch_size=1, num_workers=2):
            pids.update(b.tolist())
    assert len(pids) == 2
    del excinfo  # the iterator lives as long as the exception's traceback
    assert_no_workers_left(pids)


def test_a_worker_that_dies_is_reported_and_the_others_are_stopped():
    it = iter(DataLoader(Dies(), batch_size=1, num_workers=2))
    pids = [w.pid for w in it._workers]
    with pytest.raises(
        RuntimeError,
        match=r"DataLoader worker \(pid \d+, exit code -9 \(killed by signal SIGKILL\)\) "
        "exited unexpectedly",
    ):
        list(it)
    assert_no_workers_left(pids)


def test_timeout_is_an_error_when_a_batch_takes_too_long():
    it = iter(DataLoader(Sleepy(), num_workers=1, timeout=0.2))
    pids = [w.pid for w in it._workers]
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        next(it)
    assert_no_workers_left(pids)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_workers": -1}, "num_workers option should be a non-negative int"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
        ({"batch_size": 0}, "batch_size should be a positive integer"),
        ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor option should be a positive int"),
        ({"multiprocessing_context": "fork"}, "multiprocessing_context can only be used with multi-process loading"),
        ({"start_batch": -1}, "start_batch option should be a non-negative int"),
    ],
)
def test_invalid_loader_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Samples(4), **kwargs)


def test_iterable_dataset_refuses_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Sharded(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Sharded(3), sampler=[0])
    with pytest.raises(ValueError, match="start_batch needs a map-style dataset"):
        DataLoader(Sharded(3), start_batch=1)


def test_loader_settings_cannot_change_after_construction():
    loader = DataLoader(Samples(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    assert isinstance(loader.batch_sampler, BatchSampler) and isinstance(loader.sampler, SequentialSampler)
