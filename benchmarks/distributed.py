"""Data-parallel scaling on this machine: a ResNet-20 training step (batch 64 per process,
float32) on 1 process x 2 threads, 1 x 1 and 2 processes x 1 thread (DistributedDataParallel
over MPI), and the same in PyTorch (its DDP over gloo), one configuration at a time; then
MPI's all-reduce bandwidth between two processes here, and from it a model of the step
time on N machines over a 10 Gbit/s link.

    python -m benchmarks.distributed [--steps 12] [--model resnet20] [--batch 64]

Prints images/s per configuration, the 2 x 1 / 1 x 1 throughput ratio of each framework,
and for NumpyFlow the share of a step spent waiting for gradient all-reduces after the
last gradient was computed (the part of communication that the backward did not hide).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LINK_BYTES_PER_SECOND = 10e9 / 8  # 10 Gbit/s


def _parameter_counts():
    """Gradient elements per step: CIFAR ResNet-20, and torchvision's ResNet-18 and -50."""
    from numpyflow.vision import models

    built = {"resnet20": models.resnet20(), "resnet18": models.resnet18(), "resnet50": models.resnet50()}
    return {name: sum(p.numel() for p in m.parameters()) for name, m in built.items()}


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else "mpiexec"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(processes, threads, *worker_args):
    """Run a worker on ``processes`` processes of ``threads`` threads; each rank's result
    (every rank writes its own file: their stdout lines would interleave)."""
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "benchmarks.distributed", "--worker", results, *map(str, worker_args)]
        if processes > 1:
            command = [_mpiexec(), "-n", str(processes), *command]
        env = dict(os.environ, NUMPYFLOW_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        return [json.loads(Path(results, name).read_text()) for name in sorted(os.listdir(results))]


def _report(results, rank, value):
    Path(results, f"{rank:04d}.json").write_text(json.dumps(value))


# -- workers (one process of a configuration) -----------------------------------------------


def _worker_step(results, framework, model_name, batch, steps, port):
    from benchmarks.common import MODELS, build

    rank, size = int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))
    threads = int(os.environ["NUMPYFLOW_NUM_THREADS"])
    model, lib = build(framework, model_name)
    if framework == "numpyflow":
        lib.set_num_threads(threads)
        if size > 1:
            import numpyflow.distributed as dist

            dist.init_process_group("mpi")
            model = lib.nn.parallel.DistributedDataParallel(model)
    else:
        lib.set_num_threads(threads)
        if size > 1:
            lib.distributed.init_process_group(
                "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=size
            )
            model = lib.nn.parallel.DistributedDataParallel(model)
    spec = MODELS[model_name]
    rng = np.random.default_rng(rank)
    x = lib.tensor(rng.standard_normal((batch, *spec["image"])).astype(np.float32))
    y = lib.tensor(rng.integers(0, spec["classes"], batch))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    times, waits = [], []
    for i in range(steps + 2):
        start = time.perf_counter()
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= 2:  # two warm-up steps
            times.append(time.perf_counter() - start)
            waits.append(getattr(model, "_wait_seconds", 0.0))
    _report(results, rank, {"step": statistics.median(times), "wait": statistics.median(waits)})


def _worker_allreduce(results):
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rows = []
    for size in [1 << k for k in range(10, 27, 2)]:  # 1 KiB .. 64 MiB
        a = np.ones(size // 4, np.float32)
        times = []
        for _ in range(7):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, a, op=MPI.SUM)
            times.append(time.perf_counter() - start)
        rows.append({"bytes": size, "seconds": statistics.median(times)})
    if comm.Get_rank() == 0:
        _report(results, 0, rows)


# -- the report -------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--model", default="resnet20", choices=["resnet20", "resnet18"])
    parser.add_argument("--batch", type=int, default=64, help="per process")
    parser.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        results, kind, *rest = args.worker
        if kind == "allreduce":
            return _worker_allreduce(results)
        model_name, batch, steps, port = rest
        return _worker_step(results, kind, model_name, int(batch), int(steps), port)

    from benchmarks.common import machine_line

    print(f"data-parallel training step, {args.model}, batch {args.batch} per process, float32; {machine_line()}")
    print(
        f"{'framework':10s} {'processes x threads':>19s} {'step ms':>8s} {'images/s':>9s} {'wait after backward':>20s}"
    )
    rates = {}
    for framework in ("numpyflow", "pytorch"):
        for processes, threads in ((1, 2), (1, 1), (2, 1)):
            ranks = _launch(processes, threads, framework, args.model, args.batch, args.steps, _free_port())
            step = max(r["step"] for r in ranks)
            wait = max(r["wait"] for r in ranks)
            rate = processes * args.batch / step
            rates[framework, processes, threads] = rate
            shown = f"{wait / step:.1%} of a step" if framework == "numpyflow" and processes > 1 else "-"
            print(
                f"{framework:10s} {processes:>9d} x {threads:<7d} {1e3 * step:8.1f} {rate:9.0f} {shown:>20s}",
                flush=True,
            )
            time.sleep(1.0)
    for framework in ("numpyflow", "pytorch"):
        print(
            f"{framework}: 2 processes x 1 thread = {rates[framework, 2, 1] / rates[framework, 1, 1]:.2f}x the images/s "
            f"of 1 x 1 ({rates[framework, 1, 2] / rates[framework, 1, 1]:.2f}x for 1 x 2 threads)"
        )

    print("\nMPI all-reduce between 2 processes here (float32, in place):")
    bandwidth = []
    for row in _launch(2, 1, "allreduce")[0]:
        bus = row["bytes"] / row["seconds"]  # 2 processes: each sends and receives the message once
        bandwidth.append(bus)
        print(f"  {row['bytes'] / 1024:10.0f} KiB {1e6 * row['seconds']:10.1f} us {bus / 1e9:6.2f} GB/s")
    step_alone = 1 / rates["numpyflow", 1, 2] * args.batch
    print(
        f"\nModel of a step on N machines over a 10 Gbit/s link (ring all-reduce: each machine sends and "
        f"receives 2(N-1)/N of the gradients; compute as measured here, 1 x 2 threads: {1e3 * step_alone:.0f} ms "
        f"for {args.model}; communication overlapping the backward, about 2/3 of the step):"
    )
    print(
        f"{'model':9s} {'gradients MiB':>13s} " + " ".join(f"{'N=' + str(n) + ' comm ms':>12s}" for n in (2, 4, 8, 16))
    )
    counts = _parameter_counts()
    for name, count in counts.items():
        volume = 4 * count
        comm = [2 * (n - 1) / n * volume / LINK_BYTES_PER_SECOND for n in (2, 4, 8, 16)]
        print(f"{name:9s} {volume / 2**20:13.1f} " + " ".join(f"{1e3 * c:12.1f}" for c in comm))
    hidden = 2 / 3 * step_alone
    from benchmarks.common import build

    volume = 4 * sum(p.numel() for p in build("numpyflow", args.model)[0].parameters())
    exposed = max(0.0, 2 * volume / LINK_BYTES_PER_SECOND - hidden)
    print(
        f"{args.model}: at most {1e3 * 2 * volume / LINK_BYTES_PER_SECOND:.1f} ms of communication per step against "
        f"{1e3 * hidden:.0f} ms of backward to hide it in: {1e3 * exposed:.1f} ms exposed; scaling is bound by "
        "compute per machine, then by the link once gradients outgrow what the backward hides."
    )


if __name__ == "__main__":
    main()
