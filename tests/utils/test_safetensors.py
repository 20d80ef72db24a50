"""numpyflow/utils/safetensors.py: safetensors.torch's API with NumpyFlow tensors, files
shared with PyTorch both ways, tied weights, PyTorch's bfloat16, and a clear error when
the safetensors package is missing."""

import importlib
import sys

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
import numpyflow.utils
from numpyflow import nn
from numpyflow.utils import safetensors as nst

try:
    import safetensors
except ImportError:  # pragma: no cover - depends on the machine
    safetensors = None

needs_safetensors = pytest.mark.skipif(safetensors is None, reason="the safetensors package is not installed")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64"]
SHAPES = [(3, 4), (), (0, 2), (2, 1, 3)]


def example(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=shape) * 40
    if name == "bool":
        return nf.from_numpy(np.asarray(values > 0))
    if name == "complex64":
        values = values + 1j * rng.normal(size=shape)
    return nf.from_numpy(np.asarray(values.astype(name)))


@needs_safetensors
@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_round_trips_through_a_file_and_bytes(tmp_path, name):
    tensors = {f"t{i}": example(name, shape, i) for i, shape in enumerate(SHAPES)}
    nst.save_file(tensors, tmp_path / "x.safetensors")
    for back in (nst.load_file(tmp_path / "x.safetensors"), nst.load(nst.save(tensors))):
        assert sorted(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype == t.dtype and back[k].shape == t.shape, k
            np.testing.assert_array_equal(back[k].numpy(), t.numpy())
            back[k].numpy()[...] = 0  # writable, like PyTorch's tensors


@needs_safetensors
def test_metadata_is_stored_in_the_header(tmp_path):
    nst.save_file({"w": nf.ones(2)}, tmp_path / "m.safetensors", metadata={"format": "pt", "epoch": "3"})
    with safetensors.safe_open(tmp_path / "m.safetensors", framework="np") as f:
        assert f.metadata() == {"format": "pt", "epoch": "3"}
    data = nst.save({"w": nf.ones(2)}, metadata={"note": "x"})
    assert b'"__metadata__":{"note":"x"}' in data


@needs_safetensors
@needs_torch
@pytest.mark.parametrize("name", DTYPES)
def test_files_are_shared_with_pytorch_both_ways(tmp_path, name):
    from safetensors.torch import load_file, save_file

    ours = {"a": example(name, (3, 4)), "scalar": example(name, (), 1)}
    nst.save_file(ours, tmp_path / "ours.safetensors")
    theirs = load_file(tmp_path / "ours.safetensors")
    for k in ours:
        assert str(theirs[k].dtype) == f"torch.{name}"
        np.testing.assert_array_equal(theirs[k].numpy(), ours[k].numpy())
    save_file({k: v * 2 if name != "bool" else ~v for k, v in theirs.items()}, tmp_path / "theirs.safetensors")
    back = nst.load_file(tmp_path / "theirs.safetensors")
    for k in ours:
        expected = ours[k].numpy() * 2 if name != "bool" else ~ours[k].numpy()
        assert back[k].dtype == ours[k].dtype
        np.testing.assert_array_equal(back[k].numpy(), expected.astype(ours[k].numpy().dtype))


CONVERTED = {
    "bfloat16": "float32",
    "float8_e4m3fn": "float32",
    "float8_e5m2": "float32",
    "uint16": "int32",
    "uint32": "int64",
    "uint64": "int64",
}


@needs_safetensors
@needs_torch
@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_pytorch_dtypes_numpyflow_lacks_load_converted_exactly_with_a_warning(tmp_path, name):
    from safetensors.torch import save, save_file

    dtype = getattr(torch, name)
    g = torch.Generator().manual_seed(0)
    theirs = (
        torch.randn(4, 5, generator=g).to(dtype)
        if dtype.is_floating_point
        else torch.arange(20).to(dtype).reshape(4, 5)
    )
    expected = theirs.float().numpy() if dtype.is_floating_point else theirs.to(torch.int64).numpy()
    save_file({"layer.weight": theirs, "other": torch.ones(2)}, tmp_path / "w.safetensors")
    match = rf"NumpyFlow has no {name}; converted 'layer\.weight' to {CONVERTED[name]}"
    with pytest.warns(UserWarning, match=match):
        back = nst.load_file(tmp_path / "w.safetensors")
    with pytest.warns(UserWarning, match=match):
        from_bytes = nst.load(save({"layer.weight": theirs}))
    for t in (back["layer.weight"], from_bytes["layer.weight"]):
        assert t.dtype == getattr(nf, CONVERTED[name]) and t.shape == (4, 5)
        np.testing.assert_array_equal(t.numpy(), expected)
    assert back["other"].tolist() == [1.0, 1.0]


@needs_safetensors
@needs_torch
def test_a_pytorch_bfloat16_model_loads_into_a_numpyflow_model(tmp_path):
    from safetensors.torch import save_model

    theirs = torch.nn.Linear(3, 2).to(torch.bfloat16)
    save_model(theirs, tmp_path / "bf16.safetensors")
    ours = nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="no bfloat16; converted 'bias', 'weight' to float32"):
        assert nst.load_model(ours, tmp_path / "bf16.safetensors") == (set(), [])
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.float().detach().numpy())


@needs_safetensors
def test_what_save_file_refuses_as_safetensors_torch_does(tmp_path):
    w = nf.ones(4, 3)
    with pytest.raises(RuntimeError, match=r"Some tensors share memory.*\[\{'\w', '\w'\}\].*save_model"):
        nst.save_file({"a": w, "b": w[1:]}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        nst.save_file({"t": w.t()}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="`z` has dtype complex128, which safetensors cannot store"):
        nst.save({"z": nf.zeros(2, dtype=nf.complex128)})
    with pytest.raises(ValueError, match="Key `n` is invalid, expected numpyflow.Tensor"):
        nst.save({"n": np.ones(2)})
    with pytest.raises(ValueError, match="Expected a dict"):
        nst.save([nf.ones(2)])
    nst.save_file({"a": w[:2], "b": w[2:]}, tmp_path / "halves.safetensors")  # one storage, no overlap: allowed
    assert nst.load_file(tmp_path / "halves.safetensors")["b"].shape == (2, 3)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 3)
        self.head = nn.Linear(3, 5, bias=False)
        self.head.weight = self.embed.weight


@needs_safetensors
def test_save_model_keeps_one_name_of_tied_weights_and_load_model_restores_both(tmp_path):
    model = Tied()
    nst.save_model(model, tmp_path / "tied.safetensors")
    with safetensors.safe_open(tmp_path / "tied.safetensors", framework="np") as f:
        assert list(f.keys()) == ["embed.weight"] and f.metadata() == {"head.weight": "embed.weight"}
    fresh = Tied()
    assert nst.load_model(fresh, tmp_path / "tied.safetensors") == (set(), [])
    np.testing.assert_array_equal(fresh.head.weight.detach().numpy(), model.embed.weight.detach().numpy())
    assert fresh.head.weight is fresh.embed.weight


@needs_safetensors
@needs_torch
def test_save_model_and_load_model_agree_with_safetensors_torch(tmp_path):
    import safetensors.torch as st

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(5, 3)
            self.head = torch.nn.Linear(3, 5, bias=False)
            self.head.weight = self.embed.weight

    st.save_model(TorchTied(), tmp_path / "theirs.safetensors")
    nst.save_model(Tied(), tmp_path / "ours.safetensors")
    for path in ("theirs", "ours"):
        with safetensors.safe_open(tmp_path / f"{path}.safetensors", framework="np") as f:
            assert list(f.keys()) == ["embed.weight"] and f.metadata() == {"head.weight": "embed.weight"}

    class Other(nn.Module):  # has head.weight tied and an extra bias; lacks nothing else
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(5, 3)
            self.head = nn.Linear(3, 5)
            self.head.weight = self.embed.weight

    class TorchOther(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(5, 3)
            self.head = torch.nn.Linear(3, 5)
            self.head.weight = self.embed.weight

    for path in ("theirs", "ours"):
        theirs = st.load_model(TorchOther(), tmp_path / f"{path}.safetensors", strict=False)
        assert nst.load_model(Other(), tmp_path / f"{path}.safetensors", strict=False) == theirs == ({"head.bias"}, [])
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "head.bias"'):
        nst.load_model(Other(), tmp_path / "ours.safetensors")
    nst.save_file({"extra": nf.ones(1), "embed.weight": nf.ones(5, 3)}, tmp_path / "extra.safetensors")
    assert nst.load_model(Tied(), tmp_path / "extra.safetensors", strict=False) == (set(), ["extra"])


@needs_safetensors
def test_save_model_packs_non_contiguous_weights_unless_told_not_to(tmp_path):
    model = nn.Linear(4, 3)
    model.weight = nn.Parameter(nf.randn(4, 3).t())
    with pytest.raises(ValueError, match="non contiguous.*force_contiguous=True"):
        nst.save_model(model, tmp_path / "m.safetensors", force_contiguous=False)
    nst.save_model(model, tmp_path / "m.safetensors")
    fresh = nn.Linear(4, 3)
    nst.load_model(fresh, tmp_path / "m.safetensors")
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())


def test_missing_safetensors_is_a_clear_import_error_and_the_module_still_imports(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    monkeypatch.delitem(sys.modules, "numpyflow.utils.safetensors")
    monkeypatch.setattr(numpyflow.utils, "safetensors", nst)  # put back after the fresh import below
    fresh = importlib.import_module("numpyflow.utils.safetensors")
    assert fresh is not nst
    for call in (
        lambda m: m.save_file({"w": nf.ones(1)}, tmp_path / "w.safetensors"),
        lambda m: m.load_file(tmp_path / "w.safetensors"),
        lambda m: m.save({"w": nf.ones(1)}),
        lambda m: m.load(b""),
        lambda m: m.save_model(nn.Linear(1, 1), tmp_path / "w.safetensors"),
    ):
        with pytest.raises(ImportError, match="needs the safetensors package.*pip install safetensors"):
            call(fresh)
    assert not (tmp_path / "w.safetensors").exists()


@needs_safetensors
def test_load_file_puts_tensors_on_the_device_asked_for(tmp_path):
    nst.save_file({"w": nf.ones(2)}, tmp_path / "w.safetensors")
    for device in ("cpu", nf.device("cpu")):
        assert nst.load_file(tmp_path / "w.safetensors", device=device)["w"].device == nf.device("cpu")
    if not nf.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            nst.load_file(tmp_path / "w.safetensors", device="cuda")
