"""numpyflow/onnx: ``export`` end to end: the vision models and an MLP run in
onnxruntime as in NumpyFlow, dynamic axes, the file targets, the options of
``torch.onnx.export``'s signature, and the errors for what a graph cannot hold."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_check import Lambda, calibrate, export_and_compare, op_types, outputs_of, session  # noqa: E402

import numpyflow as nf  # noqa: E402
from numpyflow import nn  # noqa: E402
from numpyflow.nn import functional as F  # noqa: E402
from numpyflow.onnx import OnnxExporterError, TrainingMode, UnsupportedOperatorError  # noqa: E402
from numpyflow.vision import models  # noqa: E402

CIFAR = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]
IMAGENET = ["resnet18", "resnet34", "resnet50"]


def _randn(*shape, seed=0):
    return nf.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)
    )


# -- models -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CIFAR + IMAGENET)
def test_vision_model_matches_in_onnxruntime_for_another_batch_size(name):
    nf.manual_seed(0)
    size = 32 if name in CIFAR else 64
    x = _randn(2 if name in CIFAR else 1, 3, size, size)
    model = calibrate(models.get_model(name, num_classes=10), _randn(4, 3, size, size, seed=1))
    proto, sess = export_and_compare(
        model,
        (x,),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
    )
    assert sorted(i.name for i in proto.graph.initializer if not i.name.startswith("onnx::")) == sorted(
        k for k in model.state_dict() if not k.endswith("num_batches_tracked")
    )
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert "Dropout" not in op_types(proto) and "BatchNormalization" in op_types(proto)
    other = _randn(3, 3, size, size, seed=2)
    np.testing.assert_allclose(
        sess.run(None, {"images": other.numpy()})[0], outputs_of(model, (other,))[0], rtol=1e-4, atol=1e-4
    )


def test_mlp_exports_as_gemms_and_runs_with_any_batch():
    nf.manual_seed(0)
    model = _mlp()
    proto, sess = export_and_compare(model, (_randn(5, 3, 4),), dynamic_axes={"input": [0], "output": [0]})
    assert op_types(proto) == ["Reshape", "Gemm", "Relu", "Gemm", "Tanh", "Gemm"]
    x = _randn(9, 3, 4, seed=3)
    (name,) = [i.name for i in sess.get_inputs()]
    np.testing.assert_allclose(sess.run(None, {name: x.numpy()})[0], outputs_of(model, (x,))[0], rtol=1e-4, atol=1e-4)


class _Tokens(nn.Module):
    """A small transformer-like block: embedding, a learned class token expanded to the
    batch, layer norm, attention scores with matmul/softmax, and a head on the class token."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.cls = nn.Parameter(nf.randn(1, 1, 8))
        self.norm = nn.LayerNorm(8)
        self.qkv = nn.Linear(8, 24)
        self.head = nn.Linear(8, 4)

    def forward(self, ids):
        x = self.embed(ids)
        x = nf.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1)
        q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
        att = F.softmax(q @ k.transpose(1, 2) / 8**0.5, dim=-1)
        y = (att @ v).reshape(x.size(0), x.size(1), -1)
        return self.head(F.gelu(y[:, 0]))


def test_dynamic_batch_and_sequence_axes_are_computed_at_run_time():
    nf.manual_seed(0)
    model = _Tokens()
    ids = nf.tensor(np.random.default_rng(0).integers(0, 20, (2, 5)))
    proto, sess = export_and_compare(
        model, (ids,), input_names=["ids"], dynamic_axes={"ids": {0: "batch", 1: "seq"}, "output": {0: "batch"}}
    )
    dims = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", "seq"]
    for shape in [(1, 3), (4, 9)]:
        other = nf.tensor(np.random.default_rng(1).integers(0, 20, shape))
        got = sess.run(None, {"ids": other.numpy()})[0]
        np.testing.assert_allclose(got, outputs_of(model, (other,))[0], rtol=1e-4, atol=1e-4)


def test_dynamic_spatial_axes_with_global_pooling():
    nf.manual_seed(0)
    model = calibrate(models.resnet20(), _randn(4, 3, 16, 16))
    _, sess = export_and_compare(
        model, (_randn(1, 3, 16, 16),), input_names=["x"], dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}}
    )
    x = _randn(2, 3, 24, 20, seed=4)
    np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], outputs_of(model, (x,))[0], rtol=1e-4, atol=1e-4)


class _TwoInputs(nn.Module):
    def forward(self, a, b=None, scale=1.0):
        return a * scale + b, (a - b).relu()


def test_several_inputs_and_outputs_with_keyword_arguments():
    model = _TwoInputs()
    a, b = _randn(2, 3), _randn(2, 3, seed=1)
    proto = nf.onnx.export(model, (a, {"b": b, "scale": 2.0}), None, output_names=["sum"])
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["sum", "output_1"]
    got = session(proto).run(None, {"a": a.numpy(), "b": b.numpy()})
    want = outputs_of(model, (a, b, 2.0))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


def test_an_input_returned_as_it_is_is_an_identity_output():
    model = Lambda(lambda self, a: (a, a + 1))
    proto, _ = export_and_compare(model, (_randn(2, 3),), input_names=["a"], output_names=["same", "plus"])
    assert "Identity" in op_types(proto)


# -- files and options ----------------------------------------------------------------------


def test_exports_to_a_path_and_to_a_binary_file(tmp_path):
    model = _mlp().eval()
    x = _randn(2, 3, 4)
    path = tmp_path / "mlp.onnx"
    assert nf.onnx.export(model, x, str(path)) is None
    buffer = io.BytesIO()
    nf.onnx.export(model, (x,), buffer)
    assert path.read_bytes() == buffer.getvalue()
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded)
    assert loaded.producer_name == "numpyflow" and loaded.opset_import[0].version == 17
    got = session(loaded).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, outputs_of(model, (x,))[0], rtol=1e-4, atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.onnx"]


@pytest.mark.parametrize("opset", [13, 14, 17, 18, 20, 21])
def test_opsets_13_to_21(opset):
    nf.manual_seed(0)
    model = Lambda(
        lambda self, x: F.hardswish(F.gelu(self.layers[0](x))).mean(-1) + x.amax(-1) + x.var(-1),
        nn.LayerNorm(6),
    )
    proto, _ = export_and_compare(model, (_randn(2, 3, 6),), opset_version=opset)
    assert proto.opset_import[0].version == opset
    assert ("LayerNormalization" in op_types(proto)) == (opset >= 17)
    assert ("Gelu" in op_types(proto)) == (opset >= 20)


def test_parameters_as_inputs_when_not_exported():
    nf.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2))
    model = calibrate(model, _randn(4, 3, 4, 4, seed=1))
    x = _randn(2, 3, 4, 4)
    proto = nf.onnx.export(model, (x,), None, export_params=False)
    assert all(i.name.startswith("onnx::") for i in proto.graph.initializer)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert [i.name for i in proto.graph.input] == ["input"] + list(state)
    feeds = {"input": x.numpy(), **{k: v.numpy() for k, v in state.items()}}
    np.testing.assert_allclose(session(proto).run(None, feeds)[0], outputs_of(model, (x,))[0], rtol=1e-4, atol=1e-4)


def test_keep_initializers_as_inputs_lists_them_as_inputs():
    model = _mlp().eval()
    proto = nf.onnx.export(model, (_randn(2, 3, 4),), None, keep_initializers_as_inputs=True)
    inputs = {i.name for i in proto.graph.input}
    assert {i.name for i in proto.graph.initializer} <= inputs and "input" in inputs


def test_constant_folding_computes_ops_on_parameters():
    model = Lambda(lambda self, x: x @ self.w.t() + self.w.sum())
    model.w = nn.Parameter(_randn(4, 3))
    folded, _ = export_and_compare(model, (_randn(2, 3),))
    unfolded, _ = export_and_compare(model, (_randn(2, 3),), do_constant_folding=False)
    assert "Transpose" not in op_types(folded) and "ReduceSum" not in op_types(folded)
    assert "Transpose" in op_types(unfolded) and "ReduceSum" in op_types(unfolded)


def test_model_modes_are_restored_and_training_export_is_refused():
    model = _mlp().train()
    nf.onnx.export(model, (_randn(2, 3, 4),), None)
    assert model.training and all(m.training for m in model.modules())
    with pytest.raises(NotImplementedError, match="inference"):
        nf.onnx.export(model, (_randn(2, 3, 4),), None, training=TrainingMode.TRAINING)
    with pytest.raises(NotImplementedError, match="inference"):
        nf.onnx.export(model, (_randn(2, 3, 4),), None, training=TrainingMode.PRESERVE)
    nf.onnx.export(model.eval(), (_randn(2, 3, 4),), None, training=TrainingMode.PRESERVE)


def test_is_in_onnx_export_is_true_only_during_the_export():
    seen = []
    model = Lambda(lambda self, x: seen.append(nf.onnx.is_in_onnx_export()) or x + 1)
    nf.onnx.export(model, (_randn(2),), None)
    assert seen and all(seen) and not nf.onnx.is_in_onnx_export()


def test_verbose_prints_the_graph_and_verify_checks_with_onnxruntime(capsys):
    nf.onnx.export(_mlp().eval(), (_randn(2, 3, 4),), None, verbose=True, verify=True)
    assert "Gemm" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"opset_version": 12}, ValueError, "opset_version"),
        ({"opset_version": 22}, ValueError, "opset_version"),
        ({"operator_export_type": nf.onnx.OperatorExportTypes.ONNX_ATEN}, NotImplementedError, "operator_export_type"),
        ({"dynamic_shapes": {"x": {0: "batch"}}}, NotImplementedError, "dynamic_axes"),
        ({"custom_opsets": {"custom": 1}}, NotImplementedError, "custom_opsets"),
        ({"export_modules_as_functions": True}, NotImplementedError, "functions"),
        ({"input_names": ["a", "b"]}, ValueError, "input_names"),
        ({"dynamic_axes": {"input": [5]}}, ValueError, "axis 5"),
    ],
)
def test_unsupported_arguments_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        nf.onnx.export(_mlp().eval(), (_randn(2, 3, 4),), None, **kwargs)


def test_an_unknown_dynamic_axes_name_is_a_warning_as_in_pytorch():
    with pytest.warns(UserWarning, match="not among the input names"):
        nf.onnx.export(_mlp().eval(), (_randn(2, 3, 4),), None, dynamic_axes={"images": [0]})


def test_importing_numpyflow_onnx_does_not_import_onnx():
    code = "import sys, numpyflow.onnx, numpyflow as nf; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_onnx_package_is_an_import_error_naming_pip(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="pip install onnx"):
        nf.onnx.export(_mlp().eval(), (_randn(2, 3, 4),), None)


# -- what a graph cannot hold -------------------------------------------------------------


class _Cube(nf.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x**3

    @staticmethod
    def backward(ctx, grad):
        return grad


class _Block(nn.Module):
    def forward(self, x):
        return _Cube.apply(x) + 1


def test_an_op_without_mapping_names_the_op_and_the_module():
    model = nn.Sequential(nn.Linear(3, 3), _Block())
    with pytest.raises(UnsupportedOperatorError, match=r"'_Cube'.*1 \(_Block\)") as info:
        nf.onnx.export(model.eval(), (_randn(2, 3),), None)
    assert isinstance(info.value, RuntimeError) and info.value.name == "_Cube"


def test_an_unused_unsupported_op_is_not_exported():
    model = Lambda(lambda self, x: (_Cube.apply(x), x + 1)[1])
    proto, _ = export_and_compare(model, (_randn(2, 3),))
    assert op_types(proto) == ["Add"]


def test_an_in_place_change_is_an_error():
    model = Lambda(lambda self, x: F.leaky_relu(self.layers[0](x), inplace=True) * 2, nn.Linear(3, 3))
    with pytest.raises(OnnxExporterError, match="changed in place"):
        nf.onnx.export(model.eval(), (_randn(2, 3),), None)


def test_a_value_computed_outside_the_ops_is_an_error():
    # prelu-like masking through a comparison, which is no differentiable op
    model = Lambda(lambda self, x: x * (x > 0).float())
    with pytest.raises(OnnxExporterError, match="depends on the input"):
        nf.onnx.export(model.eval(), (_randn(4, 5),), None)


def test_data_dependent_control_flow_is_an_error():
    model = Lambda(lambda self, x: x.exp() if x.sum().item() > 0 else x.sin())
    x = _randn(3, 4)
    x = x if x.sum().item() > 0 else -x
    with pytest.raises(OnnxExporterError, match="different ops"):
        nf.onnx.export(model.eval(), (x,), None)


def test_an_index_made_from_the_input_values_is_an_error():
    model = Lambda(lambda self, x, i: x[:, i])
    x, i = _randn(2, 5), nf.tensor([3, 0, 4])
    with pytest.raises(OnnxExporterError, match="index of Index"):
        nf.onnx.export(model.eval(), (x, i), None)


def test_a_size_baked_from_a_dynamic_axis_is_an_error():
    model = Lambda(lambda self, x: x + nf.zeros(x.size(0), 3))
    nf.onnx.export(model.eval(), (_randn(2, 3),), None)  # fine without dynamic axes
    with pytest.raises(OnnxExporterError, match="dynamic axis"):
        nf.onnx.export(model.eval(), (_randn(2, 3),), None, input_names=["x"], dynamic_axes={"x": [0]})


def test_dropout_in_training_mode_is_an_error():
    model = Lambda(lambda self, x: F.dropout(x, 0.5, training=True))
    with pytest.raises(UnsupportedOperatorError, match="training=True"):
        nf.onnx.export(model.eval(), (_randn(2, 3),), None)


def test_a_forward_that_changes_its_parameters_is_an_error():
    def forward(self, x):
        with nf.no_grad():
            self.w.add_(1)
        return x * self.w

    model = Lambda(forward)
    model.w = nn.Parameter(_randn(3))
    with pytest.raises(OnnxExporterError, match="'w' in place"):
        nf.onnx.export(model.eval(), (_randn(2, 3),), None)


def test_dynamic_axes_of_one_size_are_told_apart():
    # batch and channels are both 4 here: the graph must take each from its own axis
    model = Lambda(lambda self, x: x.reshape(x.size(0), x.size(1), -1).mean(-1).expand(x.size(1), x.size(0), -1))
    x = _randn(4, 4, 3)
    _, sess = export_and_compare(model, (x,), input_names=["x"], dynamic_axes={"x": {0: "n", 1: "c"}})
    other = _randn(2, 5, 3, seed=1)
    np.testing.assert_allclose(sess.run(None, {"x": other.numpy()})[0], outputs_of(model, (other,))[0], rtol=1e-4)


def test_inputs_the_model_needs_of_one_batch_size_with_list_form_axes():
    model = Lambda(lambda self, x, y: x * y + 1)
    x, y = _randn(3, 2), _randn(3, 2, seed=1)
    _, sess = export_and_compare(model, (x, y), input_names=["x", "y"], dynamic_axes={"x": [0], "y": [0]})
    a, b = _randn(5, 2, seed=2), _randn(5, 2, seed=3)
    np.testing.assert_allclose(
        sess.run(None, {"x": a.numpy(), "y": b.numpy()})[0], outputs_of(model, (a, b))[0], rtol=1e-4, atol=1e-4
    )
