"""Recurrent training steps, NumpyFlow and PyTorch interleaved in the same run.

    python -m benchmarks.lstm_step [--repeats 10] [--threads 1,2] [--config lstm:2:256:64:32]

A step: a sequence of ``seq`` random float32 vectors of size ``hidden`` through
``nn.LSTM`` (or ``nn.GRU``) with ``layers`` layers, a linear head to 128 classes,
cross-entropy over every position, backward, Adam.  Configurations ``cell:layers:hidden:
seq:batch``; the default is the 2-layer LSTM, hidden 256, seq 64, batch 32, and the same
GRU.  Prints the median step time of each framework and the ratio.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import interleaved, machine_line, optimizer_step, set_threads

CONFIGS = ["lstm:2:256:64:32", "gru:2:256:64:32"]
CLASSES = 128


def step_fn(lib, cell: str, layers: int, hidden: int, seq: int, batch: int, seed: int = 0):
    """A closure running one training step of a fixed model on a fixed random batch."""
    lib.manual_seed(seed)
    rnn = {"lstm": lib.nn.LSTM, "gru": lib.nn.GRU}[cell](hidden, hidden, num_layers=layers)
    head = lib.nn.Linear(hidden, CLASSES)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = lib.optim.Adam(params, lr=1e-3)
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((seq, batch, hidden)).astype(np.float32))
    y = lib.tensor(rng.integers(0, CLASSES, seq * batch))

    def loss():
        out, _ = rnn(x)
        return lib.nn.functional.cross_entropy(head(out.reshape(seq * batch, hidden)), y)

    return optimizer_step(opt, loss)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--config", action="append", help="cell:layers:hidden:seq:batch (repeatable)")
    args = parser.parse_args(argv)
    import torch

    import numpyflow as nf

    print(f"recurrent training step, float32, Adam, median of {args.repeats}; {machine_line()}")
    print(f"{'config':18s} {'threads':>7s} {'numpyflow ms':>13s} {'pytorch ms':>11s} {'ratio':>6s}")
    for config in args.config or CONFIGS:
        cell, *sizes = config.split(":")
        layers, hidden, seq, batch = map(int, sizes)
        fns = {
            name: step_fn(lib, cell, layers, hidden, seq, batch)
            for name, lib in (("numpyflow", nf), ("pytorch", torch))
        }
        for threads in (int(t) for t in args.threads.split(",")):
            set_threads(threads)
            med = interleaved(fns, args.repeats)
            nf_ms, pt_ms = 1e3 * med["numpyflow"], 1e3 * med["pytorch"]
            print(f"{config:18s} {threads:7d} {nf_ms:13.1f} {pt_ms:11.1f} {nf_ms / pt_ms:6.2f}", flush=True)


if __name__ == "__main__":
    main()
