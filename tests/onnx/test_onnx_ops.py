"""numpyflow/onnx/_ops.py: every exportable op, exported and run with onnxruntime, gives
NumpyFlow's own eval forward (float32, rtol = atol = 1e-4)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_check import Lambda, export_and_compare, op_types  # noqa: E402

import numpyflow as nf  # noqa: E402
from numpyflow import nn  # noqa: E402
from numpyflow.nn import functional as F  # noqa: E402


def _x(*shape, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32)
    return nf.tensor(np.abs(a) + 0.1 if positive else a)


def _img(n=2, c=3, h=8, w=8, seed=0):
    return _x(n, c, h, w, seed=seed)


def _layers(*layers):
    return Lambda(lambda self, x: self.layers[0](x) if len(self.layers) == 1 else _seq(self.layers, x), *layers)


def _seq(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def _fn(fn):
    return Lambda(lambda self, *xs: fn(*xs))


def _weighted(fn, *shape):
    """A model with one parameter ``w`` of ``shape``: forward is ``fn(x, w)``."""
    model = Lambda(lambda self, x: fn(x, self.w))
    model.w = nn.Parameter(_x(*shape, seed=7))
    return model


# (case id, model factory, input factory, expected ONNX op types or None)
CASES = [
    # convolutions
    ("conv2d", lambda: _layers(nn.Conv2d(3, 8, 3, stride=2, padding=1)), lambda: (_img(),), {"Conv"}),
    (
        "conv2d-groups-dilation-nobias",
        lambda: _layers(nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=2, bias=False)),
        lambda: (_img(c=4),),
        {"Conv"},
    ),
    (
        "conv2d-rect-kernel",
        lambda: _layers(nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2))),
        lambda: (_img(h=9, w=7),),
        {"Conv"},
    ),
    ("conv2d-same-even", lambda: _layers(nn.Conv2d(3, 4, 4, padding="same")), lambda: (_img(),), {"Conv"}),
    ("conv2d-depthwise", lambda: _layers(nn.Conv2d(4, 4, 3, padding=1, groups=4)), lambda: (_img(c=4),), {"Conv"}),
    ("conv2d-unbatched", lambda: _layers(nn.Conv2d(3, 2, 3)), lambda: (_x(3, 6, 6),), {"Conv"}),
    ("conv1d", lambda: _layers(nn.Conv1d(3, 5, 3, padding=1, stride=2)), lambda: (_x(2, 3, 11),), {"Conv"}),
    (
        "conv-transpose2d",
        lambda: _layers(nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)),
        lambda: (_img(c=4, h=5, w=6),),
        {"ConvTranspose"},
    ),
    # linear algebra
    ("linear", lambda: _layers(nn.Linear(6, 4)), lambda: (_x(3, 6),), {"Gemm"}),
    ("linear-nobias", lambda: _layers(nn.Linear(6, 4, bias=False)), lambda: (_x(3, 6),), {"Gemm"}),
    ("linear-3d", lambda: _layers(nn.Linear(6, 4)), lambda: (_x(2, 3, 6),), None),
    ("matmul", lambda: _fn(lambda a, b: a @ b), lambda: (_x(2, 3, 4), _x(4, 5, seed=1)), {"MatMul"}),
    ("bmm", lambda: _fn(lambda a, b: nf.bmm(a, b)), lambda: (_x(2, 3, 4), _x(2, 4, 5, seed=1)), {"MatMul"}),
    ("matmul-vector", lambda: _fn(lambda a, b: a @ b), lambda: (_x(3, 4), _x(4, seed=1)), None),
    ("addmm", lambda: _weighted(lambda x, w: nf.addmm(w[:, 0], x, w.t()), 5, 4), lambda: (_x(3, 4),), None),
    ("einsum", lambda: _fn(lambda a, b: nf.einsum("bij,bjk->bik", a, b)), lambda: (_x(2, 3, 4), _x(2, 4, 2)), None),
    # arithmetic
    ("add", lambda: _fn(lambda a, b: a + b), lambda: (_x(2, 3), _x(3, seed=1)), {"Add"}),
    ("sub", lambda: _fn(lambda a, b: a - b), lambda: (_x(2, 3), _x(2, 3, seed=1)), {"Sub"}),
    ("mul", lambda: _fn(lambda a, b: a * b), lambda: (_x(2, 3), _x(2, 1, seed=1)), {"Mul"}),
    ("div", lambda: _fn(lambda a, b: a / b), lambda: (_x(2, 3), _x(2, 3, seed=1, positive=True)), {"Div"}),
    ("scalars", lambda: _fn(lambda a: (a + 1.5) * 2 - 0.25), lambda: (_x(2, 3),), None),
    ("scalars-reflected", lambda: _fn(lambda a: (2.0 - a) * (1.0 / (a.abs() + 1))), lambda: (_x(2, 3),), None),
    ("add-alpha", lambda: _fn(lambda a, b: nf.add(a, b, alpha=3)), lambda: (_x(2, 3), _x(2, 3, seed=1)), None),
    ("neg", lambda: _fn(lambda a: -a), lambda: (_x(2, 3),), {"Neg"}),
    ("pow-scalar", lambda: _fn(lambda a: a**2 + a**3 + a**0.5), lambda: (_x(2, 3, positive=True),), None),
    ("pow-tensor", lambda: _fn(lambda a, b: a**b), lambda: (_x(2, 3, positive=True), _x(2, 3, seed=1)), {"Pow"}),
    ("rpow", lambda: _fn(lambda a: 2**a), lambda: (_x(2, 3),), {"Pow"}),
    ("exp-log-sqrt", lambda: _fn(lambda a: a.exp() + a.log() + a.sqrt()), lambda: (_x(2, 3, positive=True),), None),
    (
        "math",
        lambda: _fn(
            lambda a: nf.log2(a) + nf.log10(a) + nf.log1p(a) + nf.expm1(a) + nf.rsqrt(a) + nf.reciprocal(a) + nf.exp2(a)
        ),
        lambda: (_x(2, 3, positive=True),),
        None,
    ),
    ("trig", lambda: _fn(lambda a: a.sin() + a.cos() + a.tan() + nf.erf(a)), lambda: (_x(2, 3),), None),
    (
        "rounding",
        lambda: _fn(lambda a: a.floor() + a.ceil() + a.round() + a.trunc() + a.sign() + a.abs()),
        lambda: (_x(3, 4) * 3,),
        None,
    ),
    ("round-decimals", lambda: _fn(lambda a: nf.round(a, decimals=2)), lambda: (_x(3, 4),), None),
    (
        "maximum-minimum",
        lambda: _fn(lambda a, b: nf.maximum(a, b) - nf.minimum(a, b)),
        lambda: (_x(4), _x(4, seed=1)),
        None,
    ),
    ("floor-divide-remainder", lambda: _fn(lambda a, b: a // b + a % b), lambda: (_x(6) * 5, _x(6, seed=1)), None),
    ("fmod", lambda: _fn(lambda a, b: nf.fmod(a, b)), lambda: (_x(6) * 5, _x(6, seed=1)), {"Mod"}),
    ("where", lambda: _weighted(lambda x, w: nf.where(w > 0, x, -x), 2, 3), lambda: (_x(2, 3),), {"Where"}),
    ("cast", lambda: _fn(lambda a: a.double().exp().float()), lambda: (_x(2, 3),), {"Cast"}),
    ("clone", lambda: _fn(lambda a: a.clone() + 1), lambda: (_x(2, 3),), None),
    # activations
    ("relu", lambda: _layers(nn.ReLU()), lambda: (_x(2, 5),), {"Relu"}),
    ("leaky-relu", lambda: _layers(nn.LeakyReLU(0.2)), lambda: (_x(2, 5),), {"LeakyRelu"}),
    ("sigmoid", lambda: _layers(nn.Sigmoid()), lambda: (_x(2, 5),), {"Sigmoid"}),
    ("tanh", lambda: _layers(nn.Tanh()), lambda: (_x(2, 5),), {"Tanh"}),
    ("gelu", lambda: _layers(nn.GELU()), lambda: (_x(2, 5),), {"Erf"}),
    ("gelu-tanh", lambda: _layers(nn.GELU(approximate="tanh")), lambda: (_x(2, 5),), {"Tanh"}),
    ("silu", lambda: _layers(nn.SiLU()), lambda: (_x(2, 5),), {"Sigmoid", "Mul"}),
    ("elu", lambda: _layers(nn.ELU(0.7)), lambda: (_x(2, 5),), {"Elu"}),
    ("selu", lambda: _layers(nn.SELU()), lambda: (_x(2, 5),), {"Selu"}),
    ("celu", lambda: _layers(nn.CELU(1.3)), lambda: (_x(2, 5),), {"Celu"}),
    ("softplus", lambda: _layers(nn.Softplus(beta=2.0, threshold=3.0)), lambda: (_x(2, 5) * 4,), None),
    ("logsigmoid", lambda: _layers(nn.LogSigmoid()), lambda: (_x(2, 5) * 30,), None),
    ("mish", lambda: _layers(nn.Mish()), lambda: (_x(2, 5) * 10,), None),
    ("hardsigmoid", lambda: _layers(nn.Hardsigmoid()), lambda: (_x(2, 5) * 4,), {"HardSigmoid"}),
    ("hardswish", lambda: _layers(nn.Hardswish()), lambda: (_x(2, 5) * 4,), {"HardSwish"}),
    ("hardtanh", lambda: _layers(nn.Hardtanh(-0.5, 0.7)), lambda: (_x(2, 5),), {"Clip"}),
    ("relu6", lambda: _layers(nn.ReLU6()), lambda: (_x(2, 5) * 8,), {"Clip"}),
    ("clamp", lambda: _fn(lambda a: a.clamp(-0.5, 0.5) + a.clamp(min=0.1) + a.clamp(max=-0.1)), lambda: (_x(9),), None),
    ("softmax", lambda: _layers(nn.Softmax(dim=1)), lambda: (_x(2, 5, 3),), {"Softmax"}),
    ("log-softmax", lambda: _fn(lambda a: F.log_softmax(a, dim=-1)), lambda: (_x(2, 5),), {"LogSoftmax"}),
    # pooling
    ("max-pool2d", lambda: _layers(nn.MaxPool2d(3, 2, padding=1)), lambda: (_img(h=9, w=8),), {"MaxPool"}),
    ("max-pool2d-ceil", lambda: _layers(nn.MaxPool2d(2, 2, ceil_mode=True)), lambda: (_img(h=7, w=5),), {"MaxPool"}),
    (
        "max-pool2d-ceil-padded-dilated",
        lambda: _layers(nn.MaxPool2d(3, 2, padding=1, dilation=2, ceil_mode=True)),
        lambda: (_img(h=10, w=9),),
        {"MaxPool"},
    ),
    (
        "max-pool2d-indices",
        lambda: _fn(lambda a: F.max_pool2d(a, 2, return_indices=True)),
        lambda: (_img(),),
        {"MaxPool", "Mod"},
    ),
    ("max-pool2d-unbatched", lambda: _layers(nn.MaxPool2d(2)), lambda: (_x(3, 6, 6),), {"MaxPool"}),
    ("avg-pool2d", lambda: _layers(nn.AvgPool2d(2)), lambda: (_img(),), {"AveragePool"}),
    (
        "avg-pool2d-padding-excluded",
        lambda: _layers(nn.AvgPool2d(3, 2, padding=1, count_include_pad=False)),
        lambda: (_img(h=9, w=8),),
        {"AveragePool"},
    ),
    (
        "avg-pool2d-ceil",
        lambda: _layers(nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)),
        lambda: (_img(h=8, w=9),),
        {"AveragePool"},
    ),
    ("avg-pool2d-divisor", lambda: _layers(nn.AvgPool2d(2, divisor_override=3)), lambda: (_img(),), {"AveragePool"}),
    ("adaptive-avg-pool-global", lambda: _layers(nn.AdaptiveAvgPool2d(1)), lambda: (_img(),), {"GlobalAveragePool"}),
    ("adaptive-avg-pool-blocks", lambda: _layers(nn.AdaptiveAvgPool2d((2, 4))), lambda: (_img(),), {"AveragePool"}),
    ("adaptive-avg-pool-uneven", lambda: _layers(nn.AdaptiveAvgPool2d((3, 5))), lambda: (_img(h=7, w=8),), {"MatMul"}),
    ("adaptive-max-pool-global", lambda: _layers(nn.AdaptiveMaxPool2d(1)), lambda: (_img(),), {"GlobalMaxPool"}),
    # normalization and dropout
    ("batch-norm2d", lambda: _layers(nn.BatchNorm2d(3)), lambda: (_img(),), {"BatchNormalization"}),
    ("batch-norm1d", lambda: _layers(nn.Linear(4, 6), nn.BatchNorm1d(6)), lambda: (_x(5, 4),), None),
    ("batch-norm1d-3d", lambda: _layers(nn.BatchNorm1d(3, affine=False)), lambda: (_x(2, 3, 7),), None),
    (
        "batch-norm-functional",
        lambda: _fn(lambda a: F.batch_norm(a, nf.tensor([0.1, -0.2, 0.3]), nf.tensor([0.5, 1.5, 2.0]), eps=1e-3)),
        lambda: (_img(),),
        {"BatchNormalization"},
    ),
    ("layer-norm", lambda: _layers(nn.LayerNorm(6)), lambda: (_x(2, 3, 6),), {"LayerNormalization"}),
    ("layer-norm-2d", lambda: _layers(nn.LayerNorm((3, 6), elementwise_affine=False)), lambda: (_x(2, 3, 6),), None),
    ("group-norm", lambda: _layers(nn.GroupNorm(2, 4)), lambda: (_img(c=4),), None),
    (
        "dropout-eval",
        lambda: _layers(nn.Conv2d(3, 3, 1), nn.Dropout(0.5), nn.Dropout2d(0.3)),
        lambda: (_img(),),
        {"Conv"},
    ),
    ("identity", lambda: _layers(nn.Identity(), nn.ReLU()), lambda: (_x(3, 4),), {"Relu"}),
    # shapes
    ("flatten", lambda: _layers(nn.Flatten()), lambda: (_img(),), {"Reshape"}),
    ("view-batch", lambda: _fn(lambda a: a.view(a.size(0), -1)), lambda: (_img(),), {"Reshape"}),
    ("reshape", lambda: _fn(lambda a: a.reshape(-1, 4).reshape(3, 2, 4)), lambda: (_x(6, 4),), {"Reshape"}),
    ("permute-transpose", lambda: _fn(lambda a: a.permute(2, 0, 1).transpose(0, 1).T), lambda: (_x(2, 3, 4),), None),
    (
        "squeeze-unsqueeze",
        lambda: _fn(lambda a: a.unsqueeze(1).squeeze(0).unsqueeze(-1).squeeze()),
        lambda: (_x(1, 3, 4),),
        {"Squeeze", "Unsqueeze"},
    ),
    ("cat", lambda: _fn(lambda a, b: nf.cat([a, b, a], dim=1)), lambda: (_x(2, 3), _x(2, 4, seed=1)), {"Concat"}),
    ("stack", lambda: _fn(lambda a, b: nf.stack([a, b], dim=1)), lambda: (_x(2, 3), _x(2, 3, seed=1)), {"Concat"}),
    ("chunk-split", lambda: _fn(lambda a: a.chunk(3, dim=1)), lambda: (_x(2, 7),), {"Split"}),
    ("unbind", lambda: _fn(lambda a: a.unbind(1)), lambda: (_x(2, 3, 2),), {"Split"}),
    ("slice-stride", lambda: _fn(lambda a: a[:, :, ::2, ::2]), lambda: (_img(h=7),), {"Slice"}),
    ("slice-mixed", lambda: _fn(lambda a: a[1:, None, -3:, 2] + a[..., 1:2, 0]), lambda: (_x(3, 4, 5),), None),
    ("select", lambda: _fn(lambda a: a[0] + a[:, -1]), lambda: (_x(3, 3),), {"Gather"}),
    ("index-array", lambda: _fn(lambda a: a[:, [2, 0, 2]]), lambda: (_x(3, 4),), {"Gather"}),
    ("narrow", lambda: _fn(lambda a: a.narrow(1, 1, 2)), lambda: (_x(3, 4),), {"Slice"}),
    ("pad", lambda: _fn(lambda a: F.pad(a, (1, 2, 0, 1), value=0.5)), lambda: (_img(),), {"Pad"}),
    ("pad-crop", lambda: _fn(lambda a: F.pad(a, (-1, 2, 1, -2))), lambda: (_img(),), {"Pad", "Slice"}),
    ("pad-reflect", lambda: _fn(lambda a: F.pad(a, (2, 1, 1, 2), mode="reflect")), lambda: (_img(),), {"Gather"}),
    ("pad-replicate", lambda: _fn(lambda a: F.pad(a, (1, 3), mode="replicate")), lambda: (_x(2, 3, 5),), None),
    ("pad-circular", lambda: _fn(lambda a: F.pad(a, (1, 2, 2, 0), mode="circular")), lambda: (_img(),), None),
    (
        "interpolate-nearest",
        lambda: _fn(lambda a: F.interpolate(a, scale_factor=2, mode="nearest")),
        lambda: (_img(h=5, w=4),),
        {"Gather"},
    ),
    (
        "interpolate-bilinear",
        lambda: _fn(lambda a: F.interpolate(a, size=(7, 9), mode="bilinear", align_corners=False)),
        lambda: (_img(h=5, w=4),),
        {"Gather", "Mul"},
    ),
    ("upsample-module", lambda: _layers(nn.Upsample(scale_factor=(2, 3))), lambda: (_img(h=3, w=2),), None),
    ("expand", lambda: _fn(lambda a: a.expand(2, 3, 4)), lambda: (_x(3, 1),), {"Expand"}),
    ("repeat", lambda: _fn(lambda a: a.repeat(2, 1, 3)), lambda: (_x(3, 2),), {"Tile"}),
    ("flip", lambda: _fn(lambda a: a.flip(0, 2)), lambda: (_x(2, 3, 4),), {"Slice"}),
    ("gather", lambda: _fn(lambda a: a.gather(1, nf.tensor([[0, 2], [1, 1]]))), lambda: (_x(2, 3),), None),
    # reductions
    (
        "mean-sum",
        lambda: _fn(lambda a: a.mean((2, 3)) + a.sum(1, keepdim=True).mean(-1).mean(-1)),
        lambda: (_img(),),
        None,
    ),
    ("sum-all", lambda: _fn(lambda a: a.sum() + a.mean()), lambda: (_x(3, 4),), None),
    ("amax-amin", lambda: _fn(lambda a: a.amax(1) - a.amin((0, 1))), lambda: (_x(3, 4),), None),
    ("max-dim", lambda: _fn(lambda a: a.max(dim=1)), lambda: (_x(3, 4),), {"ReduceMax", "ArgMax"}),
    ("min-dim-keepdim", lambda: _fn(lambda a: a.min(dim=0, keepdim=True)), lambda: (_x(3, 4),), {"ArgMin"}),
    ("var-std", lambda: _fn(lambda a: a.var(1) + a.std(0, unbiased=False)), lambda: (_x(4, 4),), None),
    ("logsumexp", lambda: _fn(lambda a: a.logsumexp(1)), lambda: (_x(3, 4) * 30,), None),
    ("norm", lambda: _fn(lambda a: a.norm(dim=1) + a.norm(p=1, dim=1) + a.norm(p=3, dim=1)), lambda: (_x(3, 4),), None),
    ("prod", lambda: _fn(lambda a: a.prod(1)), lambda: (_x(3, 4),), {"ReduceProd"}),
    ("cumsum", lambda: _fn(lambda a: a.cumsum(1)), lambda: (_x(3, 4),), {"CumSum"}),
    # lookups
    ("embedding", lambda: _layers(nn.Embedding(10, 4)), lambda: (nf.tensor([[1, 2, 9], [0, 0, 5]]),), {"Gather"}),
    (
        "embedding-int32",
        lambda: _layers(nn.Embedding(10, 4, padding_idx=0)),
        lambda: (nf.tensor(np.array([3, 0, 7], np.int32)),),
        {"Gather"},
    ),
]


@pytest.mark.parametrize("make_model,make_inputs,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_op_exports_and_onnxruntime_matches_the_forward(make_model, make_inputs, expected):
    nf.manual_seed(0)
    proto, _ = export_and_compare(make_model(), make_inputs())
    if expected is not None:
        assert expected <= set(op_types(proto)), op_types(proto)
