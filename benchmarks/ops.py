"""Forward + backward of the ops a ResNet spends its time in, at ResNet-20 (batch 128,
32x32) shapes, NumpyFlow against PyTorch in the same run, float32.

    python -m benchmarks.ops [--repeats 10] [--threads 2] [--batch 128]

Prints the median time of each and the ratio NumpyFlow / PyTorch.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import interleaved, machine_line, set_threads


def cases(batch):
    """(name, make(lib) -> zero-argument callable running forward + backward)."""
    rng = np.random.default_rng(0)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def conv(cin, cout, hw, k, stride):
        x, w = arr(batch, cin, hw, hw), arr(cout, cin, k, k) * 0.1
        g = arr(batch, cout, (hw + 2 * (k // 2) - k) // stride + 1, (hw + 2 * (k // 2) - k) // stride + 1)

        def make(lib):
            xt, wt, gt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True), lib.tensor(g)

            def run():
                lib.nn.functional.conv2d(xt, wt, None, stride, k // 2).backward(gt)

            return run

        return make

    def one_input(c, hw, out_hw, setup):
        """An op of one (batch, c, hw, hw) input; ``setup(lib)`` makes its parameters and
        returns the op."""
        x, g = arr(batch, c, hw, hw), arr(batch, c, out_hw, out_hw)

        def make(lib):
            xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g)
            op = setup(lib)

            def run():
                op(xt).backward(gt)

            return run

        return make

    def maxpool(c, hw):
        return one_input(c, hw, hw // 2, lambda lib: lambda x: lib.nn.functional.max_pool2d(x, 2))

    def batchnorm(c, hw):
        def setup(lib):
            w, b = lib.ones(c, requires_grad=True), lib.zeros(c, requires_grad=True)
            rm, rv = lib.zeros(c), lib.ones(c)
            return lambda x: lib.nn.functional.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)

        return one_input(c, hw, hw, setup)

    def relu(c, hw):
        return one_input(c, hw, hw, lambda lib: lib.nn.functional.relu)

    def cross_entropy(classes):
        x, y = arr(batch, classes), rng.integers(0, classes, batch)

        def make(lib):
            xt, yt = lib.tensor(x, requires_grad=True), lib.tensor(y)

            def run():
                lib.nn.functional.cross_entropy(xt, yt).backward()

            return run

        return make

    def matmul(n, k, m):
        a, b = arr(n, k), arr(k, m)

        def make(lib):
            at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)

            def run():
                (at @ bt).sum().backward()

            return run

        return make

    return [
        ("conv3x3 16->16 32x32 s1", conv(16, 16, 32, 3, 1)),
        ("conv3x3 16->32 32x32 s2", conv(16, 32, 32, 3, 2)),
        ("conv3x3 32->32 16x16 s1", conv(32, 32, 16, 3, 1)),
        ("conv3x3 32->64 16x16 s2", conv(32, 64, 16, 3, 2)),
        ("conv3x3 64->64 8x8 s1", conv(64, 64, 8, 3, 1)),
        ("conv1x1 64->128 8x8 s2", conv(64, 128, 8, 1, 2)),
        ("conv3x3 3->16 32x32 s1", conv(3, 16, 32, 3, 1)),
        ("max_pool2d 2x2 16ch 32x32", maxpool(16, 32)),
        ("batch_norm 16ch 32x32", batchnorm(16, 32)),
        ("batch_norm 64ch 8x8", batchnorm(64, 8)),
        ("relu 16ch 32x32", relu(16, 32)),
        ("cross_entropy 10 classes", cross_entropy(10)),
        ("matmul 128x64 @ 64x10", matmul(batch, 64, 10)),
        ("matmul 512x512 @ 512x512", matmul(512, 512, 512)),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this text")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import torch

    import numpyflow as nf

    print(
        f"forward + backward, float32, batch {args.batch}, {args.threads} threads, median of {args.repeats}; "
        f"{machine_line()}"
    )
    print(f"{'op':28s} {'numpyflow ms':>13s} {'pytorch ms':>11s} {'ratio':>6s}")
    worst = 0.0
    for name, make in cases(args.batch):
        if args.only and args.only not in name:
            continue
        med = interleaved({"numpyflow": make(nf), "pytorch": make(torch)}, args.repeats, settle=0.1)
        ratio = med["numpyflow"] / med["pytorch"]
        worst = max(worst, ratio)
        print(f"{name:28s} {1e3 * med['numpyflow']:13.2f} {1e3 * med['pytorch']:11.2f} {ratio:6.2f}", flush=True)
    print(f"slowest ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
