"""numpyflow/cli/graph.py: ``python -m numpyflow graph`` draws a model's backward graph."""

import os
import shutil
import subprocess
import sys

import pytest

from numpyflow.__main__ import USAGE
from numpyflow.cli.graph import main

pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_dot_source_of_resnet20_names_ops_parameters_and_shapes(tmp_path):
    out = tmp_path / "r20.dot"
    assert main(["--model", "resnet20", "--out", str(out)]) == 0
    source = out.read_text()
    assert source.startswith("digraph {")
    assert source.count('label="ConvolutionBackward0\n') == 19
    assert 'label="CrossEntropyLossBackward0\n() float32"' in source
    assert 'label="ConvolutionBackward0\n(2, 16, 32, 32) float32"' in source
    assert 'label="conv1.weight\n (16, 3, 3, 3) float32" fillcolor=lightblue' in source
    assert "fillcolor=orange" not in source


def test_show_saved_and_input_size(tmp_path):
    out = tmp_path / "g.gv"
    assert main(["--model", "resnet20", "--input-size", "1,3,16,16", "--show-saved", "--out", str(out)]) == 0
    source = out.read_text()
    assert "fillcolor=orange" in source and 'label="ConvolutionBackward0\n(1, 16, 16, 16) float32"' in source


def test_dataset_builds_the_model_as_training_does(tmp_path):
    out = tmp_path / "digits.dot"
    assert main(["--model", "resnet20", "--dataset", "digits", "--out", str(out)]) == 0
    source = out.read_text()
    assert 'label="conv1.weight\n (16, 1, 3, 3) float32"' in source and "fc.weight\n (10, 64)" in source


def test_bad_input_size_and_unknown_format_are_reported(tmp_path, capsys):
    assert main(["--input-size", "3,32", "--out", str(tmp_path / "g.dot")]) == 1
    assert "--input-size" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "graph")]) == 1
    assert "--format" in capsys.readouterr().err
    assert not os.listdir(tmp_path)


def test_graph_is_in_the_usage():
    assert "  graph " in USAGE and "graph}" in USAGE


@needs_dot
def test_svg_from_the_command_line(tmp_path):
    out = tmp_path / "resnet20.svg"
    res = subprocess.run(
        [sys.executable, "-m", "numpyflow", "graph", "--model", "resnet20", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    svg = out.read_text()
    assert "<svg" in svg and "ConvolutionBackward0" in svg and "layer3.2.conv2.weight" in svg


@needs_dot
def test_png_format_from_the_extension_or_the_option(tmp_path):
    assert main(["--input-size", "1,3,8,8", "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["--input-size", "1,3,8,8", "--format", "svg", "--out", str(tmp_path / "g.img")]) == 0
    assert b"<svg" in (tmp_path / "g.img").read_bytes()
