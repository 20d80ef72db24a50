"""A long run behaves like a short one: 1,000 training steps of a small CNN keep the
resident memory flat after warm-up, and no graph outlives its iteration (checked with
weak references, with the cyclic garbage collector off, so nothing waits for it)."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import numpyflow as nf

STEPS = 1000


def _rss_mib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_a_thousand_steps_keep_memory_flat_and_free_every_graph():
    nf.manual_seed(0)
    model = nf.nn.Sequential(
        nf.nn.Conv2d(1, 8, 3, padding=1),
        nf.nn.BatchNorm2d(8),
        nf.nn.ReLU(),
        nf.nn.MaxPool2d(2),
        nf.nn.Conv2d(8, 16, 3, padding=1),
        nf.nn.ReLU(),
        nf.nn.AdaptiveAvgPool2d(1),
        nf.nn.Flatten(),
        nf.nn.Dropout(0.1),
        nf.nn.Linear(16, 10),
    )
    opt = nf.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    images = nf.tensor(rng.standard_normal((256, 1, 8, 8)).astype(np.float32))
    labels = nf.tensor(rng.integers(0, 10, 256))
    previous = []
    rss = {}
    gc.disable()
    try:
        for step in range(STEPS):
            i = (step * 16) % 256
            loss = nf.nn.functional.cross_entropy(model(images[i : i + 16]), labels[i : i + 16])
            opt.zero_grad()
            loss.backward()
            opt.step()
            for ref in previous:  # last iteration's graph and output are gone already
                assert ref() is None, f"step {step}: a graph node of the previous step is still alive"
            previous = [weakref.ref(loss.grad_fn), weakref.ref(loss)]
            del loss
            if step in (199, STEPS - 1):
                rss[step] = _rss_mib()
    finally:
        gc.enable()
    growth = rss[STEPS - 1] - rss[199]
    print(f"resident memory: {rss[199]:.2f} MiB at step 200, {rss[STEPS - 1]:.2f} MiB at step {STEPS}")
    assert growth < 4.0, f"resident memory grew by {growth:.1f} MiB over {STEPS - 200} steps after warm-up"
