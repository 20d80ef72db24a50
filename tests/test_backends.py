"""numpyflow/backends: the switches and questions of ``torch.backends`` (cudnn, mps, cuda),
with PyTorch's defaults, checks and answers."""

import warnings

import pytest
from reference import needs_torch, torch

import numpyflow as nf

CUDNN_FLAGS = ("enabled", "benchmark", "deterministic", "allow_tf32")


@pytest.fixture(autouse=True)
def _restore_switches():
    """Every test leaves the switches of both frameworks as it found them."""
    ours = {n: getattr(nf.backends.cudnn, n) for n in CUDNN_FLAGS}
    precision = nf.get_float32_matmul_precision()
    theirs = None if torch is None else {n: getattr(torch.backends.cudnn, n) for n in CUDNN_FLAGS}
    their_precision = None if torch is None else torch.get_float32_matmul_precision()
    yield
    for n, v in ours.items():
        setattr(nf.backends.cudnn, n, v)
    nf.set_float32_matmul_precision(precision)
    if torch is not None:
        for n, v in theirs.items():
            setattr(torch.backends.cudnn, n, v)
        torch.set_float32_matmul_precision(their_precision)


def test_the_module_paths_scripts_import_exist():
    import numpyflow.backends.cuda
    import numpyflow.backends.cudnn
    import numpyflow.backends.mps
    from numpyflow.backends import cudnn

    assert cudnn is nf.backends.cudnn is numpyflow.backends.cudnn
    assert numpyflow.backends.mps is nf.backends.mps and numpyflow.backends.cuda is nf.backends.cuda


def test_cudnn_is_never_available_and_has_no_version():
    assert nf.backends.cudnn.is_available() is False
    assert nf.backends.cudnn.version() is None
    assert nf.backends.cudnn.is_acceptable(nf.ones(2)) is False


@needs_torch
def test_cudnn_switch_defaults_match_pytorch():
    for name in CUDNN_FLAGS:
        assert getattr(nf.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert nf.backends.cudnn.benchmark_limit == torch.backends.cudnn.benchmark_limit  # None without cuDNN


@needs_torch
@pytest.mark.parametrize("name", CUDNN_FLAGS)
def test_cudnn_switches_keep_what_scripts_assign(name):
    for value in (True, False):
        setattr(nf.backends.cudnn, name, value)
        setattr(torch.backends.cudnn, name, value)
        assert getattr(nf.backends.cudnn, name) is value is getattr(torch.backends.cudnn, name)


@needs_torch
@pytest.mark.parametrize("name", CUDNN_FLAGS)
@pytest.mark.parametrize("value", [1, "yes", None, 0.0])
def test_cudnn_switches_take_only_bools_as_in_pytorch(name, value):
    before = getattr(nf.backends.cudnn, name)
    with pytest.raises(RuntimeError):
        setattr(torch.backends.cudnn, name, value)
    with pytest.raises(RuntimeError, match=rf"cudnn\.{name} expects a bool, but got {type(value).__name__}"):
        setattr(nf.backends.cudnn, name, value)
    assert getattr(nf.backends.cudnn, name) is before


@needs_torch
def test_cudnn_flags_sets_every_switch_in_a_with_block_and_restores_them():
    nf.backends.cudnn.benchmark = torch.backends.cudnn.benchmark = True
    nf.backends.cudnn.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    with (
        nf.backends.cudnn.flags(enabled=False, deterministic=True),
        torch.backends.cudnn.flags(enabled=False, deterministic=True),
    ):
        inside = {n: getattr(nf.backends.cudnn, n) for n in CUDNN_FLAGS}
        assert inside == {n: getattr(torch.backends.cudnn, n) for n in CUDNN_FLAGS}
        assert inside == {"enabled": False, "benchmark": False, "deterministic": True, "allow_tf32": True}
    after = {n: getattr(nf.backends.cudnn, n) for n in CUDNN_FLAGS}
    assert after == {n: getattr(torch.backends.cudnn, n) for n in CUDNN_FLAGS}
    assert after == {"enabled": True, "benchmark": True, "deterministic": False, "allow_tf32": False}


@needs_torch
def test_mps_is_neither_built_nor_available_as_on_pytorchs_linux_build():
    assert nf.backends.mps.is_available() is False is torch.backends.mps.is_available()
    assert nf.backends.mps.is_built() is False is torch.backends.mps.is_built()


def test_cuda_is_built_when_cupy_is_installed():
    from numpyflow.backend import cupy

    assert nf.backends.cuda.is_built() is (cupy is not None)


@needs_torch
def test_matmul_switch_defaults_match_pytorch():
    for name in (
        "allow_tf32",
        "allow_fp16_reduced_precision_reduction",
        "allow_bf16_reduced_precision_reduction",
        "allow_fp16_accumulation",
    ):
        assert getattr(nf.backends.cuda.matmul, name) is getattr(torch.backends.cuda.matmul, name), name
    assert nf.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"


@needs_torch
def test_matmul_allow_tf32_and_the_float32_matmul_precision_are_one_setting_as_in_pytorch():
    for lib in (nf, torch):
        lib.backends.cuda.matmul.allow_tf32 = True
        assert lib.get_float32_matmul_precision() == "high"
        lib.backends.cuda.matmul.allow_tf32 = False
        assert lib.get_float32_matmul_precision() == "highest"
        for precision, tf32 in (("medium", True), ("high", True), ("highest", False)):
            lib.set_float32_matmul_precision(precision)
            assert lib.backends.cuda.matmul.allow_tf32 is tf32
            assert lib.get_float32_matmul_precision() == precision


@needs_torch
def test_an_unknown_precision_warns_and_changes_nothing_a_non_string_raises():
    for lib in (nf, torch):
        lib.set_float32_matmul_precision("high")
        with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high', or 'medium'"):
            lib.set_float32_matmul_precision("bogus")
        assert lib.get_float32_matmul_precision() == "high"
        with pytest.raises(RuntimeError, match="set_float32_matmul_precision expects a str, but got int"):
            lib.set_float32_matmul_precision(3)


@needs_torch
def test_matmul_switches_check_their_values_and_names_as_in_pytorch():
    for lib in (nf, torch):
        matmul = lib.backends.cuda.matmul
        with pytest.raises(RuntimeError, match="expects a bool, but got int"):
            matmul.allow_tf32 = 1
        with pytest.raises(TypeError):
            matmul.allow_fp16_reduced_precision_reduction = 1
        matmul.allow_fp16_reduced_precision_reduction = False
        assert matmul.allow_fp16_reduced_precision_reduction is False
        matmul.allow_fp16_reduced_precision_reduction = True
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            matmul.foo = True
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            matmul.foo  # noqa: B018


def test_a_typical_seeding_preamble_runs_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nf.manual_seed(0)
        nf.cuda.manual_seed_all(0)
        nf.backends.cudnn.deterministic = True
        nf.backends.cudnn.benchmark = False
        nf.backends.cuda.matmul.allow_tf32 = True
        nf.backends.cudnn.allow_tf32 = True
        device = nf.device("cuda" if nf.cuda.is_available() else "mps" if nf.backends.mps.is_available() else "cpu")
    assert device == nf.device("cuda" if nf.cuda.is_available() else "cpu")
