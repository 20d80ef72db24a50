"""The data sets the training command knows, and their loaders.

All randomness of a run's data is a function of (seed, epoch, batch): each epoch's loader
takes its shuffle and its per-batch seeds from a generator seeded from (seed, epoch), and
``--augment`` runs inside the loader (after collation) under those per-batch seeds.  A run
stopped mid-epoch resumes with the loader's ``start_batch`` and continues exactly, with or
without worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import vision
from ..random import Generator
from ..utils.data import DataLoader, default_collate
from ..vision import transforms


@dataclass(frozen=True)
class DataSpec:
    name: str
    dataset: type  # a vision.datasets class, called as (root=, train=, transform=)
    channels: int
    classes: int
    image_size: int  # images are image_size x image_size
    crop_padding: int  # random-crop padding used by --augment
    flip: bool  # horizontal flips are label-preserving
    data_dir: str | None = None  # what --data-dir must hold, where the data set has no default folder


DATASETS = {
    "digits": DataSpec(
        name="digits", dataset=vision.datasets.Digits, channels=1, classes=10, image_size=8, crop_padding=1, flip=False
    ),
    "fashion-mnist": DataSpec(
        name="fashion-mnist",
        dataset=vision.datasets.FashionMNIST,
        channels=1,
        classes=10,
        image_size=28,
        crop_padding=2,
        flip=True,
    ),
    "mnist": DataSpec(
        name="mnist",
        dataset=vision.datasets.MNIST,
        channels=1,
        classes=10,
        image_size=28,
        crop_padding=2,
        flip=False,
        data_dir="the four MNIST files, train-images-idx3-ubyte.gz and the others, from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    "cifar10": DataSpec(
        name="cifar10",
        dataset=vision.datasets.CIFAR10,
        channels=3,
        classes=10,
        image_size=32,
        crop_padding=4,
        flip=True,
        data_dir="cifar-10-batches-py, extracted from https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ),
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


def augmentation(spec: DataSpec, fill) -> transforms.Compose:
    """``--augment`` for a batch of normalised images: a random crop after padding with
    ``fill`` (black, normalised) and, where label-preserving, a horizontal flip."""
    steps = [transforms.BatchRandomCrop(spec.image_size, padding=spec.crop_padding, fill=fill)]
    if spec.flip:
        steps.append(transforms.BatchRandomHorizontalFlip())
    return transforms.Compose(steps)


class CollateAndTransform:
    """``default_collate``, then ``transform`` on the images of the (images, labels)
    batch: a batch transform run by the loader, under its per-batch seed."""

    def __init__(self, transform):
        self.transform = transform

    def __call__(self, samples):
        images, labels = default_collate(samples)
        return self.transform(images), labels


def epoch_generator(seed: int, epoch: int) -> Generator:
    """The generator of one epoch's shuffle and augmentation, a function of (seed, epoch)."""
    return Generator().manual_seed(int(np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint64)[0]))


def train_loader(
    dataset, *, batch_size: int, seed: int, epoch: int, workers: int, augment=None, start_batch: int = 0
) -> DataLoader:
    """Epoch ``epoch`` of ``dataset``, shuffled, its batches transformed by ``augment``
    (if given), from batch ``start_batch`` on."""
    collate_fn = default_collate if augment is None else CollateAndTransform(augment)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        generator=epoch_generator(seed, epoch),
        num_workers=workers,
        collate_fn=collate_fn,
        start_batch=start_batch,
    )
