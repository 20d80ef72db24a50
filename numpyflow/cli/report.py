"""What a run writes besides checkpoints: ``metrics.csv`` and ``curves.png``."""

from __future__ import annotations

import csv
import os
import warnings

FIELDS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "epoch_seconds", "images_per_second"]


def write_metrics(path: str, history: list[dict]) -> None:
    """Rewrite ``metrics.csv`` with one row per finished epoch (atomically)."""
    tmp = path + ".part"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in history:
            writer.writerow({k: row.get(k, "") for k in FIELDS})
    os.replace(tmp, path)


def plot_curves(path: str, history: list[dict], title: str = "") -> bool:
    """Loss and accuracy per epoch as ``curves.png``; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        warnings.warn("matplotlib is not installed: no curves.png (pip install matplotlib)", stacklevel=2)
        return False
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in history], marker="o", label="train")
    ax_loss.plot(epochs, [r["test_loss"] for r in history], marker="o", label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    ax_acc.plot(epochs, [100 * r["train_acc"] for r in history], marker="o", label="train")
    ax_acc.plot(epochs, [100 * r["test_acc"] for r in history], marker="o", label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.legend()
    ax_acc.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    tmp = path + ".part.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True
