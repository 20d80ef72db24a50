"""Making tensors: from data, filled, ranges and random samples."""

from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from . import _dlpack, dtypes
from ._args import shape_arg
from .autograd.function import Function
from .backend import Device, array_module, is_array, module_for_device, to_device, to_numpy
from .random import resolve
from .tensor import Tensor


def _finish(arr, dtype=None, device=None, requires_grad=False, op="") -> Tensor:
    if dtype is not None:
        arr = arr.astype(dtypes.to_numpy(dtype), copy=False)
    if device is not None:
        arr = to_device(arr, Device(device), op)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_numpy(data):
    """numpy array for Python data with PyTorch's dtype rules: Python floats become the
    default float dtype, ints int64; numpy scalars and tensors inside keep their dtype,
    and mixed elements promote as PyTorch does."""
    if isinstance(data, Tensor):
        return data._data
    if is_array(data):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    target = None
    if isinstance(data, (list, tuple)):
        for x in _flat(data):
            d = _element_dtype(x)
            target = d if target is None else dtypes.promote_types(target, d)
        data = _tensors_to_lists(data)
        if target is None:  # no elements at all
            target = dtypes.default_numpy_float()
    else:
        target = _element_dtype(data)
    try:
        arr = np.asarray(data) if target is None else np.asarray(data, dtype=target)
    except ValueError as e:
        raise ValueError(f"tensor(): could not make a tensor from ragged or mixed nested sequences ({e})") from None
    except TypeError as e:
        raise TypeError(f"tensor(): could not make a tensor from {type(data).__name__} ({e})") from None
    if arr.dtype == object:
        raise TypeError(
            f"tensor(): could not make a tensor from {type(data).__name__} "
            "(ragged nested sequences or non-numeric values)"
        )
    return arr


def _element_dtype(x):
    if isinstance(x, Tensor):
        return x._data.dtype
    if isinstance(x, np.generic):
        return x.dtype
    if isinstance(x, builtins.bool):
        return np.dtype(np.bool_)
    if isinstance(x, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(x, numbers.Real):
        return dtypes.default_numpy_float()
    if isinstance(x, numbers.Complex):
        return np.dtype(np.complex64)
    raise TypeError(f"tensor(): can't convert {type(x).__name__} {x!r} to a tensor element")


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        elif isinstance(x, Tensor) and x._data.ndim:
            yield x
        elif isinstance(x, np.ndarray) and x.ndim:
            yield x.dtype.type(0) if x.size == 0 else x.reshape(-1)[0]
        else:
            yield x


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (floats become float32, ints int64)."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif is_array(data):
        arr = data.copy()
    elif (
        dtype is not None
        and not isinstance(data, (list, tuple))
        or dtype is not None
        and not any(isinstance(x, Tensor) for x in _flat(data))
    ):
        arr = np.array(data, dtype=dtypes.to_numpy(dtype))  # no detour through float32
    else:
        arr = _infer_numpy(data)  # a new array already
    return _finish(arr, dtype, device, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing memory with ``data`` where possible (arrays, tensors)."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if is_array(data):
        return _finish(data, dtype, device, op="as_tensor")
    if dtype is not None:
        return tensor(data, dtype=dtype, device=device)
    return _finish(_infer_numpy(data), dtype, device, op="as_tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory (changes to one show in the other), as
    PyTorch's: a read-only array gives a warning (the tensor could still be written), a
    non-native byte order is a ValueError.  Negative strides are kept (numpy's views
    are NumpyFlow's own), where PyTorch asks for a copy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if not array.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. "
            "Conversion between byte orders is currently not supported."
        )
    _check_dtype(array.dtype, "np.ndarray")
    if not array.flags.writeable:
        _warn_read_only()
    return Tensor._make(array)


def _check_dtype(np_dtype, what):
    try:
        dtypes.from_numpy(np_dtype)
    except TypeError:
        supported = ", ".join(d.name for d in dtypes.ALL[:-1]) + f", and {dtypes.ALL[-1].name}"
        raise TypeError(
            f"can't convert {what} of type numpy.{np.dtype(np_dtype).type.__name__}. "
            f"The only supported types are: {supported}."
        ) from None


_warned_read_only = False


def _warn_read_only():
    global _warned_read_only
    if not _warned_read_only:
        _warned_read_only = True
        warnings.warn(
            "The given NumPy array is not writable, and NumpyFlow does not support non-writable tensors. "
            "This means writing to this tensor will result in undefined behavior. You may want to copy the "
            "array to protect its data or make it writable before converting it to a tensor. This type of "
            "warning will be suppressed for the rest of this program.",
            UserWarning,
            stacklevel=3,
        )


def from_dlpack(ext_tensor, *, device=None, copy=None) -> Tensor:
    """A tensor sharing memory with ``ext_tensor``: any object with ``__dlpack__`` (a
    PyTorch tensor, a numpy or CuPy array, another NumpyFlow tensor) or a DLPack capsule
    (``torch.utils.dlpack.to_dlpack``'s).  ``copy=True`` copies; ``device`` must be
    where the data is (``'cpu'``, or ``'cuda'`` with CuPy)."""
    if isinstance(ext_tensor, Tensor):
        ext_tensor = ext_tensor._data
    elif _dlpack.is_capsule(ext_tensor):
        return _from_capsule(ext_tensor, device, copy)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got {type(ext_tensor).__name__}"
        )
    xp = _dlpack_module(*ext_tensor.__dlpack_device__(), device)
    kwargs = {} if copy is None else {"copy": copy}
    return _dlpack_tensor(xp.from_dlpack(ext_tensor, **kwargs))


def _from_capsule(capsule, device, copy):
    xp = _dlpack_module(*_dlpack.capsule_device(capsule), device)
    array = _dlpack.capsule_to_numpy(capsule) if xp is np else xp.from_dlpack(capsule)
    return _dlpack_tensor(array.copy() if copy else array)


def _dlpack_module(kind, index, device):
    """numpy or CuPy, for data on DLPack device ``(kind, index)``; ``device`` (if given)
    must name that place."""
    if kind in (_DL_CPU, _DL_CUDA_HOST):
        xp, here = np, Device("cpu")
    elif kind == _DL_CUDA:
        here = Device(f"cuda:{int(index)}")
        xp = module_for_device(here, "from_dlpack")
    else:
        raise RuntimeError(f"from_dlpack: data on DLPack device type {int(kind)} is neither CPU nor CUDA memory")
    if device is not None and Device(device) != here:
        raise RuntimeError(f"from_dlpack: the data is on {here}, not on {Device(device)}; move it first")
    return xp


def _dlpack_tensor(array):
    _check_dtype(array.dtype, "a DLPack tensor")
    return Tensor._make(array)


# DLPack's device types (dlpack.h, DLDeviceType)
_DL_CPU, _DL_CUDA, _DL_CUDA_HOST = 1, 2, 3


def _shape(size, op):
    shape = shape_arg(size, op)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: negative dimension in size {shape}; expected sizes >= 0")
    return shape


def _xp(device, op):
    return np if device is None else module_for_device(Device(device), op)


def _sampling_device(device, op):
    """``device`` for a sampler, checked to exist here before any random state is drawn."""
    _xp(device, op)
    return device


def _float(dtype):
    return dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_numpy_float()


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _finish(_xp(device, "zeros").zeros(_shape(size, "zeros"), _float(dtype)), None, None, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _finish(_xp(device, "ones").ones(_shape(size, "ones"), _float(dtype)), None, None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor."""
    return _finish(_xp(device, "empty").empty(_shape(size, "empty"), _float(dtype)), None, None, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value, as in PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = dtypes.result_type(fill_value) if isinstance(fill_value, (bool, int, float)) else None
    np_dtype = dtypes.to_numpy(dtype) if dtype is not None else None
    return _finish(
        _xp(device, "full").full(_shape((size,), "full"), _wrapped(fill_value, np_dtype), np_dtype),
        None,
        None,
        requires_grad,
    )


def _wrapped(value, np_dtype, op="full"):
    """A fill value converted to an integer dtype as PyTorch converts a scalar: an int
    wraps like a C cast where PyTorch allows it (``full((2,), -5, dtype=uint8)`` is 251;
    an unsigned dtype takes -max..max), a float must lie in the dtype's range; anything
    else raises PyTorch's RuntimeError.  numpy 2 would raise OverflowError instead."""
    if np_dtype is None or np.dtype(np_dtype).kind not in "iu" or isinstance(value, (bool, np.bool_)):
        return value
    info = np.iinfo(np_dtype)
    if isinstance(value, numbers.Integral):
        value = int(value)
        low = -int(info.max) if info.kind == "u" else int(info.min)
        if low <= value <= int(info.max):
            return np.asarray(value, np.int64).astype(np_dtype)
    elif isinstance(value, numbers.Real) and not (info.min <= float(value) <= info.max):
        pass
    else:
        return value
    raise RuntimeError(f"{op}: value {value} cannot be converted to type {np.dtype(np_dtype).name} without overflow")


def _like(t, dtype, device):
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return (
        t._data.shape,
        dtypes.to_numpy(dtype) if dtype is not None else t._data.dtype,
        device if device is not None else t.device,
    )


def zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(_xp(dev, "zeros_like").zeros(shape, dt), None, None, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(_xp(dev, "ones_like").ones(shape, dt), None, None, requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(_xp(dev, "empty_like").empty(shape, dt), None, None, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return _finish(
        _xp(dev, "full_like").full(shape, _wrapped(fill_value, dt, "full_like"), dt), None, None, requires_grad
    )


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 when all
    arguments are ints, else float32."""
    if end is None:
        start, end = 0, start
    args = [a.item() if isinstance(a, Tensor) else a for a in (start, end, step)]
    start, end, step = args
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero, but got step={step}")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign (start={start}, end={end}, step={step})"
        )
    if dtype is None:
        dtype = np.int64 if all(isinstance(a, numbers.Integral) for a in args) else dtypes.default_numpy_float()
    _not_bool(dtype, "arange")
    np_dtype = dtypes.to_numpy(dtype)
    if np_dtype.kind == "f":
        n = builtins.max(int(np.ceil((end - start) / step)), 0)
        arr = start + np.arange(n, dtype=np.float64) * step
        return _finish(arr.astype(np_dtype), None, device, requires_grad, "arange")
    # PyTorch truncates the bounds and the step to integers before stepping; int64 also
    # sizes the result from the truncated values, narrower dtypes from the given ones.
    xstart, xend, xstep = (int(a) for a in (start, end, step))
    if np_dtype == np.int64:
        if xstep == 0:
            raise ValueError(f"arange: step must be nonzero (step={step} truncates to 0 for int64)")  # PyTorch's type
        sgn = (xstep > 0) - (xstep < 0)
        n = int((xend - xstart + xstep - sgn) / xstep)  # C division truncates toward zero
    else:
        n = int(np.ceil((end - start) / step))
    n = builtins.max(n, 0)
    arr = xstart + np.arange(n, dtype=np.int64) * xstep
    return _finish(arr.astype(np_dtype), None, device, requires_grad, "arange")


def _not_bool(dtype, op):
    """PyTorch's range functions have no bool kernel."""
    if dtype is not None and dtypes.to_numpy(dtype) == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for dtype bool (expected a floating-point or integer dtype)")


def _steps(steps, op):
    steps = int(steps)
    if steps < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative (got steps={steps})")
    return steps


def _int_bounds(start, end, np_dtype, op):
    """PyTorch's integer range kernels convert the bounds to the dtype first (checked as
    a fill value is, then truncated)."""
    out = []
    for v in (start, end):
        v = v.item() if isinstance(v, Tensor) else v
        v = _wrapped(v, np_dtype, op)
        out.append(float(np.asarray(np.trunc(float(v))).astype(np_dtype)))
    return tuple(out)


def _spaced(start, end, steps):
    """PyTorch's symmetric stepping: the first half counts up from ``start``, the second
    half down from ``end``."""
    idx = np.arange(steps, dtype=np.float64)
    if steps == 1:
        return np.full(1, start)
    step = (end - start) / (steps - 1)
    return np.where(idx < steps // 2, start + step * idx, end - step * (steps - idx - 1))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = _steps(steps, "linspace")
    if steps:  # PyTorch returns an empty tensor of any dtype before its kernel sees the dtype
        _not_bool(dtype, "linspace")
    np_dtype = _float(dtype)
    if np_dtype.kind in "iu":
        arr = _spaced(*_int_bounds(start, end, np_dtype, "linspace"), steps)
    else:
        arr = np.linspace(float(start), float(end), steps)
    return _finish(arr.astype(np_dtype), None, device, requires_grad, "linspace")


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` values ``base ** x`` for ``x`` evenly spaced from ``start`` to ``end`` inclusive."""
    steps = _steps(steps, "logspace")
    if steps:
        _not_bool(dtype, "logspace")
    np_dtype = _float(dtype)
    if np_dtype.kind in "iu":
        if steps == 1:  # PyTorch's one value is base ** start before truncation
            bounds = (float(start), float(end))
        else:
            bounds = _int_bounds(start, end, np_dtype, "logspace")
        with np.errstate(over="ignore"):
            arr = np.power(float(base), _spaced(*bounds, steps))
    else:
        arr = np.logspace(float(start), float(end), steps, base=base)
    return _finish(arr.astype(np_dtype), None, device, requires_grad, "logspace")


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix (``n`` x ``m``)."""
    return _finish(
        _xp(device, "eye").eye(int(n), None if m is None else int(m), dtype=_float(dtype)), None, None, requires_grad
    )


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) from the seeded generator."""
    arr = resolve(generator).uniform(0.0, 1.0, _shape(size, "rand"), _float(dtype), _sampling_device(device, "rand"))
    return _finish(arr, None, None, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples from the seeded generator."""
    arr = resolve(generator).normal(0.0, 1.0, _shape(size, "randn"), _float(dtype), _sampling_device(device, "randn"))
    return _finish(arr, None, None, requires_grad)


def randint(
    *args, low=None, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Integers uniformly from [low, high) (int64 unless ``dtype``): PyTorch's two forms
    ``randint(high, size)`` and ``randint(low, high, size)``, each argument given by
    position or by name (``low`` is 0 when left out)."""
    if len(args) > 3:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args)} given)")
    given = {"low": low, "high": high, "size": size}
    if len(args) == 3 or (len(args) == 2 and size is not None) or (len(args) == 1 and high is not None):
        names = ("low", "high", "size")  # the (low, high, size) form
    else:
        names = ("high", "size")  # the (high, size) form
        if low is not None and len(args):
            raise TypeError(
                "randint(): low given by name with high given by position; expected randint(low, high, size)"
            )
    for name, value in zip(names, args):
        if given[name] is not None:
            raise TypeError(f"randint() got multiple values for argument '{name}'")
        given[name] = value
    low, high, size = given["low"], given["high"], given["size"]
    if high is None or size is None:
        missing = " and ".join(f'"{n}"' for n in ("high", "size") if given[n] is None)
        raise TypeError(
            f"randint() missing required argument {missing} (expected randint(high, size) or randint(low, high, size))"
        )
    if low is None:
        low = 0
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    arr = resolve(generator).integers(
        low,
        high,
        _shape((size,), "randint"),
        _sampling_device(device, "randint"),
        dtypes.to_numpy(dtype) if dtype is not None else np.int64,
    )
    return _finish(arr, None, None, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    arr = resolve(generator).permutation(int(n), _sampling_device(device, "randperm"))
    return _finish(arr, dtype, None)


def rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return rand(shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    return randn(shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None) -> Tensor:
    shape, dt, dev = _like(input, dtype, device)
    if high is None:  # randint_like(input, high)
        low, high = 0, low
    return randint(low, high, shape, dtype=dt, device=dev)


class _Normal(Function):
    """``mean + std * noise`` for drawn standard-normal ``noise``.  The output requires
    grad when ``mean`` or ``std`` does, and, as PyTorch's ``normal`` (derivatives.yaml:
    ``at::zeros_like``), the gradient of both is zero: the sample is not reparameterized."""

    @staticmethod
    def forward(ctx, mean, std, noise, dtype):
        return (noise * std + mean).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        zero = grad * 0
        return (zero if ctx.needs_input_grad[0] else None), (zero if ctx.needs_input_grad[1] else None), None, None


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` with numbers, or elementwise with
    tensor ``mean`` and/or ``std`` (broadcast; their gradient is zero, as in PyTorch)."""
    g = resolve(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        dt = ref._data.dtype
        _sampling_device(device, "normal")
        xp = array_module(ref._data)
        noise = xp.asarray(g.normal(0.0, 1.0, shape, dt))
        out = _Normal.apply(mean, std, noise, dt)
        if dtype is not None or device is not None:
            out = out.to(device=device, dtype=dtype)
        if requires_grad:
            out.requires_grad_(True)
        return out
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size")
    arr = g.normal(
        float(mean), float(std), _shape((size,), "normal"), _float(dtype), _sampling_device(device, "normal")
    )
    return _finish(arr, None, None, requires_grad)


class _Bernoulli(Function):
    """1 where the drawn uniform ``u`` is below the probability, else 0; its gradient is
    zero (PyTorch's)."""

    @staticmethod
    def forward(ctx, input, probs, u):
        return (u < probs).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None, None


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    u = resolve(generator).uniform(0.0, 1.0, input._data.shape, np.float64)
    xp = array_module(input._data)
    return _Bernoulli.apply(input, xp.asarray(probs), xp.asarray(u))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices sampled from the rows of ``input`` (unnormalised probabilities)."""
    probs = to_numpy(input._data).astype(np.float64)
    rng = resolve(generator).numpy_generator
    rows = probs.reshape(-1, probs.shape[-1])
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return _finish(out.reshape(probs.shape[:-1] + (num_samples,)).astype(np.int64), None, input.device)
