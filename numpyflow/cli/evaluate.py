"""``python -m numpyflow evaluate``: accuracy, per-class accuracy and the confusion matrix
of a checkpoint written by ``train``, on its data set's test split.  Beside the checkpoint
it writes ``confusion.png`` (the confusion matrix, each row normalised) and
``mistakes.png`` (the misclassified test images the model was surest of)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..utils.data import DataLoader
from ..vision import transforms
from ..vision.utils import make_grid
from .train import load_data, load_trained, open_split

MISTAKES = 16  # images in mistakes.png


def predict(model, dataset, batch_size: int, workers: int = 0):
    """``(probabilities, labels, mean loss)`` of ``model`` on every item of ``dataset``:
    the softmax of its outputs ``(N, classes)``, the true labels ``(N,)``."""
    model.eval()
    probs, labels, total = [], [], 0.0
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size, num_workers=workers):
            out = model(x)
            total += nn.functional.cross_entropy(out, y, reduction="sum").item()
            probs.append(nn.functional.softmax(out, dim=1).numpy())
            labels.append(y.numpy())
    probs, labels = np.concatenate(probs), np.concatenate(labels)
    return probs, labels, total / max(len(labels), 1)


def confusion_matrix(labels, predictions, classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) pairs, rows the true class."""
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    return confusion


def worst_mistakes(probs, labels, k: int) -> np.ndarray:
    """Indices of at most ``k`` misclassified items, the surest first: ordered by the
    probability given to the (wrong) predicted class, highest first; ties in index order."""
    probs, labels = np.asarray(probs), np.asarray(labels)
    predicted = probs.argmax(1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probs[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:k]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        warnings.warn(
            "matplotlib is not installed: no confusion.png or mistakes.png (pip install matplotlib)", stacklevel=3
        )
        return None
    return plt


def _save(fig, plt, path):
    tmp = path + ".part.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


def plot_confusion(path: str, confusion, class_names, title: str = "") -> bool:
    """``confusion.png``: the confusion matrix with each row (true class) normalised to
    sum to 1, the share written in each cell; False when matplotlib is missing."""
    plt = _pyplot()
    if plt is None:
        return False
    confusion = np.asarray(confusion, np.float64)
    shares = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.5 + 0.6 * n, 1.2 + 0.55 * n))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_xticks(range(n), [str(c) for c in class_names], rotation=45, ha="right")
    ax.set_yticks(range(n), [str(c) for c in class_names])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            if confusion[i, j]:
                color = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, f"{shares[i, j]:.2f}", ha="center", va="center", fontsize=7, color=color)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    _save(fig, plt, path)
    return True


def plot_mistakes(path: str, images, labels, predictions, confidences, class_names, title: str = "") -> bool:
    """``mistakes.png``: ``images`` (a list of ``(C, H, W)`` tensors, each shown scaled to
    its own range) tiled by ``make_grid``, each under its true and predicted class and the
    predicted class's probability; False when matplotlib is missing."""
    plt = _pyplot()
    if plt is None:
        return False
    if not len(images):
        fig = plt.figure(figsize=(4, 1))
        fig.text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
        _save(fig, plt, path)
        return True
    cols = min(8, len(images))
    rows = -(-len(images) // cols)
    height, width = images[0].shape[-2:]
    pad = max(2, height // 2)  # room for two lines of text above each image
    grid = (
        make_grid(list(images), nrow=cols, padding=pad, normalize=True, scale_each=True, pad_value=1.0)
        .numpy()
        .transpose(1, 2, 0)
    )
    if len(images) == 1:  # make_grid returns a lone image as it is, unpadded
        grid = np.pad(grid, ((pad, pad), (pad, pad), (0, 0)), constant_values=1.0)
    inches = 1.4 / (width + pad)  # per pixel: each cell 1.4 inches wide
    fig = plt.figure(figsize=(grid.shape[1] * inches, grid.shape[0] * inches + 0.4))
    top = grid.shape[0] * inches / (grid.shape[0] * inches + 0.4)
    ax = fig.add_axes((0, 0, 1, top))
    ax.imshow(np.clip(grid, 0, 1), interpolation="nearest")
    ax.axis("off")
    for k, (true, pred, conf) in enumerate(zip(labels, predictions, confidences)):
        x0 = (k % cols) * (width + pad) + pad
        y0 = (k // cols) * (height + pad) + pad
        ax.text(x0 + width / 2, y0 - pad * 0.45, f"true: {class_names[true]}", ha="center", va="bottom", fontsize=7)
        ax.text(
            x0 + width / 2,
            y0 - 0.5,
            f"pred: {class_names[pred]} ({100 * conf:.0f}%)",
            ha="center",
            va="bottom",
            fontsize=7,
            color="firebrick",
        )
    fig.suptitle(title or "misclassified, surest first", y=1 - 0.1 / (rows + 1), fontsize=9)
    _save(fig, plt, path)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m numpyflow evaluate", description=__doc__)
    parser.add_argument("--checkpoint", required=True, help="a best.pt or last.pt written by train")
    parser.add_argument("--data-dir", default=None, help="override the data folder the run used")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    ckpt, run_args, spec, model = load_trained(args.checkpoint, "evaluate", args.data_dir)
    _, test_set, _ = load_data(run_args, spec)
    probs, labels, loss = predict(model, test_set, args.batch_size, args.workers)
    predictions = probs.argmax(1)
    confusion = confusion_matrix(labels, predictions, spec.classes)
    acc = float(np.trace(confusion)) / max(len(labels), 1)

    classes = list(spec.class_names)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(1), 1)
    print(
        f"{run_args.model} on {run_args.dataset} ({len(test_set)} test images), "
        f"checkpoint {args.checkpoint} (epoch {ckpt['epoch']})"
    )
    print(f"accuracy {100 * acc:.2f}%   loss {loss:.4f}")
    print("per-class accuracy:")
    width = max(len(str(c)) for c in classes)
    for c, a, n in zip(classes, per_class, confusion.sum(1)):
        print(f"  {str(c):>{width}}  {100 * a:6.2f}%  ({n} images)")
    print("confusion matrix (rows: true class, columns: predicted):")
    cell = max(len(str(int(confusion.max()))), 3)
    print("  " + " " * width + " " + " ".join(f"{i:>{cell}}" for i in range(spec.classes)))
    for i, row in enumerate(confusion):
        print(f"  {i:>{width}} " + " ".join(f"{int(v):>{cell}}" for v in row))

    folder = os.path.dirname(os.path.abspath(args.checkpoint))
    title = f"{run_args.model} on {run_args.dataset}, {os.path.basename(args.checkpoint)}"
    written = []
    if plot_confusion(os.path.join(folder, "confusion.png"), confusion, classes, title):
        written.append("confusion.png")
    chosen = worst_mistakes(probs, labels, MISTAKES)
    raw = open_split(spec, run_args.data_dir, train=False, transform=transforms.ToTensor())
    images = [raw[int(i)][0] for i in chosen]
    chosen_labels, chosen_predictions = labels[chosen], predictions[chosen]
    confidences = probs[chosen, chosen_predictions]
    if plot_mistakes(
        os.path.join(folder, "mistakes.png"), images, chosen_labels, chosen_predictions, confidences, classes
    ):
        written.append("mistakes.png")
    if written:
        print(f"wrote {', '.join(os.path.join(folder, name) for name in written)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "accuracy": acc,
                    "loss": loss,
                    "per_class_accuracy": per_class.tolist(),
                    "confusion_matrix": confusion.tolist(),
                    "classes": [str(c) for c in classes],
                },
                f,
                indent=2,
            )
    sys.stdout.flush()
    return 0
