"""NumpyFlow: a deep-learning framework on numpy with PyTorch's API.

import numpyflow as nf
x = nf.tensor([1.0, 2.0, 3.0], requires_grad=True)
(x * x).sum().backward()
x.grad            # tensor([2., 4., 6.])
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import (
    autograd,  # noqa: F401  (first: its Function base class comes before the ops; see tensor.py)
    linalg,  # noqa: F401
    profiler,  # noqa: F401
)
from . import dtypes as _dtypes
from ._memory import tune_malloc as _tune_malloc
from .autograd import Function  # noqa: F401
from .autograd.anomaly_mode import is_anomaly_enabled  # noqa: F401
from .autograd.grad_mode import *  # noqa: F401,F403
from .backend import Device as device  # noqa: F401
from .backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: F401
from .creation import (  # noqa: F401
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (  # noqa: F401
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .ops import *  # noqa: F401,F403
from .parallel import get_num_threads, set_num_threads  # noqa: F401
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: F401
from .serialization import load, save  # noqa: F401
from .tensor import Size, Tensor  # noqa: F401


def is_tensor(obj):
    """True for numpyflow Tensors."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor):
    return input.is_floating_point()


def numel(input: Tensor):
    return input.numel()


def result_type(tensor1, tensor2) -> dtype:
    """The dtype PyTorch's promotion rules give an op on the two arguments."""
    a = tensor1._data if isinstance(tensor1, Tensor) else tensor1
    b = tensor2._data if isinstance(tensor2, Tensor) else tensor2
    return _dtypes.from_numpy(_dtypes.result_type(a, b))


def promote_types(type1, type2) -> dtype:
    """The dtype PyTorch promotes ``type1`` and ``type2`` to."""
    return _dtypes.from_numpy(_dtypes.promote_types(type1, type2))


def get_default_device():
    return device("cpu")


# the library layer, and torch.accelerator, torch.backends and torch.cuda's namesakes
from . import accelerator, backends, cuda, nn, onnx, optim, utils, vision  # noqa: E402,F401

_tune_malloc()
