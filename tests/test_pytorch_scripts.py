"""PyTorch programs in the style of the official examples and tutorials (tests/scripts/),
run unchanged but for the import rename ``torch`` -> ``numpyflow``: each trains on small
embedded data, its loss falls, and its model's ``state_dict`` has the keys, order and
shapes the same program gives under PyTorch."""

from __future__ import annotations

import math
import re
import types
from pathlib import Path

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.vision.datasets import Digits

SCRIPTS = Path(__file__).resolve().parent / "scripts"


def load(name: str, library: str):
    """The script as a module, its ``torch`` renamed to ``library``."""
    source = (SCRIPTS / f"{name}.py").read_text()
    if library != "torch":
        source = re.sub(r"\btorchvision\b", f"{library}.vision", source)
        source = re.sub(r"\btorch\b", library, source)
    module = types.ModuleType(f"script_{name}_{library}")
    exec(compile(source, str(SCRIPTS / f"{name}.py"), "exec"), module.__dict__)
    return module


def _digits(size: int, channels: int = 1, count: int = 96):
    """``count`` embedded 8x8 digits scaled to ``size`` x ``size`` in [0, 1], float32."""
    ds = Digits(train=True)
    images = np.asarray(ds.data[:count], np.float32)
    images = images / images.max()
    images = np.kron(images, np.ones((size // 8, size // 8), np.float32))
    images = np.repeat(images[:, None], channels, axis=1)
    return images, np.asarray(ds.targets[:count], np.int64)


def _falls(history):
    losses = [h if not isinstance(h, tuple) else sum(h) for h in history]
    assert all(math.isfinite(v) for v in losses), losses
    k = max(1, len(losses) // 4)
    return np.mean(losses[-k:]) < np.mean(losses[:k])


def _run(name, library, make_args):
    lib = nf if library == "numpyflow" else torch
    return load(name, library).main(*(lib.tensor(a) for a in make_args()))


def _same_state_dict_layout(ours, theirs):
    assert list(ours) == list(theirs)
    assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


CASES = {
    "mnist_cnn": lambda: _digits(16),
    "cifar_tutorial": lambda: _digits(32, channels=3),
    "vae": lambda: (_digits(8)[0].reshape(-1, 64),),
    "dcgan": lambda: (_digits(16)[0] * 2 - 1,),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_script_runs_under_numpyflow_and_learns(name):
    history, summary, state = _run(name, "numpyflow", CASES[name])
    assert len(history) > 1
    if name == "dcgan":  # an adversarial game: both losses stay finite, the images come out
        assert all(math.isfinite(v) for pair in history for v in pair) and summary == (4, 1, 16, 16)
    else:
        assert _falls(history), history


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_script_builds_the_same_model_as_under_pytorch(name):
    *_, ours = _run(name, "numpyflow", CASES[name])
    *_, theirs = _run(name, "torch", CASES[name])
    _same_state_dict_layout(ours, theirs)
