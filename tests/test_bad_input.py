"""Bad input to the training stack gives a clear error naming what and where, and changes
nothing (issue: wrong channels, wrong labels, missing or corrupt data, foreign checkpoint)."""

import gzip

import numpy as np
import pytest

import numpyflow as nf
from numpyflow import nn
from numpyflow.vision import datasets, models


def _snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _unchanged(model, before):
    after = _snapshot(model)
    return all(np.array_equal(after[k], before[k]) for k in before)


def test_wrong_channel_count():
    model = models.resnet20(in_channels=1)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, H, W\), got \(8, 3, 28, 28\)"):
        model(nf.zeros(8, 3, 28, 28))
    assert _unchanged(model, before)  # BatchNorm statistics untouched


def test_wrong_label_dtype_and_range():
    logits = nf.zeros(4, 10, requires_grad=True)
    with pytest.raises((RuntimeError, TypeError), match="(?i)cross_entropy.*(integer|int64|Long|dtype)"):
        nn.CrossEntropyLoss()(logits, nf.tensor([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises((IndexError, RuntimeError), match="(?i)cross_entropy.*12.*10"):
        nn.CrossEntropyLoss()(logits, nf.tensor([0, 1, 12, 3]))
    assert logits.grad is None


def test_missing_data_files_say_where_they_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match="(?i)cifar"):
        datasets.CIFAR10(tmp_path)


def test_corrupt_idx_file_is_found_when_opening(tmp_path):
    for name, magic, shape in (
        ("train-images-idx3-ubyte.gz", 2051, (3, 28, 28)),
        ("train-labels-idx1-ubyte.gz", 2049, (3,)),
    ):
        header = magic.to_bytes(4, "big") + b"".join(s.to_bytes(4, "big") for s in shape)
        body = np.zeros(int(np.prod(shape)), np.uint8).tobytes()
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(header + body[:-5])  # truncated
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte"):
        datasets.MNIST(tmp_path, train=True)


def test_checkpoint_of_another_model_changes_nothing(tmp_path):
    nf.save(models.resnet32().state_dict(), tmp_path / "resnet32.pt")
    model = models.resnet20()
    before = _snapshot(model)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "layer1.3.conv1.weight"'):
        model.load_state_dict(nf.load(tmp_path / "resnet32.pt"))
    assert _unchanged(model, before)
    nf.save(models.resnet20(num_classes=7).state_dict(), tmp_path / "seven.pt")
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight.*\(7, 64\).*\(10, 64\)"):
        model.load_state_dict(nf.load(tmp_path / "seven.pt"))
    assert _unchanged(model, before)
