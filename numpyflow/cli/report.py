"""What a run writes besides checkpoints: ``metrics.csv`` and ``curves.png``."""

from __future__ import annotations

import csv
import os
import warnings

FIELDS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "epoch_seconds", "images_per_second"]

# What curves.png shows of an image classifier's run: one panel per (y label, curves), each
# curve a (metrics key, legend, scale).
PANELS = (
    ("cross-entropy loss", (("train_loss", "train", 1), ("test_loss", "test", 1))),
    ("accuracy (%)", (("train_acc", "train", 100), ("test_acc", "test", 100))),
)


def write_metrics(path: str, history: list[dict], fields=FIELDS) -> None:
    """Rewrite ``metrics.csv`` with one row per evaluation, the columns ``fields`` (atomically)."""
    tmp = path + ".part"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in history:
            writer.writerow({k: row.get(k, "") for k in fields})
    os.replace(tmp, path)


def plot_curves(path: str, history: list[dict], title: str = "", x: str = "epoch", panels=PANELS) -> bool:
    """The ``panels`` of ``history`` against its ``x`` column as ``curves.png`` (by default
    loss and accuracy per epoch); False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        warnings.warn("matplotlib is not installed: no curves.png (pip install matplotlib)", stacklevel=2)
        return False
    xs = [r[x] for r in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4))
    for ax, (ylabel, curves) in zip(axes, panels):
        for key, label, scale in curves:
            ax.plot(xs, [scale * r[key] for r in history], marker="o", label=label)
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    tmp = path + ".part.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True
