"""How close NumpyFlow's convolutions run to numpy's own GEMM: for every convolution layer
shape of ResNet-20 (batch 64) and ResNet-18 with the small-image stem (batch 32), the
GFLOP/s of the forward, the input gradient and the weight gradient, next to numpy's plain
sgemm on the layer's im2col product ``(O, C*kh*kw) @ (C*kh*kw, N*Ho*Wo)`` with its BLAS on
the same number of threads.

    python -m benchmarks.conv_gemm [--threads 2] [--repeats 7] [--model resnet20]

The last columns are each kernel's share of the sgemm rate; a star marks one under 50%.
The floor lines add up every layer's time at the sgemm rate (forward alone, and forward,
input and weight gradients) and compare it with PyTorch's whole inference and training
step at the same batch, measured here: what no GEMM-based convolution with this BLAS can
go below.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.common import SETTLE_SECONDS, machine_line, set_threads

# (name, in channels, out channels, input size, kernel, stride, padding): each distinct
# convolution of the model, with how many times it occurs.
LAYERS = {
    "resnet20": (
        64,
        [
            ("conv1 3->16 32x32", 3, 16, 32, 3, 1, 1, 1),
            ("3x3 16->16 32x32", 16, 16, 32, 3, 1, 1, 6),
            ("3x3 16->32 32x32 s2", 16, 32, 32, 3, 2, 1, 1),
            ("3x3 32->32 16x16", 32, 32, 16, 3, 1, 1, 5),
            ("3x3 32->64 16x16 s2", 32, 64, 16, 3, 2, 1, 1),
            ("3x3 64->64 8x8", 64, 64, 8, 3, 1, 1, 5),
        ],
    ),
    "resnet18": (
        32,
        [
            ("conv1 3->64 32x32", 3, 64, 32, 3, 1, 1, 1),
            ("3x3 64->64 32x32", 64, 64, 32, 3, 1, 1, 4),
            ("3x3 64->128 32x32 s2", 64, 128, 32, 3, 2, 1, 1),
            ("1x1 64->128 32x32 s2", 64, 128, 32, 1, 2, 0, 1),
            ("3x3 128->128 16x16", 128, 128, 16, 3, 1, 1, 3),
            ("3x3 128->256 16x16 s2", 128, 256, 16, 3, 2, 1, 1),
            ("1x1 128->256 16x16 s2", 128, 256, 16, 1, 2, 0, 1),
            ("3x3 256->256 8x8", 256, 256, 8, 3, 1, 1, 3),
            ("3x3 256->512 8x8 s2", 256, 512, 8, 3, 2, 1, 1),
            ("1x1 256->512 8x8 s2", 256, 512, 8, 1, 2, 0, 1),
            ("3x3 512->512 4x4", 512, 512, 4, 3, 1, 1, 3),
        ],
    ),
}


def median_seconds(fn, repeats, warmup=0.3):
    """Median time of ``fn`` after calling it for ``warmup`` seconds: on a core that has
    been idle, the first tens of milliseconds of work run up to 2x slower (measured)."""
    start = time.perf_counter()
    while time.perf_counter() - start < warmup:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sgemm_seconds(shape_a, shape_b, threads, repeats):
    """numpy's ``a @ b`` in float32 with its BLAS on ``threads`` threads (then back on one,
    after its workers have gone idle, as NumpyFlow keeps it)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    with threadpool_limits(threads, user_api="blas"):
        seconds = median_seconds(lambda: a @ b, repeats)
    time.sleep(SETTLE_SECONDS)
    return seconds


def layer_rates(layer, batch, threads, repeats):
    """``(gflop, {kernel: GFLOP/s}, sgemm GFLOP/s)`` of one layer shape."""
    import numpyflow as nf

    _, cin, cout, size, k, stride, pad, _ = layer
    rng = np.random.default_rng(1)
    x = nf.tensor(rng.standard_normal((batch, cin, size, size)).astype(np.float32), requires_grad=True)
    w = nf.tensor((0.1 * rng.standard_normal((cout, cin, k, k))).astype(np.float32), requires_grad=True)
    out = (size + 2 * pad - k) // stride + 1
    g = nf.tensor(rng.standard_normal((batch, cout, out, out)).astype(np.float32))
    flop = 2 * batch * out * out * cout * cin * k * k

    def forward():
        with nf.no_grad():
            nf.nn.functional.conv2d(x, w, None, stride, pad)

    def grad(xi, wi, wrt):  # the other operand detached: its gradient is not computed
        y = nf.nn.functional.conv2d(xi, wi, None, stride, pad)
        return lambda: nf.autograd.grad(y, [wrt], g, retain_graph=True)

    input_grad, weight_grad = grad(x, w.detach(), x), grad(x.detach(), w, w)
    rates = {
        "forward": flop / median_seconds(forward, repeats) / 1e9,
        "input grad": flop / median_seconds(input_grad, repeats) / 1e9,
        "weight grad": flop / median_seconds(weight_grad, repeats) / 1e9,
    }
    sgemm = flop / sgemm_seconds((cout, cin * k * k), (cin * k * k, batch * out * out), threads, repeats) / 1e9
    return flop / 1e9, rates, sgemm


def pytorch_seconds(model, batch, repeats):
    """PyTorch's median inference and training-step seconds for ``model`` at ``batch``."""
    import torch

    from benchmarks.common import MODELS, build, infer_fn, train_step_fn

    time.sleep(SETTLE_SECONDS)
    spec = MODELS[model]
    m, _ = build("pytorch", model)
    forward = median_seconds(infer_fn(torch, m, batch, spec["image"]), repeats)
    m, _ = build("pytorch", model)
    step = median_seconds(train_step_fn(torch, m, batch, spec["image"], spec["classes"]), repeats)
    time.sleep(SETTLE_SECONDS)
    return forward, step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", choices=sorted(LAYERS), action="append")
    parser.add_argument("--batch", type=int, default=None, help="instead of each model's own")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    print(f"convolution GFLOP/s, float32, {args.threads} threads, median of {args.repeats}; {machine_line()}")
    print(
        f"{'layer':24s} {'x':>2s} {'GFLOP':>6s} {'forward':>8s} {'input gr':>8s} {'weight gr':>9s} {'sgemm':>6s}"
        f"   {'share of the sgemm rate':s}"
    )
    lowest = 1.0
    floors = []
    for model in args.model or ["resnet20", "resnet18"]:
        batch, layers = LAYERS[model]
        batch = args.batch or batch
        print(f"-- {model}, batch {batch}")
        floor_forward = floor_step = 0.0
        for layer in layers:
            gflop, rates, sgemm = layer_rates(layer, batch, args.threads, args.repeats)
            count, first = layer[7], layer[0].startswith("conv1")
            floor_forward += count * gflop / sgemm
            floor_step += count * gflop * (2 if first else 3) / sgemm
            shares = {kernel: rate / sgemm for kernel, rate in rates.items()}
            # conv1's input gradient is never computed in training (the input is data)
            counted = {k: v for k, v in shares.items() if not (layer[0].startswith("conv1") and k == "input grad")}
            lowest = min(lowest, *counted.values())
            marks = "  ".join(f"{v:4.0%}{'*' if v < 0.5 else ' '}" for v in shares.values())
            print(
                f"{layer[0]:24s} {layer[7]:2d} {gflop:6.2f} {rates['forward']:8.0f} {rates['input grad']:8.0f} "
                f"{rates['weight grad']:9.0f} {sgemm:6.0f}   {marks}",
                flush=True,
            )
        floors.append((model, batch, floor_forward, floor_step, *pytorch_seconds(model, batch, args.repeats)))
    print(f"lowest share (conv1's unused input gradient aside): {lowest:.0%}")
    print("floor: every convolution at numpy's sgemm rate and no other work, against PyTorch's whole model")
    for model, batch, forward, step, pt_forward, pt_step in floors:
        print(
            f"  {model} batch {batch}: inference {1e3 * forward:.1f} ms = {forward / pt_forward:.2f}x PyTorch's "
            f"{1e3 * pt_forward:.1f} ms; training step {1e3 * step:.1f} ms = {step / pt_step:.2f}x PyTorch's "
            f"{1e3 * pt_step:.1f} ms"
        )


if __name__ == "__main__":
    main()
