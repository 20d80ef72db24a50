"""``python -m numpyflow train-text``: train a character-level language model.

Corpora (--corpus; the default is the first one installed of fortunes, words,
python-docs):
  fortunes      fortune cookies, /usr/share/games/fortunes ('sudo apt-get install fortunes')
  words         a word list, /usr/share/dict/american-english ('sudo apt-get install wamerican')
  python-docs   Python's language reference (pydoc_data.topics, shipped with Python)
or --data FILE, any UTF-8 text file.  The last --held-out share of the text (at a
document boundary; the documents in a fixed shuffled order) is held out: every
evaluation reports its loss and bits per character (bpc = loss / ln 2).

Training: windows of --seq-len characters, --batch-size a step, for --steps steps or
--epochs passes over the training text, and/or until --time-limit minutes have passed
(evaluations included); Adam or AdamW, a linear warm-up then a cosine decay to a tenth
of --lr over the run (over its steps, or its time when the time limit ends it first),
gradient clipping at --clip.

Writes to --out: last.pt (every evaluation, and on Ctrl-C or SIGTERM), best.pt (best
held-out bpc), metrics.csv (a row per evaluation), steps.csv (a row per step) and
curves.png.  --resume continues a stopped run exactly (the
same weights as an uninterrupted run; under a time limit the schedule follows the clock,
so there only as closely as the clock repeats).  Sample from a checkpoint with
'python -m numpyflow sample --checkpoint RUN/best.pt'.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..creation import from_numpy
from ..random import get_rng_state, manual_seed, set_rng_state
from ..serialization import save
from . import text_data
from .progress import ProgressBar
from .report import StepLog, plot_curves, write_metrics
from .runs import (
    StopRequest,
    UsageError,
    add_resume_argument,
    exit_status,
    read_checkpoint,
    resume_arguments,
    resume_path,
)
from .text_models import MODELS, build_model

CHECKPOINT_FORMAT = "numpyflow-text-checkpoint-1"
FIELDS = [
    "step",
    "epoch",
    "train_loss",
    "train_bpc",
    "held_out_loss",
    "held_out_bpc",
    "lr",
    "elapsed_seconds",
    "chars_per_second",
]
STEP_FIELDS = ["step", "epoch", "loss", "lr", "seconds", "chars_per_second"]
PANELS = (
    ("cross-entropy loss (nats per character)", ("loss", "train", 1, True), (("held_out_loss", "held out", 1),)),
    ("bits per character", ("loss", "train", 1 / math.log(2), True), (("held_out_bpc", "held out", 1),)),
    ("learning rate", ("lr", None, 1, False), ()),
)
DEFAULT_STEPS = 2000
DEFAULT_LR = {"lstm": 6e-3, "gru": 6e-3, "transformer": 1e-3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        default=None,
        choices=sorted(text_data.CORPORA),
        help="default: the first installed of fortunes, words, python-docs",
    )
    parser.add_argument("--data", default=None, metavar="FILE", help="train on this UTF-8 text file instead")
    parser.add_argument("--held-out", type=float, default=0.05, help="share of the text held out (default 0.05)")
    parser.add_argument("--model", default="lstm", choices=MODELS)
    parser.add_argument("--hidden", type=int, default=256, help="RNN state size, or the transformer's width")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--embed", type=int, default=64, help="character embedding size of the RNNs")
    parser.add_argument("--heads", type=int, default=4, help="attention heads of the transformer")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--seq-len", type=int, default=64, help="characters a window (the transformer's context)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=None, help=f"training steps (default {DEFAULT_STEPS})")
    parser.add_argument("--epochs", type=float, default=None, help="passes over the training text, instead of --steps")
    parser.add_argument("--time-limit", type=float, default=None, metavar="MINUTES", help="stop after this long")
    parser.add_argument("--optimizer", default="adam", choices=["adam", "adamw"])
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="peak learning rate (default 6e-3 for the RNNs, 1e-3 for the transformer)",
    )
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--schedule", default="cosine", choices=["cosine", "constant"])
    parser.add_argument("--warmup", type=int, default=50, help="steps of linear warm-up")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (0: none)")
    parser.add_argument("--eval-every", type=int, default=200, help="steps between evaluations")
    parser.add_argument(
        "--eval-chars", type=int, default=0, help="evaluate on the held-out text's first N characters (0: all)"
    )
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="run folder (default runs/text-<corpus>-<model>)")
    add_resume_argument(parser)


def model_from_args(args, vocab_size: int) -> nn.Module:
    """The model a run's arguments describe, for ``vocab_size`` characters."""
    return build_model(
        args.model, vocab_size, args.embed, args.hidden, args.layers, args.dropout, args.heads, args.seq_len
    )


def learning_rate(args, step: int, fraction: float) -> float:
    """The learning rate of step ``step`` (from 0), ``fraction`` of the way through the run."""
    lr = args.lr * min(1.0, (step + 1) / max(args.warmup, 1))
    if args.schedule == "cosine":
        lr *= 0.1 + 0.45 * (1 + math.cos(math.pi * min(fraction, 1.0)))
    return lr


def build_optimizer(args, model) -> optim.Optimizer:
    cls = optim.AdamW if args.optimizer == "adamw" else optim.Adam
    return cls(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)


def text_loss(logits, targets):
    """Mean cross-entropy (nats) of the next-character ``logits`` (batch, time, vocab)."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def evaluate(model, ids, args) -> float:
    """Mean cross-entropy (nats per character) on the held-out ``ids``."""
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        for x, y in text_data.held_out_batches(ids, args.seq_len, args.eval_batch_size, args.eval_chars):
            logits, _ = model(from_numpy(x))
            total += text_loss(logits, from_numpy(y)).item() * y.size
            count += y.size
    model.train()
    return total / count


@dataclass
class TextRun:
    """What a run trains on and with what: built from the run's arguments."""

    args: argparse.Namespace
    corpus: text_data.Corpus
    vocab: text_data.Vocabulary
    train_ids: object  # int64 arrays
    held_ids: object
    model: nn.Module
    optimizer: optim.Optimizer
    steps_per_epoch: int
    total_steps: int | None  # None: the time limit alone ends the run
    steps: StepLog | None = None  # steps.csv


@dataclass
class Progress:
    """Where a run stands: what a checkpoint saves besides the weights."""

    step: int = 0
    elapsed: float = 0.0  # seconds of the run so far, evaluations included, over every resume
    interval: dict = field(default_factory=lambda: {"loss": 0.0, "steps": 0, "seconds": 0.0})
    history: list = field(default_factory=list)
    best_bpc: float = math.inf


def read_text(args) -> text_data.Corpus:
    if args.data is None and args.corpus is None:
        args.corpus = text_data.default_corpus()
    corpus = text_data.read_corpus(args.corpus, args.data, args.held_out)
    if len(corpus.held_out) < args.seq_len + 1:
        raise UsageError(
            f"the held-out text of {corpus.name} has {len(corpus.held_out)} characters, fewer than one "
            f"window of --seq-len {args.seq_len} and the character after it: raise --held-out or lower --seq-len"
        )
    return corpus


def build_run(args, vocab_chars: str | None = None) -> TextRun:
    """The corpus, vocabulary (``vocab_chars`` when resuming), model (initialised from
    ``--seed``) and optimizer ``args`` ask for."""
    corpus = read_text(args)
    vocab = (
        text_data.Vocabulary(vocab_chars) if vocab_chars else text_data.Vocabulary.of(corpus.train + corpus.held_out)
    )
    unknown = vocab.unknown(corpus.train + corpus.held_out)
    if unknown:
        raise RuntimeError(f"--resume: the text now has characters the checkpoint's vocabulary lacks: {unknown[:10]}")
    train_ids, held_ids = vocab.encode(corpus.train), vocab.encode(corpus.held_out)
    per_epoch = text_data.steps_per_epoch(len(train_ids), args.seq_len, args.batch_size)
    if per_epoch == 0:
        raise UsageError(
            f"the training text of {corpus.name} ({len(train_ids)} characters) holds fewer than --batch-size "
            f"{args.batch_size} windows of --seq-len {args.seq_len}: lower one of them"
        )
    if args.steps is not None:
        total = args.steps
    elif args.epochs is not None:
        total = max(1, round(args.epochs * per_epoch))
    else:
        total = None if args.time_limit is not None else DEFAULT_STEPS
    manual_seed(args.seed)
    model = model_from_args(args, len(vocab))
    return TextRun(args, corpus, vocab, train_ids, held_ids, model, build_optimizer(args, model), per_epoch, total)


def _checkpoint(run: TextRun, progress: Progress) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "args": vars(run.args).copy(),
        "vocab": run.vocab.chars,
        "corpus": run.corpus.name,
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "step": progress.step,
        "elapsed": progress.elapsed,
        "interval": dict(progress.interval),
        "history": progress.history,
        "best_bpc": progress.best_bpc,
        "rng": get_rng_state(),
    }


def restore(run: TextRun, checkpoint: dict) -> Progress:
    run.model.load_state_dict(checkpoint["model"])
    run.optimizer.load_state_dict(checkpoint["optimizer"])
    set_rng_state(checkpoint["rng"])
    return Progress(
        step=checkpoint["step"],
        elapsed=checkpoint["elapsed"],
        interval=dict(checkpoint["interval"]),
        history=checkpoint["history"],
        best_bpc=checkpoint["best_bpc"],
    )


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Clock:
    """The run's seconds so far: those of earlier sessions plus this one's."""

    def __init__(self, before: float):
        self.before, self.start = before, time.perf_counter()

    def __call__(self) -> float:
        return self.before + time.perf_counter() - self.start


def _fraction(run: TextRun, progress: Progress, seconds: float) -> float:
    """How far through its budget (steps, or time) the run is: the further of the two."""
    parts = []
    if run.total_steps is not None:
        parts.append(progress.step / run.total_steps)
    if run.args.time_limit is not None:
        parts.append(seconds / (60 * run.args.time_limit))
    return max(parts)


def train_step(run: TextRun, progress: Progress, seconds: float) -> float:
    """One optimisation step on the batch of step ``progress.step``; its loss."""
    args = run.args
    lr = learning_rate(args, progress.step, _fraction(run, progress, seconds))
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    x, y = text_data.train_batch(run.train_ids, args.seq_len, args.batch_size, args.seed, progress.step)
    logits, _ = run.model(from_numpy(x))
    loss = text_loss(logits, from_numpy(y))
    run.optimizer.zero_grad()
    loss.backward()
    if args.clip > 0:
        nn.utils.clip_grad_norm_(run.model.parameters(), args.clip)
    run.optimizer.step()
    return loss.item()


def evaluation_row(run: TextRun, progress: Progress, clock) -> dict:
    """Evaluate on the held-out text after step ``progress.step``; the metrics row."""
    held_out_loss = evaluate(run.model, run.held_ids, run.args)
    interval = progress.interval
    train_loss = interval["loss"] / max(interval["steps"], 1)
    chars = interval["steps"] * run.args.batch_size * run.args.seq_len
    row = {
        "step": progress.step,
        "epoch": round(progress.step / run.steps_per_epoch, 4),
        "train_loss": train_loss,
        "train_bpc": train_loss / math.log(2),
        "held_out_loss": held_out_loss,
        "held_out_bpc": held_out_loss / math.log(2),
        "lr": run.optimizer.param_groups[0]["lr"],
        "elapsed_seconds": round(clock(), 2),
        "chars_per_second": round(chars / max(interval["seconds"], 1e-9)),
    }
    total = f"/{run.total_steps}" if run.total_steps is not None else ""
    say(
        f"step {row['step']}{total} (epoch {row['epoch']:.2f}): train loss {train_loss:.4f} "
        f"({row['train_bpc']:.3f} bpc) | held-out loss {held_out_loss:.4f}, {row['held_out_bpc']:.3f} bpc | "
        f"{row['elapsed_seconds']:.0f} s, {row['chars_per_second']:,} char/s"
    )
    return row


def finish_interval(run: TextRun, progress: Progress, row: dict, clock) -> None:
    """Record ``row``, then write steps.csv, last.pt (and best.pt when the held-out bpc
    improved), metrics.csv and curves.png."""
    out = run.args.out
    improved = row["held_out_bpc"] < progress.best_bpc
    progress.history.append(row)
    progress.best_bpc = min(progress.best_bpc, row["held_out_bpc"])
    progress.interval = {"loss": 0.0, "steps": 0, "seconds": 0.0}
    progress.elapsed = clock()
    checkpoint = _checkpoint(run, progress)
    if run.steps is not None:
        run.steps.flush()  # before the checkpoint: a resume drops rows past its step
    if improved:
        save(checkpoint, os.path.join(out, "best.pt"))
    save(checkpoint, os.path.join(out, "last.pt"))
    write_metrics(os.path.join(out, "metrics.csv"), progress.history, FIELDS)
    title = f"{run.args.model} on {run.corpus.name}"
    steps = run.steps.rows if run.steps is not None else []
    plot_curves(os.path.join(out, "curves.png"), progress.history, title, x="step", panels=PANELS, steps=steps)


def save_stopped(run: TextRun, progress: Progress, signum, clock) -> None:
    """Save the run stopped between evaluations to last.pt and exit as the signal asks."""
    path = os.path.join(run.args.out, "last.pt")
    progress.elapsed = clock()
    if run.steps is not None:
        run.steps.flush()
    save(_checkpoint(run, progress), path)
    say(f"stopped at step {progress.step}; checkpoint saved to {path}; continue with --resume")
    raise SystemExit(exit_status(signum))


def train_interval(run: TextRun, progress: Progress, stop, clock) -> str | None:
    """Train up to the next evaluation; why it ended early: "stop" (a signal) or "time"
    (the time limit), else None."""
    args, interval = run.args, progress.interval
    first = progress.step - interval["steps"]  # the step after the last evaluation
    end = first + args.eval_every if run.total_steps is None else min(first + args.eval_every, run.total_steps)
    bar = ProgressBar(end - first, f"steps {first + 1}-{end}")
    limit = 60 * args.time_limit if args.time_limit is not None else math.inf
    reason = None
    while progress.step < end:
        if clock() >= limit:
            reason = "time"
            break
        tick = time.perf_counter()
        loss = train_step(run, progress, clock())
        seconds = time.perf_counter() - tick
        interval["loss"] += loss
        interval["steps"] += 1
        interval["seconds"] += seconds
        progress.step += 1
        if run.steps is not None:
            run.steps.add(
                {
                    "step": progress.step,
                    "epoch": round(progress.step / run.steps_per_epoch, 6),
                    "loss": loss,
                    "lr": run.optimizer.param_groups[0]["lr"],
                    "seconds": round(seconds, 6),
                    "chars_per_second": round(args.batch_size * args.seq_len / max(seconds, 1e-9)),
                }
            )
        chars = interval["steps"] * args.batch_size * args.seq_len
        bar.update(
            progress.step - first,
            loss=interval["loss"] / interval["steps"],
            **{"char/s": round(chars / max(interval["seconds"], 1e-9))},
        )
        if stop.signal is not None:
            reason = "stop"
            break
        if clock() >= limit:
            reason = "time"
            break
    bar.close()
    return reason


def load_resume_checkpoint(args, explicit):
    """(checkpoint, args): the checkpoint ``--resume`` names and the run's arguments from
    it (``--out`` and ``--resume`` as given now); (None, args) otherwise."""
    if args.resume is None:
        return None, args
    path = resume_path(args)
    checkpoint = read_checkpoint(
        path, CHECKPOINT_FORMAT, "--resume", "a checkpoint of 'python -m numpyflow train-text'"
    )
    return checkpoint, resume_arguments(
        args, checkpoint, path, explicit, fixed=("model", "corpus", "data"), keep=("out", "resume")
    )


def run(args, explicit=frozenset()) -> dict:
    """Train as ``args`` say; returns the last metrics row.  ``explicit`` names the options
    given on the command line (a resume refuses a different model or corpus)."""
    checkpoint, args = load_resume_checkpoint(args, explicit)
    text_run = build_run(args, checkpoint["vocab"] if checkpoint is not None else None)
    os.makedirs(args.out, exist_ok=True)
    progress = Progress() if checkpoint is None else restore(text_run, checkpoint)
    if checkpoint is not None:
        say(f"resuming {args.out}: step {progress.step}")
    resume_step = progress.step if checkpoint is not None else None
    text_run.steps = StepLog(os.path.join(args.out, "steps.csv"), STEP_FIELDS, resume_step=resume_step)
    clock = _Clock(progress.elapsed)
    n_params = sum(p.numel() for p in text_run.model.parameters())
    corpus = text_run.corpus
    budget = [f"{text_run.total_steps} steps"] if text_run.total_steps is not None else []
    budget += [f"{args.time_limit:g} min"] if args.time_limit is not None else []
    with StopRequest() as stop:
        say(
            f"{args.model} ({n_params:,} parameters) on {corpus.name}: {len(corpus.train):,} train / "
            f"{len(corpus.held_out):,} held-out characters, {len(text_run.vocab)} distinct; "
            f"{' or '.join(budget)} of {args.batch_size} x {args.seq_len} characters "
            f"({text_run.steps_per_epoch} steps an epoch), {args.optimizer} lr {args.lr}, out {args.out}"
        )
        while text_run.total_steps is None or progress.step < text_run.total_steps:
            reason = train_interval(text_run, progress, stop, clock)
            if reason == "stop":
                save_stopped(text_run, progress, stop.signal or signal.SIGTERM, clock)
            if not progress.history or progress.history[-1]["step"] != progress.step:
                finish_interval(text_run, progress, evaluation_row(text_run, progress, clock), clock)
            if reason == "time":
                say(f"time limit of {args.time_limit:g} min reached")
                break
    files = "best.pt, last.pt, metrics.csv, steps.csv, curves.png"
    say(f"done: best held-out {progress.best_bpc:.3f} bpc; {args.out}/{files}")
    return progress.history[-1] if progress.history else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m numpyflow train-text",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    explicit = {k for k, v in vars(args).items() if v != parser.get_default(k)}
    if args.lr is None:
        args.lr = DEFAULT_LR[args.model]
    try:
        if args.corpus is not None and args.data is not None:
            raise UsageError("--corpus and --data name two texts: give one")
        for name in ("steps", "epochs", "time_limit", "eval_every", "seq_len", "batch_size", "hidden", "layers"):
            value = getattr(args, name)
            if value is not None and value <= 0:
                raise UsageError(f"--{name.replace('_', '-')} must be positive, not {value}")
        if args.out is None:
            name = args.corpus or (os.path.splitext(os.path.basename(args.data))[0] if args.data else None)
            args.out = os.path.join("runs", f"text-{name or text_data.default_corpus()}-{args.model}")
        run(args, explicit)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
