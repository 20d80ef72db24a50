"""``python -m numpyflow export``: a checkpoint written by ``train`` as an ONNX model.

The model is built as ``evaluate`` builds it (the run's model, data set, channels and
classes, from the checkpoint) and exported with ``numpyflow.onnx.export``: one input
``input`` of shape (batch, channels, size, size), normalised as in training, and one
output ``logits`` (batch, classes).  ``--dynamic-batch`` lets the batch size vary.

The file's metadata records the model, the data set, the class names and, when the data
set can be read, the per-channel mean and std that inputs are normalised with.  When
onnxruntime is installed the written file is run on a random batch and must give the
model's logits (``--no-verify`` skips this).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from ..serialization import write_bytes
from . import data as cli_data
from .train import load_trained

# onnxruntime against the model's own logits (float32)
VERIFY_RTOL = 1e-4
VERIFY_ATOL = 1e-4


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m numpyflow export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoint", required=True, help="a best.pt or last.pt written by train")
    parser.add_argument("--out", required=True, help="the ONNX file to write (e.g. model.onnx)")
    parser.add_argument("--batch-size", type=int, default=1, help="batch size of the exported input (default 1)")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset, 13 to 21 (default 17)")
    parser.add_argument("--dynamic-batch", action="store_true", help="let the batch size vary at run time")
    parser.add_argument("--data-dir", default=None, help="override the data folder the run used (for the metadata)")
    parser.add_argument("--no-verify", action="store_true", help="do not check the file with onnxruntime")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, got {args.batch_size}")

    try:
        import onnx

        from .. import onnx as nf_onnx
    except ImportError:
        print("error: export needs the onnx package: pip install onnx", file=sys.stderr)
        return 1

    ckpt, run_args, spec, model = load_trained(args.checkpoint, "export", args.data_dir)
    model.eval()

    from ..creation import tensor

    shape = (args.batch_size, spec.channels, spec.image_size, spec.image_size)
    x = tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    dynamic = {"input": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None
    proto = nf_onnx.export(
        model,
        (x,),
        None,
        input_names=["input"],
        output_names=["logits"],
        opset_version=args.opset,
        dynamic_axes=dynamic,
    )
    classes, stats = _data_metadata(run_args, spec)
    meta = {
        "numpyflow.model": run_args.model,
        "numpyflow.dataset": run_args.dataset,
        "numpyflow.epoch": str(ckpt.get("epoch")),
        "numpyflow.classes": json.dumps(classes),
    }
    if stats is not None:
        meta["numpyflow.input_mean"] = json.dumps(list(stats[0]))
        meta["numpyflow.input_std"] = json.dumps(list(stats[1]))
    onnx.helper.set_model_props(proto, meta)
    data = proto.SerializeToString()
    checked = None if args.no_verify else _verify(data, model, shape, args.dynamic_batch)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_bytes(data, args.out)

    batch = "any batch size" if args.dynamic_batch else f"batch {args.batch_size}"
    print(
        f"{run_args.model} on {run_args.dataset} (checkpoint {args.checkpoint}, epoch {ckpt.get('epoch')}) -> "
        f"{args.out}: {len(data) / 1e6:.2f} MB, opset {proto.opset_import[0].version}, {len(proto.graph.node)} nodes"
    )
    print(f"input 'input' ({batch}, {spec.channels}, {spec.image_size}, {spec.image_size}) float32 -> 'logits'")
    if stats is not None:
        print(f"normalise inputs with mean {_fmt(stats[0])} and std {_fmt(stats[1])} (also in the file's metadata)")
    else:
        print("normalise inputs as in training (the data set was not found, so its mean and std are not recorded)")
    if checked is None:
        reason = "--no-verify" if args.no_verify else "onnxruntime is not installed"
        print(f"not checked with onnxruntime ({reason})")
    else:
        print(f"checked with onnxruntime: max |logits difference| {checked:.2e}")
    sys.stdout.flush()
    return 0


def _data_metadata(run_args, spec):
    """The class names, and (mean, std) of the training images when the data set is there."""
    unknown = [str(c) for c in (getattr(spec.dataset, "classes", None) or range(spec.classes))], None
    if run_args.data_dir is None and spec.data_dir is not None:
        return unknown
    try:
        train_set = spec.dataset(root=run_args.data_dir, train=True)
    except OSError:  # the files are not (or no longer) there
        return unknown
    classes = [str(c) for c in (getattr(train_set, "classes", None) or range(spec.classes))]
    return classes, cli_data.channel_stats(train_set)


def _verify(data: bytes, model, shape, dynamic: bool):
    """Max |difference| between onnxruntime's logits and the model's on random inputs (None
    when onnxruntime is not installed); a difference beyond the tolerance is an error."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from ..autograd.grad_mode import no_grad
    from ..creation import tensor

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    sizes = [shape[0]] + ([shape[0] + 2] if dynamic else [])
    worst = 0.0
    for n in sizes:
        x = rng.standard_normal((n,) + tuple(shape[1:])).astype(np.float32)
        got = session.run(None, {"input": x})[0]
        with no_grad():
            want = model(tensor(x)).numpy()
        if got.shape != want.shape or not np.allclose(got, want, rtol=VERIFY_RTOL, atol=VERIFY_ATOL):
            raise RuntimeError(
                f"export: onnxruntime's logits differ from the model's for a batch of {n} (max |difference| "
                f"{float(np.max(np.abs(got - want))) if got.shape == want.shape else 'n/a'}); the file was not written"
            )
        worst = max(worst, float(np.max(np.abs(got - want))))
    return worst


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"
