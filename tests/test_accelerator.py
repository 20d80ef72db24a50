"""numpyflow/accelerator.py: ``nf.accelerator`` answers as ``torch.accelerator`` does; without
a GPU, as PyTorch answers on a machine without an accelerator."""

import pytest
from reference import needs_torch, torch

import numpyflow as nf

no_gpu = pytest.mark.skipif(nf.cuda.is_available(), reason="a GPU is available here")

DEVICE_CALLS = [
    ("current_device_index", ()),
    ("set_device_index", (0,)),
    ("synchronize", ()),
    ("empty_cache", ()),
    ("memory_allocated", ()),
    ("max_memory_allocated", ()),
    ("memory_reserved", ()),
    ("max_memory_reserved", ()),
    ("reset_peak_memory_stats", ()),
]


def test_the_module_path_scripts_import_exists():
    import numpyflow.accelerator
    from numpyflow import accelerator

    assert accelerator is nf.accelerator is numpyflow.accelerator


@no_gpu
@needs_torch
def test_without_a_gpu_the_answers_are_pytorchs():
    assert nf.accelerator.is_available() is False is torch.accelerator.is_available()
    assert nf.accelerator.current_accelerator() is None is torch.accelerator.current_accelerator()
    assert nf.accelerator.current_accelerator(check_available=True) is None
    assert nf.accelerator.device_count() == 0 == torch.accelerator.device_count()


@no_gpu
@needs_torch
@pytest.mark.parametrize("name,args", DEVICE_CALLS, ids=[c[0] for c in DEVICE_CALLS])
def test_without_a_gpu_device_calls_raise_pytorchs_runtime_error(name, args):
    message = "Cannot access accelerator device when none is available."
    with pytest.raises(RuntimeError, match=message):
        getattr(torch.accelerator, name)(*args)
    with pytest.raises(RuntimeError, match=f"accelerator.{name}: {message}"):
        getattr(nf.accelerator, name)(*args)


def test_the_accelerator_is_cuda_exactly_when_cuda_is_available():
    assert nf.accelerator.is_available() is nf.cuda.is_available()
    assert nf.accelerator.device_count() == nf.cuda.device_count()
    if nf.cuda.is_available():
        assert nf.accelerator.current_accelerator() == nf.device("cuda")
        assert nf.accelerator.current_device_index() == nf.cuda.current_device()
        assert nf.accelerator.memory_allocated() == nf.cuda.memory_allocated()


def test_the_usual_device_choice_runs():
    acc = nf.accelerator.current_accelerator()
    device = acc if nf.accelerator.is_available() else nf.device("cpu")
    assert nf.zeros(2, device=device).device == device
