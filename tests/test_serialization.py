"""numpyflow/serialization.py: save/load round trips, atomic writes, clear errors."""

import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import numpyflow as nf
from numpyflow import nn


def test_round_trip_of_tensors_parameters_state_dicts_and_nested_containers(tmp_path):
    model = nn.Linear(3, 2)
    obj = {
        "model": model.state_dict(),
        "t": nf.arange(5),
        "p": nn.Parameter(nf.ones(2)),
        "nested": [1, 2.5, ("a", nf.tensor([True, False]))],
        "rng": nf.get_rng_state(),
    }
    nf.save(obj, tmp_path / "ckpt.pt")
    back = nf.load(tmp_path / "ckpt.pt")
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == ["weight", "bias"]
    np.testing.assert_array_equal(back["model"]["weight"].numpy(), model.weight.detach().numpy())
    assert back["t"].tolist() == [0, 1, 2, 3, 4] and back["t"].dtype == nf.int64
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["nested"][2][1].tolist() == [True, False]
    nf.set_rng_state(back["rng"])


def test_save_to_a_file_object(tmp_path):
    with open(tmp_path / "x.pt", "wb") as f:
        nf.save(nf.ones(3), f)
    with open(tmp_path / "x.pt", "rb") as f:
        assert nf.load(f).tolist() == [1.0, 1.0, 1.0]


def test_save_replaces_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    nf.save({"v": 1}, path)
    nf.save({"v": 2}, path)
    assert nf.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    nf.save({"v": 1}, path)
    with pytest.raises(Exception):
        nf.save({"v": lambda: 0}, path)  # lambdas can't be pickled
    assert nf.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.pt"
    nf.save({"w": nf.randn(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        nf.load(path)


def test_corrupted_byte_is_detected_by_the_checksum(tmp_path):
    path = tmp_path / "ckpt.pt"
    nf.save({"w": nf.randn(100)}, path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="checksum"):
        nf.load(path)


def test_foreign_file_is_a_clear_error(tmp_path):
    path = tmp_path / "model.pth"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(RuntimeError, match="not a NumpyFlow file"):
        nf.load(path)


def test_weights_only_refuses_arbitrary_objects(tmp_path):
    path = tmp_path / "evil.pt"
    nf.save({"f": os.getcwd, "ok": 1}, path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only"):
        nf.load(path)
    assert nf.load(path, weights_only=False)["ok"] == 1
