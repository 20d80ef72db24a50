"""numpyflow/utils/viz.py: make_dot draws the backward graph as torchviz draws PyTorch's."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import numpyflow as nf
from numpyflow.utils.viz import make_dot

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from founding_example import founding_graph, make_inputs  # noqa: E402


def _nodes(dot):
    """``{node id: (label, fillcolor or None)}`` from the Digraph's statements."""
    nodes = {}
    for line in dot.body:
        m = re.match(r'\s*(\d+) \[label=(?:"((?:[^"\\]|\\.)*)"|(\S+?))(?: fillcolor=(\w+))?\]', line, re.S)
        if m:
            nodes[m.group(1)] = (m.group(2) if m.group(2) is not None else m.group(3), m.group(4))
    return nodes


def _edges(dot):
    return [tuple(re.findall(r"\d+", line)[:2]) for line in dot.body if "->" in line]


def _mlp():
    nf.manual_seed(0)
    model = nf.nn.Sequential(nf.nn.Linear(8, 16), nf.nn.Tanh(), nf.nn.Linear(16, 1))
    return model, model(nf.randn(3, 8)).mean()


def test_nodes_are_named_as_pytorch_prints_them_with_output_shape_and_dtype():
    model, y = _mlp()
    labels = [label for label, color in _nodes(make_dot(y)).values() if color is None]
    assert sorted(label.split("\n")[0] for label in labels) == sorted(
        ["MeanBackward0", "AddBackward0", "MatMulBackward0", "TanhBackward0", "AddBackward0", "MatMulBackward0"]
        + ["AccumulateGrad"] * 4
    )
    assert "TanhBackward0\n(3, 16) float32" in labels
    assert "MatMulBackward0\n(3, 1) float32" in labels
    assert "MeanBackward0\n() float32" in labels


def test_leaves_are_named_by_params_with_their_shapes_and_the_output_is_green():
    model, y = _mlp()
    nodes = _nodes(make_dot(y, params=dict(model.named_parameters())))
    leaves = sorted(label for label, color in nodes.values() if color == "lightblue")
    assert leaves == [
        "0.bias\n (16) float32",
        "0.weight\n (16, 8) float32",
        "2.bias\n (1) float32",
        "2.weight\n (1, 16) float32",
    ]
    assert [label for label, color in nodes.values() if color == "darkolivegreen1"] == ["\n () float32"]


def test_edges_run_from_inputs_to_the_nodes_that_use_them():
    x = nf.randn(2, 3, requires_grad=True)
    y = (x * 2.0).sum()
    dot = make_dot(y, params={"x": x})
    ids = {label.split("\n")[0]: i for i, (label, _) in _nodes(dot).items()}
    edges = set(_edges(dot))
    assert (ids["x"], ids["AccumulateGrad"]) in edges
    assert (ids["AccumulateGrad"], ids["MulBackward0"]) in edges
    assert (ids["MulBackward0"], ids["SumBackward0"]) in edges
    assert (ids["SumBackward0"], str(id(y))) in edges


def test_saved_tensors_are_orange_boxes_with_shapes_only_on_request():
    model, y = _mlp()
    assert not [c for _, c in _nodes(make_dot(y)).values() if c == "orange"]
    nodes = _nodes(make_dot(y, params=dict(model.named_parameters()), show_saved=True))
    saved = sorted(label for label, color in nodes.values() if color == "orange")
    # Tanh keeps its output; the second matmul its input and its weight; the first only x.
    assert saved == sorted(
        ["result\n (3, 16) float32", "saved_tensors[0]\n (3, 16) float32", "2.weight\n (1, 16) float32"]
        + ["saved_tensors[0]\n (3, 8) float32"]
    )


def test_show_attrs_lists_a_nodes_non_tensor_state_truncated():
    conv = nf.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
    y = conv(nf.randn(1, 3, 8, 8)).sum()
    label = next(
        lbl for lbl, _ in _nodes(make_dot(y, show_attrs=True, max_attr_chars=12)).values() if "Convolution" in lbl
    )
    lines = label.split("\n")
    assert lines[:2] == ["ConvolutionBackward0", "(1, 4, 4, 4) float32"] and set(lines[2]) == {"-"}
    assert any(line.startswith("saved_tensors[0]") and line.endswith(": [saved te...") for line in lines)
    assert all(len(line.split(": ", 1)[1]) <= 12 for line in lines[3:])


def test_multi_output_nodes_list_each_output():
    x = nf.randn(3, 4, requires_grad=True)
    a, b = x.split(2, dim=1)
    labels = [label for label, _ in _nodes(make_dot(a.sum() * b.sum())).values()]
    assert "SplitBackward0\n0: (3, 2) float32\n1: (3, 2) float32" in labels


def test_a_tuple_of_outputs_draws_each_output():
    x = nf.randn(2, requires_grad=True)
    dot = make_dot((x * 2.0, x + 1.0))
    assert sum(color == "darkolivegreen1" for _, color in _nodes(dot).values()) == 2


def test_founding_example_graph_has_every_op_once_and_float64_leaves():
    x, y, z = (nf.tensor(a, requires_grad=True) for a in make_inputs())
    f15 = founding_graph(x, y, z)
    nodes = _nodes(make_dot(f15, params={"x": x, "y": y, "z": z}))
    ops = [label.split("\n")[0] for label, color in nodes.values() if color is None]
    assert len(ops) == 81 and ops.count("AccumulateGrad") == 3 and ops.count("MatMulBackward0") == 4
    assert {"PermuteBackward0", "TransposeBackward0", "PowBackward0", "SliceBackward0", "DivBackward0"} <= set(ops)
    leaves = sorted(label for label, color in nodes.values() if color == "lightblue")
    assert leaves == ["x\n (2, 4, 6, 3, 4) float64", "y\n (2, 4, 6, 3, 4) float64", "z\n (2, 4, 1, 1, 4) float64"]
    assert [label for label, color in nodes.values() if color == "darkolivegreen1"] == ["\n (6, 4, 3) float64"]


def test_a_chain_of_5000_ops_is_drawn_without_recursion():
    x = nf.randn(4, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    nodes = _nodes(make_dot(y.sum(), show_saved=True))
    ops = [label.split("\n")[0] for label, color in nodes.values() if color is None]
    assert ops.count("MulBackward0") == 5000 and ops.count("SumBackward0") == 1


def test_bad_arguments_are_refused_with_the_reason():
    with pytest.raises(TypeError, match="Tensor"):
        make_dot([1.0, 2.0])
    x = nf.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="params\\['w'\\]"):
        make_dot(x * 2.0, params={"w": 3})


def test_without_the_graphviz_package_make_dot_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install graphviz.*numpyflow\[viz\]"):
        make_dot(nf.randn(2, requires_grad=True) * 2.0)


def test_importing_numpyflow_does_not_import_graphviz():
    code = "import sys, numpyflow; assert 'graphviz' not in sys.modules; assert callable(numpyflow.utils.viz.make_dot)"
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_dot
def test_the_graph_renders_to_svg_and_png(tmp_path):
    model, y = _mlp()
    dot = make_dot(y, params=dict(model.named_parameters()), show_saved=True)
    svg = dot.pipe(format="svg").decode()
    assert "<svg" in svg and "TanhBackward0" in svg and "0.weight" in svg
    assert dot.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    path = dot.render(tmp_path / "graph", format="svg")
    assert Path(path).read_text().count("MatMulBackward0") == 2
