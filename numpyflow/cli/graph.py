"""``python -m numpyflow graph --model resnet20 --out resnet20.svg``: draw a model's
backward graph.

Builds the model, runs one forward pass and a cross-entropy loss on a random batch, and
draws the loss's backward graph with ``nf.utils.viz.make_dot`` (parameters named as in
the model's ``state_dict``).  The format follows ``--out``'s extension (``.svg``,
``.png``, ``.pdf``, ...; ``.dot`` or ``.gv`` writes the Graphviz source, which needs no
Graphviz program).
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import nn
from ..creation import randn, zeros
from ..dtypes import int64
from ..random import Generator
from ..utils import viz
from ..vision import models
from . import data as cli_data

# The input each model family is built for: CIFAR ResNets take 32x32 images, the
# ImageNet ResNets 224x224.
USUAL_INPUT = {"CifarResNet": (3, 32, 32), "ResNet": (3, 224, 224)}
SOURCE_FORMATS = ("dot", "gv")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m numpyflow graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet20", choices=sorted(models.MODELS))
    parser.add_argument(
        "--dataset",
        default=None,
        choices=sorted(cli_data.DATASETS),
        help="build the model as `train --dataset` does (its channels, classes and image size)",
    )
    parser.add_argument(
        "--input-size",
        default=None,
        help="input shape N,C,H,W or C,H,W (batch 2); default the model's usual input (3,32,32 for the "
        "CIFAR ResNets, 3,224,224 for the ImageNet ones) or the data set's images",
    )
    parser.add_argument("--out", required=True, help="output file; its extension chooses the format")
    parser.add_argument("--format", default=None, help="svg, png, pdf, dot, ... (default: from --out's extension)")
    parser.add_argument("--show-saved", action="store_true", help="draw the tensors saved for backward")
    parser.add_argument("--show-attrs", action="store_true", help="list each node's non-tensor attributes")
    return parser.parse_args(argv)


def _input_shape(text):
    parts = [p for p in text.replace("x", ",").replace(" ", ",").split(",") if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--input-size must be integers like 3,32,32 or 2,3,32,32, got '{text}'") from None
    if len(shape) == 3:
        shape = (2,) + shape  # batch norm needs more than one value per channel in training mode
    if len(shape) != 4 or min(shape) <= 0:
        raise ValueError(f"--input-size must be C,H,W or N,C,H,W with positive sizes, got '{text}'")
    return shape


def build(args):
    """The model and the input shape ``args`` ask for."""
    if args.dataset is not None:
        spec = cli_data.DATASETS[args.dataset]
        kwargs = dict(num_classes=spec.classes, in_channels=spec.channels)
        if args.model in ("resnet18", "resnet34", "resnet50"):
            kwargs["small_input"] = True  # as the training command builds them
        model = models.get_model(args.model, **kwargs)
        usual = (spec.channels, spec.image_size, spec.image_size)
    else:
        model = models.get_model(args.model)
        usual = USUAL_INPUT.get(type(model).__name__)
    if args.input_size is not None:
        shape = _input_shape(args.input_size)
    elif usual is not None:
        shape = (2,) + tuple(usual)
    else:
        raise ValueError(f"graph: no usual input size known for {args.model}; give --input-size C,H,W")
    return model, shape


def draw(args):
    """The ``graphviz.Digraph`` of one training step's backward graph."""
    model, shape = build(args)
    model.train()
    x = randn(*shape, generator=Generator().manual_seed(0))
    out = model(x)
    target = zeros(out.shape[0], dtype=int64)
    loss = nn.functional.cross_entropy(out, target)
    return viz.make_dot(
        loss, params=dict(model.named_parameters()), show_saved=args.show_saved, show_attrs=args.show_attrs
    )


def output_format(args):
    fmt = args.format or os.path.splitext(args.out)[1].lstrip(".").lower()
    if not fmt:
        raise ValueError(f"graph: cannot tell the format of '{args.out}'; give --format (svg, png, pdf, dot)")
    return fmt


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        fmt = output_format(args)
        dot = draw(args)
        if fmt in SOURCE_FORMATS:
            payload = dot.source.encode()
        else:
            payload = _pipe(dot, fmt)
    except (ImportError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(payload)
    nodes = sum(1 for line in dot.body if "label=" in line)
    print(f"wrote {args.out}: the backward graph of {args.model} ({nodes} boxes)", file=sys.stderr)
    return 0


def _pipe(dot, fmt):
    import graphviz

    try:
        return dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise ValueError(
            "drawing needs Graphviz's dot program (apt-get install graphviz, brew install graphviz); "
            "or write the source with --out graph.dot"
        ) from None
    except ValueError as e:  # an unknown format
        raise ValueError(f"graph: {e}") from None
