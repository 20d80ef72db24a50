"""numpyflow/cli/data.py: the training command's loaders are the library's DataLoader with a
per-epoch generator, and --augment is the library's batch transforms run inside the loader."""

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.cli import data as cli_data
from numpyflow.utils.data import TensorDataset

SPEC = cli_data.DATASETS["cifar10"]  # crops and flips


def images(n=21):
    rng = np.random.default_rng(0)
    return TensorDataset(nf.from_numpy(rng.standard_normal((n, 3, 32, 32)).astype(np.float32)), nf.arange(n))


def epoch(start_batch=0, epoch=1, workers=0, seed=5):
    loader = cli_data.train_loader(
        images(),
        batch_size=4,
        seed=seed,
        epoch=epoch,
        workers=workers,
        augment=cli_data.augmentation(SPEC, fill=(-9.0, -8.0, -7.0)),
        start_batch=start_batch,
    )
    return [(x.numpy(), y.numpy()) for x, y in loader]


def assert_same(a, b):
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_resumed_epoch_yields_the_batches_the_uninterrupted_epoch_yields(workers):
    full = epoch()
    assert len(full) == 6
    assert_same(epoch(start_batch=4, workers=workers), full[4:])


def test_the_epoch_and_the_seed_alone_decide_order_and_augmentation():
    nf.manual_seed(1)
    a = epoch()
    nf.manual_seed(2)  # the global generator plays no part
    assert_same(epoch(), a)
    assert not np.array_equal(epoch(epoch=2)[0][1], a[0][1])
    assert not np.array_equal(epoch(seed=6)[0][1], a[0][1])


def test_augmentation_crops_with_black_padding_and_keeps_the_labels_with_their_images():
    full = epoch()
    data = images().tensors[0].numpy()
    padded = np.pad(data, ((0, 0), (0, 0), (4, 4), (4, 4)))
    padded[:, :, :4] = padded[:, :, -4:] = padded[:, :, :, :4] = padded[:, :, :, -4:] = np.array(
        [-9.0, -8.0, -7.0], np.float32
    ).reshape(3, 1, 1)
    for x, y in full:
        assert x.shape[1:] == (3, 32, 32)
        for image, label in zip(x, y):
            candidates = [padded[label], padded[label][..., ::-1]]  # flipped or not
            assert any(
                np.array_equal(image, c[:, i : i + 32, j : j + 32])
                for c in candidates
                for i in range(9)
                for j in range(9)
            )
