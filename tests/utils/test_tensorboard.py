"""numpyflow.utils.tensorboard: event files written by SummaryWriter, read back with
TensorBoard's own readers and compared with what torch.utils.tensorboard writes for the
same calls."""

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
import numpyflow.nn as nn

pytest.importorskip("tensorboard")
from tensorboard.backend import process_graph  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader  # noqa: E402
from tensorboard.compat.proto.graph_pb2 import GraphDef  # noqa: E402
from tensorboard.plugins.hparams import metadata as hparams_metadata  # noqa: E402

from numpyflow.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def events(log_dir):
    """The events of every event file directly in ``log_dir``, in file order, without the
    ``file_version`` header."""
    out = []
    for name in sorted(os.listdir(log_dir)):
        if name.startswith("events.out.tfevents"):
            out += [e for e in LegacyEventFileLoader(os.path.join(log_dir, name)).Load() if not e.file_version]
    return out


def values(log_dir):
    """``[(step, Summary.Value)]`` of the summaries in ``log_dir``."""
    return [(e.step, v) for e in events(log_dir) if e.HasField("summary") for v in e.summary.value]


def accumulator(log_dir):
    ea = EventAccumulator(str(log_dir), size_guidance={"tensors": 0, "scalars": 0, "histograms": 0, "images": 0})
    ea.Reload()
    return ea


def torch_writer(log_dir):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    return TorchWriter(str(log_dir))


def decode_png(encoded):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


# -- the package ---------------------------------------------------------------------------


def test_numpyflow_imports_without_tensorboard_and_the_writer_says_how_to_install_it():
    code = (
        "import sys\n"
        "sys.modules['tensorboard'] = None\n"  # makes `import tensorboard` fail
        "import numpyflow as nf\n"
        "try:\n"
        "    nf.utils.tensorboard.SummaryWriter\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ImportError: TensorBoard logging requires TensorBoard" in out.stdout
    assert "pip install numpyflow[tensorboard]" in out.stdout


def test_default_log_dir_is_runs_datetime_hostname_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("x", 1.0)
        log_dir = w.get_logdir()
    pattern = r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + r"_lr0\.1"
    assert re.fullmatch(pattern, log_dir.replace(os.sep, "/"))
    assert [v.simple_value for _, v in values(tmp_path / log_dir)] == [1.0]


# -- scalars ---------------------------------------------------------------------------


def test_scalars_from_tensors_arrays_and_numbers_are_read_back_by_tensorboard(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", nf.tensor(2.5), 0)
        w.add_scalar("loss", np.float32(1.25), 1)
        w.add_scalar("loss", np.array([0.5]), 2)
        w.add_scalar("loss", 1, 3, walltime=123.0)
        w.add_scalar("acc", nf.tensor([0.75], requires_grad=True), 7)
    ea = accumulator(tmp_path)
    assert sorted(ea.Tags()["scalars"]) == ["acc", "loss"]
    assert [(s.step, s.value) for s in ea.Scalars("loss")] == [(0, 2.5), (1, 1.25), (2, 0.5), (3, 1.0)]
    assert ea.Scalars("loss")[3].wall_time == 123.0
    assert [(s.step, s.value) for s in ea.Scalars("acc")] == [(7, 0.75)]


def test_scalar_of_several_values_is_an_error(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="'loss' needs a single value"):
        w.add_scalar("loss", nf.tensor([1.0, 2.0]), 0)


@needs_torch
def test_scalars_new_style_and_add_scalars_are_written_as_pytorch_writes_them(tmp_path):
    def log(w):
        w.add_scalar("a", 0.1, 1)
        w.add_scalar("b", 0.1, 2, new_style=True)
        w.add_scalar("c", 0.1, 3, new_style=True, double_precision=True)
        w.add_scalars("run/loss", {"train": 1.5, "val": 2.5}, 4)
        w.close()

    log(SummaryWriter(tmp_path / "ours"))
    log(torch_writer(tmp_path / "torch"))
    assert values(tmp_path / "ours") == values(tmp_path / "torch")
    folders = {f for f in os.listdir(tmp_path / "ours") if (tmp_path / "ours" / f).is_dir()}
    assert folders == {f for f in os.listdir(tmp_path / "torch") if (tmp_path / "torch" / f).is_dir()}
    assert folders == {"run_loss_train", "run_loss_val"}
    for sub in ("run_loss_train", "run_loss_val"):
        assert values(tmp_path / "ours" / sub) == values(tmp_path / "torch" / sub)
    assert accumulator(tmp_path / "ours" / "run_loss_val").Scalars("run/loss")[0].value == 2.5


# -- histograms ------------------------------------------------------------------------


def test_histogram_buckets_count_every_value(tmp_path, rng):
    x = rng.standard_normal(5000).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", nf.tensor(x), 3)
        w.add_histogram("ten", x, 4, bins=10)
    ea = accumulator(tmp_path)
    h = ea.Histograms("w")[0]
    assert h.step == 3
    hist = h.histogram_value
    assert hist.num == 5000 and sum(hist.bucket) == 5000
    assert hist.min == pytest.approx(x.min()) and hist.max == pytest.approx(x.max())
    assert hist.sum == pytest.approx(x.astype(float).sum()) and hist.sum_squares == pytest.approx(
        (x.astype(float) ** 2).sum()
    )
    assert hist.bucket[0] == 0  # the empty bucket that carries the left edge
    limits = np.array(hist.bucket_limit)
    assert limits[0] <= x.min() and limits[-1] >= x.max() and np.all(np.diff(limits) > 0)
    ten = ea.Histograms("ten")[0].histogram_value
    counts, edges = np.histogram(x.astype(float), bins=10)
    assert list(ten.bucket) == [0] + counts.tolist()
    np.testing.assert_allclose(ten.bucket_limit, edges)


@needs_torch
@pytest.mark.parametrize(
    "bins, max_bins", [("tensorflow", None), ("auto", None), (7, None), ("tensorflow", 40), ("fd", 3)]
)
def test_histograms_match_pytorch(tmp_path, rng, bins, max_bins):
    x = (rng.standard_normal((64, 3, 3)) * 0.05).astype(np.float32)
    ours = SummaryWriter(tmp_path / "ours")
    ours.add_histogram("w", nf.tensor(x), 0, bins=bins, max_bins=max_bins)
    ours.add_histogram("ints", np.arange(100), 1, bins=bins, max_bins=max_bins)
    ours.close()
    theirs = torch_writer(tmp_path / "torch")
    theirs.add_histogram("w", torch.tensor(x), 0, bins=bins, max_bins=max_bins)
    theirs.add_histogram("ints", np.arange(100), 1, bins=bins, max_bins=max_bins)
    theirs.close()
    assert values(tmp_path / "ours") == values(tmp_path / "torch")


# -- images ----------------------------------------------------------------------------


def test_image_and_image_grid_sizes_and_pixels(tmp_path, rng):
    pytest.importorskip("PIL")
    chw = rng.random((3, 5, 7)).astype(np.float32)
    batch = rng.integers(0, 256, (10, 1, 4, 6), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", nf.tensor(chw), 1)
        w.add_image("hw", chw[0], 2, dataformats="HW")
        w.add_images("batch", nf.tensor(batch), 3)
    ea = accumulator(tmp_path)
    img = ea.Images("chw")[0]
    assert (img.step, img.width, img.height) == (1, 7, 5)
    expected = (chw.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decode_png(img.encoded_image_string), expected)
    grey = decode_png(ea.Images("hw")[0].encoded_image_string)
    assert grey.shape == (5, 7, 3) and np.array_equal(grey[..., 0], grey[..., 2])
    grid = ea.Images("batch")[0]
    assert (grid.width, grid.height) == (8 * 6, 2 * 4)  # 8 a row, two rows
    pixels = decode_png(grid.encoded_image_string)
    np.testing.assert_array_equal(pixels[4:8, 6:12, 1], batch[9, 0])  # image 9: row 1, column 1
    assert not pixels[4:8, 12:].any()  # the rest of the last row is black


def test_image_with_wrong_dataformats_is_an_error(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="dataformats 'CHW' has 3 dimensions"):
        w.add_image("x", np.zeros((4, 4)), 0)


@needs_torch
def test_images_match_pytorch(tmp_path, rng):
    pytest.importorskip("PIL")
    batch = rng.random((5, 3, 4, 6)).astype(np.float32) * 1.2  # some values above 1 are clipped
    hwc = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    nhwc = rng.random((3, 4, 6, 1))

    def log(w, t):
        w.add_images("nchw", t(batch), 0)
        w.add_image("hwc", hwc, 1, dataformats="HWC")
        w.add_images("nhwc", nhwc, 2, dataformats="NHWC")
        w.close()

    log(SummaryWriter(tmp_path / "ours"), nf.tensor)
    log(torch_writer(tmp_path / "torch"), torch.tensor)
    ours, theirs = values(tmp_path / "ours"), values(tmp_path / "torch")
    assert [(s, v.tag) for s, v in ours] == [(s, v.tag) for s, v in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        assert (a.image.height, a.image.width, a.image.colorspace) == (
            b.image.height,
            b.image.width,
            b.image.colorspace,
        )
        np.testing.assert_array_equal(
            decode_png(a.image.encoded_image_string), decode_png(b.image.encoded_image_string)
        )


# -- text ------------------------------------------------------------------------------


@needs_torch
def test_text_is_read_back_and_matches_pytorch(tmp_path):
    for w in (SummaryWriter(tmp_path / "ours"), torch_writer(tmp_path / "torch")):
        w.add_text("notes", "**lr** = 0.1, ünïcode", 5)
        w.close()
    assert values(tmp_path / "ours") == values(tmp_path / "torch")
    t = accumulator(tmp_path / "ours").Tensors("notes/text_summary")[0]
    assert t.step == 5 and t.tensor_proto.string_val == ["**lr** = 0.1, ünïcode".encode()]


# -- graph -----------------------------------------------------------------------------


def graph_of(log_dir) -> GraphDef:
    return accumulator(log_dir).Graph()


def shapes(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


def test_resnet20_graph_has_every_op_scoped_by_module_and_connected(tmp_path):
    model = nf.vision.models.resnet20()
    model.train()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, nf.randn(2, 3, 32, 32))
    assert model.training  # restored after the trace in eval mode
    g = graph_of(tmp_path)
    names = {n.name: n for n in g.node}
    for n in g.node:
        for i in n.input:
            assert i.partition(":")[0] in names, f"{n.name} reads {i}, which is no node"
    ops = [n.op for n in g.node]
    assert (
        ops.count("Convolution") == 19 and ops.count("NativeBatchNorm") == 19 and ops.count("Add") == 10
    )  # 9 shortcuts, the bias of fc
    assert shapes(names["input/x"]) == [[2, 3, 32, 32]] and names["input/x"].op == "IO Node"
    out = names["output/output.1"]
    assert out.op == "IO Node" and shapes(out) == [[2, 10]]
    assert out.input[0].startswith("CifarResNet/Linear[fc]/")
    conv = [n for n in g.node if n.name.startswith("CifarResNet/Sequential[layer2]/BasicBlock[0]/Conv2d[conv1]/")]
    assert sorted(n.op for n in conv) == ["Convolution", "Parameter"]
    conv_op = next(n for n in conv if n.op == "Convolution")
    assert shapes(conv_op) == [[2, 32, 16, 16]]
    assert "CifarResNet/Sequential[layer2]/BasicBlock[0]/Conv2d[conv1]/weight" in conv_op.input
    assert b"sh=2" in conv_op.attr["attr"].s  # the op's other arguments
    assert len([n for n in g.node if n.op == "Parameter"]) == len(list(model.parameters()))
    process_graph.prepare_graph_for_ui(g, 1024, "_too_large_attrs")  # what the graph plugin serves
    assert "CifarResNet/Linear[fc]" in str(g)
    run_metadata = accumulator(tmp_path).RunMetadata("step1")
    assert run_metadata.step_stats.dev_stats[0].device == "/device:CPU:0"


class AddInPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x, unused=None):
        y = self.fc(x)
        y.mul_(2.0)
        return y.relu(), [y]


def test_graph_follows_in_place_changes_and_checks_mutable_outputs(tmp_path, capsys):
    model = AddInPlace()
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(RuntimeError, match="use_strict_trace=False"):
            w.add_graph(model, nf.randn(2, 4))
        w.add_graph(model, (nf.randn(2, 4), None), verbose=True, use_strict_trace=False)
    assert "output/output.2 = IO Node(AddInPlace/" in capsys.readouterr().out
    g = graph_of(tmp_path)
    names = {n.name: n for n in g.node}
    relu = next(n for n in g.node if n.op == "Relu")
    assert names[relu.input[0]].op == "Mul"  # the in-place op, not the linear layer before it
    assert names["output/output.2"].input == [relu.input[0]]
    assert "input/unused" not in names  # unused inputs are left out, as in PyTorch


class TwoLayers(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.body = m.Sequential(m.Linear(3, 4), m.ReLU())
        self.head = m.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x))


@needs_torch
@pytest.mark.filterwarnings("ignore:`torch.jit.trace")  # PyTorch's add_graph traces with torch.jit
def test_graph_layout_matches_pytorch(tmp_path):
    torch_model = TorchTwoLayers()
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_graph(TwoLayers(nn), nf.randn(5, 3))
    with torch_writer(tmp_path / "torch") as w:
        w.add_graph(torch_model, torch.randn(5, 3))
    ours, theirs = graph_of(tmp_path / "ours"), graph_of(tmp_path / "torch")

    def layout(g):
        """{scope: output shapes of the last op there}, and the IO nodes."""
        scopes = {}
        io = {}
        for n in g.node:
            if n.op == "IO Node":
                io[n.name.split("/")[0]] = shapes(n)
            elif n.op not in ("Parameter", "Buffer") and not n.op.startswith("prim::"):
                scopes[n.name.rpartition("/")[0]] = shapes(n)
        return scopes, io

    (our_scopes, our_io), (their_scopes, their_io) = layout(ours), layout(theirs)
    assert our_io == their_io == {"input": [[5, 3]], "output": [[5, 2]]}
    assert our_scopes == their_scopes
    assert set(our_scopes) == {
        "TwoLayers/Sequential[body]/Linear[0]",
        "TwoLayers/Sequential[body]/ReLU[1]",
        "TwoLayers/Linear[head]",
    }


if torch is not None:

    class TorchTwoLayers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
            self.head = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.body(x))

    TorchTwoLayers.__name__ = "TwoLayers"


# -- hparams ---------------------------------------------------------------------------


def test_hparams_are_read_by_the_hparams_plugin(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams(
            {"lr": 0.1, "batch_size": nf.tensor(128), "optimizer": "sgd", "nesterov": True, "unset": None},
            {"hparam/accuracy": nf.tensor(0.91)},
            hparam_domain_discrete={"optimizer": ["sgd", "adam"]},
            run_name="trial1",
        )
    run = tmp_path / "trial1"
    content = {
        v.tag: v.metadata.plugin_data.content
        for _, v in values(run)
        if v.metadata.plugin_data.plugin_name == hparams_metadata.PLUGIN_NAME
    }
    experiment = hparams_metadata.parse_experiment_plugin_data(content[hparams_metadata.EXPERIMENT_TAG])
    infos = {i.name: i for i in experiment.hparam_infos}
    assert list(infos) == ["lr", "batch_size", "optimizer", "nesterov"]
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["sgd", "adam"]
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    start = hparams_metadata.parse_session_start_info_plugin_data(content[hparams_metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["batch_size"].number_value == 128
    assert start.hparams["optimizer"].string_value == "sgd" and start.hparams["nesterov"].bool_value is True
    end = hparams_metadata.parse_session_end_info_plugin_data(content[hparams_metadata.SESSION_END_INFO_TAG])
    assert end.status == 1  # STATUS_SUCCESS
    assert [s.value for s in accumulator(run).Scalars("hparam/accuracy")] == [pytest.approx(0.91)]


@needs_torch
def test_hparams_match_pytorch(tmp_path):
    hp = {"lr": 0.01, "depth": 20, "optimizer": "adam"}
    metrics = {"hparam/loss": 0.25}
    for w in (SummaryWriter(tmp_path), torch_writer(tmp_path)):
        w.add_hparams(
            hp,
            metrics,
            {"depth": [20, 56]},
            run_name="ours" if isinstance(w, SummaryWriter) else "torch",
            global_step=3,
        )
        w.close()
    assert values(tmp_path / "ours") == values(tmp_path / "torch")


# -- the writer ------------------------------------------------------------------------


def test_purge_step_close_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, purge_step=5, filename_suffix=".nf")
    w.add_scalar("x", 1.0, 5)
    w.flush()
    w.close()
    w.close()  # twice is fine
    w.add_scalar("x", 2.0, 6)  # a new event file
    w.close()
    files = [f for f in os.listdir(tmp_path) if f.startswith("events.out.tfevents")]
    assert len(files) == 2 and all(f.endswith(".nf") for f in files)
    evs = events(tmp_path)
    assert evs[0].step == 5 and evs[0].session_log.status == evs[0].session_log.START
    assert [(s.step, s.value) for s in accumulator(tmp_path).Scalars("x")] == [(5, 1.0), (6, 2.0)]
