"""``python -m numpyflow train``: train a model on an image data set.

Writes to ``--out``: ``last.pt`` (every epoch, and on Ctrl-C or SIGTERM), ``best.pt`` (best
test accuracy), ``metrics.csv`` and ``curves.png``.  ``--resume`` continues a stopped run
exactly where it stopped (same weights as an uninterrupted run).
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import manual_seed
from ..random import get_rng_state, set_rng_state
from ..serialization import load, save
from ..vision import models, transforms
from . import data as cli_data
from .progress import ProgressBar
from .report import plot_curves, write_metrics

CHECKPOINT_FORMAT = "numpyflow-checkpoint-1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="resnet20", choices=sorted(models.MODELS))
    parser.add_argument("--dataset", default="digits", choices=sorted(cli_data.DATASETS))
    parser.add_argument("--data-dir", default=None, help="folder holding the data set's files "
                        "(Fashion-MNIST defaults to the Debian package's folder)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1, help="(peak) learning rate")
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw", "rmsprop"])
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--scheduler", default="onecycle", choices=["onecycle", "cosine", "step", "none"])
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--augment", action="store_true", help="random crops and (where label-preserving) flips")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--out", default=None, help="run folder (default runs/<dataset>-<model>)")
    parser.add_argument("--resume", nargs="?", const="last", default=None,
                        help="continue from --out/last.pt (or from the checkpoint path given)")
    parser.add_argument("--eval-batch-size", type=int, default=512)


class _StopRequest:
    """Turns Ctrl-C / SIGTERM into a flag checked between batches (a second Ctrl-C aborts)."""

    def __init__(self):
        self.signal = None
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signum
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        print(f"\n{name}: finishing this batch, then saving a checkpoint (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


def build_model(args, spec):
    kwargs = dict(num_classes=spec.classes, in_channels=spec.channels)
    if args.model in ("resnet18", "resnet34", "resnet50"):
        kwargs["small_input"] = True
    return models.get_model(args.model, **kwargs)


def build_optimizer(args, model):
    params = model.parameters()
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=args.lr, momentum=args.momentum, nesterov=args.momentum > 0,
                         weight_decay=args.weight_decay)
    if args.optimizer == "adam":
        return optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "adamw":
        return optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    return optim.RMSprop(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)


def build_scheduler(args, optimizer, total_steps):
    """Schedulers step once per batch, so a resume mid-epoch needs no special case."""
    if args.scheduler == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=total_steps)
    if args.scheduler == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if args.scheduler == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(total_steps // 3, 1), gamma=0.1)
    return None


def load_data(args, spec):
    """Train and test sets, normalised with the training set's per-channel statistics."""
    plain = spec.factory(args.data_dir, True, None)
    mean, std = cli_data.channel_stats(plain)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = spec.factory(args.data_dir, True, tf)
    test_set = spec.factory(args.data_dir, False, tf)
    black = tuple((0.0 - m) / s for m, s in zip(mean, std))
    return train_set, test_set, black


def evaluate(model, dataset, batch_size, workers, num_classes):
    """Loss, accuracy and the confusion matrix (rows: true class) on ``dataset``."""
    model.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    confusion = np.zeros((num_classes, num_classes), np.int64)
    total_loss = 0.0
    loader = cli_data.make_loader(dataset, batch_size, 0, 0, False, workers)
    with no_grad():
        for x, y in loader:
            out = model(x)
            total_loss += criterion(out, y).item()
            pred = out.argmax(1).numpy()
            np.add.at(confusion, (y.numpy(), pred), 1)
    n = int(confusion.sum())
    return total_loss / max(n, 1), float(np.trace(confusion)) / max(n, 1), confusion


def _checkpoint(args, model, optimizer, scheduler, epoch, batch, stats, history, best_acc):
    return {
        "format": CHECKPOINT_FORMAT,
        "args": vars(args).copy(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,            # the epoch in progress (or the next one when batch == 0)
        "batch": batch,            # batches of that epoch already done
        "epoch_stats": stats,      # running loss/accuracy sums of the epoch in progress
        "history": history,
        "best_acc": best_acc,
        "rng": get_rng_state(),
    }


def _resume_path(args):
    if args.resume in (None, "last"):
        return os.path.join(args.out, "last.pt")
    return args.resume


def run(args, explicit=frozenset()) -> dict:
    """Train as ``args`` say; returns the final metrics row.  ``explicit`` names the
    options given on the command line (a resume refuses a different model or data set)."""
    spec = cli_data.DATASETS[args.dataset]
    resume = None
    if args.resume is not None:
        path = _resume_path(args)
        if not os.path.exists(path):
            raise FileNotFoundError(f"--resume: no checkpoint at {path}")
        resume = load(path)
        if not isinstance(resume, dict) or resume.get("format") != CHECKPOINT_FORMAT:
            raise RuntimeError(f"--resume: {path} is not a training checkpoint of this program")
        saved = resume["args"]
        for key in ("model", "dataset"):
            if key in explicit and getattr(args, key) != saved[key]:
                raise ValueError(f"--resume: the checkpoint at {path} is for --{key} {saved[key]}, "
                                 f"not {getattr(args, key)}")
        keep = {"workers": args.workers, "out": args.out, "resume": args.resume}
        args = argparse.Namespace(**{**saved, **keep})
    train_set, test_set, black = load_data(args, spec)
    os.makedirs(args.out, exist_ok=True)
    manual_seed(args.seed)
    model = build_model(args, spec)
    optimizer = build_optimizer(args, model)
    steps_per_epoch = math.ceil(len(train_set) / args.batch_size)
    scheduler = build_scheduler(args, optimizer, args.epochs * steps_per_epoch)
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    start_epoch, start_batch, stats, history, best_acc = 0, 0, None, [], -1.0
    if resume is not None:
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(resume["scheduler"])
        start_epoch, start_batch = resume["epoch"], resume["batch"]
        stats, history, best_acc = resume["epoch_stats"], resume["history"], resume["best_acc"]
        set_rng_state(resume["rng"])
        print(f"resuming {args.out}: epoch {start_epoch + 1}, batch {start_batch}", file=sys.stderr)

    n_params = sum(p.numel() for p in model.parameters())
    last_row = history[-1] if history else {}
    with _StopRequest() as stop:
        print(f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(train_set)} train / "
              f"{len(test_set)} test images, {args.epochs} epochs, batch {args.batch_size}, {args.optimizer} "
              f"lr {args.lr}, {args.scheduler} schedule, out {args.out}", file=sys.stderr, flush=True)
        for epoch in range(start_epoch, args.epochs):
            model.train()
            resuming_here = epoch == start_epoch and start_batch > 0 and stats is not None
            first = start_batch if resuming_here else 0
            if not resuming_here:
                stats = {"loss": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
            loader = cli_data.make_loader(train_set, args.batch_size, args.seed, epoch, True, args.workers, first)
            bar = ProgressBar(steps_per_epoch, f"epoch {epoch + 1}/{args.epochs}")
            tick = time.perf_counter()
            batch = first
            for x, y in loader:
                manual_seed((args.seed * 1_000_003 + epoch * 10_007 + batch) % (2 ** 63))
                if args.augment:
                    x = cli_data.augment(x, spec.crop_padding, spec.flip, args.seed, epoch, batch, black)
                out = model(x)
                loss = criterion(out, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                batch += 1
                n = y.shape[0]
                stats["loss"] += loss.item() * n
                stats["correct"] += int((out.argmax(1) == y).sum().item())
                stats["seen"] += n
                now = time.perf_counter()
                stats["seconds"] += now - tick
                tick = now
                bar.update(batch, loss=stats["loss"] / stats["seen"], acc=stats["correct"] / stats["seen"],
                           **{"img/s": stats["seen"] / max(stats["seconds"], 1e-9)})
                if stop.signal is not None:
                    bar.close()
                    save(_checkpoint(args, model, optimizer, scheduler, epoch, batch, stats, history, best_acc),
                         os.path.join(args.out, "last.pt"))
                    print(f"stopped at epoch {epoch + 1}, batch {batch}; checkpoint saved to "
                          f"{os.path.join(args.out, 'last.pt')}; continue with --resume", file=sys.stderr)
                    raise SystemExit(130 if stop.signal == signal.SIGINT else 143)
            bar.close()
            test_loss, test_acc, _ = evaluate(model, test_set, args.eval_batch_size, args.workers, spec.classes)
            row = {
                "epoch": epoch + 1,
                "train_loss": stats["loss"] / max(stats["seen"], 1),
                "train_acc": stats["correct"] / max(stats["seen"], 1),
                "test_loss": test_loss,
                "test_acc": test_acc,
                "lr": optimizer.param_groups[0]["lr"],
                "epoch_seconds": stats["seconds"],
                "images_per_second": stats["seen"] / max(stats["seconds"], 1e-9),
            }
            history.append(row)
            last_row = row
            print(f"epoch {epoch + 1}/{args.epochs}: train loss {row['train_loss']:.4f} acc "
                  f"{100 * row['train_acc']:.2f}% | test loss {test_loss:.4f} acc {100 * test_acc:.2f}% | "
                  f"{row['epoch_seconds']:.1f}s, {row['images_per_second']:.0f} img/s", file=sys.stderr, flush=True)
            stats = None
            ckpt = _checkpoint(args, model, optimizer, scheduler, epoch + 1, 0, None, history, max(best_acc, test_acc))
            if test_acc > best_acc:
                best_acc = test_acc
                save(ckpt, os.path.join(args.out, "best.pt"))
            save(ckpt, os.path.join(args.out, "last.pt"))
            write_metrics(os.path.join(args.out, "metrics.csv"), history)
            plot_curves(os.path.join(args.out, "curves.png"), history, f"{args.model} on {args.dataset}")
    print(f"done: best test accuracy {100 * best_acc:.2f}%; {args.out}/best.pt, last.pt, metrics.csv, curves.png",
          file=sys.stderr)
    return last_row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m numpyflow train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    explicit = {k for k, v in vars(args).items() if v != parser.get_default(k)}
    if args.out is None:
        args.out = os.path.join("runs", f"{args.dataset}-{args.model}")
    run(args, explicit)
    return 0
