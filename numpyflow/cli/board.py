"""``train --tensorboard DIR``: what a run logs for TensorBoard, through
``nf.utils.tensorboard.SummaryWriter`` (torch.utils.tensorboard's API).  View it with
``tensorboard --logdir DIR``."""

from __future__ import annotations

import numpy as np

from .runs import UsageError

INSTALL = "pip install numpyflow[tensorboard]"
SAMPLE_IMAGES = 32


def summary_writer_class():
    """``SummaryWriter``, or a UsageError naming the extra to install when the tensorboard
    package is missing."""
    try:
        import tensorboard  # noqa: F401  (the package that writes the event files)
    except ImportError:
        raise UsageError(f"--tensorboard needs the tensorboard package, which is not installed: {INSTALL}") from None
    from ..utils.tensorboard import SummaryWriter

    return SummaryWriter


class Board:
    """A run's TensorBoard log in ``log_dir``: per step the training loss, accuracy and
    learning rate; per epoch the test loss and accuracy and histograms of the weights and
    gradients; once a session, a grid of training images and the model's graph; the
    hyperparameters with the final figures at the end.  Every figure's x is the global
    step.  ``purge_step`` (a resume's step) drops events of later steps left by the run
    that stopped, as PyTorch's writer does."""

    def __init__(self, log_dir: str, purge_step: int | None = None):
        writer_class = summary_writer_class()
        self.writer = writer_class(log_dir, purge_step=purge_step) if purge_step else writer_class(log_dir)
        self.images_logged = False

    def step(self, step: int, row: dict) -> None:
        """The training figures of step ``step`` (a steps.csv row)."""
        self.writer.add_scalar("train/loss", row["loss"], step)
        self.writer.add_scalar("train/accuracy", row["acc"], step)
        self.writer.add_scalar("train/lr", row["lr"], step)

    def images(self, batch, step: int) -> None:
        """The first images of a training ``batch`` (normalised), each scaled to [0, 1]."""
        x = np.asarray(batch.detach().numpy(force=True)[:SAMPLE_IMAGES], dtype=np.float32)
        low = x.min(axis=(1, 2, 3), keepdims=True)
        high = x.max(axis=(1, 2, 3), keepdims=True)
        self.writer.add_images("train/images", (x - low) / np.maximum(high - low, 1e-6), step)
        self.images_logged = True

    def graph(self, model, example) -> None:
        """The model's graph, traced on ``example`` (a batch of one input)."""
        self.writer.add_graph(model, example)

    def epoch(self, step: int, row: dict, model) -> None:
        """An epoch's metrics ``row`` and histograms of ``model``'s weights and gradients."""
        for key, tag in (("test_loss", "test/loss"), ("test_acc", "test/accuracy"), ("train_loss", "train/epoch_loss")):
            self.writer.add_scalar(tag, row[key], step)
        for name, p in model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", p.detach().numpy(force=True), step)
            if p.grad is not None:
                self.writer.add_histogram(f"gradients/{name}", p.grad.numpy(force=True), step)

    def hparams(self, args, world_size: int, row: dict, best_acc: float) -> None:
        """The run's hyperparameters with its final test figures."""
        keys = ("model", "dataset", "epochs", "batch_size", "lr", "optimizer", "momentum", "scheduler")
        keys += ("weight_decay", "label_smoothing", "augment", "seed")
        hparams = {k: getattr(args, k) for k in keys}
        hparams["processes"] = world_size
        metrics = {"hparam/test_acc": row["test_acc"], "hparam/test_loss": row["test_loss"]}
        metrics["hparam/best_test_acc"] = best_acc
        self.writer.add_hparams(hparams, metrics)

    def close(self) -> None:
        self.writer.close()
