"""numpyflow/cli: ``train-text`` and ``sample``, end to end on a small corpus, and the
pieces beneath them (corpora, split, batches, models, sampling)."""

import csv
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.cli import text_data
from numpyflow.cli.sample import generate, next_char_distribution
from numpyflow.cli.text_models import build_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--hidden", "16", "--embed", "8", "--layers", "2", "--heads", "2", "--seq-len", "16", "--batch-size", "4"]
TINY += ["--eval-every", "3", "--eval-chars", "256", "--warmup", "2", "--lr", "0.03", "--seed", "5"]

# Runs train-text and sends itself a signal (named by STOP_SIGNAL) just before step STOP_AT:
# a Ctrl-C or SIGTERM that lands at a known step.
SIGNALLING = """
import os, signal, sys
from numpyflow.cli import train_text
real_step = train_text.train_step
def step(run, progress, seconds):
    if progress.step == int(os.environ["STOP_AT"]):
        os.kill(os.getpid(), getattr(signal, os.environ["STOP_SIGNAL"]))
    return real_step(run, progress, seconds)
train_text.train_step = step
sys.exit(train_text.main(sys.argv[1:]))
"""


def _corpus(path):
    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "it", "and", "then"]
    lines = [" ".join(rng.choice(words, rng.integers(3, 9))) + "." for _ in range(300)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    return _corpus(tmp_path / "tiny.txt")


def _train(*args, code=None, env=None):
    command = [sys.executable, "-m", "numpyflow", "train-text"] if code is None else [sys.executable, "-c", code]
    return subprocess.run(
        command + list(args), cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def _sample(*args):
    command = [sys.executable, "-m", "numpyflow", "sample", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _metrics(out):
    with open(out / "metrics.csv") as f:
        return list(csv.DictReader(f))


def _steps(out):
    with open(out / "steps.csv") as f:
        return list(csv.DictReader(f))


def _weights(path):
    return {k: v.numpy() for k, v in nf.load(path)["model"].items()}


@pytest.mark.parametrize("model", ["lstm", "gru", "transformer"])
def test_train_text_writes_checkpoints_metrics_and_curves_then_samples(tmp_path, corpus, model):
    out = tmp_path / "run"
    res = _train("--data", str(corpus), "--model", model, "--steps", "6", "--out", str(out), *TINY)
    assert res.returncode == 0, res.stderr
    assert f"{model} (" in res.stderr and "held-out characters" in res.stderr and "done: best held-out" in res.stderr
    assert sorted(os.listdir(out)) == ["best.pt", "curves.png", "last.pt", "metrics.csv", "steps.csv"]
    rows = _metrics(out)
    assert [int(r["step"]) for r in rows] == [3, 6]
    steps = _steps(out)
    assert [int(r["step"]) for r in steps] == [1, 2, 3, 4, 5, 6]
    # an evaluation's training loss is the mean of its steps' losses
    assert float(rows[0]["train_loss"]) == pytest.approx(sum(float(r["loss"]) for r in steps[:3]) / 3)
    assert float(steps[2]["lr"]) == pytest.approx(float(rows[0]["lr"]))
    for r in rows:
        assert float(r["held_out_bpc"]) == pytest.approx(float(r["held_out_loss"]) / math.log(2))
        assert float(r["train_bpc"]) == pytest.approx(float(r["train_loss"]) / math.log(2))
        assert float(r["lr"]) > 0 and float(r["chars_per_second"]) > 0
    assert float(rows[-1]["held_out_bpc"]) < math.log2(16)  # below the uniform guess over its 16 characters
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = nf.load(out / "best.pt")
    assert best["best_bpc"] == min(float(r["held_out_bpc"]) for r in rows)

    args = ["--checkpoint", str(out / "best.pt"), "--prompt", "the cat", "--length", "40"]
    first, again = _sample(*args, "--seed", "1"), _sample(*args, "--seed", "1")
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout and first.stdout.startswith("the cat")
    assert len(first.stdout) == len("the cat") + 40 + 1
    assert _sample(*args, "--seed", "2").stdout != first.stdout
    greedy = _sample(*args, "--temperature", "0", "--seed", "3")
    assert greedy.stdout == _sample(*args, "--top-k", "1", "--seed", "4").stdout


@pytest.mark.parametrize(
    "stop_signal,stop_at,code", [("SIGINT", 4, 130), ("SIGTERM", 6, 143)], ids=["ctrl-c-mid-interval", "sigterm"]
)
def test_stopped_run_saves_and_resume_continues_exactly(tmp_path, corpus, stop_signal, stop_at, code):
    common = ["--data", str(corpus), "--model", "lstm", "--steps", "9", "--dropout", "0.2", *TINY]
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    assert _train(*common, "--out", str(straight)).returncode == 0
    res = _train(
        *common, "--out", str(stopped), code=SIGNALLING, env={"STOP_AT": str(stop_at), "STOP_SIGNAL": stop_signal}
    )
    assert res.returncode == code, res.stderr
    assert f"stopped at step {stop_at + 1}; checkpoint saved" in res.stderr
    assert nf.load(stopped / "last.pt")["step"] == stop_at + 1
    res = _train("--out", str(stopped), "--resume")
    assert res.returncode == 0, res.stderr
    assert f"resuming {stopped}: step {stop_at + 1}" in res.stderr
    a, b = _weights(straight / "last.pt"), _weights(stopped / "last.pt")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    timeless = ["step", "train_loss", "held_out_loss", "lr"]
    assert [[r[k] for k in timeless] for r in _metrics(straight)] == [
        [r[k] for k in timeless] for r in _metrics(stopped)
    ]
    timeless = ["step", "epoch", "loss", "lr"]  # steps.csv: every step once, the same figures
    assert [[r[k] for k in timeless] for r in _steps(straight)] == [[r[k] for k in timeless] for r in _steps(stopped)]
    assert [int(r["step"]) for r in _steps(stopped)] == list(range(1, 10))


def test_time_limit_ends_the_run_with_an_evaluation(tmp_path, corpus):
    out = tmp_path / "run"
    res = _train("--data", str(corpus), "--time-limit", "0.001", "--out", str(out), *TINY, "--eval-every", "100000")
    assert res.returncode == 0, res.stderr
    assert "time limit of 0.001 min reached" in res.stderr
    rows = _metrics(out)
    assert len(rows) == 1 and int(rows[0]["step"]) >= 1 and float(rows[0]["elapsed_seconds"]) >= 0.06


def test_resume_refuses_another_model_and_leaves_the_checkpoint(tmp_path, corpus):
    out = tmp_path / "run"
    assert _train("--data", str(corpus), "--steps", "3", "--out", str(out), *TINY).returncode == 0
    before = (out / "last.pt").read_bytes()
    res = _train("--model", "gru", "--out", str(out), "--resume")
    assert res.returncode == 1 and "is for --model lstm, not gru" in res.stderr
    assert (out / "last.pt").read_bytes() == before


def test_errors_name_the_problem(tmp_path, corpus):
    res = _train("--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "a"))
    assert res.returncode == 1 and "--data: no file at" in res.stderr and "Traceback" not in res.stderr
    res = _train("--data", str(corpus), "--corpus", "words", "--out", str(tmp_path / "b"))
    assert res.returncode == 2 and "give one" in res.stderr
    res = _train("--data", str(corpus), "--steps", "0", "--out", str(tmp_path / "b"))
    assert res.returncode == 2 and "--steps must be positive, not 0" in res.stderr
    res = _train("--data", str(corpus), "--seq-len", "1000", "--out", str(tmp_path / "c"))
    assert res.returncode == 2 and "held-out text of tiny.txt" in res.stderr and "--seq-len 1000" in res.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()

    out = tmp_path / "run"
    assert _train("--data", str(corpus), "--steps", "3", "--out", str(out), *TINY).returncode == 0
    res = _sample("--checkpoint", str(out / "last.pt"), "--prompt", "the zebra€")
    assert res.returncode == 2 and "never saw: 'z', 'b', '€'" in res.stderr
    res = _sample("--checkpoint", str(tmp_path / "none.pt"))
    assert res.returncode == 1 and "no checkpoint at" in res.stderr
    foreign = tmp_path / "foreign.pt"
    nf.save({"model": nf.nn.Linear(2, 2).state_dict()}, foreign)
    res = _sample("--checkpoint", str(foreign))
    assert res.returncode == 1 and "not a checkpoint written by 'python -m numpyflow train-text'" in res.stderr


def test_missing_corpora_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setattr(text_data, "FORTUNES_DIR", str(tmp_path / "fortunes"))
    monkeypatch.setattr(text_data, "WORDS_FILE", str(tmp_path / "words"))
    with pytest.raises(FileNotFoundError, match="apt-get install fortunes"):
        text_data.read_corpus("fortunes")
    with pytest.raises(FileNotFoundError, match="apt-get install wamerican"):
        text_data.read_corpus("words")
    assert text_data.default_corpus() == "python-docs"


def test_fortunes_are_read_from_the_plain_files_and_split_at_a_fortune(tmp_path, monkeypatch):
    folder = tmp_path / "fortunes"
    (folder / "off").mkdir(parents=True)
    fortunes = [f"Fortune number {i}.\n\t-- someone" for i in range(40)]
    (folder / "wisdom").write_text("\n%\n".join(fortunes) + "\n%\n")
    (folder / "wisdom.dat").write_bytes(b"\x00\x01binary index")
    os.symlink(folder / "wisdom", folder / "wisdom.u8")
    (folder / "off" / "rude").write_text("not this\n%\n")
    monkeypatch.setattr(text_data, "FORTUNES_DIR", str(folder))
    corpus = text_data.read_corpus("fortunes", held_out=0.1)
    docs = (corpus.train + corpus.held_out).split("%\n")[:-1]
    assert sorted(docs) == sorted(f + "\n" for f in fortunes)  # each once, in a shuffled order
    assert corpus.train.endswith("%\n") and len(corpus.held_out.split("%\n")[:-1]) == 4
    assert text_data.read_corpus("fortunes", held_out=0.1) == corpus


def test_a_training_batch_is_contiguous_text_and_depends_on_seed_and_step_alone():
    ids = np.arange(10_000)  # each character its position, to see where windows start
    x, y = text_data.train_batch(ids, 32, 8, seed=3, step=70)
    assert x.shape == y.shape == (8, 32)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    assert (np.diff(x, axis=1) == 1).all()  # windows of consecutive characters
    again = text_data.train_batch(ids, 32, 8, seed=3, step=70)
    np.testing.assert_array_equal(x, again[0])
    assert not np.array_equal(x, text_data.train_batch(ids, 32, 8, seed=4, step=70)[0])
    per_epoch = text_data.steps_per_epoch(len(ids), 32, 8)
    starts = np.concatenate([text_data.train_batch(ids, 32, 8, 3, s)[0][:, 0] for s in range(per_epoch)])
    assert len(set(starts.tolist())) == len(starts) and (np.diff(np.sort(starts)) % 32 == 0).all()  # one grid


def test_held_out_batches_cover_the_text_in_order():
    ids = np.arange(100)
    batches = list(text_data.held_out_batches(ids, 10, 4))
    inputs = np.concatenate([x for x, _ in batches])
    np.testing.assert_array_equal(inputs.ravel(), np.arange(90))
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]).ravel(), np.arange(1, 91))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_recurrent_model_carried_step_by_step_gives_the_whole_sequence_logits(kind):
    nf.manual_seed(0)
    model = build_model(kind, 12, 6, 10, 2, 0.0, 2, 16).eval()
    ids = nf.tensor(np.random.default_rng(0).integers(0, 12, (1, 9)))
    with nf.no_grad():
        whole, _ = model(ids)
        logits, state = model(ids[:, :4])
        steps = [logits]
        for t in range(4, 9):
            logits, state = model(ids[:, t : t + 1], state)
            steps.append(logits)
    np.testing.assert_allclose(nf.cat(steps, 1).numpy(), whole.numpy(), rtol=1e-5, atol=1e-6)


def test_transformer_is_causal_and_sampling_slides_its_context():
    nf.manual_seed(0)
    model = build_model("transformer", 12, 0, 16, 2, 0.0, 2, 8).eval()
    ids = np.random.default_rng(0).integers(0, 12, (1, 8))
    changed = ids.copy()
    changed[0, 5:] = (changed[0, 5:] + 1) % 12
    with nf.no_grad():
        a, b = model(nf.tensor(ids))[0].numpy(), model(nf.tensor(changed))[0].numpy()
    np.testing.assert_allclose(a[:, :5], b[:, :5], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[:, 5:], b[:, 5:])
    out = generate(model, ids[0], 20, 1.0, 0, np.random.default_rng(0), context=8)
    assert out.shape == (20,) and out.min() >= 0 and out.max() < 12


def test_next_char_distribution_temperature_and_top_k():
    logits = np.array([1.0, 3.0, 2.0, 0.0], np.float32)
    p = next_char_distribution(logits, 1.0, 0)
    np.testing.assert_allclose(p, np.exp(logits) / np.exp(logits).sum(), rtol=1e-6)
    top2 = next_char_distribution(logits, 0.5, 2)
    assert top2[0] == top2[3] == 0 and top2.sum() == pytest.approx(1) and top2[1] > p[1]
    np.testing.assert_array_equal(next_char_distribution(logits, 0, 0), [0, 1, 0, 0])


@needs_torch
@pytest.mark.parametrize("kind", ["lstm", "gru", "transformer"])
def test_the_models_run_unchanged_in_pytorch_and_give_its_logits(kind):
    from benchmarks.text_lm_pytorch import torch_text_models

    nf.manual_seed(0)
    ours = build_model(kind, 20, 8, 16, 2, 0.1, 2, 12).eval()
    theirs = torch_text_models().build_model(kind, 20, 8, 16, 2, 0.1, 2, 12).eval()
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in state.items()})
    ids = np.random.default_rng(1).integers(0, 20, (3, 12))
    with nf.no_grad(), torch.no_grad():
        a, b = ours(nf.tensor(ids))[0].numpy(), theirs(torch.from_numpy(ids))[0].numpy()
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
