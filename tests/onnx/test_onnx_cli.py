"""numpyflow/cli/export.py: ``python -m numpyflow export`` of a checkpoint from a short
``train`` run loads in onnxruntime and predicts the classes ``evaluate`` counts."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_check import session  # noqa: E402

import numpyflow as nf  # noqa: E402
from numpyflow.cli import data as cli_data  # noqa: E402
from numpyflow.cli.train import build_model, load_data  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "numpyflow", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    res = _run("train", "--dataset", "digits", "--model", "resnet20", "--epochs", "1", "--seed", "3", "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def test_exported_checkpoint_predicts_the_classes_evaluate_counts(run_dir, tmp_path):
    checkpoint = str(run_dir / "best.pt")
    report = tmp_path / "eval.json"
    ev = _run("evaluate", "--checkpoint", checkpoint, "--json", str(report))
    assert ev.returncode == 0, ev.stderr
    path = tmp_path / "model.onnx"
    ex = _run("export", "--checkpoint", checkpoint, "--out", str(path), "--dynamic-batch")
    assert ex.returncode == 0, ex.stderr
    assert "checked with onnxruntime" in ex.stdout and "any batch size" in ex.stdout

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["numpyflow.model"] == "resnet20" and meta["numpyflow.dataset"] == "digits"
    assert json.loads(meta["numpyflow.classes"]) == [str(c) for c in nf.vision.datasets.Digits.classes]

    # the test split, normalised as evaluate normalises it
    ckpt = nf.load(checkpoint)
    run_args = argparse.Namespace(**ckpt["args"])
    spec = cli_data.DATASETS["digits"]
    _, test_set, _ = load_data(run_args, spec)
    images = np.stack([test_set[i][0].numpy() for i in range(len(test_set))])
    labels = np.array([test_set[i][1] for i in range(len(test_set))])
    mean, std = json.loads(meta["numpyflow.input_mean"]), json.loads(meta["numpyflow.input_std"])
    assert np.allclose(
        (images * np.asarray(std) + np.asarray(mean)) * 255,
        nf.vision.datasets.Digits(train=False).data.numpy()[:, None],
        atol=1e-3,
    )

    predicted = session(proto).run(None, {"input": images})[0].argmax(1)
    model = build_model(run_args, spec)
    model.load_state_dict(ckpt["model"])
    model.eval()
    with nf.no_grad():
        expected = model(nf.tensor(images)).numpy().argmax(1)
    np.testing.assert_array_equal(predicted, expected)
    result = json.loads(report.read_text())
    assert float((predicted == labels).mean()) == pytest.approx(result["accuracy"])
    np.testing.assert_array_equal(
        np.array(result["confusion_matrix"]), np.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    )


def test_export_with_a_fixed_batch_and_another_opset(run_dir, tmp_path):
    path = tmp_path / "fixed.onnx"
    ex = _run(
        "export", "--checkpoint", str(run_dir / "last.pt"), "--out", str(path), "--batch-size", "4", "--opset", "13"
    )
    assert ex.returncode == 0, ex.stderr
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 13
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [4, 1, 8, 8]


def test_export_of_something_else_is_an_error(tmp_path):
    bogus = tmp_path / "x.pt"
    nf.save({"weights": nf.zeros(3)}, str(bogus))
    ex = _run("export", "--checkpoint", str(bogus), "--out", str(tmp_path / "x.onnx"))
    assert ex.returncode == 1 and "not a checkpoint written by" in ex.stderr
    missing = _run("export", "--checkpoint", str(tmp_path / "none.pt"), "--out", str(tmp_path / "x.onnx"))
    assert missing.returncode == 1 and "no checkpoint" in missing.stderr
    assert not (tmp_path / "x.onnx").exists()
