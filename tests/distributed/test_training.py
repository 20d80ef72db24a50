"""``mpiexec -n N python -m numpyflow train``: data-parallel training, clean stops,
faults that end the job instead of hanging it, and resumes on the same or another
number of processes."""

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from mpi import WORKERS, environment, finish, mpiexec, needs_mpi

import numpyflow as nf

pytestmark = needs_mpi
# 1,438 training images: 12 batches of 2 x 64 per epoch (under a second each on a quiet
# machine): enough epochs that a signal sent after the first lands during training
EPOCHS = 6
TRAIN = ["--model", "resnet20", "--dataset", "digits", "--epochs", str(EPOCHS), "--batch-size", "64", "--lr", "0.1"]


def _launch(n, out, *args, script=None, **env):
    program = [sys.executable, str(script)] if script else [sys.executable, "-m", "numpyflow", "train"]
    command = ([mpiexec(), "-n", str(n)] if n else []) + program + [*TRAIN, "--out", str(out), *args]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(**env),
        stdin=subprocess.DEVNULL,
    )


def _finish(proc, timeout=180):
    out, _ = finish(proc, timeout)
    return proc.returncode, out


def _steps(out, timeless=("step", "epoch", "loss", "acc", "lr")):
    with open(out / "steps.csv") as f:
        return [{k: float(r[k]) if k != "step" else int(r[k]) for k in timeless} for r in csv.DictReader(f)]


def _weights(path):
    return {k: v.numpy() for k, v in nf.load(path)["model"].items()}


def _wait_for(path, proc, timeout=120):
    start = time.monotonic()
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() - start < timeout, f"{path} did not appear"
        time.sleep(0.2)


def _ranks(out):
    """pids of the training processes writing to ``out`` (not the launcher)."""
    found = subprocess.run(["pgrep", "-f", "--", f"--out {out}"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found if "mpiexec" not in open(f"/proc/{p}/cmdline").read()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    code, log = _finish(_launch(2, out))
    assert code == 0, log
    assert "batch 64 per process x 2 processes = 128" in log
    assert log.count(f"epoch {EPOCHS}/{EPOCHS}: train loss") == 1  # rank 0 alone reports
    return out, log


def test_two_processes_train_and_rank_0_alone_writes(uninterrupted):
    out, log = uninterrupted
    assert sorted(os.listdir(out)) == ["best.pt", "curves.png", "last.pt", "metrics.csv", "steps.csv"]
    history = nf.load(out / "last.pt")["history"]
    assert len(history) == EPOCHS and history[-1]["test_acc"] > 0.8, history
    assert [r["step"] for r in _steps(out)] == list(range(1, 12 * EPOCHS + 1))  # each step once


def test_sigterm_stops_every_rank_after_the_same_batch_and_resume_is_exact(uninterrupted, tmp_path):
    reference, _ = uninterrupted
    proc = _launch(2, tmp_path)
    _wait_for(tmp_path / "best.pt", proc)  # into the second epoch
    proc.send_signal(signal.SIGTERM)  # to mpiexec, which passes it on
    code, log = _finish(proc, 60)
    assert code != 0 and re.search(r"stopped at epoch \d, batch", log), log
    stopped = tmp_path / "stopped"
    shutil.copytree(tmp_path, stopped, ignore=shutil.ignore_patterns("stopped"))

    code, log = _finish(_launch(2, tmp_path, "--resume"))
    assert code == 0, log
    ours, theirs = _weights(tmp_path / "last.pt"), _weights(reference / "last.pt")
    assert all(np.array_equal(ours[k], theirs[k]) for k in theirs)
    assert _steps(tmp_path) == _steps(reference)

    for n in (3, None):  # on another number of processes: from the first image not yet trained on
        again = tmp_path / f"on-{n}"
        shutil.copytree(stopped, again)
        code, log = _finish(_launch(n, again, "--resume"))
        assert code == 0, log
        history = nf.load(again / "last.pt")["history"]
        assert len(history) == EPOCHS and history[-1]["test_acc"] > 0.8, history


def test_sigint_to_one_rank_stops_them_all_cleanly(tmp_path):
    proc = _launch(2, tmp_path)
    _wait_for(tmp_path / "best.pt", proc)
    os.kill(_ranks(tmp_path)[-1], signal.SIGINT)
    code, log = _finish(proc, 60)
    assert code != 0 and re.search(r"stopped at epoch \d, batch", log), log
    assert nf.load(tmp_path / "last.pt")["batch"] > 0


def test_a_rank_that_raises_ends_the_job_and_the_last_checkpoint_resumes(uninterrupted, tmp_path):
    reference, _ = uninterrupted
    start = time.monotonic()
    code, log = _finish(_launch(2, tmp_path, script=WORKERS / "train_failing.py", FAIL_AT="15"), 90)
    assert code != 0 and time.monotonic() - start < 90
    assert "an error in rank 1's training step" in log and "aborting the MPI job" in log, log
    checkpoint = nf.load(tmp_path / "last.pt")  # epoch 1's, intact
    assert checkpoint["epoch"] == 1 and checkpoint["batch"] == 0
    code, log = _finish(_launch(2, tmp_path, "--resume"))
    assert code == 0, log
    ours, theirs = _weights(tmp_path / "last.pt"), _weights(reference / "last.pt")
    assert all(np.array_equal(ours[k], theirs[k]) for k in theirs)


def test_a_rank_killed_with_sigkill_ends_the_job_in_bounded_time(tmp_path):
    proc = _launch(2, tmp_path)
    _wait_for(tmp_path / "best.pt", proc)
    os.kill(_ranks(tmp_path)[-1], signal.SIGKILL)
    start = time.monotonic()
    code, log = _finish(proc, 60)
    assert code != 0 and time.monotonic() - start < 60, log
    assert nf.load(tmp_path / "last.pt")["epoch"] >= 1  # a finished epoch's checkpoint, whole
