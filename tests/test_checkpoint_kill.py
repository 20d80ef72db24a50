"""Checkpoints survive SIGKILL: a process saving checkpoints in a loop is killed at random
moments, many times; the checkpoint file is always absent (before the first save) or a
complete checkpoint at least as new as the last save the process finished, never a
torn one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np

import numpyflow as nf

TRIALS = 40

SAVER = textwrap.dedent("""
    import sys
    import numpyflow as nf
    path = sys.argv[1]
    start = int(sys.argv[2])
    for step in range(start, start + 10**6):
        ckpt = {"step": step, "weight": nf.full((512, 1024), float(step)), "bias": nf.full((4096,), float(step))}
        print("begin", step, flush=True)
        nf.save(ckpt, path)
        print("done", step, flush=True)
""")


def _check(path, acknowledged):
    """The checkpoint at ``path``, which must be complete and no older than the last
    acknowledged save; returns its step (or None when no save ever finished)."""
    if not os.path.exists(path):
        assert acknowledged is None, "a finished save vanished"
        return None
    ckpt = nf.load(path)
    step = ckpt["step"]
    assert np.all(ckpt["weight"].numpy() == step) and np.all(ckpt["bias"].numpy() == step), (
        f"checkpoint {step} mixes data from different saves"
    )
    assert acknowledged is None or step >= acknowledged, f"checkpoint {step} is older than finished save {acknowledged}"
    return step


def test_sigkill_at_random_moments_never_leaves_a_torn_checkpoint(tmp_path):
    path = str(tmp_path / "last.pt")
    rng = np.random.default_rng(0)
    step = 0
    kills_during_a_save = 0
    for _ in range(TRIALS):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, path, str(step)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "NUMPYFLOW_NUM_THREADS": "1"},
        )
        first = proc.stdout.readline()  # the saving loop has started
        time.sleep(rng.uniform(0, 0.05))  # then a random moment in it
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        # complete lines only: the kill can cut the last print short
        lines = [
            w
            for w in (line.split() for line in (first + out).splitlines())
            if len(w) == 2 and w[0] in ("begin", "done") and w[1].isdigit()
        ]
        done = [int(n) for word, n in lines if word == "done"]
        kills_during_a_save += bool(lines) and lines[-1][0] == "begin"
        acknowledged = done[-1] if done else (step - 1 if step else None)
        found = _check(path, acknowledged)
        step = (found if found is not None else -1) + 1
    print(f"{TRIALS} kills, {kills_during_a_save} inside a save; last complete checkpoint: step {step - 1}")
    assert step > 0, "no save ever finished: the test did not exercise saving"
    assert kills_during_a_save >= TRIALS // 4, f"only {kills_during_a_save} of {TRIALS} kills landed inside a save"


def test_truncated_checkpoint_is_a_clear_error_and_the_previous_one_still_loads(tmp_path):
    good, bad = tmp_path / "best.pt", tmp_path / "last.pt"
    nf.save({"step": 1, "weight": nf.ones(10)}, good)
    nf.save({"step": 2, "weight": nf.ones(10)}, bad)
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    try:
        nf.load(bad)
    except RuntimeError as e:
        assert "last.pt" in str(e) and "truncated" in str(e).lower()
    else:
        raise AssertionError("a truncated checkpoint loaded")
    assert nf.load(good)["step"] == 1
