"""numpyflow/nn/parallel: ``nn.DataParallel`` is, without a GPU, the transparent wrapper
PyTorch's is without one: same attributes, same outputs, same ``state_dict`` keys."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.vision import models

no_gpu = pytest.mark.skipif(nf.cuda.is_available(), reason="a GPU is available here")


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(), lib.nn.Linear(8, 3))


def test_the_names_scripts_use_exist():
    from numpyflow.nn.parallel import DataParallel, data_parallel

    assert nf.nn.DataParallel is DataParallel is nf.nn.parallel.DataParallel
    assert callable(data_parallel)


@no_gpu
@needs_torch
def test_without_a_gpu_the_attributes_are_pytorchs():
    ours, theirs = nf.nn.DataParallel(_mlp(nf)), torch.nn.DataParallel(_mlp(torch))
    assert ours.device_ids == theirs.device_ids == []
    for name in ("output_device", "dim", "src_device_obj"):  # PyTorch sets these only with GPUs
        assert hasattr(ours, name) is hasattr(theirs, name) is False, name
    ours2 = nf.nn.DataParallel(_mlp(nf), device_ids=[0], output_device=0)
    theirs2 = torch.nn.DataParallel(_mlp(torch), device_ids=[0], output_device=0)
    assert ours2.device_ids == theirs2.device_ids == []
    assert isinstance(ours.module, nf.nn.Sequential) and ours.training


@needs_torch
def test_state_dict_keys_carry_the_module_prefix_as_in_pytorch():
    ours = nf.nn.DataParallel(models.resnet18(num_classes=10))
    from benchmarks.torch_reference import ResNet18

    theirs = torch.nn.DataParallel(ResNet18(10))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(k.startswith("module.") for k in ours.state_dict())
    assert list(nf.nn.DataParallel(_mlp(nf)).state_dict()) == list(torch.nn.DataParallel(_mlp(torch)).state_dict())


@needs_torch
def test_the_repr_is_pytorchs():
    ours = repr(nf.nn.DataParallel(nf.nn.Linear(2, 3)))
    theirs = repr(torch.nn.DataParallel(torch.nn.Linear(2, 3)))
    assert ours == theirs


@no_gpu
@needs_torch
def test_forward_and_backward_pass_through_and_match_pytorch():
    torch.manual_seed(0)
    theirs = torch.nn.DataParallel(_mlp(torch).double())
    ours = nf.nn.DataParallel(_mlp(nf).double())
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4))
    out_ours, out_theirs = ours(nf.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_ours**2).sum().backward()
    (out_theirs**2).sum().backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)
    # the batch-norm buffers updated on the wrapped module itself
    np.testing.assert_allclose(
        ours.module[1].running_mean.numpy(), theirs.module[1].running_mean.numpy(), rtol=1e-10, atol=1e-12
    )


def test_keyword_arguments_and_train_eval_reach_the_wrapped_module():
    class Scale(nf.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor if self.training else x

    dp = nf.nn.DataParallel(Scale())
    assert dp(nf.ones(2), factor=3.0).tolist() == [3.0, 3.0]
    dp.eval()
    assert not dp.module.training and dp(nf.ones(2), factor=3.0).tolist() == [1.0, 1.0]


def test_a_checkpoint_of_the_wrapper_loads_into_the_bare_model_without_the_prefix():
    nf.manual_seed(0)
    dp = nf.nn.DataParallel(_mlp(nf))
    bare = _mlp(nf)
    bare.load_state_dict({k.removeprefix("module."): v for k, v in dp.state_dict().items()})
    x = nf.randn(3, 4)
    dp.eval()
    bare.eval()
    assert nf.equal(dp(x), bare(x))
    # and the wrapper's parameters are the wrapped module's, so optimizers see the same tensors
    assert [id(p) for p in dp.parameters()] == [id(p) for p in dp.module.parameters()]


@no_gpu
@needs_torch
def test_functional_data_parallel_needs_a_gpu_as_in_pytorch():
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        torch.nn.parallel.data_parallel(torch.nn.Linear(2, 2), torch.ones(1, 2))
    with pytest.raises(RuntimeError, match="data_parallel: device type could not be determined"):
        nf.nn.parallel.data_parallel(nf.nn.Linear(2, 2), nf.ones(1, 2))


@pytest.mark.skipif(not nf.cuda.is_available(), reason="needs a GPU (CuPy)")
def test_with_a_gpu_the_model_runs_on_device_ids_0_and_the_output_lands_on_output_device():
    dp = nf.nn.DataParallel(_mlp(nf), device_ids=[0])
    assert dp.device_ids == [0] and dp.output_device == 0 and dp.dim == 0
    assert all(p.is_cuda for p in dp.parameters())
    out = dp(nf.randn(5, 4))  # a CPU input is moved
    assert out.device == nf.device("cuda", 0)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in dp.parameters())
