"""``python -m numpyflow train ...``, ``evaluate``, ``export``, ``train-text``, ``sample``
and ``graph``."""

from __future__ import annotations

import sys

USAGE = """usage: python -m numpyflow {train,evaluate,export,train-text,sample,graph} [options]

  train        train a model on an image data set (python -m numpyflow train --help)
  evaluate     accuracy, per-class accuracy and confusion matrix of a checkpoint; writes
               confusion.png and mistakes.png beside it
  export       a checkpoint as an ONNX model (python -m numpyflow export --help)
  train-text   train a character-level language model (python -m numpyflow train-text --help)
  sample       generate text from a train-text checkpoint (python -m numpyflow sample --help)
  graph        draw a model's backward graph as SVG/PNG (python -m numpyflow graph --help)
"""


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from .cli.train import main as train

        return train(rest)
    if command == "evaluate":
        from .cli.evaluate import main as evaluate

        return evaluate(rest)
    if command == "export":
        from .cli.export import main as export

        return export(rest)
    if command == "train-text":
        from .cli.train_text import main as train_text

        return train_text(rest)
    if command == "sample":
        from .cli.sample import main as sample

        return sample(rest)
    if command == "graph":
        from .cli.graph import main as graph

        return graph(rest)
    print(f"unknown command '{command}'\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
