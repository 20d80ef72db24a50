"""ResNet inference: the model in eval mode under ``no_grad``, float32, NumpyFlow and
PyTorch interleaved in the same run.

    python -m benchmarks.resnet_infer [--repeats 10] [--threads 2] [--no-memory] [--config resnet20:128]

Configurations: resnet20 and resnet18 (small-image stem), 32x32x3, batch 128.  Prints the
median time of a forward pass in each framework, the ratio, images/s and peak memory.
"""

from __future__ import annotations

from benchmarks.common import infer_fn, model_benchmark

CONFIGS = [("resnet20", 128), ("resnet18", 128)]


def _make(lib, model, batch, spec):
    return infer_fn(lib, model, batch, spec["image"])


def main(argv=None):
    model_benchmark(argv, __doc__, "benchmarks.resnet_infer", "inference (eval, no_grad)", CONFIGS, _make)


if __name__ == "__main__":
    main()
