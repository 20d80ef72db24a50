"""The data sets the training command knows, their loaders, and batch augmentation.

All randomness of a run is a function of (seed, epoch, batch index): the epoch's shuffle
order and each batch's augmentation are drawn from generators seeded that way, so a run
stopped mid-epoch and resumed continues exactly, with or without worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import vision
from ..tensor import Tensor
from ..utils.data import DataLoader


@dataclass(frozen=True)
class DataSpec:
    name: str
    factory: callable          # (root, train, transform) -> dataset
    channels: int
    classes: int
    crop_padding: int          # random-crop padding used by --augment
    flip: bool                 # horizontal flips are label-preserving


def _digits(root, train, transform):
    return vision.datasets.Digits(root=root, train=train, transform=transform)


def _fashion(root, train, transform):
    return vision.datasets.FashionMNIST(root=root, train=train, transform=transform)


def _mnist(root, train, transform):
    return vision.datasets.MNIST(root=root, train=train, transform=transform)


def _cifar10(root, train, transform):
    return vision.datasets.CIFAR10(root=root, train=train, transform=transform)


DATASETS = {
    "digits": DataSpec("digits", _digits, 1, 10, 1, False),
    "fashion-mnist": DataSpec("fashion-mnist", _fashion, 1, 10, 2, True),
    "mnist": DataSpec("mnist", _mnist, 1, 10, 2, False),
    "cifar10": DataSpec("cifar10", _cifar10, 3, 10, 4, True),
}


def channel_stats(dataset) -> tuple[tuple, tuple]:
    """Per-channel mean and std of a data set's images, scaled as ToTensor scales them."""
    data = np.asarray(dataset.data)
    scale = 255.0 if data.dtype == np.uint8 else 1.0
    x = data.astype(np.float64) / scale
    axes = tuple(range(x.ndim - 1)) if x.ndim == 4 else None
    mean = x.mean(axis=axes)
    std = x.std(axis=axes)
    return tuple(np.atleast_1d(mean).tolist()), tuple(np.atleast_1d(std).tolist())


class EpochSampler:
    """The indices of one epoch: a permutation drawn from (seed, epoch), or in order,
    starting at position ``start`` (to resume mid-epoch)."""

    def __init__(self, n: int, seed: int, epoch: int, shuffle: bool, start: int = 0):
        if shuffle:
            rng = np.random.Generator(np.random.PCG64([seed, epoch, 0x5EED]))
            self.order = rng.permutation(n)
        else:
            self.order = np.arange(n)
        self.start = start

    def __iter__(self):
        return iter(self.order[self.start:].tolist())

    def __len__(self):
        return len(self.order) - self.start


def make_loader(dataset, batch_size, seed, epoch, shuffle, workers, start_batch=0, drop_last=False):
    """A DataLoader over one epoch of ``dataset``, skipping the first ``start_batch`` batches."""
    sampler = EpochSampler(len(dataset), seed, epoch, shuffle, start_batch * batch_size)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      drop_last=drop_last, persistent_workers=False)


def augment(images: Tensor, padding: int, flip: bool, seed: int, epoch: int, batch: int, fill=0.0) -> Tensor:
    """Random crop (padding with ``fill``, per channel) and horizontal flip of a whole
    (N, C, H, W) batch, drawn from (seed, epoch, batch); vectorised over the batch."""
    x = images.numpy()
    n, c, h, w = x.shape
    rng = np.random.Generator(np.random.PCG64([seed, epoch, batch, 0xA06]))
    if padding:
        padded = np.empty((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
        padded[...] = np.asarray(fill, dtype=x.dtype).reshape(-1, 1, 1)
        padded[:, :, padding:padding + h, padding:padding + w] = x
        dy = rng.integers(0, 2 * padding + 1, n)
        dx = rng.integers(0, 2 * padding + 1, n)
        out = np.empty_like(x)
        for oy in range(2 * padding + 1):
            for ox in range(2 * padding + 1):
                sel = np.nonzero((dy == oy) & (dx == ox))[0]
                if sel.size:
                    out[sel] = padded[sel, :, oy:oy + h, ox:ox + w]
        x = out
    if flip:
        mirror = rng.random(n) < 0.5
        x = x.copy() if not padding else x
        x[mirror] = x[mirror][:, :, :, ::-1]
    return Tensor._make(np.ascontiguousarray(x))
