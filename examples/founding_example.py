"""The example from NumpyFlow's founding article: a long chain of broadcasting,
indexing, transposes and batched matmuls, differentiated end to end.

Run it directly to see the gradients compared with PyTorch (when PyTorch is installed):

    python examples/founding_example.py
"""

from __future__ import annotations

import numpy as np

import numpyflow as nf


def small_case(lib):
    """``z = x + y`` with x=3, y=4: both gradients are 1."""
    x = lib.tensor(3.0, requires_grad=True)
    y = lib.tensor(4.0, requires_grad=True)
    z = x + y
    z.backward()
    return x.grad.item(), y.grad.item()


def founding_graph(x, y, z):
    """f15 from the article, written once for any PyTorch-shaped library."""
    f0 = (x[1, 0].T * y[0, 1].T).T * z * x
    f1 = f0 * (x + y + z) * y * y * y * (y + z)
    f2 = y[0, 3] + x[0, 2]
    f3 = y * y - z
    f4 = z - x
    f5 = -x.flatten() + y.flatten() - (x * z).flatten() * 2.0
    f6 = f1[1, 3] + f1[0, 3] * f2 - z[0, 1] ** 2.2
    f7 = f3 + f4 + f6
    f8 = f7 - f3 + f4 * 3.6
    f9 = f8.flatten() / f5 + f7.flatten()
    f10 = -f9 * f5
    f11 = ((x * z) @ x.transpose(3, 4) @ y.permute(0, 4, 2, 3, 1)).transpose(0, 4)
    f12 = f11.transpose(3, 4).flatten() * 5.0 ** x.transpose(1, 4).flatten() / y.flatten() * (x / z).flatten() + 2.0
    f13 = f10.reshape(f11.shape) * f11 / f12.reshape(f11.shape)
    f14 = (x.transpose(3, 4) @ y).permute(0, 2, 4, 3, 1) @ f13.permute(4, 2, 0, 1, 3)
    f15 = f14.sum() * f14.mean((0, 2))
    return f15


def make_inputs(seed: int = 0):
    """float64 arrays in [0, 1): x, y of shape (2, 4, 6, 3, 4) and z of shape (2, 4, 1, 1, 4)."""
    rng = np.random.default_rng(seed)
    return rng.random((2, 4, 6, 3, 4)), rng.random((2, 4, 6, 3, 4)), rng.random((2, 4, 1, 1, 4))


def run(lib, arrays):
    """Forward and backward in ``lib`` (numpyflow or torch); the output and the gradients."""
    x, y, z = (lib.tensor(a, requires_grad=True) for a in arrays)
    f15 = founding_graph(x, y, z)
    f15.backward(lib.ones_like(f15))
    return f15, x.grad, y.grad, z.grad


def main():
    arrays = make_inputs()
    f15, gx, gy, gz = run(nf, arrays)
    print("small case gradients:", small_case(nf))
    print("f15 shape:", tuple(f15.shape))
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: no comparison")
        return
    t15, tx, ty, tz = run(torch, arrays)
    for name, ours, theirs in (("f15", f15, t15), ("x.grad", gx, tx), ("y.grad", gy, ty), ("z.grad", gz, tz)):
        a, b = ours.detach().numpy(), theirs.detach().numpy()
        rel = np.abs(a - b).max() / np.abs(b).max()
        print(f"{name:7s} max relative difference to PyTorch: {rel:.2e}")


if __name__ == "__main__":
    main()
