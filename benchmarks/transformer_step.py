"""One Transformer-encoder training step (forward, MSE loss, backward, Adam), float32,
NumpyFlow and PyTorch interleaved in the same run, at each thread count asked for.

    python -m benchmarks.transformer_step [--repeats 10] [--threads 1,2] [--layers 4]
        [--d-model 256] [--heads 4] [--ff 1024] [--seq 128] [--batch 16] [--activation relu]

The model: ``nn.TransformerEncoder`` of ``--layers`` ``nn.TransformerEncoderLayer``
(``batch_first``, dropout 0.1, train mode), the same weights in both frameworks.  Prints
the median step time of each framework, the ratio and sequences per second.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import interleaved, machine_line, optimizer_step, set_threads


def build(lib, args):
    """The encoder in ``lib`` (numpyflow or torch); weights drawn by torch, copied by key."""
    import torch

    torch.manual_seed(0)

    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(
            args.d_model, args.heads, args.ff, dropout=0.1, activation=args.activation, batch_first=True
        )
        return lib.nn.TransformerEncoder(layer, args.layers, enable_nested_tensor=False)

    reference = make(torch)
    if lib is torch:
        return reference
    model = make(lib)
    model.load_state_dict({k: lib.tensor(v.detach().numpy().copy()) for k, v in reference.state_dict().items()})
    return model


def train_step_fn(lib, model, args, seed=0):
    """A closure running one Adam training step on a fixed random batch."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((args.batch, args.seq, args.d_model)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((args.batch, args.seq, args.d_model)).astype(np.float32))
    opt = lib.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    return optimizer_step(opt, lambda: lib.nn.functional.mse_loss(model(x), y))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ff", type=int, default=1024)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--activation", default="relu", choices=["relu", "gelu"])
    args = parser.parse_args(argv)

    import torch

    import numpyflow as nf

    fns = {name: train_step_fn(lib, build(lib, args), args) for name, lib in (("numpyflow", nf), ("pytorch", torch))}
    print(
        f"training step, TransformerEncoder {args.layers} x (d_model {args.d_model}, {args.heads} heads, "
        f"ff {args.ff}, {args.activation}, dropout 0.1), batch {args.batch} x seq {args.seq}, float32, "
        f"Adam, median of {args.repeats}; {machine_line()}"
    )
    print(f"{'threads':>7s} {'numpyflow ms':>13s} {'pytorch ms':>11s} {'ratio':>6s} {'nf seq/s':>9s} {'pt seq/s':>9s}")
    for threads in (int(t) for t in args.threads.split(",")):
        set_threads(threads)
        med = interleaved(fns, args.repeats)
        print(
            f"{threads:7d} {1e3 * med['numpyflow']:13.1f} {1e3 * med['pytorch']:11.1f} "
            f"{med['numpyflow'] / med['pytorch']:6.2f} {args.batch / med['numpyflow']:9.1f} "
            f"{args.batch / med['pytorch']:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
