"""The data sets the training command knows, and their loaders.

All randomness of a run's data is a function of (seed, epoch, batch): each epoch's loader
takes its shuffle and its per-batch seeds from a generator seeded from (seed, epoch), and
``--augment`` runs inside the loader (after collation) under those per-batch seeds.  A run
stopped mid-epoch resumes with the loader's ``start_batch`` and continues exactly, with or
without worker processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import vision
from ..random import Generator
from ..utils.data import DataLoader, RandomSampler, default_collate
from ..vision import transforms

DIGITS = tuple("0123456789")
FASHION_MNIST = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


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
    class_names: tuple = DIGITS  # the name of each label, in order


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
        class_names=FASHION_MNIST,
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
        class_names=CIFAR10,
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


def epoch_generator(seed: int, epoch: int, *more: int) -> Generator:
    """A generator that is a function of ``(seed, epoch, *more)`` alone."""
    state = np.random.SeedSequence([seed, epoch, *more]).generate_state(1, np.uint64)[0]
    return Generator().manual_seed(int(state))


def epoch_order(seed: int, epoch: int, n: int) -> list:
    """The order in which epoch ``epoch`` visits ``n`` images (all processes alike)."""
    return list(RandomSampler(range(n), generator=epoch_generator(seed, epoch)))


def shard(order: list, rank: int, world: int) -> list:
    """Process ``rank``'s part of ``order`` out of ``world``: padded from its start to a
    multiple of ``world``, then every ``world``-th index from ``rank``
    (``DistributedSampler``'s rule), so a global batch ``j`` is the ``j``-th batch of
    every process."""
    if world == 1 or not order:
        return order
    padded = order + (order * -(-world // len(order)))[: -len(order) % world]
    return padded[rank::world]


def train_loader(
    dataset,
    *,
    batch_size: int,
    seed: int,
    epoch: int,
    workers: int,
    augment=None,
    start_batch: int = 0,
    start: int = 0,
    rank: int = 0,
    world: int = 1,
) -> DataLoader:
    """Epoch ``epoch`` of ``dataset`` for process ``rank`` of ``world``: the epoch's order
    from image ``start`` on, sharded, its batches transformed by ``augment`` (if given)
    under seeds of ``(seed, epoch, rank, start)``, from batch ``start_batch`` on."""
    collate_fn = default_collate if augment is None else CollateAndTransform(augment)
    indices = shard(epoch_order(seed, epoch, len(dataset))[start:], rank, world)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=indices,
        generator=epoch_generator(seed, epoch, rank, start),
        num_workers=workers,
        collate_fn=collate_fn,
        start_batch=start_batch,
    )


def steps(n: int, batch_size: int, world: int = 1) -> int:
    """Batches of a pass over ``n`` images by ``world`` processes of ``batch_size`` each."""
    return math.ceil(math.ceil(n / world) / batch_size) if n > 0 else 0
