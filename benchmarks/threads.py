"""Thread scaling: a ResNet-20 training step (batch 64, float32) on 1, 2, ... threads, in
NumpyFlow and in PyTorch, interleaved in one run; each framework's speedup over its own
one-thread step, and NumpyFlow's speedup as a share of PyTorch's.

    python -m benchmarks.threads [--repeats 10] [--max-threads N] [--config resnet20:64]

The thread counts go up to the cores this process may use (or ``--max-threads``).
"""

from __future__ import annotations

import argparse
import os

from benchmarks.common import MODELS, build, interleaved, machine_line, set_threads, train_step_fn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--max-threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--config", default="resnet20:64", help="model:batch")
    args = parser.parse_args(argv)
    model, batch = args.config.split(":")
    batch = int(batch)
    fns = {}
    for lib_name in ("numpyflow", "pytorch"):
        m, lib = build(lib_name, model)
        fns[lib_name] = train_step_fn(lib, m, batch, MODELS[model]["image"], MODELS[model]["classes"])
    print(f"training step, {model} batch {batch}, float32, median of {args.repeats}; {machine_line()}")
    print(
        f"{'threads':>7s} {'numpyflow ms':>13s} {'pytorch ms':>11s} {'ratio':>6s} "
        f"{'nf speedup':>10s} {'pt speedup':>10s} {'nf/pt speedup':>13s}"
    )
    base = None
    for threads in range(1, args.max_threads + 1):
        set_threads(threads)
        med = interleaved(fns, args.repeats)
        base = base or med
        nf_up = base["numpyflow"] / med["numpyflow"]
        pt_up = base["pytorch"] / med["pytorch"]
        print(
            f"{threads:7d} {1e3 * med['numpyflow']:13.1f} {1e3 * med['pytorch']:11.1f} "
            f"{med['numpyflow'] / med['pytorch']:6.2f} {nf_up:10.2f} {pt_up:10.2f} {nf_up / pt_up:13.0%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
