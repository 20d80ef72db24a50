"""numpyflow/parallel.py: the thread count API, parallel_for and map_ranges, and the ops
that split their work over threads, at sizes large enough to split, against PyTorch for
1, 2 and 3 threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow import parallel


@pytest.fixture
def threads():
    """Set the thread count for one test; restore it afterwards."""
    before = nf.get_num_threads()
    yield nf.set_num_threads
    nf.set_num_threads(before)


def test_set_and_get_num_threads(threads):
    threads(3)
    assert nf.get_num_threads() == 3
    threads(1)
    assert nf.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
        nf.set_num_threads(bad)


@pytest.mark.parametrize("value,expected", [("3", "3"), ("x", "NUMPYFLOW_NUM_THREADS must be a positive integer")])
def test_environment_variable_sets_the_default(value, expected):
    code = "import numpyflow as nf; print(nf.get_num_threads())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "NUMPYFLOW_NUM_THREADS": value}
    )
    assert expected in out.stdout + out.stderr


def test_default_is_the_cores_this_process_may_use():
    code = "import numpyflow as nf; print(nf.get_num_threads())"
    env = {k: v for k, v in os.environ.items() if k != "NUMPYFLOW_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert int(out.stdout) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("n_items", [0, 1, 2, 5, 17])
def test_parallel_for_covers_every_item_once_in_contiguous_groups(threads, n_threads, n_items):
    threads(n_threads)
    groups = []
    lock = threading.Lock()

    def fn(group):
        with lock:
            groups.append(list(group))

    parallel.parallel_for(list(range(n_items)), fn)
    assert sorted(i for g in groups for i in g) == list(range(n_items))
    assert all(g == list(range(g[0], g[0] + len(g))) for g in groups if g)
    assert len(groups) <= max(1, n_threads)


def test_parallel_for_raises_a_worker_exception_after_all_groups_finish(threads):
    threads(2)
    finished = []

    def fn(group):
        if group[0] != 0:
            raise KeyError("from a worker")
        finished.append(group)

    with pytest.raises(KeyError, match="from a worker"):
        parallel.parallel_for([0, 1], fn)
    assert finished == [[0]]


def test_nested_parallel_for_runs_inline(threads):
    threads(2)
    inner = []

    def outer(group):
        parallel.parallel_for(group, lambda g: inner.append((threading.get_ident(), list(g))))

    parallel.parallel_for([0, 1, 2, 3], outer)
    assert sorted(i for _, g in inner for i in g) == [0, 1, 2, 3]
    assert len(inner) == 2  # one inline call per outer group


def test_blas_runs_on_one_thread_from_the_first_parallel_work(threads):
    blas = parallel.blas()
    if blas.get_threads is None:
        pytest.skip("this BLAS's thread count can't be read")
    threads(2)
    blas.set_threads(2)
    seen = []
    parallel.parallel_for([0, 1], lambda g: seen.append(blas.get_threads()))
    assert seen == [1, 1]
    assert blas.get_threads() == 1  # its spinning workers would take the cores between ops


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((300, 200), (200, 150)),
        ((2, 300, 200), (200, 150)),
        ((4, 100, 200), (4, 200, 90)),
        ((1, 200), (200, 5000)),
        ((3, 1, 70, 80), (5, 80, 60)),
        ((200,), (200, 300)),
    ],
)
def test_threaded_matmul_equals_numpy(threads, n_threads, a_shape, b_shape):
    threads(n_threads)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    np.testing.assert_allclose(parallel.matmul(a, b), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(
        parallel.matmul(a.astype(np.int64), b.astype(np.int64)), np.matmul(a.astype(np.int64), b.astype(np.int64))
    )


@pytest.mark.parametrize("n_threads", [1, 2])
def test_map_ranges_returns_block_results_in_order(threads, n_threads):
    threads(n_threads)
    out = parallel.map_ranges(1000, 4096, lambda i0, i1: (i0, i1))
    assert out[0][0] == 0 and out[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in zip(out, out[1:]))
    assert parallel.map_ranges(0, 4096, lambda i0, i1: 1) == []


# -- the ops that split their work, at sizes that split -------------------------------------


def _run_both(fn_ours, fn_torch, arrays, grads):
    ours_in = [nf.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a, b = fn_ours(*ours_in), fn_torch(*theirs_in)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-4)
    a.backward(nf.tensor(grads))
    b.backward(torch.tensor(grads))
    for x, y in zip(ours_in, theirs_in):
        scale = np.abs(y.grad.numpy()).max()
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-4, atol=1e-5 * scale)


CONVS = [
    ("3x3 s1", (24, 16, 16, 16), (16, 16, 3, 3), dict(padding=1)),
    ("3x3 s1 many channels", (24, 32, 8, 8), (32, 32, 3, 3), dict(padding=1)),
    ("3x3 s2", (24, 16, 16, 16), (32, 16, 3, 3), dict(stride=2, padding=1)),
    ("3x3 few in channels", (24, 3, 16, 16), (16, 3, 3, 3), dict(padding=1)),
    ("3x3 groups", (24, 16, 16, 16), (16, 4, 3, 3), dict(padding=1, groups=4)),
    ("1x1 s2", (24, 32, 8, 8), (64, 32, 1, 1), dict(stride=2)),
    ("1x1 s1 bias", (24, 32, 8, 8), (16, 32, 1, 1), dict(bias=True)),
]


@needs_torch
@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("name,xs,ws,kw", CONVS, ids=[c[0] for c in CONVS])
def test_conv2d_split_over_threads_matches_pytorch(threads, monkeypatch, n_threads, name, xs, ws, kw):
    threads(n_threads)
    from numpyflow.ops import _conv_kernels

    monkeypatch.setattr(_conv_kernels, "CHUNK_BYTES", 1 << 16)  # many chunks even at this size
    rng = np.random.default_rng(0)
    kw = dict(kw)
    bias = kw.pop("bias", False)
    arrays = [rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(ws[0]).astype(np.float32))
    out_shape = tuple(torch.nn.functional.conv2d(*map(torch.tensor, arrays), **kw).shape)
    _run_both(
        lambda *a: nf.nn.functional.conv2d(*a, **kw),
        lambda *a: torch.nn.functional.conv2d(*a, **kw),
        arrays,
        rng.standard_normal(out_shape).astype(np.float32),
    )


@needs_torch
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_elementwise_and_batch_norm_split_over_threads_match_pytorch(threads, n_threads):
    threads(n_threads)
    rng = np.random.default_rng(1)
    shape = (64, 16, 32, 32)  # 4 MiB and more: split into blocks
    x, y, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    x += 3.0  # far from zero: the batch statistics must not lose accuracy
    _run_both(lambda a, b: nf.relu(a) + b, lambda a, b: torch.relu(a) + b, [x, y], g)
    w, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    for training in (True, False):
        rm, rv = np.zeros(16, np.float32), np.ones(16, np.float32)
        stats = [nf.tensor(rm.copy()), nf.tensor(rv.copy())], [torch.tensor(rm.copy()), torch.tensor(rv.copy())]
        _run_both(
            lambda a, w_, b_: nf.nn.functional.batch_norm(a, *stats[0], w_, b_, training),
            lambda a, w_, b_: torch.nn.functional.batch_norm(a, *stats[1], w_, b_, training),
            [x, w, b],
            g,
        )
        for ours, theirs in zip(*stats):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
