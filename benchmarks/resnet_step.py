"""One ResNet training step (forward, cross-entropy, backward, SGD momentum), float32,
NumpyFlow and PyTorch interleaved in the same run.

    python -m benchmarks.resnet_step [--repeats 10] [--threads 2] [--no-memory] [--config resnet20:64]

Configurations: resnet20 (32x32x3) at batch 64 and 128, resnet18 with the small-image
stem (32x32x3) at batch 32.  Prints the median step time of each framework, the ratio,
images/s, and the peak memory a step adds (each framework measured alone in a fresh
process).
"""

from __future__ import annotations

from benchmarks.common import model_benchmark, train_step_fn

CONFIGS = [("resnet20", 64), ("resnet20", 128), ("resnet18", 32)]


def _make(lib, model, batch, spec):
    return train_step_fn(lib, model, batch, spec["image"], spec["classes"])


def main(argv=None):
    model_benchmark(argv, __doc__, "benchmarks.resnet_step", "training step", CONFIGS, _make)


if __name__ == "__main__":
    main()
