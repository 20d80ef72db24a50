"""The Tensor: an array, the op that made it, and its gradient.

Operators and most methods are the op functions of ``numpyflow.ops`` (``x.exp()`` is
``nf.exp(x)``); this file holds storage, metadata, conversions, ``backward`` and the
in-place methods.
"""

from __future__ import annotations

import copy
import numbers
import weakref

import numpy as np

from . import dtypes
from ._args import normalize_dim
from ._format import format_values
from ._handles import RemovableHandle
from .autograd import grad_mode
from .autograd.engine import AccumulateGrad
from .backend import Device, array_module, device_of, is_array, to_device, to_numpy
from .random import resolve

_state = grad_mode.state


class _Version:
    """The version counter of one storage, shared by all tensors that view it.

    Every in-place change bumps ``value``; a saved tensor remembers the value it was
    saved at, so backward notices a change it would otherwise silently use.
    """

    __slots__ = ("value", "has_graph_views")

    def __init__(self):
        self.value = 0
        self.has_graph_views = False


class Size(tuple):
    """A tensor's shape: a tuple of ints with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __repr__(self):
        return f"numpyflow.Size({list(self)})"


class Tensor:
    """A multi-dimensional array that records the ops applied to it for ``backward()``."""

    # Defaults for the state most tensors never set (creating a tensor is on every op's
    # hot path, so only the four attributes in ``_make`` are written per tensor).
    _grad = None
    _vc_ = None  # the version counter, made on first need (see _vc)
    _acc = None  # weak reference to the AccumulateGrad node of a leaf
    _hooks = None
    _post_accumulate_hooks = None
    _is_view = False
    __array_ufunc__ = None  # numpy defers ``ndarray + Tensor`` to Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        # PyTorch's legacy constructor: Tensor(2, 3) is uninitialised of shape (2, 3);
        # Tensor(data) copies data as float32.
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]
            if isinstance(data, Tensor):
                data = data._data
            arr = np.array(
                to_numpy(data) if is_array(data) else data,
                dtype=dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_numpy_float(),
            )
        else:
            shape = tuple(int(s) for s in (args[0] if len(args) == 1 and isinstance(args[0], tuple) else args))
            arr = np.empty(shape, dtype=dtypes.to_numpy(dtype) if dtype is not None else dtypes.default_numpy_float())
        if device is not None:
            arr = to_device(arr, Device(device))
        self._init(arr, False, None, 0)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data, requires_grad, grad_fn, output_nr):
        self._data = data
        self._requires_grad = requires_grad
        self._grad_fn = grad_fn
        self._output_nr = output_nr

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0) -> "Tensor":
        """A Tensor around ``data`` without checks (the ops' fast path)."""
        t = object.__new__(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        return t

    @property
    def _vc(self) -> _Version:
        """The version counter of this tensor's storage (shared with its views)."""
        vc = self._vc_
        if vc is None:
            vc = self._vc_ = _Version()
        return vc

    @_vc.setter
    def _vc(self, counter: _Version):
        self._vc_ = counter

    # -- storage and metadata ----------------------------------------------------------

    @property
    def data(self) -> "Tensor":
        """This tensor's values without its history (shares memory, as in PyTorch).

        Assigning a Tensor or an array replaces the values without recording anything.
        """
        return self.detach()

    @data.setter
    def data(self, value):
        arr = value._data if isinstance(value, Tensor) else value
        if not is_array(arr):
            arr = np.asarray(arr)
        self._data = arr

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the length of dim ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy(self._data.dtype)

    @property
    def device(self) -> Device:
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    # Devices and layouts NumpyFlow doesn't have: always False, as PyTorch answers for a
    # dense CPU or CUDA tensor.
    @property
    def is_mps(self) -> bool:
        return False

    @property
    def is_xpu(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None) -> "Tensor":
        """Self if already C-contiguous, else a contiguous copy (recorded for backward)."""
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    @property
    def _version(self) -> int:
        return self._vc.value

    # -- autograd metadata -------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Switch gradient tracking of a leaf tensor; returns self."""
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"requires_grad: only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        self._requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (leaves, or after ``retain_grad()``)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {tuple(value.shape)} "
                    f"vs. the tensor's {tuple(self.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype} vs. {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        """The op that made this tensor (None for leaves)."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded op."""
        return self._grad_fn is None

    @property
    def retains_grad(self) -> bool:
        fn = self._grad_fn
        return bool(fn is not None and fn._retained and self._output_nr in fn._retained)

    @property
    def output_nr(self) -> int:
        return self._output_nr

    def _accumulator(self):
        """The AccumulateGrad node of this leaf (kept alive by the graphs that use it)."""
        acc = self._acc() if self._acc is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._acc = weakref.ref(acc)
        return acc

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self._grad_fn
        if fn is None:
            return
        if fn._retained is None:
            fn._retained = {}
        fn._retained[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient.  Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            table = self._hooks
        else:
            fn = self._grad_fn
            if fn._tensor_hooks is None:
                fn._tensor_hooks = {}
            table = fn._tensor_hooks.setdefault(self._output_nr, {})
        return RemovableHandle(table, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time a backward has added a gradient into this leaf's
        ``.grad``.  Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = {}
        return RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph's leaves and add it
        into their ``.grad``.  A non-scalar tensor needs ``gradient`` (same shape)."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """The same values (shared memory) cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph in place: it becomes a leaf."""
        if self._is_view and self._grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def _copy_detached(self) -> "Tensor":
        return Tensor._make(self._data.copy())

    # -- conversion --------------------------------------------------------------------

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                "expected exactly one element"
            )
        return self._data.item() if isinstance(self._data, np.ndarray) else to_numpy(self._data).item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a numpy array (shares memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return to_numpy(self._data)

    def tolist(self):
        """The values as (nested) Python lists, or a number for a 0-d tensor."""
        return to_numpy(self._data).tolist()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """This tensor as a DLPack capsule (the array API's protocol): consumers such as
        ``torch.from_dlpack``, ``np.from_dlpack`` and ``nf.from_dlpack`` share its
        memory.  A tensor that requires grad is refused, as in PyTorch."""
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        kwargs = {"stream": stream} if stream is not None else {}
        for name, value in (("max_version", max_version), ("dl_device", dl_device), ("copy", copy)):
            if value is not None:
                kwargs[name] = value
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """``(device type, device index)`` in DLPack's numbering: ``(1, 0)`` on the CPU."""
        return self._data.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        arr = to_numpy(self._data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast and/or move: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``.

        Recorded for backward: the gradient comes back in the original dtype and device.
        """
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a._data.dtype, a.device
            elif isinstance(a, (str, Device)):
                device = a
            elif a is not None:
                dtype = a
        out = self
        if device is not None:
            out = _move(out, Device(device))
        if dtype is not None:
            out = _ops.cast(out, dtypes.to_numpy(dtype))
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None):
        """Without an argument, the type name (``'numpyflow.FloatTensor'``); else ``to(dtype)``."""
        if dtype is None:
            return f"numpyflow.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str):
            dtype = _TYPE_NAMES_INVERSE.get(dtype.rpartition(".")[2], dtype)
        return self.to(dtypes.to_numpy(dtype))

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
        """A new tensor from ``data`` with this tensor's dtype and device by default."""
        return _creation.tensor(
            data, dtype=dtype or self._data.dtype, device=device or self.device, requires_grad=requires_grad
        )

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _creation.zeros(
            *size, dtype=dtype or self._data.dtype, device=device or self.device, requires_grad=requires_grad
        )

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _creation.ones(
            *size, dtype=dtype or self._data.dtype, device=device or self.device, requires_grad=requires_grad
        )

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _creation.empty(
            *size, dtype=dtype or self._data.dtype, device=device or self.device, requires_grad=requires_grad
        )

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _creation.full(
            size, fill_value, dtype=dtype or self._data.dtype, device=device or self.device, requires_grad=requires_grad
        )

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other._data.dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def short(self):
        return self.to(np.int16)

    def bool(self):
        return self.to(np.bool_)

    def byte(self):
        return self.to(np.uint8)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(
            Device("cuda", device if isinstance(device, int) else None)
            if not isinstance(device, (str, Device))
            else device
        )

    # -- Python protocol -----------------------------------------------------------------

    def __repr__(self):
        prefix = "tensor("
        body = format_values(to_numpy(self._data), prefix)
        extras = []
        if self._data.size == 0 and self._data.ndim != 1:
            extras.append(f"size={tuple(self._data.shape)}")
        if self._data.dtype not in (dtypes.default_numpy_float(), np.dtype(np.int64), np.dtype(np.bool_)) or (
            self._data.size == 0 and self._data.dtype != dtypes.default_numpy_float()
        ):
            extras.append(f"dtype={self.dtype!r}")
        dev = self.device
        if dev.type != "cpu":
            extras.append(f"device='{dev}'")
        if self._grad_fn is not None:
            extras.append(f"grad_fn=<{self._grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return prefix + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            which = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {which} is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (to_numpy(self._data), self._requires_grad, str(self.device)))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment"
            )
        new = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy())
        if type(self) is not Tensor:
            new.__class__ = type(self)
        new.__dict__.update({k: copy.deepcopy(v, memo) for k, v in self.__dict__.items()})
        memo[id(self)] = new
        return new

    # -- indexing ------------------------------------------------------------------------

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.setitem(self, index, value)

    # -- in-place ------------------------------------------------------------------------

    def _check_inplace(self, other_requires_grad: bool, op: str) -> bool:
        """Whether the in-place ``op`` must be recorded for backward (raising where PyTorch
        would, or where a view's history would silently go stale)."""
        if not _state.enabled or not (self._requires_grad or other_requires_grad):
            return False
        if self._grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place "
                "operation. Do it under nf.no_grad(), or on a clone()."
            )
        if self._is_view or self._vc.has_graph_views:
            raise RuntimeError(
                f"{op}: in-place change of a tensor that shares memory with a view while recording "
                "gradients; the other tensors' history would go stale. Use the out-of-place op "
                "or clone() first."
            )
        return True

    def _adopt(self, out: "Tensor", op: str) -> "Tensor":
        """Make ``self`` the result ``out`` of an op on ``self`` (in place, recorded).

        The op's node may have saved ``self``'s current buffer for backward; that entry gets
        a copy of the old values before the buffer is overwritten.
        """
        node = out._grad_fn
        buf = self._data
        if node is not None and node._saved:
            for s in node._saved:
                if getattr(s, "array", None) is buf:
                    s.freeze()
        self._write(out._data, op, casting="same_kind")
        self._grad_fn = node
        self._output_nr = out._output_nr
        self._requires_grad = out._requires_grad
        if node is not None and node._retained and out._output_nr in node._retained:
            node._retained[out._output_nr] = weakref.ref(self)
        return self

    def _write(self, values, op: str, casting: str = "same_kind"):
        """Copy ``values`` (an array or number) into this tensor's buffer; bump its version.

        With ``casting="same_kind"`` a floating result can't land in an integer tensor, as
        in PyTorch's in-place ops (``copy_`` and assignment cast freely instead).
        """
        if casting == "same_kind":
            self._check_castable(dtypes.result_type(values), op)
        self._check_writeable(op)
        array_module(self._data).copyto(self._data, values, casting="unsafe")
        self._bump_version()

    def _bump_version(self):
        """Record that this tensor's values changed in place.  Every write below the
        Tensor API (``_write``, the in-place ufuncs, an op updating running statistics)
        ends here, so a value saved for backward notices it."""
        self._vc.value += 1

    def _check_castable(self, result_dtype, op: str):
        if not dtypes.can_cast(result_dtype, self._data.dtype):
            raise RuntimeError(
                f"{op}: result type {dtypes.from_numpy(result_dtype)} can't be cast to the "
                f"desired output type {self.dtype}"
            )

    def _check_writeable(self, op: str):
        if not self._data.flags.writeable:
            raise RuntimeError(
                f"{op}: this tensor's memory is read-only (an expanded or broadcast view); clone() it first"
            )

    def _inplace(self, op_name: str, fn, *args, **kwargs) -> "Tensor":
        """``self = fn(self, *args)`` in place: recorded when gradients need it, else
        computed without a graph and written into the buffer."""
        other_rg = any(isinstance(a, Tensor) and a._requires_grad for a in args)
        if self._check_inplace(other_rg, op_name):
            return self._adopt(fn(self, *args, **kwargs), op_name)
        with grad_mode.no_grad():
            out = fn(self, *args, **kwargs)
        self._write(out._data, op_name)
        return self

    def _binary_inplace(self, op_name, fn, ufunc_name, other, alpha=1):
        """``self = fn(self, other)`` in place; outside autograd one ufunc writes straight
        into the buffer (no temporary)."""
        if isinstance(other, np.generic):
            other = other.item()
        if alpha != 1:
            other = other * alpha
        other_rg = isinstance(other, Tensor) and other._requires_grad
        if self._check_inplace(other_rg, op_name):
            return self._adopt(fn(self, other), op_name)
        o = other._data if isinstance(other, Tensor) else other
        if not is_array(o) and not isinstance(o, (bool, int, float)):
            o = np.asarray(o)
        self._check_castable(dtypes.result_type(self._data, o), op_name)
        self._check_writeable(op_name)
        ufunc = getattr(array_module(self._data), ufunc_name)
        try:
            ufunc(self._data, o, out=self._data, casting="unsafe")
        except ValueError as e:
            raise RuntimeError(
                f"{op_name}: output shape {tuple(self.shape)} can't take the broadcast result ({e})"
            ) from None
        self._bump_version()
        return self

    def add_(self, other, *, alpha=1):
        """``self += alpha * other`` in place."""
        return self._binary_inplace("add_", _ops.add, "add", other, alpha)

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other`` in place."""
        if self._data.dtype == np.bool_ and isinstance(other, Tensor) and other._data.dtype == np.bool_:
            raise RuntimeError("sub_: subtraction with two bool tensors is not supported; use logical_xor")
        return self._binary_inplace("sub_", _ops.sub, "subtract", other, alpha)

    def mul_(self, other):
        """``self *= other`` in place."""
        return self._binary_inplace("mul_", _ops.mul, "multiply", other)

    def div_(self, other, *, rounding_mode=None):
        """``self /= other`` in place; ``rounding_mode`` 'trunc' or 'floor' as in ``div``."""
        if rounding_mode is not None:
            return self._inplace("div_", _ops.div, other, rounding_mode=rounding_mode)
        if self._data.dtype.kind in "iub":
            raise RuntimeError(f"div_: result type Float can't be cast to the desired output type {self.dtype}")
        return self._binary_inplace("div_", _ops.div, "divide", other)

    divide_ = div_

    def true_divide_(self, other):
        """``self /= other`` in place (true division)."""
        return self.div_(other)

    multiply_ = mul_

    def subtract_(self, other, *, alpha=1):
        """``self -= alpha * other`` in place."""
        return self.sub_(other, alpha=alpha)

    def pow_(self, exponent):
        return self._inplace("pow_", _ops.pow, exponent)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 * tensor2`` in place."""
        return self.add_(tensor1 * tensor2, alpha=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 / tensor2`` in place."""
        return self.add_(tensor1 / tensor2, alpha=value)

    def lerp_(self, end, weight):
        """``self += weight * (end - self)`` in place."""
        return self.add_((end - self) * weight)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", _ops.clamp, min, max)

    clip_ = clamp_

    def neg_(self):
        return self._inplace("neg_", _ops.neg)

    def abs_(self):
        return self._inplace("abs_", _ops.abs)

    def sqrt_(self):
        return self._inplace("sqrt_", _ops.sqrt)

    def exp_(self):
        return self._inplace("exp_", _ops.exp)

    def log_(self):
        return self._inplace("log_", _ops.log)

    def relu_(self):
        return self._inplace("relu_", _ops.relu)

    def sigmoid_(self):
        return self._inplace("sigmoid_", _ops.sigmoid)

    def tanh_(self):
        return self._inplace("tanh_", _ops.tanh)

    def _restride(self, op: str, fn, *args) -> "Tensor":
        """``self`` becomes the view ``fn(self, *args)`` of its own memory (``unsqueeze_``,
        ``t_``, ...): the values stay, the shape changes, and the version moves as in PyTorch."""
        record = _state.enabled and self._requires_grad
        if record and self._grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place "
                "operation. Do it under nf.no_grad(), or on a clone()."
            )
        had_views = self._vc.has_graph_views
        if record:
            out = fn(self, *args)
        else:
            with grad_mode.no_grad():
                out = fn(self, *args)
        self._vc.has_graph_views = had_views  # the temporary view is gone; self took its place
        self._data = out._data
        if record:
            self._grad_fn = out._grad_fn
            self._output_nr = out._output_nr
        self._bump_version()
        return self

    def unsqueeze_(self, dim):
        """Insert a size-1 dim at ``dim``, in place."""
        return self._restride("unsqueeze_", _ops.unsqueeze, dim)

    def squeeze_(self, dim=None):
        """Drop size-1 dims (all, or those in ``dim``), in place."""
        return self._restride("squeeze_", _ops.squeeze, dim)

    def t_(self):
        """Transpose a matrix (0-d and 1-d stay as they are), in place."""
        return self._restride("t_", _ops.t)

    def transpose_(self, dim0, dim1):
        """Swap dims ``dim0`` and ``dim1``, in place."""
        return self._restride("transpose_", _ops.transpose, dim0, dim1)

    swapaxes_ = transpose_
    swapdims_ = transpose_

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal (all dims equal for ndim > 2; ``wrap`` restarts it every
        ``ncols + 1`` rows of a tall matrix), as numpy's ``fill_diagonal``."""
        nd = self._data.ndim
        if nd < 2:
            raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got a {nd}-D tensor")
        if nd > 2 and len(set(self._data.shape)) != 1:
            raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got {self.shape}")
        mask = np.zeros(self._data.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        mask = to_device(mask, self.device)
        return self._inplace("fill_diagonal_", _ops.masked_fill, Tensor._make(mask), fill_value)

    def fill_(self, value):
        """Set every element to ``value`` (a number or a one-element tensor)."""
        if isinstance(value, Tensor) and value._requires_grad:
            self[...] = value
            return self
        if isinstance(value, Tensor):
            value = value.item()
        if self._check_inplace(False, "fill_"):
            self[...] = value
            return self
        self._data.fill(value)
        self._bump_version()
        return self

    def zero_(self):
        """Set every element to zero."""
        return self.fill_(0)

    def copy_(self, src, non_blocking=False):
        """Copy ``src``'s values (broadcast, cast) into this tensor."""
        if not isinstance(src, Tensor):
            src = as_tensor_arg(src)
        if self._check_inplace(src._requires_grad, "copy_"):
            self[...] = src
            return self
        arr = to_device(src._data, self.device)
        try:
            fits = np.broadcast_shapes(arr.shape, self._data.shape) == self._data.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"copy_: the source of shape {tuple(src.shape)} can't be broadcast to "
                f"the destination of shape {tuple(self.shape)}"
            )
        self._write(arr, "copy_", casting="unsafe")
        return self

    def _fill_random(self, op, sample):
        if self._check_inplace(False, op):
            self[...] = Tensor._make(sample)
            return self
        self._write(sample, op, casting="unsafe")
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std**2) from the seeded generator."""
        g = resolve(generator)
        return self._fill_random("normal_", g.normal(mean, std, self._data.shape, self._data.dtype, self.device))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with samples of U(a, b) from the seeded generator."""
        g = resolve(generator)
        return self._fill_random("uniform_", g.uniform(a, b, self._data.shape, self._data.dtype, self.device))

    def bernoulli_(self, p=0.5, *, generator=None):
        g = resolve(generator)
        sample = g.uniform(0.0, 1.0, self._data.shape, np.float64, self.device) < (
            p._data if isinstance(p, Tensor) else p
        )
        return self._fill_random("bernoulli_", sample)

    def random_(self, low=0, high=None, *, generator=None):
        if high is None:
            low, high = 0, low
        g = resolve(generator)
        return self._fill_random("random_", g.integers(low, high, self._data.shape, self.device))

    def _uniform_open(self, op, generator):
        """Samples of U(0, 1) in float64 for the transforms below (floating tensors only)."""
        if op != "geometric_" and self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}: expected a floating-point tensor, got {self.dtype}")
        return to_numpy(resolve(generator).uniform(0.0, 1.0, self._data.shape, np.float64))

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with samples of Exp(lambd) (density ``lambd * exp(-lambd * x)``)."""
        if lambd <= 0:
            raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
        u = self._uniform_open("exponential_", generator)
        return self._fill_random("exponential_", to_device(-np.log1p(-u) / lambd, self.device))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with samples of the Cauchy distribution at ``median`` with scale ``sigma``."""
        u = self._uniform_open("cauchy_", generator)
        return self._fill_random("cauchy_", to_device(median + sigma * np.tan(np.pi * (u - 0.5)), self.device))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with ``exp`` of samples of N(mean, std**2)."""
        if std <= 0:
            raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"log_normal_: expected a floating-point tensor, got {self.dtype}")
        sample = resolve(generator).normal(mean, std, self._data.shape, np.float64)
        return self._fill_random("log_normal_", to_device(np.exp(to_numpy(sample)), self.device))

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
        u = self._uniform_open("geometric_", generator)
        return self._fill_random("geometric_", to_device(np.ceil(np.log1p(-u) / np.log1p(-p)).clip(1), self.device))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # -- operators (each calls its op function) --------------------------------------------

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ops.bitwise_right_shift(other, self)

    def bitwise_left_shift_(self, other):
        """``self <<= other`` in place."""
        return self._inplace("bitwise_left_shift_", _ops.bitwise_left_shift, other)

    def bitwise_right_shift_(self, other):
        """``self >>= other`` in place."""
        return self._inplace("bitwise_right_shift_", _ops.bitwise_right_shift, other)

    __ilshift__ = bitwise_left_shift_
    __irshift__ = bitwise_right_shift_

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    @property
    def T(self) -> "Tensor":
        """All dims reversed."""
        return _ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of matrices transposed)."""
        if self._data.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor."
            )
        return _ops.transpose(self, -2, -1)

    @property
    def H(self) -> "Tensor":
        return self.T

    @property
    def mH(self) -> "Tensor":
        return self.mT


_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_TYPE_NAMES_INVERSE = {v: k for k, v in _TYPE_NAMES.items()}


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for ``x`` (Tensors pass through; arrays and numbers are wrapped; a Python
    number next to ``like`` takes the dtype PyTorch would compute in)."""
    if isinstance(x, Tensor):
        return x
    if is_array(x):
        return Tensor._make(x)
    if isinstance(x, np.generic):
        return Tensor._make(np.asarray(x))
    if isinstance(x, (bool, int, float)):
        if like is not None:
            xp = array_module(like._data)
            return Tensor._make(xp.asarray(x, dtype=dtypes.result_type(like._data, x)))
        return Tensor._make(np.asarray(x, dtype=dtypes.result_type(x)))
    return _creation.tensor(x)


def _rebuild(array, requires_grad, device):
    t = Tensor._make(to_device(array, Device(device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


# The one knot of the import graph: Tensor's methods call ops, creation functions and the
# engine's entry points, and those make Tensors.  They are bound here, once the class
# exists; numpyflow/__init__.py imports the autograd package first, so its Function base
# class is complete before any op module loads.
from . import autograd as _autograd  # noqa: E402
from . import creation as _creation  # noqa: E402
from . import ops as _ops  # noqa: E402
from .ops.device import move as _move  # noqa: E402

# Methods that are exactly the op function of the same name: ``x.exp()`` is ``ops.exp(x)``.
# Each op module declares its own in ``TENSOR_METHODS``; ``ops.TENSOR_METHODS`` gathers them.
for _name, _op in _ops.TENSOR_METHODS.items():
    setattr(Tensor, _name, _op)
del _name, _op


def _where_method(self, condition, y):
    """``x.where(condition, y)``: x where condition holds, else y."""
    return _ops.where(condition, self, y)


Tensor.where = _where_method


def _polygamma_method(self, n):
    """``x.polygamma(n)``: ``polygamma(n, x)``."""
    return _ops.polygamma(n, self)


Tensor.polygamma = _polygamma_method


# Out-of-place methods PyTorch has as compositions or aliases of existing ops.
def _clamp_min(self, min):
    """``clamp(min=min)``."""
    return _ops.clamp(self, min=min)


def _clamp_max(self, max):
    """``clamp(max=max)``."""
    return _ops.clamp(self, max=max)


def _frac(self):
    """The fractional part, ``x - trunc(x)`` (sign kept)."""
    return self - _ops.trunc(self)


def _expanded_index(self, dim, index, op):
    """``index`` (1-D) laid along ``dim`` and broadcast over the other dims of ``self``:
    ``index_copy``/``index_fill`` as a ``scatter``."""
    d = normalize_dim(dim, max(self._data.ndim, 1), op)
    idx = as_tensor_arg(index)._data.reshape(-1).astype(np.int64)
    if self._data.ndim == 0:
        return d, Tensor._make(idx.reshape(()) if idx.size == 1 else idx)
    shape = list(self._data.shape)
    shape[d] = idx.shape[0]
    view = [1] * len(shape)
    view[d] = -1
    xp = array_module(self._data)
    return d, Tensor._make(xp.broadcast_to(xp.asarray(idx).reshape(view), shape).copy())


def _index_copy(self, dim, index, source):
    """A copy of ``self`` with ``source``'s slices written at ``index`` along ``dim``."""
    d, idx = _expanded_index(self, dim, index, "index_copy")
    return _ops.scatter(self, d, idx, as_tensor_arg(source))


def _index_fill(self, dim, index, value):
    """A copy of ``self`` with ``value`` at the slices ``index`` along ``dim``."""
    d, idx = _expanded_index(self, dim, index, "index_fill")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"index_fill: only supports a 0-dimensional value tensor, got {value.dim()}-D")
        return _ops.scatter(self, d, idx, value.to(self.dtype).expand(*idx.shape))
    return _ops.scatter(self, d, idx, value=value)


def _put(self, index, source, accumulate=False):
    """A copy of ``self`` with ``source`` at the flat positions ``index`` (negative wrap)."""
    n = self.numel()
    idx = to_numpy(as_tensor_arg(index)._data).reshape(-1).astype(np.int64)
    if ((idx < -n) | (idx >= n)).any():
        raise IndexError(f"put: index out of range for a tensor of {n} elements")
    flat_idx = Tensor._make(to_device(idx % max(n, 1), self.device))
    src = as_tensor_arg(source).reshape(-1)
    flat = self.reshape(-1)
    out = _ops.scatter_add(flat, 0, flat_idx, src) if accumulate else _ops.scatter(flat, 0, flat_idx, src)
    return out.reshape(self.shape)


def _index_put(self, indices, values, accumulate=False):
    """A copy of ``self`` with ``values`` at ``self[indices]`` (summed in with ``accumulate``)."""
    indices = tuple(indices)
    pos = np.arange(self.numel(), dtype=np.int64).reshape(tuple(self.shape))
    picked = pos[tuple(to_numpy(i._data) if isinstance(i, Tensor) else i for i in indices)]
    values = as_tensor_arg(values, like=self)
    return _put(self, picked.reshape(-1), values.expand(*picked.shape), accumulate)


def _masked_scatter(self, mask, source):
    """A copy of ``self`` with ``source``'s leading elements, in order, where ``mask``
    (bool, broadcast) is True."""
    mask = as_tensor_arg(mask)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_: expected BoolTensor for mask, got {mask.dtype}")
    where = np.broadcast_to(to_numpy(mask._data), tuple(self.shape))
    k = int(where.sum())
    source = as_tensor_arg(source)
    if source.numel() < k:
        raise RuntimeError(f"masked_scatter: the mask selects {k} elements but source has only {source.numel()}")
    return _put(self, np.flatnonzero(where), source.reshape(-1)[:k])


for _name, _fn in {
    "clamp_min": _clamp_min,
    "clamp_max": _clamp_max,
    "frac": _frac,
    "fix": _ops.trunc,
    "greater_equal": _ops.ge,
    "less_equal": _ops.le,
    "not_equal": _ops.ne,
    "index_copy": _index_copy,
    "index_fill": _index_fill,
    "index_put": _index_put,
    "masked_scatter": _masked_scatter,
    "put": _put,
}.items():
    if _name not in Tensor.__dict__:  # an op module's own method wins
        setattr(Tensor, _name, _fn)


# In-place variants ``x.foo_(*args)`` of out-of-place methods ``x.foo(*args)``: the result
# is written back into ``x`` by ``Tensor._inplace`` (recorded for autograd when needed,
# leaf and view rules checked, the result's dtype checked against ``x``'s, version bumped).
_INPLACE_OF = (
    # unary math
    "absolute", "negative", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "acosh", "arccosh",
    "asinh", "arcsinh", "atanh", "arctanh", "cos", "sin", "tan", "cosh", "sinh", "ceil", "floor",
    "round", "trunc", "fix", "frac", "exp2", "expm1", "log10", "log1p", "log2", "rsqrt", "reciprocal",
    "sign", "square", "erf", "erfinv", "lgamma", "digamma", "polygamma", "bitwise_not", "logical_not",
    # binary math
    "atan2", "arctan2", "copysign", "fmod", "remainder", "floor_divide", "xlogy",
    "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or", "logical_xor",
    "clamp_min", "clamp_max",
    # comparisons (the result, 0 or 1, in x's dtype)
    "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal",
    # scans, triangles, scatters and masked writes
    "cumsum", "cumprod", "tril", "triu", "scatter", "scatter_add", "scatter_reduce", "index_add",
    "index_copy", "index_fill", "index_put", "masked_fill", "masked_scatter", "put",
    # pointwise ops, where present
    "sgn", "deg2rad", "rad2deg", "erfc", "i0", "sinc", "logit", "nan_to_num", "hypot", "float_power",
    "heaviside", "gcd", "lcm", "ldexp", "nextafter",
)  # fmt: skip


def _make_inplace(name):
    op = getattr(Tensor, name)
    inplace_name = name + "_"

    def method(self, *args, **kwargs):
        return self._inplace(inplace_name, op, *args, **kwargs)

    method.__name__ = method.__qualname__ = inplace_name
    method.__doc__ = f"``{name}`` in place: the result is written into this tensor, which is returned."
    return method


for _name in _INPLACE_OF:
    if hasattr(Tensor, _name) and _name + "_" not in Tensor.__dict__:
        setattr(Tensor, _name + "_", _make_inplace(_name))
del _name, _fn
