"""Resume is exact and training is deterministic, at the library level: a training loop
with a shuffling DataLoader, random augmentation and dropout gives bitwise-identical
weights (a) run straight for two epochs, or stopped after one (or part-way through the
second, resumed with ``start_batch``), checkpointed to disk, rebuilt from scratch and
resumed; (b) with ``num_workers=0`` and with worker processes."""

from __future__ import annotations

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.utils.data import DataLoader, Dataset
from numpyflow.vision import transforms as T

AUGMENT = T.Compose([T.RandomCrop(8, padding=1), T.RandomHorizontalFlip()])


class _Images(Dataset):
    """64 random 1x8x8 images with labels, augmented on every access."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
        self.y = rng.integers(0, 10, 64)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return AUGMENT(nf.tensor(self.x[i])), int(self.y[i])


def _setup(workers=0):
    nf.manual_seed(0)
    model = nf.nn.Sequential(
        nf.nn.Conv2d(1, 4, 3, padding=1), nf.nn.ReLU(), nf.nn.Flatten(), nf.nn.Dropout(0.3), nf.nn.Linear(256, 10)
    )
    opt = nf.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    gen = nf.Generator().manual_seed(1)
    loader = DataLoader(_Images(), batch_size=16, shuffle=True, generator=gen, num_workers=workers)
    return model, opt, gen, loader


def _epoch(model, opt, loader, stop_after=None):
    model.train()
    for done, (x, y) in enumerate(loader, start=1):
        opt.zero_grad()
        nf.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if done == stop_after:
            break


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_stop_checkpoint_and_resume_gives_bitwise_identical_weights(tmp_path):
    model, opt, _, loader = _setup()
    for _ in range(2):
        _epoch(model, opt, loader)
    straight = _weights(model)

    model, opt, gen, loader = _setup()
    _epoch(model, opt, loader)
    nf.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "rng": nf.get_rng_state(),
            "loader_rng": gen.get_state(),
        },
        tmp_path / "ckpt.pt",
    )
    del model, opt, gen, loader

    model, opt, gen, loader = _setup()  # a fresh process would build everything again
    nf.manual_seed(12345)  # and its generators would be wherever its start-up left them
    ckpt = nf.load(tmp_path / "ckpt.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    nf.set_rng_state(ckpt["rng"])
    gen.set_state(ckpt["loader_rng"])
    _epoch(model, opt, loader)
    resumed = _weights(model)
    for key in straight:
        np.testing.assert_array_equal(resumed[key], straight[key], err_msg=key)


@pytest.mark.parametrize("workers", [0, 2])
def test_stop_mid_epoch_and_resume_from_that_batch_gives_bitwise_identical_weights(tmp_path, workers):
    model, opt, _, loader = _setup(workers)
    for _ in range(2):
        _epoch(model, opt, loader)
    straight = _weights(model)

    model, opt, gen, loader = _setup(workers)
    _epoch(model, opt, loader)
    epoch_start = gen.get_state()  # what the loader draws this epoch's shuffle and seeds from
    _epoch(model, opt, loader, stop_after=3)
    nf.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "rng": nf.get_rng_state(),
            "loader_rng": epoch_start,
            "batch": 3,
        },
        tmp_path / "ckpt.pt",
    )
    del model, opt, gen, loader

    model, opt, gen, _ = _setup(workers)
    nf.manual_seed(12345)
    ckpt = nf.load(tmp_path / "ckpt.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    nf.set_rng_state(ckpt["rng"])
    gen.set_state(ckpt["loader_rng"])
    loader = DataLoader(
        _Images(), batch_size=16, shuffle=True, generator=gen, num_workers=workers, start_batch=ckpt["batch"]
    )
    _epoch(model, opt, loader)
    resumed = _weights(model)
    for key in straight:
        np.testing.assert_array_equal(resumed[key], straight[key], err_msg=key)


@pytest.mark.parametrize("workers", [2])
def test_the_same_seed_trains_bitwise_identically_with_and_without_workers(workers):
    runs = []
    for n in (0, workers, 0):
        model, opt, _, loader = _setup(n)
        for _ in range(2):
            _epoch(model, opt, loader)
        runs.append(_weights(model))
    for key in runs[0]:
        np.testing.assert_array_equal(runs[1][key], runs[0][key], err_msg=f"workers vs none: {key}")
        np.testing.assert_array_equal(runs[2][key], runs[0][key], err_msg=f"run to run: {key}")
