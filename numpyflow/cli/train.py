"""``python -m numpyflow train``: train a model on an image data set.

Writes to ``--out``: ``last.pt`` (every epoch, and on Ctrl-C or SIGTERM), ``best.pt`` (best
test accuracy), ``metrics.csv`` (a row per epoch), ``steps.csv`` (a row per step) and
``curves.png``; with ``--tensorboard DIR``, a TensorBoard log in DIR
(``tensorboard --logdir DIR``).  ``--resume`` continues a stopped run exactly where it
stopped (same weights as an uninterrupted run).

Under ``mpiexec -n N`` the run is data-parallel over the N processes
(``DistributedDataParallel``; ``--batch-size`` is per process, as in PyTorch): each takes
its shard of every epoch, rank 0 alone shows progress and writes the files, and a stop
(Ctrl-C, SIGTERM) ends every process after the same batch.  A checkpoint resumes on the
same number of processes exactly, or on another from the first image of the epoch not
yet trained on.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import get_rng_state, manual_seed, set_rng_state
from ..serialization import save
from ..utils.data import DataLoader, Dataset, Subset
from ..vision import models, transforms
from . import data as cli_data
from .board import Board, summary_writer_class
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
from .world import World, join

CHECKPOINT_FORMAT = "numpyflow-checkpoint-1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="resnet20", choices=sorted(models.MODELS))
    parser.add_argument("--dataset", default="digits", choices=sorted(cli_data.DATASETS))
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder holding the data set's files: required for mnist and cifar10; Fashion-MNIST defaults to "
        "the Debian package's folder; digits needs none",
    )
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
    add_resume_argument(parser)
    parser.add_argument("--eval-batch-size", type=int, default=512)
    parser.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="also log to TensorBoard in DIR (view with 'tensorboard --logdir DIR'; needs the tensorboard package)",
    )


def build_model(args, spec):
    kwargs = dict(num_classes=spec.classes, in_channels=spec.channels)
    if args.model in ("resnet18", "resnet34", "resnet50"):
        kwargs["small_input"] = True
    return models.get_model(args.model, **kwargs)


def build_optimizer(args, model):
    params = model.parameters()
    if args.optimizer == "sgd":
        return optim.SGD(
            params, lr=args.lr, momentum=args.momentum, nesterov=args.momentum > 0, weight_decay=args.weight_decay
        )
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


def open_split(spec, data_dir, train, transform=None):
    """The data set's split, its missing-file errors worded for this command (``--data-dir``
    where the library says ``root``)."""
    try:
        return spec.dataset(root=data_dir, train=train, transform=transform)
    except FileNotFoundError as e:
        message = str(e).replace(" as root.", " as --data-dir.").replace("the default root", "the default --data-dir")
        raise FileNotFoundError(message) from None


def load_data(args, spec):
    """Train and test sets, normalised with the training set's per-channel statistics,
    and the value of a black pixel after normalisation."""
    if args.data_dir is None and spec.data_dir is not None:
        raise UsageError(f"--dataset {spec.name} needs --data-dir, the folder that holds {spec.data_dir}")
    mean, std = cli_data.channel_stats(open_split(spec, args.data_dir, train=True))
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = open_split(spec, args.data_dir, train=True, transform=tf)
    test_set = open_split(spec, args.data_dir, train=False, transform=tf)
    black = tuple((0.0 - m) / s for m, s in zip(mean, std))
    return train_set, test_set, black


def evaluate(model, dataset, batch_size, workers, num_classes, world=None):
    """Loss, accuracy and the confusion matrix (rows: true class) on ``dataset``: every
    process of ``world`` tests its share, and they add up their counts."""
    world = world or World()
    model.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    confusion = np.zeros((num_classes, num_classes), np.int64)
    total_loss = 0.0
    part = dataset if world.size == 1 else Subset(dataset, range(world.rank, len(dataset), world.size))
    with no_grad():
        for x, y in DataLoader(part, batch_size=batch_size, num_workers=workers):
            out = model(x)
            total_loss += criterion(out, y).item()
            pred = out.argmax(1).numpy()
            np.add.at(confusion, (y.numpy(), pred), 1)
    if world.size > 1:
        summed = world.sum(np.append(confusion.ravel(), total_loss))
        confusion, total_loss = summed[:-1].astype(np.int64).reshape(confusion.shape), float(summed[-1])
    n = int(confusion.sum())
    return total_loss / max(n, 1), float(np.trace(confusion)) / max(n, 1), confusion


@dataclass
class Training:
    """What a run trains and with what: built from the run's arguments."""

    args: argparse.Namespace
    spec: cli_data.DataSpec
    model: nn.Module
    optimizer: optim.Optimizer
    scheduler: optim.lr_scheduler.LRScheduler | None  # stepped once per batch
    criterion: nn.Module
    train_set: Dataset
    test_set: Dataset
    augment: Callable | None  # a transform of a batch of images
    steps_per_epoch: int
    world: World = field(default_factory=World)
    net: nn.Module | None = None  # what trains: the model, or DistributedDataParallel over it
    steps: StepLog | None = None  # steps.csv, on the main process
    board: Board | None = None  # --tensorboard, on the main process


@dataclass
class Progress:
    """Where a run stands: what a checkpoint saves besides the weights."""

    epoch: int = 0  # the epoch in progress (or the next one when batch == 0)
    batch: int = 0  # batches of that epoch already done
    stats: dict | None = None  # running loss/accuracy sums of the epoch in progress
    history: list = field(default_factory=list)
    best_acc: float = -1.0
    start: int = 0  # the image of the epoch's order this pass began at (0 unless resumed on another world)
    step: int = 0  # training steps done in the whole run


def build_training(args, world=None) -> Training:
    """The data, model, optimizer, schedule and loss ``args`` ask for (the model
    initialised from ``--seed``), data-parallel over ``world``'s processes."""
    world = world or World()
    spec = cli_data.DATASETS[args.dataset]
    train_set, test_set, black = load_data(args, spec)
    manual_seed(args.seed)
    model = build_model(args, spec)
    optimizer = build_optimizer(args, model)
    steps_per_epoch = cli_data.steps(len(train_set), args.batch_size, world.size)
    net = nn.parallel.DistributedDataParallel(model) if world.size > 1 else model
    return Training(
        args=args,
        spec=spec,
        model=model,
        optimizer=optimizer,
        scheduler=build_scheduler(args, optimizer, args.epochs * steps_per_epoch),
        criterion=nn.CrossEntropyLoss(label_smoothing=args.label_smoothing),
        train_set=train_set,
        test_set=test_set,
        augment=cli_data.augmentation(spec, fill=black) if args.augment else None,
        steps_per_epoch=steps_per_epoch,
        world=world,
        net=net,
    )


def load_trained(path, who, data_dir=None):
    """``(checkpoint, run arguments, data spec, model with its weights)`` of a checkpoint
    written by this command (``data_dir`` overrides the run's data folder); ``who`` names
    the command in errors."""
    checkpoint = read_checkpoint(path, CHECKPOINT_FORMAT, who, "a checkpoint written by 'python -m numpyflow train'")
    run_args = argparse.Namespace(**checkpoint["args"])
    if data_dir is not None:
        run_args.data_dir = data_dir
    spec = cli_data.DATASETS[run_args.dataset]
    model = build_model(run_args, spec)
    model.load_state_dict(checkpoint["model"])
    return checkpoint, run_args, spec, model


# -- resume ------------------------------------------------------------------------------


def load_resume_checkpoint(args, explicit):
    """(checkpoint, args): the checkpoint ``--resume`` names and the run's arguments from
    it (``--workers``, ``--out``, ``--resume`` and ``--tensorboard`` as given now); (None, args) otherwise."""
    if args.resume is None:
        return None, args
    path = resume_path(args)
    checkpoint = read_checkpoint(path, CHECKPOINT_FORMAT, "--resume", "a training checkpoint of this program")
    return checkpoint, resume_arguments(
        args, checkpoint, path, explicit, fixed=("model", "dataset"), keep=("workers", "out", "resume", "tensorboard")
    )


def restore(training: Training, checkpoint) -> Progress:
    """Put the model, optimizer, scheduler and random stream back as ``checkpoint`` has
    them.  Saved by another number of processes, the epoch goes on from its first image
    not yet trained on, and the schedule from the matching step."""
    training.model.load_state_dict(checkpoint["model"])
    training.optimizer.load_state_dict(checkpoint["optimizer"])
    set_rng_state(checkpoint["rng"])
    progress = Progress(
        epoch=checkpoint["epoch"],
        batch=checkpoint["batch"],
        stats=checkpoint["epoch_stats"],
        history=checkpoint["history"],
        best_acc=checkpoint["best_acc"],
        start=checkpoint.get("start", 0),
        step=checkpoint.get("step", checkpoint["epoch"] * training.steps_per_epoch + checkpoint["batch"]),
    )
    saved_world, world = checkpoint.get("world_size", 1), training.world.size
    if saved_world == world:
        if training.scheduler is not None:
            training.scheduler.load_state_dict(checkpoint["scheduler"])
        return progress
    n, batch_size = len(training.train_set), training.args.batch_size
    progress.start = min(n, progress.start + progress.batch * batch_size * saved_world)
    progress.batch = 0
    if training.scheduler is not None:
        left = cli_data.steps(n - progress.start, batch_size, world)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range((progress.epoch + 1) * training.steps_per_epoch - left):
                training.scheduler.step()
    return progress


# -- training ----------------------------------------------------------------------------


def train_step(training: Training, x, y):
    """One optimisation step on the batch (x, y); the model's output and the loss."""
    out = (training.net or training.model)(x)
    loss = training.criterion(out, y)
    training.optimizer.zero_grad()
    loss.backward()
    training.optimizer.step()
    if training.scheduler is not None:
        training.scheduler.step()
    return out, loss


def _record_batch(world, stats, out, loss, y, stop) -> tuple[bool, float, float, int]:
    """Add the batch to the epoch's statistics (summed over the processes); whether any
    process was asked to stop, and the batch's loss, accuracy and images over them all."""
    n = y.shape[0]
    mine = [loss.item() * n, int((out.argmax(1) == y).sum().item()), n, stop.signal is not None]
    total_loss, correct, seen, stopping = world.sum(mine) if world.size > 1 else mine
    stats["loss"] += float(total_loss)
    stats["correct"] += int(correct)
    stats["seen"] += int(seen)
    return bool(stopping), float(total_loss) / max(seen, 1), float(correct) / max(seen, 1), int(seen)


def grad_norm(model) -> float:
    """The L2 norm of all of ``model``'s gradients together."""
    squares = [(p.grad.detach() ** 2).sum() for p in model.parameters() if p.grad is not None]
    return sum(squares).item() ** 0.5 if squares else 0.0


def _log_step(training: Training, progress: Progress, lr, loss, acc, seen, seconds) -> None:
    """steps.csv's row of the step just done (and its TensorBoard figures)."""
    n = len(training.train_set)
    done = progress.start + progress.batch * training.args.batch_size * training.world.size
    row = {
        "step": progress.step,
        "epoch": round(progress.epoch + min(done / max(n, 1), 1.0), 6),
        "loss": loss,
        "acc": acc,
        "lr": lr,
        "grad_norm": grad_norm(training.model),
        "seconds": round(seconds, 6),
        "images_per_second": round(seen / max(seconds, 1e-9), 1),
    }
    if training.steps is not None:
        training.steps.add(row)
    if training.board is not None:
        training.board.step(progress.step, row)


def train_epoch(training: Training, progress: Progress, stop) -> bool:
    """Train on epoch ``progress.epoch`` from batch ``progress.batch`` on, adding to
    ``progress``; returns True early, after a whole batch, when a stop was asked for
    (in any process)."""
    args, world = training.args, training.world
    if progress.batch == 0 or progress.stats is None:  # a fresh epoch
        progress.batch, progress.stats = 0, {"loss": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}
    stats = progress.stats
    loader = cli_data.train_loader(
        training.train_set,
        batch_size=args.batch_size,
        seed=args.seed,
        epoch=progress.epoch,
        workers=args.workers,
        augment=training.augment,
        start_batch=progress.batch,
        start=progress.start,
        rank=world.rank,
        world=world.size,
    )
    total = cli_data.steps(len(training.train_set) - progress.start, args.batch_size, world.size)
    bar = ProgressBar(total, f"epoch {progress.epoch + 1}/{args.epochs}") if world.main else None
    training.model.train()
    tick = time.perf_counter()
    stopping = False
    for x, y in loader:
        if training.board is not None and not training.board.images_logged:
            training.board.images(x, progress.step)
        lr = training.optimizer.param_groups[0]["lr"]
        out, loss = train_step(training, x, y)
        progress.batch += 1
        progress.step += 1
        stopping, batch_loss, batch_acc, seen = _record_batch(world, stats, out, loss, y, stop)
        now = time.perf_counter()
        stats["seconds"] += now - tick
        if world.main:
            _log_step(training, progress, lr, batch_loss, batch_acc, seen, now - tick)
        tick = now
        if bar is not None:
            bar.update(
                progress.batch,
                loss=stats["loss"] / stats["seen"],
                acc=stats["correct"] / stats["seen"],
                **{"img/s": stats["seen"] / max(stats["seconds"], 1e-9)},
            )
        if stopping:
            break
    if bar is not None:
        bar.close()
    return stopping or stop.signal is not None


def evaluate_epoch(training: Training, progress: Progress) -> dict:
    """Test the model after epoch ``progress.epoch``; its metrics row."""
    args, stats = training.args, progress.stats
    test_loss, test_acc, _ = evaluate(
        training.model, training.test_set, args.eval_batch_size, args.workers, training.spec.classes, training.world
    )
    row = {
        "epoch": progress.epoch + 1,
        "train_loss": stats["loss"] / max(stats["seen"], 1),
        "train_acc": stats["correct"] / max(stats["seen"], 1),
        "test_loss": test_loss,
        "test_acc": test_acc,
        "lr": training.optimizer.param_groups[0]["lr"],
        "epoch_seconds": stats["seconds"],
        "images_per_second": stats["seen"] / max(stats["seconds"], 1e-9),
    }
    say(
        training.world,
        f"epoch {row['epoch']}/{args.epochs}: train loss {row['train_loss']:.4f} acc "
        f"{100 * row['train_acc']:.2f}% | test loss {test_loss:.4f} acc {100 * test_acc:.2f}% | "
        f"{row['epoch_seconds']:.1f}s, {row['images_per_second']:.0f} img/s",
    )
    return row


def say(world, message):
    """A line on stderr from the main process."""
    if world.main:
        print(message, file=sys.stderr, flush=True)


# -- checkpoints -------------------------------------------------------------------------


def _checkpoint(training: Training, progress: Progress) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "args": vars(training.args).copy(),
        "model": training.model.state_dict(),
        "optimizer": training.optimizer.state_dict(),
        "scheduler": training.scheduler.state_dict() if training.scheduler is not None else None,
        "epoch": progress.epoch,
        "batch": progress.batch,
        "epoch_stats": progress.stats,
        "history": progress.history,
        "best_acc": progress.best_acc,
        "rng": get_rng_state(),
        "start": progress.start,
        "world_size": training.world.size,
        "step": progress.step,
    }


def save_stopped(training: Training, progress: Progress, signum) -> None:
    """Save the run stopped mid-epoch to last.pt and exit as the signal asks (a process
    stopped because another was asked to exits as for SIGTERM)."""
    path = os.path.join(training.args.out, "last.pt")
    checkpoint = _checkpoint(training, progress)
    if training.world.main:
        if training.steps is not None:
            training.steps.flush()
        save(checkpoint, path)
    training.world.barrier()
    say(
        training.world,
        f"stopped at epoch {progress.epoch + 1}, batch {progress.batch}; checkpoint saved to {path}; "
        "continue with --resume",
    )
    raise SystemExit(exit_status(signum))


def finish_epoch(training: Training, progress: Progress, row: dict) -> None:
    """Record the finished epoch's ``row``, then write steps.csv, last.pt (and best.pt when
    the test accuracy improved), metrics.csv and curves.png (and log to TensorBoard)."""
    args = training.args
    improved = row["test_acc"] > progress.best_acc
    progress.history.append(row)
    progress.epoch, progress.batch, progress.stats, progress.start = progress.epoch + 1, 0, None, 0
    progress.best_acc = max(progress.best_acc, row["test_acc"])
    checkpoint = _checkpoint(training, progress)
    if not training.world.main:
        return
    steps = training.steps.rows if training.steps is not None else []
    if training.steps is not None:
        training.steps.flush()  # before the checkpoint: a resume drops rows past its step
    if improved:
        save(checkpoint, os.path.join(args.out, "best.pt"))
    save(checkpoint, os.path.join(args.out, "last.pt"))
    write_metrics(os.path.join(args.out, "metrics.csv"), progress.history)
    plot_curves(os.path.join(args.out, "curves.png"), progress.history, f"{args.model} on {args.dataset}", steps=steps)
    if training.board is not None:
        training.board.epoch(progress.step, row, training.model)


# -- the command -------------------------------------------------------------------------


def model_summary(training: Training, depth: int = 1) -> str | None:
    """``nf.utils.summary``'s table of the model to ``depth``, on one input of the data
    set's size (None where it is not available).  It runs in eval mode on inputs of its
    own generator, so the run trains exactly as without it."""
    try:
        from ..utils.summary import summary
    except ImportError:
        return None
    spec = training.spec
    size = (1, spec.channels, spec.image_size, spec.image_size)
    return str(summary(training.model, input_size=size, depth=depth, verbose=0))


def open_board(training: Training, progress: Progress) -> Board:
    """The ``--tensorboard`` log, with the model's graph traced on the first test image (in
    eval mode, without touching the random stream)."""
    board = Board(training.args.tensorboard, purge_step=progress.step or None)
    model, was_training, rng = training.model, training.model.training, get_rng_state()
    try:
        model.eval()
        with no_grad():
            board.graph(model, training.test_set[0][0].unsqueeze(0))
    finally:
        model.train(was_training)
        set_rng_state(rng)
    return board


def run(args, explicit=frozenset()) -> dict:
    """Train as ``args`` say; returns the final metrics row.  ``explicit`` names the
    options given on the command line (a resume refuses a different model or data set)."""
    world = join()
    checkpoint, args = load_resume_checkpoint(args, explicit)
    if args.tensorboard is not None:
        summary_writer_class()  # a usage error, before anything is written, where it is missing
    training = build_training(args, world)
    if world.main:
        os.makedirs(args.out, exist_ok=True)
    progress = Progress() if checkpoint is None else restore(training, checkpoint)
    if checkpoint is not None:
        say(world, f"resuming {args.out}: epoch {progress.epoch + 1}, batch {progress.batch}")
    if world.main:
        resume_step = progress.step if checkpoint is not None else None
        training.steps = StepLog(os.path.join(args.out, "steps.csv"), resume_step=resume_step)
    n_params = sum(p.numel() for p in training.model.parameters())
    batch = f"batch {args.batch_size}"
    if world.size > 1:
        batch += f" per process x {world.size} processes = {args.batch_size * world.size}"
    with StopRequest(quiet=not world.main) as stop:
        say(
            world,
            f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(training.train_set)} train / "
            f"{len(training.test_set)} test images, {args.epochs} epochs, {batch}, "
            f"{args.optimizer} lr {args.lr}, {args.scheduler} schedule, out {args.out}",
        )
        table = model_summary(training) if world.main else None
        if table is not None:
            say(world, table)
        if world.main and args.tensorboard is not None:
            training.board = open_board(training, progress)
        try:
            while progress.epoch < args.epochs:
                if train_epoch(training, progress, stop):
                    save_stopped(training, progress, stop.signal or signal.SIGTERM)
                finish_epoch(training, progress, evaluate_epoch(training, progress))
            if training.board is not None and progress.history:
                training.board.hparams(args, world.size, progress.history[-1], progress.best_acc)
        finally:
            if training.board is not None:
                training.board.close()
    files = "best.pt, last.pt, metrics.csv, steps.csv, curves.png"
    say(world, f"done: best test accuracy {100 * progress.best_acc:.2f}%; {args.out}/{files}")
    if args.tensorboard is not None:
        say(world, f"TensorBoard: tensorboard --logdir {args.tensorboard}")
    return progress.history[-1] if progress.history else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m numpyflow train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    explicit = {k for k, v in vars(args).items() if v != parser.get_default(k)}
    if args.out is None:
        args.out = os.path.join("runs", f"{args.dataset}-{args.model}")
    try:
        run(args, explicit)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
