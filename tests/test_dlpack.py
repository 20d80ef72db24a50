"""DLPack both ways and ``from_numpy``: memory shared with PyTorch and numpy, as PyTorch
shares it."""

import gc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
import numpyflow.creation as creation
from numpyflow.utils import dlpack

DTYPES = [
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


def _values(dtype, shape=(3, 4)):
    return (np.arange(int(np.prod(shape))) % 3).reshape(shape).astype(dtype)


# -- NumpyFlow -> PyTorch / numpy ---------------------------------------------------------


@needs_torch
def test_torch_from_dlpack_shares_a_tensors_memory_both_ways():
    t = nf.arange(6.0).reshape(2, 3)
    theirs = torch.from_dlpack(t)
    theirs[0, 0] = 100
    assert t[0, 0].item() == 100
    t[1, 2] = -5
    assert theirs[1, 2].item() == -5
    assert theirs.dtype == torch.float32 and tuple(theirs.shape) == (2, 3)


def test_numpy_from_dlpack_shares_a_tensors_memory():
    t = nf.arange(4, dtype=nf.int64)
    a = np.from_dlpack(t)
    a[2] = 42
    assert t.tolist() == [0, 1, 42, 3]
    assert t.__dlpack_device__() == (1, 0)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_reaches_pytorch_with_its_strides(dtype):
    t = nf.from_numpy(_values(dtype, (4, 6))).t()[1:, ::2]
    theirs = torch.from_dlpack(t)
    np.testing.assert_array_equal(theirs.numpy(), t.numpy())
    assert theirs.stride() == tuple(s // t.element_size() for s in t.numpy().strides)


@needs_torch
def test_a_tensor_that_requires_grad_is_refused_as_in_pytorch():
    with pytest.raises(BufferError, match="require gradient"):
        torch.from_dlpack(nf.ones(2, requires_grad=True))
    with pytest.raises(BufferError, match="require gradient"):
        torch.from_dlpack(torch.ones(2, requires_grad=True))
    torch.from_dlpack(nf.ones(2, requires_grad=True).detach())


# -- PyTorch / numpy -> NumpyFlow ---------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_nf_from_dlpack_shares_a_torch_tensors_memory_for_every_dtype(dtype):
    theirs = torch.from_numpy(_values(dtype))
    ours = nf.from_dlpack(theirs)
    assert ours.dtype == nf.from_numpy(_values(dtype)).dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours[0, 1] = 1
    theirs[2, 3] = 0
    assert theirs[0, 1].item() == ours[0, 1].item() and ours[2, 3].item() == theirs[2, 3].item()
    assert ours.numpy().ctypes.data == theirs.data_ptr()


@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    data=st.data(),
)
def test_views_of_any_layout_arrive_with_their_values_and_memory(shape, data):
    base = torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape)
    view = base
    for dim, size in enumerate(shape):
        start = data.draw(st.integers(0, size - 1))
        step = data.draw(st.integers(1, 3))
        view = view.narrow(dim, start, size - start)[(slice(None),) * dim + (slice(None, None, step),)]
    if view.dim() > 1 and data.draw(st.booleans()):
        view = view.transpose(0, -1)
    for ours in (nf.from_dlpack(view), nf.from_dlpack(torch.utils.dlpack.to_dlpack(view))):
        np.testing.assert_array_equal(ours.numpy(), view.numpy())
        if view.numel():
            ours[(0,) * ours.dim()] = -1.0
            assert view[(0,) * view.dim()].item() == -1.0
            view[(0,) * view.dim()] = 0.0


@needs_torch
def test_a_capsule_is_read_once_and_stays_writable_after_its_producer_is_gone():
    theirs = torch.arange(10**5, dtype=torch.float64)
    capsule = torch.utils.dlpack.to_dlpack(theirs)
    ours = dlpack.from_dlpack(capsule)
    ours[1] = 7
    assert theirs[1].item() == 7
    with pytest.raises(RuntimeError, match="consumed only once"):
        nf.from_dlpack(capsule)
    del theirs, capsule
    gc.collect()
    assert ours.sum().item() == sum(range(10**5)) - 1 + 7
    del ours
    gc.collect()


@needs_torch
def test_to_dlpack_gives_pytorch_a_capsule_on_the_same_memory():
    t = nf.zeros(3)
    theirs = torch.utils.dlpack.from_dlpack(dlpack.to_dlpack(t))
    theirs += 2
    assert t.tolist() == [2.0, 2.0, 2.0]


def test_from_numpy_arrays_and_tensors_through_dlpack():
    a = np.arange(6.0).reshape(2, 3)
    t = nf.from_dlpack(a)
    t[0, 0] = 9
    assert a[0, 0] == 9
    u = nf.from_dlpack(t)
    u[1, 1] = -1
    assert t[1, 1].item() == -1
    c = nf.from_dlpack(a, copy=True)
    c[0, 1] = 100
    assert a[0, 1] == 1


@needs_torch
def test_dlpack_errors_say_what():
    with pytest.raises(TypeError, match="__dlpack__"):
        nf.from_dlpack([1, 2])
    with pytest.raises(RuntimeError, match="on cpu, not on cuda"):
        nf.from_dlpack(np.arange(3.0), device="cuda")
    with pytest.raises(TypeError, match="bfloat16"):
        nf.from_dlpack(torch.utils.dlpack.to_dlpack(torch.ones(2, dtype=torch.bfloat16)))
    with pytest.raises((RuntimeError, TypeError, BufferError)):
        nf.from_dlpack(torch.ones(2, dtype=torch.bfloat16))


# -- from_numpy ---------------------------------------------------------------------------


def test_from_numpy_shares_memory():
    a = np.zeros((2, 2), np.float32)
    t = nf.from_numpy(a)
    t += 1
    a[0, 0] = 5
    assert t.tolist() == [[5.0, 1.0], [1.0, 1.0]]


@needs_torch
def test_from_numpy_refuses_what_pytorch_refuses_with_its_error_types():
    for make in (nf.from_numpy, torch.from_numpy):
        with pytest.raises(TypeError, match="expected np.ndarray"):
            make([1, 2])
        with pytest.raises(ValueError, match="byte order"):
            make(np.arange(3, dtype=">f8"))
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.str_"):
            make(np.array(["a"]))


@needs_torch
def test_from_numpy_warns_once_about_a_read_only_array(monkeypatch):
    monkeypatch.setattr(creation, "_warned_read_only", False)
    a = np.arange(3.0)
    a.flags.writeable = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = nf.from_numpy(a)
        nf.from_numpy(a)
    assert [str(w.message)[:34] for w in caught] == ["The given NumPy array is not writa"]
    assert t.tolist() == [0.0, 1.0, 2.0]
