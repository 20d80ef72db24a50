"""Shared pieces of the side-by-side benchmarks: the same model in both frameworks,
interleaved timing, peak memory in a fresh process, table printing."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

# After its work, each framework's thread pool (PyTorch's OpenMP, numpy's OpenBLAS) keeps
# spinning for up to ~0.2 s, stealing the cores from whatever runs next.  Interleaved
# timing therefore waits this long before each framework's turn, so each runs as it would
# alone.  A pool that has gone to sleep costs ~10 ms to wake (measured for PyTorch's), so
# each turn makes one untimed call first and times the next.
SETTLE_SECONDS = 0.3

MODELS = {
    "resnet20": dict(image=(3, 32, 32), classes=10),
    "resnet18": dict(image=(3, 32, 32), classes=10),
}


def build(lib_name: str, model: str, dtype: str = "float32"):
    """``(module, framework module)`` for ``model`` in numpyflow or torch."""
    if lib_name == "numpyflow":
        import numpyflow as nf
        from numpyflow.vision import models

        m = models.resnet20() if model == "resnet20" else models.resnet18(num_classes=10, small_input=True)
        return (m.double() if dtype == "float64" else m), nf
    import torch

    from benchmarks.torch_reference import CifarResNet, ResNet18

    m = CifarResNet(20) if model == "resnet20" else ResNet18(10, small_input=True)
    return (m.double() if dtype == "float64" else m), torch


def set_threads(n: int):
    """Both frameworks on ``n`` threads (NumpyFlow's own; it holds numpy's BLAS at one)."""
    import torch

    import numpyflow as nf

    torch.set_num_threads(n)
    nf.set_num_threads(n)


def train_step_fn(lib, model, batch: int, image, classes, seed: int = 0):
    """A closure running one SGD-momentum training step on a fixed random batch."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((batch, *image)).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, batch))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    model.train()
    return optimizer_step(opt, lambda: lib.nn.functional.cross_entropy(model(x), y))


def optimizer_step(opt, loss_fn):
    """A closure running one training step: zero the gradients, backward from
    ``loss_fn()``, step ``opt``."""

    def step():
        opt.zero_grad()
        loss_fn().backward()
        opt.step()

    return step


def infer_fn(lib, model, batch: int, image, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((batch, *image)).astype(np.float32))
    model.eval()

    def run():
        with lib.no_grad():
            model(x)

    return run


def interleaved(fns: dict, repeats: int, warmup: int = 2, settle: float = SETTLE_SECONDS) -> dict:
    """Median seconds of each callable, run alternately ``repeats`` times.  Each turn
    pauses (so the other framework's threads have gone idle), makes one untimed call (so
    this framework's threads are awake), then times one call."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(settle)
            fn()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure_peak_in_this_process(fn, steps: int = 3) -> float:
    """MiB the peak resident memory grows by, from before the first call, while ``fn``
    runs ``steps`` times (caches a framework keeps between steps count)."""
    before = _status_kb("VmRSS")
    for _ in range(steps):
        fn()
    return max(_status_kb("VmHWM") - before, 0) / 1024


def peak_memory_mib(module: str, lib_name: str, *args) -> float:
    """Run ``python -m <module> --peak-memory lib args...`` in a fresh process and read the
    number it prints (each framework measured alone, from the same baseline)."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--peak-memory", lib_name, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def machine_line() -> str:
    import numpy
    import torch

    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # pragma: no cover - older numpy
        blas = "unknown BLAS"
    return (
        f"numpy {numpy.__version__} ({blas}), torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}"
    )


def model_benchmark(argv, doc, module, title, configs, make_fn):
    """The command line shared by the whole-model benchmarks: for each ``(model, batch)``
    in ``configs``, ``make_fn(lib, module, batch, spec)`` makes the callable to time, in
    NumpyFlow and in PyTorch; prints one table row per configuration."""

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--config", action="append", help="model:batch, e.g. resnet20:64 (repeatable)")
    parser.add_argument("--peak-memory", nargs=3, metavar=("LIB", "MODEL", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    if args.peak_memory:  # the child process of peak_memory_mib
        lib_name, model, batch = args.peak_memory
        m, lib = build(lib_name, model)
        fn = make_fn(lib, m, int(batch), MODELS[model])
        print(json.dumps({"peak_mib": measure_peak_in_this_process(fn)}))
        return
    if args.config:
        configs = [(c.split(":")[0], int(c.split(":")[1])) for c in args.config]
    print(f"{title}, float32, {args.threads} threads, median of {args.repeats}; {machine_line()}")
    print(
        f"{'model':10s} {'batch':>5s} {'numpyflow ms':>13s} {'pytorch ms':>11s} {'ratio':>6s} "
        f"{'nf img/s':>9s} {'pt img/s':>9s} {'nf MiB':>7s} {'pt MiB':>7s} {'mem ratio':>9s}"
    )
    for model, batch in configs:
        fns = {}
        for lib_name in ("numpyflow", "pytorch"):
            m, lib = build(lib_name, model)
            fns[lib_name] = make_fn(lib, m, batch, MODELS[model])
        med = interleaved(fns, args.repeats)
        nf_ms, pt_ms = 1e3 * med["numpyflow"], 1e3 * med["pytorch"]
        mem = ""
        if not args.no_memory:
            nf_mib = peak_memory_mib(module, "numpyflow", model, batch)
            pt_mib = peak_memory_mib(module, "pytorch", model, batch)
            mem = f"{nf_mib:7.0f} {pt_mib:7.0f} {nf_mib / max(pt_mib, 1e-9):9.2f}"
        print(
            f"{model:10s} {batch:5d} {nf_ms:13.1f} {pt_ms:11.1f} {nf_ms / pt_ms:6.2f} "
            f"{batch / med['numpyflow']:9.0f} {batch / med['pytorch']:9.0f} {mem}",
            flush=True,
        )
