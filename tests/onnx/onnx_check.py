"""Helpers of the ONNX export tests: export a model, run the file with onnxruntime, and
compare with NumpyFlow's own eval forward."""

from __future__ import annotations

import numpy as np

import numpyflow as nf
import numpyflow.onnx  # noqa: F401  (nf.onnx)

# float32 tolerances for onnxruntime against NumpyFlow's forward
RTOL = 1e-4
ATOL = 1e-4


class Lambda(nf.nn.Module):
    """A model whose forward is ``fn(self, *inputs)``; ``layers`` are its submodules."""

    def __init__(self, fn, *layers):
        super().__init__()
        self.fn = fn
        self.layers = nf.nn.ModuleList(layers)

    def forward(self, *inputs):
        return self.fn(self, *inputs)


def calibrate(model, x):
    """Set every batch norm's running statistics to those of ``x``'s activations, so that
    a randomly initialised deep network has outputs of order one in eval mode."""
    norms = [m for m in model.modules() if getattr(m, "running_mean", None) is not None]
    saved = [(m, m.momentum) for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with nf.no_grad():
        model(x)
    for m, momentum in saved:
        m.momentum = momentum
    return model.eval()


def session(proto):
    """An onnxruntime session (CPU, one thread: the test machines have few cores)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])


def outputs_of(model, inputs):
    with nf.no_grad():
        out = model(*inputs)
    out = out if isinstance(out, (tuple, list)) else (out,)
    return [o.numpy() for o in out]


def export_and_compare(model, inputs, *, rtol=RTOL, atol=ATOL, **export_kwargs):
    """Export ``model`` (eval mode) on ``inputs``, check the file and compare onnxruntime's
    outputs with the model's; returns the ModelProto and the onnxruntime session."""
    import onnx

    model.eval()
    inputs = tuple(inputs)
    proto = nf.onnx.export(model, inputs, None, **export_kwargs)
    onnx.checker.check_model(proto, full_check=True)
    sess = session(proto)
    feeds = {i.name: x.numpy() for i, x in zip(sess.get_inputs(), inputs)}
    got = sess.run(None, feeds)
    want = outputs_of(model, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return proto, sess


def op_types(proto) -> list:
    return [n.op_type for n in proto.graph.node]
