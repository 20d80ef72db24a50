"""numpyflow/cuda.py: ``nf.cuda`` answers what ``torch.cuda`` answers.  Without a GPU: the
harmless questions as PyTorch answers them, and a RuntimeError naming the caller for those
about a particular GPU (PyTorch's CPU build raises AssertionError there; the README's
convention for a missing CUDA device is RuntimeError)."""

import pytest
from reference import needs_torch, torch

import numpyflow as nf

no_gpu = pytest.mark.skipif(nf.cuda.is_available(), reason="a GPU is available here")
gpu = pytest.mark.skipif(not nf.cuda.is_available(), reason="needs a GPU (CuPy)")


def test_nf_cuda_is_a_module_scripts_can_import_from():
    import numpyflow.cuda
    from numpyflow.cuda import is_available

    assert numpyflow.cuda is nf.cuda and is_available is nf.cuda.is_available


def test_is_available_is_what_the_array_backend_sees():
    from numpyflow.backend import cuda_available

    assert nf.cuda.is_available() is cuda_available()


@no_gpu
@needs_torch
@pytest.mark.parametrize(
    "name",
    [
        "is_available",
        "device_count",
        "is_bf16_supported",
        "memory_allocated",
        "max_memory_allocated",
        "memory_reserved",
        "max_memory_reserved",
        "empty_cache",
    ],
)
def test_without_a_gpu_the_harmless_questions_answer_as_pytorch(name):
    ours, theirs = getattr(nf.cuda, name)(), getattr(torch.cuda, name)()
    assert ours == theirs and type(ours) is type(theirs), (ours, theirs)


@no_gpu
@needs_torch
@pytest.mark.parametrize("name", ["memory_allocated", "max_memory_allocated", "memory_reserved"])
def test_without_a_gpu_the_memory_counters_are_zero_for_any_device_argument(name):
    for device in (0, "cuda:0", nf.device("cuda", 1)):
        assert getattr(nf.cuda, name)(device) == 0 == getattr(torch.cuda, name)(str(device) if device else 0)


@no_gpu
@pytest.mark.parametrize(
    "name,args",
    [
        ("current_device", ()),
        ("set_device", (0,)),
        ("get_device_name", ()),
        ("get_device_name", (0,)),
        ("get_device_capability", ()),
        ("get_device_properties", (0,)),
        ("synchronize", ()),
        ("reset_peak_memory_stats", ()),
    ],
)
def test_without_a_gpu_questions_about_a_gpu_raise_runtime_error_naming_the_caller(name, args):
    with pytest.raises(RuntimeError) as info:
        getattr(nf.cuda, name)(*args)
    message = str(info.value)
    assert message.startswith(f"cuda.{name}: CUDA is not available"), message
    assert "CuPy" in message and "nf.cuda.is_available()" in message and "device='cpu'" in message, message


@no_gpu
@needs_torch
@pytest.mark.parametrize("name", ["current_device", "get_device_name", "get_device_capability", "synchronize"])
def test_pytorch_refuses_the_same_questions_without_a_gpu(name):
    with pytest.raises((AssertionError, RuntimeError)):
        getattr(torch.cuda, name)()


@no_gpu
def test_without_a_gpu_seeding_cuda_leaves_the_cpu_generator_alone_as_in_pytorch():
    nf.manual_seed(0)
    expected = nf.randn(5)
    for seed in (nf.cuda.manual_seed, nf.cuda.manual_seed_all):
        nf.manual_seed(0)
        assert seed(123) is None
        assert nf.equal(nf.randn(5), expected)
    nf.manual_seed(0)
    nf.cuda.seed()
    nf.cuda.seed_all()
    assert nf.equal(nf.randn(5), expected)


@needs_torch
@no_gpu
def test_pytorch_also_leaves_the_cpu_generator_alone_when_cuda_is_seeded():
    torch.manual_seed(0)
    expected = torch.randn(5)
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(123)
    assert torch.equal(torch.randn(5), expected)


def test_manual_seed_takes_what_int_takes():
    nf.cuda.manual_seed("7")  # PyTorch converts with int() too
    with pytest.raises(ValueError):
        nf.cuda.manual_seed("seven")


def test_bfloat16_is_never_supported_numpyflow_has_no_bfloat16():
    assert nf.cuda.is_bf16_supported() is False
    assert nf.cuda.is_bf16_supported(including_emulation=False) is False


# -- with a GPU (CuPy): the answers come from the CUDA runtime and CuPy's memory pool ------------


@gpu
def test_with_a_gpu_the_device_questions_answer_from_the_cuda_runtime():
    from numpyflow.backend import cupy

    n = nf.cuda.device_count()
    assert n == cupy.cuda.runtime.getDeviceCount() >= 1
    assert nf.cuda.current_device() == cupy.cuda.runtime.getDevice()
    props = nf.cuda.get_device_properties(0)
    assert nf.cuda.get_device_name() == nf.cuda.get_device_name(0) == props.name and props.name
    assert nf.cuda.get_device_capability(0) == (props.major, props.minor)
    assert props.total_memory > 0 and props.multi_processor_count > 0
    nf.cuda.synchronize()
    with pytest.raises(RuntimeError, match=f"invalid device cuda:{n}"):
        nf.cuda.get_device_name(n)
    with pytest.raises(ValueError, match="expected a cuda device"):
        nf.cuda.synchronize("cpu")


@gpu
def test_with_a_gpu_the_memory_counters_follow_cupys_pool():
    nf.cuda.empty_cache()
    nf.cuda.reset_peak_memory_stats()
    before = nf.cuda.memory_allocated()
    x = nf.ones(1 << 20, device="cuda")  # 4 MiB
    assert nf.cuda.memory_allocated() - before >= 4 << 20
    assert nf.cuda.memory_reserved() >= nf.cuda.memory_allocated()
    peak = nf.cuda.max_memory_allocated()
    assert peak >= nf.cuda.memory_allocated()
    del x
    nf.cuda.empty_cache()
    assert nf.cuda.memory_allocated() == before
    assert nf.cuda.max_memory_allocated() == nf.cuda.max_memory_reserved() >= peak  # the peak survives
    nf.cuda.reset_peak_memory_stats()
    assert nf.cuda.max_memory_reserved() == nf.cuda.memory_reserved()


@gpu
def test_with_a_gpu_seeding_cuda_seeds_the_generator_cuda_tensors_draw_from():
    nf.cuda.manual_seed(3)
    a = nf.randn(4, device="cuda").cpu()
    nf.cuda.manual_seed_all(3)
    assert nf.equal(nf.randn(4, device="cuda").cpu(), a)
