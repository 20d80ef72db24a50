"""numpyflow/cli: the training and evaluation commands, end to end on the embedded digits."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import numpyflow as nf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = [
    sys.executable,
    "-m",
    "numpyflow",
    "train",
    "--dataset",
    "digits",
    "--model",
    "resnet20",
    "--batch-size",
    "128",
    "--lr",
    "0.05",
    "--augment",
    "--seed",
    "3",
]


def _run(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


def _weights(path):
    ckpt = nf.load(path)
    return {k: v.numpy() for k, v in ckpt["model"].items()}


def _steps(out):
    with open(out / "steps.csv") as f:
        return list(csv.DictReader(f))


PNG = b"\x89PNG\r\n\x1a\n"


def test_train_writes_checkpoints_metrics_steps_and_curves_then_evaluate_reports(tmp_path):
    out = tmp_path / "run"
    res = _run(TRAIN + ["--epochs", "2", "--out", str(out)])
    assert res.returncode == 0, res.stderr
    assert "epoch 2/2: train loss" in res.stderr and "test loss" in res.stderr and "img/s" in res.stderr
    # stderr is a pipe: the progress shows as plain lines, no bar redrawn with \r
    assert "\r" not in res.stderr and "epoch 1/2 12/12 loss " in res.stderr
    # the model summary, after the one-line summary
    assert res.stderr.index("parameters) on digits") < res.stderr.index("Total params: 269,434")
    assert "Total mult-adds" in res.stderr
    assert sorted(os.listdir(out)) == ["best.pt", "curves.png", "last.pt", "metrics.csv", "steps.csv"]
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert 0 <= float(rows[-1]["test_acc"]) <= 1 and float(rows[-1]["images_per_second"]) > 0
    steps = _steps(out)
    assert [int(r["step"]) for r in steps] == list(range(1, 25))  # 12 batches of 128 an epoch
    assert float(steps[0]["epoch"]) == pytest.approx(128 / 1438, abs=1e-6) and float(steps[11]["epoch"]) == 1.0
    assert float(steps[-1]["epoch"]) == 2.0 and float(steps[-1]["lr"]) < float(steps[6]["lr"])  # OneCycle
    assert all(float(r["loss"]) > 0 and float(r["grad_norm"]) > 0 for r in steps)
    assert (out / "curves.png").read_bytes()[:8] == PNG
    ev = _run(
        [
            sys.executable,
            "-m",
            "numpyflow",
            "evaluate",
            "--checkpoint",
            str(out / "best.pt"),
            "--json",
            str(tmp_path / "eval.json"),
        ]
    )
    assert ev.returncode == 0, ev.stderr
    assert "accuracy" in ev.stdout and "per-class accuracy" in ev.stdout and "confusion matrix" in ev.stdout
    for name in ("confusion.png", "mistakes.png"):  # beside the checkpoint
        assert (out / name).read_bytes()[:8] == PNG and str(out / name) in ev.stdout
    import json

    result = json.loads((tmp_path / "eval.json").read_text())
    assert np.array(result["confusion_matrix"]).sum() == 359
    assert result["accuracy"] == pytest.approx(max(float(r["test_acc"]) for r in rows))


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_saves_and_resume_continues_exactly(tmp_path, sig, code):
    straight = tmp_path / "straight"
    assert _run(TRAIN + ["--epochs", "2", "--out", str(straight)]).returncode == 0
    stopped = tmp_path / "stopped"
    proc = subprocess.Popen(
        TRAIN + ["--epochs", "2", "--out", str(stopped)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    banner = proc.stderr.readline()  # printed once the signal handlers are in place
    assert "parameters) on digits" in banner
    time.sleep(1.5)
    proc.send_signal(sig)
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == code, err
    assert "checkpoint saved" in err
    ckpt = nf.load(stopped / "last.pt")
    assert (ckpt["epoch"], ckpt["batch"]) != (2, 0), "the run finished before the signal"
    res = _run(TRAIN + ["--epochs", "2", "--out", str(stopped), "--resume"])
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    a, b = _weights(straight / "last.pt"), _weights(stopped / "last.pt")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # steps.csv goes on where the checkpoint stopped: every step once, the same figures
    timing = ("seconds", "images_per_second")
    ours = [{k: v for k, v in r.items() if k not in timing} for r in _steps(stopped)]
    theirs = [{k: v for k, v in r.items() if k not in timing} for r in _steps(straight)]
    assert [int(r["step"]) for r in ours] == list(range(1, 25))
    assert ours == theirs


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path):
    out = tmp_path / "run"
    assert _run(TRAIN + ["--epochs", "1", "--out", str(out)]).returncode == 0
    before = (out / "last.pt").read_bytes()
    res = _run(TRAIN[:6] + ["--model", "resnet32", "--epochs", "2", "--out", str(out), "--resume"])
    assert res.returncode == 1 and "is for --model resnet20, not resnet32" in res.stderr
    assert (out / "last.pt").read_bytes() == before


def test_evaluate_rejects_a_foreign_or_missing_checkpoint(tmp_path):
    foreign = tmp_path / "other.pt"
    nf.save({"model": nf.nn.Linear(2, 2).state_dict()}, foreign)
    res = _run([sys.executable, "-m", "numpyflow", "evaluate", "--checkpoint", str(foreign)])
    assert res.returncode == 1 and "not a checkpoint written by" in res.stderr
    res = _run([sys.executable, "-m", "numpyflow", "evaluate", "--checkpoint", str(tmp_path / "none.pt")])
    assert res.returncode == 1 and "no checkpoint at" in res.stderr


def test_missing_data_set_is_a_clear_error_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    res = _run(
        [
            sys.executable,
            "-m",
            "numpyflow",
            "train",
            "--dataset",
            "cifar10",
            "--data-dir",
            str(tmp_path / "nowhere"),
            "--out",
            str(out),
        ]
    )
    assert res.returncode == 1
    assert "nowhere" in res.stderr and "CIFAR" in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("dataset", ["cifar10", "mnist"])
def test_a_data_set_without_a_default_folder_needs_data_dir_in_one_line_with_status_2(tmp_path, dataset):
    out = tmp_path / "run"
    res = _run([sys.executable, "-m", "numpyflow", "train", "--dataset", dataset, "--out", str(out)])
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert lines[0].startswith(f"error: --dataset {dataset} needs --data-dir")
    assert "root" not in lines[0]
    assert not out.exists()


def test_missing_files_name_the_data_dir_option_not_the_library_argument(tmp_path):
    res = _run(
        [sys.executable, "-m", "numpyflow", "train", "--dataset", "mnist", "--data-dir", str(tmp_path / "nowhere")]
        + ["--out", str(tmp_path / "run")]
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "pass it as --data-dir" in res.stderr and " as root" not in res.stderr


def test_train_on_cifar10_batches_reads_pil_images_through_the_transforms(tmp_path):
    """The CLI's ToTensor + Normalize pipeline on CIFAR-10's items (Pillow RGB images where
    Pillow is installed), end to end on a small synthetic copy of the batch files."""
    import pickle

    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": rng.integers(0, 10, 4).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
    out = tmp_path / "run"
    res = _run(
        [sys.executable, "-m", "numpyflow", "train", "--dataset", "cifar10", "--data-dir", str(tmp_path)]
        + ["--model", "resnet20", "--epochs", "1", "--batch-size", "8", "--augment", "--out", str(out)]
    )
    assert res.returncode == 0, res.stderr
    assert "20 train / 4 test images" in res.stderr and (out / "last.pt").exists()


def test_a_one_epoch_run_draws_its_curves_per_step(tmp_path):
    """One epoch: the training loss and learning rate of each step, against the epoch as a
    fraction, and the test figures at epoch 1."""
    out = tmp_path / "run"
    assert _run(TRAIN + ["--epochs", "1", "--out", str(out)]).returncode == 0
    assert len(_steps(out)) == 12 and (out / "curves.png").read_bytes()[:8] == PNG
    png = (out / "curves.png").read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == 1500 and height == 400  # three panels: loss, accuracy, learning rate


def _event_accumulator():
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        from numpyflow.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        pytest.skip("tensorboard or nf.utils.tensorboard's SummaryWriter is missing")
    return EventAccumulator


def test_tensorboard_logs_steps_epochs_histograms_images_graph_and_hparams(tmp_path):
    EventAccumulator = _event_accumulator()
    out, logs = tmp_path / "run", tmp_path / "tb"
    res = _run(TRAIN + ["--epochs", "1", "--out", str(out), "--tensorboard", str(logs)])
    assert res.returncode == 0, res.stderr
    assert f"tensorboard --logdir {logs}" in res.stderr
    events = EventAccumulator(str(logs), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    events.Reload()
    tags = events.Tags()
    steps = _steps(out)
    loss = events.Scalars("train/loss")
    assert [e.step for e in loss] == list(range(1, 13))
    assert [e.value for e in loss] == pytest.approx([float(r["loss"]) for r in steps])
    assert [e.value for e in events.Scalars("train/lr")] == pytest.approx([float(r["lr"]) for r in steps])
    with open(out / "metrics.csv") as f:
        row = next(csv.DictReader(f))
    (accuracy,) = events.Scalars("test/accuracy")
    assert accuracy.step == 12 and accuracy.value == pytest.approx(float(row["test_acc"]))
    assert {"weights/conv1.weight", "gradients/conv1.weight", "weights/fc.bias"} <= set(tags["histograms"])
    assert tags["images"] == ["train/images"] and tags["graph"]
    assert len(events.Graph().node) > 0
    hparams = [d for d in os.listdir(logs) if (logs / d).is_dir()]
    assert len(hparams) == 1  # add_hparams writes its own run, as PyTorch's writer does
    run = EventAccumulator(str(logs / hparams[0]))
    run.Reload()
    assert {"hparam/test_acc", "hparam/best_test_acc"} <= set(run.Tags()["scalars"])


def test_tensorboard_without_the_package_is_a_usage_error_naming_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['tensorboard'] = None\n"
        "from numpyflow.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    out = tmp_path / "run"
    res = _run([sys.executable, "-c", code, "train", "--tensorboard", str(tmp_path / "tb"), "--out", str(out)])
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: --tensorboard needs the tensorboard package")
    assert "pip install numpyflow[tensorboard]" in line
    assert not out.exists() and not (tmp_path / "tb").exists()
