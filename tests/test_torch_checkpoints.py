"""nf.load on files written by torch.save (numpyflow/_torch_format.py): both formats,
every dtype, views and shared storages, the restricted unpickler, map_location, damaged
files, and torchvision ResNets loaded in a process where PyTorch cannot be imported."""

import argparse
import collections
import io
import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow import _torch_format, nn

ZIP = pytest.param({}, id="zip")
LEGACY = pytest.param({"_use_new_zipfile_serialization": False}, id="legacy")
FORMATS = [ZIP, LEGACY]
NATIVE = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


def torch_bytes(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def load_torch(obj, **kwargs):
    """``obj`` saved by torch.save (keyword arguments go there) and read back by nf.load."""
    return nf.load(io.BytesIO(torch_bytes(obj, **kwargs)))


def rezip(data, change):
    """The zip archive ``data`` with each record's bytes replaced by ``change(name, bytes)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for name in src.namelist():
            dst.writestr(name, change(name, src.read(name)))
    return out.getvalue()


def torch_style_zip(pickled):
    """An archive laid out as torch.save lays it out, around the pickle ``pickled``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickled)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def torch_style_legacy(pickled):
    """A legacy torch.save stream around the pickle ``pickled`` (no storages)."""
    header = [_torch_format.MAGIC_NUMBER, _torch_format.PROTOCOL_VERSION, {"protocol_version": 1001}]
    return b"".join(pickle.dumps(h, protocol=2) for h in header) + pickled + pickle.dumps([], protocol=2)


# -- dtypes ------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
@pytest.mark.parametrize("name", NATIVE)
def test_every_dtype_numpyflow_has_loads_with_its_dtype_and_values(name, kwargs):
    dtype = getattr(torch, name)
    g = torch.Generator().manual_seed(0)
    values = (torch.randn(3, 4, generator=g) * 50).to(dtype) if name != "bool" else torch.rand(3, 4, generator=g) > 0.5
    if dtype.is_complex:
        values = values + 1j * torch.randn(3, 4, generator=g).to(dtype)
    back = load_torch({"t": values, "scalar": values[1, 2].clone(), "empty": values[:0]}, **kwargs)
    for key, theirs in (("t", values), ("scalar", values[1, 2]), ("empty", values[:0])):
        assert back[key].dtype == getattr(nf, name), key
        assert back[key].shape == tuple(theirs.shape), key
        np.testing.assert_array_equal(back[key].numpy(), theirs.numpy())


CONVERTED = {
    "bfloat16": "float32",
    "float8_e4m3fn": "float32",
    "float8_e5m2": "float32",
    "float8_e4m3fnuz": "float32",
    "float8_e5m2fnuz": "float32",
    "float8_e8m0fnu": "float32",
    "uint16": "int32",
    "uint32": "int64",
    "uint64": "int64",
}


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_dtypes_numpyflow_lacks_load_converted_exactly_with_a_warning_naming_them(name, kwargs):
    dtype = getattr(torch, name)
    if dtype.is_floating_point:  # every bit pattern, NaNs and all
        codes = torch.arange(2 ** (8 * dtype.itemsize), dtype=torch.int32).to(
            torch.uint8 if dtype.itemsize == 1 else torch.int16
        )
        theirs = codes.view(dtype)
        expected = theirs.float().numpy()
    else:
        theirs = torch.tensor([0, 1, 7, 2 ** (8 * dtype.itemsize - 1) - 1 + (name != "uint64")], dtype=dtype)
        expected = np.array([0, 1, 7, 2 ** (8 * dtype.itemsize - 1) - 1 + (name != "uint64")])
    with pytest.warns(UserWarning, match=rf"NumpyFlow has no {name}; converted 'layer\.w' to {CONVERTED[name]}"):
        back = load_torch({"layer": {"w": theirs}}, **kwargs)["layer"]["w"]
    assert back.dtype == getattr(nf, CONVERTED[name])
    np.testing.assert_array_equal(back.numpy(), expected)


@needs_torch
@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")
def test_complex32_loads_as_complex64_and_conjugated_and_negated_views_keep_their_values():
    half = torch.tensor([1 + 2j, -0.5 + 0.25j], dtype=torch.complex32)
    z = torch.tensor([1 + 2j, 3 - 4j])
    with pytest.warns(UserWarning, match="no complex32; converted 'half' to complex64"):
        back = load_torch({"half": half, "conj": z.conj(), "neg": torch._neg_view(torch.tensor([1.0, -2.0]))})
    assert back["half"].dtype == nf.complex64
    np.testing.assert_array_equal(back["half"].numpy(), [1 + 2j, -0.5 + 0.25j])
    np.testing.assert_array_equal(back["conj"].numpy(), [1 - 2j, 3 + 4j])
    np.testing.assert_array_equal(back["neg"].numpy(), [-1.0, 2.0])


@needs_torch
def test_uint64_values_beyond_int64_are_a_clear_error():
    with pytest.raises(RuntimeError, match="uint64 tensor holds 18446744073709551615"):
        load_torch(torch.tensor([2**64 - 1], dtype=torch.uint64))


@needs_torch
@pytest.mark.filterwarnings("ignore:.*quantized tensor creation functions")
def test_quantized_and_sparse_tensors_are_a_clear_error():
    with pytest.raises(RuntimeError, match="quantized tensors"):
        load_torch(torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.qint8))
    with pytest.raises(RuntimeError, match="sparse tensors"):
        load_torch(torch.eye(3).to_sparse())


# -- layout and sharing ----------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
def test_views_load_with_their_values_strides_and_offsets(kwargs):
    x = torch.arange(24.0).reshape(4, 6)
    views = {"transpose": x.t(), "slice": x[1:, ::2], "row": x[2], "expanded": torch.ones(3, 1).expand(3, 4)}
    back = load_torch(views, **kwargs)
    for key, theirs in views.items():
        ours = back[key].numpy()
        np.testing.assert_array_equal(ours, theirs.numpy(), err_msg=key)
        assert tuple(s // ours.itemsize for s in ours.strides) == theirs.stride(), key
    assert not back["transpose"].is_contiguous() and back["row"].is_contiguous()


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
def test_tensors_sharing_a_storage_share_memory_after_loading(kwargs):
    x = torch.arange(12.0).reshape(3, 4)
    back = load_torch({"x": x, "tail": x[1:], "t": x.t(), "copy": x.clone()}, **kwargs)
    back["x"][1, 2] = 100.0
    assert back["tail"][0, 2].item() == 100.0 and back["t"][2, 1].item() == 100.0
    assert back["copy"][1, 2].item() == 6.0
    back["t"].mul_(2)
    assert back["x"][2, 3].item() == 22.0


@needs_torch
def test_tied_parameters_of_a_state_dict_stay_tied():
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(5, 3)
            self.head = torch.nn.Linear(3, 5, bias=False)
            self.head.weight = self.embed.weight

    sd = load_torch(Tied().state_dict())
    assert np.shares_memory(sd["embed.weight"].numpy(), sd["head.weight"].numpy())


@needs_torch
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_saved_views_round_trip_with_their_exact_layout(data):
    ndim = data.draw(st.integers(1, 3), label="ndim")
    shape = data.draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim), label="shape")
    base = torch.arange(math.prod(shape), dtype=torch.float64).reshape(shape)
    index = tuple(
        slice(data.draw(st.integers(0, n - 1), label="start"), None, data.draw(st.integers(1, 3), label="step"))
        for n in shape
    )
    view = base[index].permute(*data.draw(st.permutations(range(ndim)), label="dims"))
    kwargs = data.draw(st.sampled_from([{}, {"_use_new_zipfile_serialization": False}]), label="format")
    back = load_torch({"base": base, "view": view}, **kwargs)
    ours, ours_base = back["view"].numpy(), back["base"].numpy()
    np.testing.assert_array_equal(ours, view.numpy())
    assert tuple(s // ours.itemsize for s in ours.strides) == view.stride()
    assert (ours.ctypes.data - ours_base.ctypes.data) // ours.itemsize == view.storage_offset()


# -- objects ---------------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        *FORMATS,
        pytest.param({"pickle_protocol": 2}, id="protocol2"),
        pytest.param({"pickle_protocol": 5}, id="protocol5"),
    ],
)
def test_nested_containers_and_plain_values_load_as_saved(kwargs):
    obj = {
        "list": [1, 2.5, "three", None, True, torch.tensor([1, 2])],
        "tuple": (torch.zeros(2), (-7, 1e-300)),
        "ordered": collections.OrderedDict([("b", 1), ("a", torch.ones(1))]),
        "bytes": b"\x00\xff",
        "set": {1, 2},
        "complex": 1 - 2j,
        "size": torch.Size([2, 3]),
        "device": torch.device("cpu"),
        "dtype": torch.float16,
        "counter": collections.Counter("aab"),
        "big": 2**70,
    }
    back = load_torch(obj, **kwargs)
    assert back["list"][:5] == [1, 2.5, "three", None, True] and back["list"][5].tolist() == [1, 2]
    assert back["tuple"][0].tolist() == [0.0, 0.0] and back["tuple"][1] == (-7, 1e-300)
    assert isinstance(back["ordered"], collections.OrderedDict) and list(back["ordered"]) == ["b", "a"]
    assert back["bytes"] == b"\x00\xff" and back["set"] == {1, 2} and back["complex"] == 1 - 2j
    assert back["size"] == (2, 3) and isinstance(back["size"], nf.Size)
    assert back["device"] == nf.device("cpu") and back["dtype"] is nf.float16
    assert back["counter"] == {"a": 2, "b": 1} and back["big"] == 2**70


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
def test_parameters_and_requires_grad_load_as_numpyflow_parameters(kwargs):
    obj = {
        "p": torch.nn.Parameter(torch.ones(2)),
        "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False),
        "leaf": torch.ones(3, requires_grad=True),
        "plain": torch.ones(3),
    }
    back = load_torch(obj, **kwargs)
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], nn.Parameter) and not back["frozen"].requires_grad
    assert not isinstance(back["leaf"], nn.Parameter) and back["leaf"].requires_grad and back["leaf"].is_leaf
    assert not back["plain"].requires_grad
    (back["p"] * 3).sum().backward()
    assert back["p"].grad.tolist() == [3.0, 3.0]


@needs_torch
def test_python_attributes_saved_on_a_tensor_come_back():
    t = torch.ones(2)
    t.note = "calibrated"
    assert load_torch({"t": t})["t"].note == "calibrated"


@needs_torch
def test_a_whole_training_checkpoint_resumes_in_numpyflow_step_for_step():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = [torch.randn(5, 4) for _ in range(3)]
    for x in data[:2]:
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    ckpt = load_torch({"model": model.state_dict(), "epoch": 3, "optimizer": opt.state_dict()})
    assert ckpt["epoch"] == 3 and ckpt["optimizer"]["param_groups"][0]["momentum"] == 0.9
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ours.load_state_dict(ckpt["model"])
    ours_opt = nf.optim.SGD(ours.parameters(), lr=0.5)
    ours_opt.load_state_dict(ckpt["optimizer"])
    opt.zero_grad()
    model(data[2]).pow(2).mean().backward()
    opt.step()
    ours_opt.zero_grad()
    ours(nf.from_numpy(data[2].numpy())).pow(2).mean().backward()
    ours_opt.step()
    for (name, p), q in zip(ours.named_parameters(), model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7, err_msg=name)


# -- where from, where to --------------------------------------------------------------------


class _Stream(io.RawIOBase):
    """A readable, non-seekable stream (a pipe or a socket)."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, b):
        return self._data.readinto(b)


@needs_torch
@pytest.mark.parametrize("kwargs", FORMATS)
def test_reads_a_path_an_open_file_a_buffer_and_a_stream(tmp_path, kwargs):
    obj = {"w": torch.arange(4.0)}
    path = tmp_path / "model.pth"
    torch.save(obj, path, **kwargs)
    with open(path, "rb") as f:
        from_file = nf.load(f)
    data = path.read_bytes()
    offset = io.BytesIO(b"prefix" + data)
    offset.seek(6)
    for back in (
        nf.load(path),
        nf.load(str(path)),
        from_file,
        nf.load(io.BytesIO(data)),
        nf.load(_Stream(data)),
        nf.load(offset),
    ):
        assert back["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def _on_cuda(data):
    """A zip checkpoint as torch.save writes it on a GPU: each storage tagged 'cuda:0'."""
    return rezip(
        data,
        lambda name, b: (
            b.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0") if name.endswith("data.pkl") else b
        ),
    )


@needs_torch
def test_map_location_maps_gpu_checkpoints_to_the_cpu_as_torch_load_does():
    data = _on_cuda(torch_bytes({"w": torch.arange(3.0), "b": torch.ones(2)}))
    if not torch.cuda.is_available():  # PyTorch refuses it the same way
        with pytest.raises(RuntimeError, match="map_location"):
            torch.load(io.BytesIO(data))
    if not nf.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"saved on cuda:0.*map_location='cpu'"):
            nf.load(io.BytesIO(data))
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            nf.load(io.BytesIO(data), map_location="cuda:1")
    seen = []

    def keep(storage, location):
        seen.append(location)
        return storage

    for where in (
        "cpu",
        b"cpu",
        nf.device("cpu"),
        torch.device("cpu"),
        {"cuda:0": "cpu"},
        keep,
        lambda s, loc: s.cpu(),
    ):
        back = nf.load(io.BytesIO(data), map_location=where)
        assert back["w"].tolist() == [0.0, 1.0, 2.0] and back["w"].device == nf.device("cpu"), where
    assert seen == ["cuda:0", "cuda:0"]
    with pytest.raises(TypeError, match="map_location returned int"):
        nf.load(io.BytesIO(data), map_location=lambda s, loc: 0)


@needs_torch
def test_devices_numpyflow_does_not_have_are_a_clear_error_unless_mapped():
    data = rezip(
        torch_bytes(torch.ones(2)), lambda name, b: b.replace(b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00mps")
    )
    with pytest.raises(RuntimeError, match="device 'mps'.*map_location='cpu'"):
        nf.load(io.BytesIO(data))
    assert nf.load(io.BytesIO(data), map_location={"mps": "cpu"}).tolist() == [1.0, 1.0]


def test_map_location_works_on_numpyflow_files_too(tmp_path):
    nf.save({"w": nf.ones(2)}, tmp_path / "ckpt.pt")
    for where in ("cpu", nf.device("cpu"), {"cpu": "cpu"}, lambda t, loc: t):
        assert nf.load(tmp_path / "ckpt.pt", map_location=where)["w"].tolist() == [1.0, 1.0]


# -- safety ----------------------------------------------------------------------------------


class _RunsACommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.mark.parametrize("layout", [torch_style_zip, torch_style_legacy], ids=["zip", "legacy"])
def test_a_pickle_that_runs_a_command_is_refused_by_default_and_not_run(tmp_path, layout):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"w": [1, 2], "x": _RunsACommand(f"touch {marker}")}, protocol=2)
    path = tmp_path / "model.pth"
    path.write_bytes(layout(evil))
    with pytest.raises(
        pickle.UnpicklingError,
        match=r"refusing to unpickle (posix|os|nt)\.system.*weights_only=False only if you trust",
    ):
        nf.load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "global_", ["builtins eval", "subprocess Popen", "numpyflow.tensor _rebuild", "torch.nn.modules.linear Linear"]
)
def test_any_global_outside_the_allow_list_is_refused_by_name(global_):
    module, name = global_.split()
    pickled = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"q\x00)R."
    message = "only PyTorch can rebuild" if module.startswith("torch") else "refusing to unpickle"
    with pytest.raises(pickle.UnpicklingError, match=rf"{message}.*{module}\.{name}|{module}\.{name}.*{message}"):
        nf.load(io.BytesIO(torch_style_zip(pickled)))


def test_persistent_ids_other_than_storages_are_refused():
    pickled = b"\x80\x02X\x06\x00\x00\x00moduleq\x00\x85q\x01Q."  # BINPERSID of ('module',)
    with pytest.raises(pickle.UnpicklingError, match="reference only storages"):
        nf.load(io.BytesIO(torch_style_zip(pickled)))


@needs_torch
def test_weights_only_false_loads_plain_python_objects_but_torch_objects_need_pytorch():
    data = torch_bytes({"args": argparse.Namespace(lr=0.1), "w": torch.ones(1)})
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to unpickle argparse\.Namespace"):
        nf.load(io.BytesIO(data))
    back = nf.load(io.BytesIO(data), weights_only=False)
    assert back["args"].lr == 0.1 and back["w"].tolist() == [1.0]
    whole_model = torch_bytes(torch.nn.Linear(2, 2))
    for weights_only in (True, False):
        with pytest.raises(
            pickle.UnpicklingError,
            match=r"torch\.nn\.modules\.linear\.Linear, a PyTorch object that only PyTorch can rebuild.*state_dict",
        ):
            nf.load(io.BytesIO(whole_model), weights_only=weights_only)


# -- damaged and foreign files ---------------------------------------------------------------


@needs_torch
def test_big_endian_archives_are_read_by_their_byteorder_record():
    def to_big_endian(name, b):
        if name.endswith("byteorder"):
            return b"big"
        return np.frombuffer(b, "<f8").astype(">f8").tobytes() if "/data/" in name else b

    data = rezip(torch_bytes({"w": torch.tensor([1.5, -2.0, 3.25], dtype=torch.float64)}), to_big_endian)
    back = nf.load(io.BytesIO(data))["w"]
    assert back.dtype == nf.float64 and back.tolist() == [1.5, -2.0, 3.25]


@needs_torch
def test_a_truncated_zip_is_a_clear_runtime_error(tmp_path):
    data = torch_bytes({"w": torch.randn(100)})
    for cut in (len(data) // 2, len(data) - 10, 30):
        (tmp_path / "cut.pth").write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="truncated or corrupt"):
            nf.load(tmp_path / "cut.pth")


@needs_torch
def test_a_damaged_storage_record_is_detected():
    data = bytearray(torch_bytes({"w": torch.zeros(1000)}))
    start = bytes(data).find(b"\x00" * 4000)
    data[start + 2000] = 1
    with pytest.raises(RuntimeError, match="truncated or corrupt.*CRC"):
        nf.load(io.BytesIO(bytes(data)))
    short = rezip(torch_bytes(torch.zeros(10)), lambda name, b: b[:-4] if name.endswith("data/0") else b)
    with pytest.raises(RuntimeError, match="has 36 bytes, the tensors need 40"):
        nf.load(io.BytesIO(short))


@needs_torch
def test_a_truncated_legacy_file_is_a_clear_runtime_error():
    data = torch_bytes({"w": torch.randn(100)}, _use_new_zipfile_serialization=False)
    for cut in (len(data) - 10, len(data) - 400, 40):
        with pytest.raises(RuntimeError, match="truncated"):
            nf.load(io.BytesIO(data[:cut]))


def test_other_zip_archives_and_torchscript_are_clear_errors(tmp_path):
    np.savez(tmp_path / "arrays.npz", a=np.ones(2))
    with pytest.raises(RuntimeError, match="zip archive but not a torch.save file"):
        nf.load(tmp_path / "arrays.npz")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("model/data.pkl", pickle.dumps({}))
        z.writestr("model/constants.pkl", pickle.dumps(()))
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        nf.load(io.BytesIO(out.getvalue()))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RuntimeError, match="not a NumpyFlow file .* nor a PyTorch file"):
        nf.load(tmp_path / "notes.txt")


# -- torchvision ResNets, without PyTorch --------------------------------------------------------

NO_TORCH_SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError(f"{name} is blocked: this process must work without PyTorch")

    sys.meta_path.insert(0, NoTorch())
    import numpy as np
    import numpyflow as nf
    from numpyflow.utils.safetensors import load_file

    folder, results = sys.argv[1], {}
    for arch in ("resnet18", "resnet50"):
        x = nf.from_numpy(np.load(f"{folder}/{arch}-input.npy"))
        expected = np.load(f"{folder}/{arch}-logits.npy")
        for fmt, read in (("pth", nf.load), ("safetensors", load_file)):
            model = getattr(nf.vision.models, arch)()
            keys = model.load_state_dict(read(f"{folder}/{arch}.{fmt}"))
            model.eval()
            with nf.no_grad():
                logits = model(x).numpy()
            results[f"{arch}.{fmt}"] = {
                "max_abs_diff": float(np.abs(logits - expected).max()),
                "missing": keys.missing_keys,
                "unexpected": keys.unexpected_keys,
            }
    try:
        import torch  # noqa: F401
        results["torch_imported"] = True
    except ImportError:
        results["torch_imported"] = False
    results["torch_modules"] = sorted(m for m in sys.modules if m.split(".")[0] == "torch")
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def loaded_without_torch(tmp_path_factory):
    """torchvision ResNet-18/50 checkpoints written by PyTorch (torch.save and
    safetensors), loaded by a process that cannot import torch; its report."""
    import torchvision_reference as tv
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("torch-written")
    for seed, arch in enumerate(("resnet18", "resnet50")):
        torch.manual_seed(seed)
        model = tv.trained_looking(getattr(tv, arch)(), seed=seed)
        x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(10 + seed))
        with torch.no_grad():
            np.save(folder / f"{arch}-logits.npy", model(x).numpy())
        np.save(folder / f"{arch}-input.npy", x.numpy())
        torch.save(model.state_dict(), folder / f"{arch}.pth")
        save_file(model.state_dict(), folder / f"{arch}.safetensors")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH_SCRIPT, str(folder)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_torch
def test_the_loading_process_never_had_pytorch(loaded_without_torch):
    assert loaded_without_torch["torch_imported"] is False
    assert loaded_without_torch["torch_modules"] == []


@needs_torch
@pytest.mark.parametrize("fmt", ["pth", "safetensors"])
@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_torchvision_resnet_written_by_pytorch_gives_pytorchs_logits_without_pytorch(loaded_without_torch, arch, fmt):
    result = loaded_without_torch[f"{arch}.{fmt}"]
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["max_abs_diff"] <= 1e-4, result


@needs_torch
def test_a_checkpoint_of_dtypes_numpyflow_has_loads_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_torch({"w": torch.ones(2), "n": torch.tensor(3), "p": torch.nn.Parameter(torch.zeros(1))})
