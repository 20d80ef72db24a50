"""Indexing with gradient: ``x[...]`` (basic, advanced, boolean and mixed), assignment,
gather/scatter and friends.  Each op's backward is its adjoint (a read's adjoint adds
into zeros, and the other way round)."""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, is_array, scatter_add as _scatter_add, to_device
from ..tensor import Tensor
from ._util import as_tensor_arg, normalize_dim, tensor_arg


# -- index expressions ---------------------------------------------------------------------

def _convert_item(item):
    if isinstance(item, Tensor):
        arr = item._data
        if arr.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors (got {item.dtype})")
        return arr
    if isinstance(item, slice):
        parts = [p.item() if isinstance(p, Tensor) else p for p in (item.start, item.stop, item.step)]
        if parts[2] is not None and parts[2] <= 0:
            raise ValueError("step must be greater than zero")
        return slice(*parts)
    if isinstance(item, (list, tuple)):
        arr = np.asarray([i.item() if isinstance(i, Tensor) and i.ndim == 0 else
                          (i.tolist() if isinstance(i, Tensor) else i) for i in item])
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iub":
            raise IndexError(f"index lists must hold ints or bools, got {arr.dtype}")
        return arr
    if item is None or item is Ellipsis or isinstance(item, (numbers.Integral, np.ndarray)):
        if isinstance(item, bool):
            return item
        return item
    if is_array(item):
        return item
    raise IndexError(f"only integers, slices, None, Ellipsis, and integer or boolean arrays/tensors "
                     f"are valid indices (got {type(item).__name__})")


def convert_index(index):
    """An index expression with Tensors and lists turned into arrays (numpy semantics,
    which are PyTorch's)."""
    if isinstance(index, tuple):
        return tuple(_convert_item(i) for i in index)
    return _convert_item(index)


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)) and not isinstance(i, bool)
               for i in items)


def _has_int_arrays(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(is_array(i) and i.dtype.kind in "iu" for i in items)


def _on_device(index, like):
    """Index arrays moved to the device of the indexed array."""
    if isinstance(like, np.ndarray):
        return index
    items = index if isinstance(index, tuple) else (index,)
    moved = tuple(to_device(i, like.device) if is_array(i) else i for i in items)  # pragma: no cover
    return moved if isinstance(index, tuple) else moved[0]  # pragma: no cover


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index):
        ctx.meta = (a.shape, index)
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        shape, index = ctx.meta
        return IndexAddInto.apply(grad, shape, index), None


class IndexAddInto(Function):
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices add up):
    the adjoint of reading ``x[index]``."""

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        xp = array_module(values)
        out = xp.zeros(shape, values.dtype)
        if _has_int_arrays(index):
            _scatter_add(xp, out, index, values)
        else:  # every position appears once: plain assignment
            out[index] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index), None, None


class IndexPut(Function):
    """A copy of ``a`` with ``a[index] = value``."""

    @staticmethod
    def forward(ctx, a, index, value):
        out = a.copy()
        out[index] = value
        ctx.meta = (index, np.shape(value))
        return out

    @staticmethod
    def backward(ctx, grad):
        index, value_shape = ctx.meta
        ga = IndexFillZero.apply(grad, index) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[2]:
            gv = GetItem.apply(grad, index)
            extra = len(value_shape) - gv.ndim
            if extra > 0:  # the value had leading size-1 dims that numpy dropped
                gv = gv.reshape((1,) * extra + tuple(gv.shape))
        return ga, None, gv


class IndexFillZero(Function):
    """A copy of ``a`` with zeros at ``index`` (its own adjoint)."""

    @staticmethod
    def forward(ctx, a, index):
        ctx.index = index
        out = a.copy()
        out[index] = 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexFillZero.apply(grad, ctx.index), None


class Select(GetItem):
    """``x[i]``: one integer index."""


class Slice(GetItem):
    """``x[a:b:c]`` and other basic indexing."""


class Index(GetItem):
    """Advanced (integer-array or boolean) indexing."""


def getitem(input, index):
    """``input[index]`` with numpy/PyTorch semantics, differentiable."""
    idx = _on_device(convert_index(index), input._data)
    if not _is_basic(idx):
        return Index.apply(input, idx)
    if isinstance(idx, int) and not isinstance(idx, bool):
        return Select.apply(input, idx)
    return Slice.apply(input, idx)


def setitem_functional(input, index, value):
    """A new tensor equal to ``input`` with ``[index] = value`` (recorded for backward)."""
    idx = _on_device(convert_index(index), input._data)
    if isinstance(value, Tensor):
        if value._data.dtype != input._data.dtype:
            value = value.to(input._data.dtype)
    elif not isinstance(value, numbers.Number):
        value = as_tensor_arg(value).to(input._data.dtype)
    return IndexPut.apply(input, idx, value)


def setitem(input, index, value):
    """``input[index] = value`` in place (what ``Tensor.__setitem__`` does)."""
    value_rg = isinstance(value, Tensor) and value._requires_grad
    if input._check_inplace(value_rg, "setitem"):
        input._adopt(setitem_functional(input, index, value), "setitem")
        return
    idx = _on_device(convert_index(index), input._data)
    if isinstance(value, Tensor):
        arr = value._data
    elif isinstance(value, (numbers.Number, np.generic)) or is_array(value):
        arr = value
    else:
        arr = as_tensor_arg(value)._data
    if not input._data.flags.writeable:
        raise RuntimeError("setitem: this tensor's memory is read-only (an expanded or broadcast view); clone() it first")
    try:
        input._data[idx] = arr
    except IndexError as e:
        raise IndexError(f"setitem: {e} (tensor shape {tuple(input._data.shape)})") from None
    except ValueError as e:
        raise RuntimeError(f"setitem: shape mismatch: value of shape {tuple(np.shape(arr))} cannot be "
                           f"broadcast to the indexed shape ({e})") from None
    input._vc.value += 1


# -- gather / scatter ---------------------------------------------------------------------

def _scatter_index(xp, index, dim):
    """Full index arrays addressing ``out[..., index[i, j, k], ...]`` along ``dim``."""
    grids = []
    for d, n in enumerate(index.shape):
        if d == dim:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grids.append(xp.arange(n).reshape(shape))
    return tuple(grids)


class Gather(Function):
    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.meta = (a.shape, dim)
        ctx.save_for_backward(index)
        xp = array_module(a)
        return a[_scatter_index(xp, index, dim)]

    @staticmethod
    def backward(ctx, grad):
        shape, dim = ctx.meta
        index, = ctx.saved_tensors
        zeros = Tensor._make(array_module(grad._data).zeros(shape, grad._data.dtype))
        return scatter_add(zeros, dim, index, grad), None, None


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, a, dim, index, src):
        xp = array_module(a)
        out = a.copy()
        src_part = src[tuple(slice(0, n) for n in index.shape)]
        _scatter_add(xp, out, _scatter_index(xp, index, dim), src_part)
        ctx.meta = (dim, src.shape)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, src_shape = ctx.meta
        index, = ctx.saved_tensors
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = _pad_to(gather(grad, dim, index), src_shape)
        return grad, None, None, gsrc


class Scatter(Function):
    """``out = a`` with ``out[..., index, ...] = src`` along ``dim`` (the last write wins)."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        xp = array_module(a)
        out = a.copy()
        full = _scatter_index(xp, index, dim)
        out[full] = src[tuple(slice(0, n) for n in index.shape)] if np.ndim(src) else src
        ctx.meta = (dim, np.shape(src), full)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, src_shape, full = ctx.meta
        index, = ctx.saved_tensors
        ga = IndexFillZero.apply(grad, full) if ctx.needs_input_grad[0] else None
        gsrc = _pad_to(gather(grad, dim, index), src_shape) if ctx.needs_input_grad[3] else None
        return ga, None, None, gsrc


def _pad_to(t, shape):
    """Zero-pad ``t`` at the end of each dim up to ``shape``."""
    if tuple(t.shape) == tuple(shape):
        return t
    from .shape import pad
    widths = []
    for have, want in reversed(list(zip(t.shape, shape))):
        widths += [0, want - have]
    return pad(t, widths)


def _check_gather_index(input, dim, index, op, src=None):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index (got {getattr(index, 'dtype', type(index).__name__)})")
    nd = input._data.ndim
    d = normalize_dim(dim, nd, op)
    if index._data.ndim != max(nd, 1) and not (nd == 0 and index._data.ndim <= 1):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(input {tuple(input._data.shape)}, index {tuple(index._data.shape)})")
    for i, (n, m) in enumerate(zip(index._data.shape, input._data.shape)):
        if i != d and n > m:
            raise RuntimeError(f"{op}(): Size does not match at dimension {i} expected index "
                               f"{tuple(index._data.shape)} to be smaller than self {tuple(input._data.shape)} "
                               f"apart from dimension {d}")
    if src is not None and isinstance(src, Tensor):
        for i, (n, m) in enumerate(zip(index._data.shape, src._data.shape)):
            if n > m:
                raise RuntimeError(f"{op}(): Expected index {tuple(index._data.shape)} to be smaller than "
                                   f"src {tuple(src._data.shape)}")
    if index._data.size:
        hi = int(index._data.max())
        lo = int(index._data.min())
        size = input._data.shape[d] if nd else 1
        if hi >= size or lo < 0:
            raise RuntimeError(f"{op}(): index {hi if hi >= size else lo} is out of bounds for dimension {d} "
                               f"with size {size}")
    return d


def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[index[i][j]][j]`` (for ``dim=0``), differentiable in ``input``."""
    d = _check_gather_index(input, dim, index, "gather")
    if input._data.ndim == 0:
        return input.reshape(index.shape) if index.numel() else input.reshape(0)
    return Gather.apply(input, d, index._data.astype(np.int64, copy=False))


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    d = _check_gather_index(input, dim, index, "scatter_add", src)
    src = tensor_arg(src, "scatter_add")
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return ScatterAdd.apply(input, d, index._data.astype(np.int64, copy=False), src)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if reduce == "add":
        return scatter_add(input, dim, index, src)
    if reduce is not None:
        raise NotImplementedError(f"scatter: reduce='{reduce}' is not supported")
    if src is None:
        src = value
    d = _check_gather_index(input, dim, index, "scatter", src)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            src = src.to(input._data.dtype)
    return Scatter.apply(input, d, index._data.astype(np.int64, copy=False), src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (other dims broadcast); with
    ``dim=None`` both are flattened first."""
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    nd = input._data.ndim
    d = normalize_dim(dim, nd, "take_along_dim")
    if indices._data.ndim != nd:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {nd} and {indices._data.ndim}")
    shape = list(np.broadcast_shapes(
        tuple(1 if i == d else s for i, s in enumerate(input._data.shape)),
        tuple(1 if i == d else s for i, s in enumerate(indices._data.shape))))
    in_shape = tuple(shape[:d] + [input._data.shape[d]] + shape[d + 1:])
    idx_shape = tuple(shape[:d] + [indices._data.shape[d]] + shape[d + 1:])
    from .shape import broadcast_to
    expanded = broadcast_to(input, in_shape)
    idx = Tensor._make(np.ascontiguousarray(np.broadcast_to(indices._data, idx_shape)).astype(np.int64, copy=False))
    return gather(expanded, d, idx)


def index_select(input, dim, index):
    """The entries of ``input`` at ``index`` (1-D) along ``dim``."""
    d = normalize_dim(dim, input._data.ndim, "index_select")
    index = tensor_arg(index, "index_select")
    if index._data.ndim > 1 or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"index_select(): index must be a 1-D integer tensor (got shape "
                           f"{tuple(index._data.shape)}, dtype {index.dtype})")
    if input._data.ndim == 0:
        return getitem(input.reshape(1), index._data.reshape(-1)).reshape(index._data.reshape(-1).shape)
    return getitem(input, (slice(None),) * d + (index._data.reshape(-1),))


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    d = normalize_dim(dim, input._data.ndim, "index_add")
    idx = (slice(None),) * d + (index._data.reshape(-1).astype(np.int64),)
    if alpha != 1:
        source = source * alpha
    return input + IndexAddInto.apply(source, tuple(input._data.shape), idx)


def masked_fill(input, mask, value):
    """``input`` with ``value`` where ``mask`` (bool, broadcast) is True."""
    from .elementwise import where
    mask = as_tensor_arg(mask)
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if not isinstance(value, Tensor):
        value = Tensor._make(array_module(input._data).asarray(value, dtype=input._data.dtype))
    elif value._data.dtype != input._data.dtype:
        value = value.to(input._data.dtype)
    out = where(mask, value, input)
    if tuple(out.shape) != tuple(input.shape):
        raise RuntimeError(f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to the input "
                           f"shape {tuple(input.shape)}")
    return out


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor."""
    from .shape import broadcast_tensors
    a, m = broadcast_tensors(input, as_tensor_arg(mask))
    return getitem(a, m._data)
