"""``python -m numpyflow train ...`` and ``python -m numpyflow evaluate ...``."""

from __future__ import annotations

import sys

USAGE = """usage: python -m numpyflow {train,evaluate} [options]

  train      train a model on an image data set (python -m numpyflow train --help)
  evaluate   accuracy, per-class accuracy and confusion matrix of a checkpoint
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
    print(f"unknown command '{command}'\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
