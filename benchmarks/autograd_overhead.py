"""Autograd overhead: the founding example (about 60 small ops), forward and backward,
NumpyFlow against PyTorch in the same run with interleaved repetitions.

    python -m benchmarks.autograd_overhead [--repeats 200]

Prints the median time of each and the ratio NumpyFlow / PyTorch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

from founding_example import make_inputs, run  # noqa: E402

import numpyflow as nf  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is needed for the comparison: pip install torch==2.13.0")
    torch.set_num_threads(1)
    arrays = make_inputs()
    libs = {"numpyflow": nf, "pytorch": torch}
    times = {name: [] for name in libs}
    for _ in range(10):  # warm-up
        for lib in libs.values():
            run(lib, arrays)
    for _ in range(args.repeats):
        for name, lib in libs.items():
            start = time.perf_counter()
            run(lib, arrays)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, m in med.items():
        print(f"{name:10s} median {m * 1e3:8.3f} ms  (forward + backward, {args.repeats} repeats)")
    print(f"ratio numpyflow / pytorch: {med['numpyflow'] / med['pytorch']:.2f}")


if __name__ == "__main__":
    main()
