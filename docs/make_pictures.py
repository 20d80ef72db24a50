"""Draws the autograd graphs of the tutorials into docs/images/*.svg.

The SVGs are committed, so building the site needs neither the graphviz package nor the
``dot`` program; run this again after a change to the graphs or to ``make_dot``:

    python docs/make_pictures.py        # needs: pip install graphviz; apt-get install graphviz

Each graph is the one the tutorial's code builds, drawn by ``nf.utils.viz.make_dot``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

import numpyflow as nf
from numpyflow.utils.viz import make_dot

IMAGES = Path(__file__).resolve().parent / "images"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from founding_example import founding_graph, make_inputs  # noqa: E402


def small_graph():
    x = nf.tensor(3.0, requires_grad=True)
    y = nf.tensor(4.0, requires_grad=True)
    return make_dot(x + y, params={"x": x, "y": y})


def founding():
    x, y, z = (nf.tensor(a, requires_grad=True) for a in make_inputs())
    return make_dot(founding_graph(x, y, z), params={"x": x, "y": y, "z": z})


def saved_tensors():
    w = nf.tensor([0.5, -1.0], requires_grad=True)
    x = nf.tensor([2.0, 3.0])
    return make_dot((w * x).sin().sum(), params={"w": w}, show_saved=True)


def shared_subgraph():
    p = nf.tensor(1.5, requires_grad=True)
    h = p * 2
    return make_dot(h.exp() + h * h, params={"p": p})


def double_backward():
    x = nf.tensor(2.0, requires_grad=True)
    (dy,) = nf.autograd.grad(x**3, x, create_graph=True)
    return make_dot(dy, params={"x": x})


class Cube(nf.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


def custom_op():
    x = nf.tensor([1.0, 2.0], dtype=nf.float64, requires_grad=True)
    w = nf.tensor(np.array([0.5, 0.25]), requires_grad=True)
    return make_dot((Cube.apply(x) * w).sum(), params={"x": x, "w": w}, show_saved=True)


PICTURES = {
    "small_graph": small_graph,
    "founding_graph": founding,
    "saved_tensors": saved_tensors,
    "shared_subgraph": shared_subgraph,
    "double_backward": double_backward,
    "custom_op": custom_op,
}


def renumber(svg: str) -> str:
    """The SVG with its node ids (memory addresses) numbered in order of appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"\b\d{9,}\b", lambda m: ids.setdefault(m.group(), f"n{len(ids)}"), svg)


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for name, draw in PICTURES.items():
        svg = draw().pipe(format="svg").decode()
        # Node ids are memory addresses: number them in order, so that a redraw of the
        # same graph gives the same file.
        svg = renumber(svg)
        (IMAGES / f"{name}.svg").write_text(svg)
        print(f"docs/images/{name}.svg")


if __name__ == "__main__":
    main()
