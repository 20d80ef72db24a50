"""``python -m numpyflow evaluate``: accuracy, per-class accuracy and the confusion matrix
of a checkpoint written by ``train``, on its data set's test split."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .train import evaluate, load_data, load_trained


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
    loss, acc, confusion = evaluate(model, test_set, args.batch_size, args.workers, spec.classes)

    classes = list(getattr(test_set, "classes", None) or range(spec.classes))
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
