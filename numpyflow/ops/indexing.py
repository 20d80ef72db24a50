"""Indexing with gradient: ``x[...]`` (basic, advanced, boolean and mixed), assignment,
gather/scatter and friends.  Each op's backward is its adjoint (a read's adjoint adds
into zeros, and the other way round)."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Function
from ..backend import array_module, is_array, to_device
from ..backend import scatter_add as _scatter_add
from ..tensor import Tensor
from ._util import as_tensor_arg, normalize_dim, tensor_arg

__all__ = [
    "gather",
    "getitem",
    "index_add",
    "index_select",
    "masked_fill",
    "masked_select",
    "scatter",
    "scatter_add",
    "setitem",
    "setitem_functional",
    "take_along_dim",
]
# Also Tensor methods of the same name (``x.gather(1, i)`` is ``gather(x, 1, i)``): all but
# the item access that ``Tensor.__getitem__`` and ``__setitem__`` call.
TENSOR_METHODS = tuple(name for name in __all__ if name not in ("getitem", "setitem", "setitem_functional"))


# -- index expressions ---------------------------------------------------------------------


def _convert_item(item):
    """One index item with Tensors and lists turned into arrays; 0-d integer tensors act
    as ints, as in PyTorch."""
    if isinstance(item, Tensor):
        item = item._data
        if item.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors (got {item.dtype})")
    if isinstance(item, slice):
        parts = [p.item() if isinstance(p, Tensor) else p for p in (item.start, item.stop, item.step)]
        if parts[2] is not None and parts[2] <= 0:
            raise ValueError("step must be greater than zero")
        return slice(*parts)
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, bool):
        return np.asarray(item)
    if isinstance(item, numbers.Integral):
        return int(item)
    if isinstance(item, range):  # a sequence of ints, as PyTorch reads it
        return np.arange(item.start, item.stop, item.step, dtype=np.int64)
    if isinstance(item, (list, tuple)):
        item = np.asarray(
            [
                i.item() if isinstance(i, Tensor) and i.ndim == 0 else (i.tolist() if isinstance(i, Tensor) else i)
                for i in item
            ]
        )
        if item.size == 0:
            item = item.astype(np.int64)
    if is_array(item):
        if item.dtype.kind not in "iub":
            raise IndexError(f"indices must be integers or booleans, got {item.dtype}")
        if item.ndim == 0 and item.dtype.kind in "iu":
            return int(item)
        return item
    raise IndexError(
        f"only integers, slices, None, Ellipsis, and integer or boolean arrays/tensors "
        f"are valid indices (got {type(item).__name__})"
    )


class Index:
    """A PyTorch index expression as two numpy steps: a ``basic`` view (ints, slices,
    None) and then ``advanced`` indexing (integer and boolean arrays) of that view.

    Two steps, because PyTorch applies ints and None before the arrays: ``x[0, :, idx]``
    is ``x[0][:, idx]`` in PyTorch, while numpy would treat the 0 as one more array.
    ``advanced`` is None when the expression has no arrays.
    """

    __slots__ = ("basic", "advanced")

    def __init__(self, basic, advanced):
        self.basic = basic
        self.advanced = advanced

    @property
    def scatters(self) -> bool:
        """True when positions may repeat (integer arrays), so writes must accumulate."""
        return self.advanced is not None and any(is_array(i) and i.dtype.kind in "iu" for i in self.advanced)

    @property
    def is_select(self) -> bool:
        return self.advanced is None and len(self.basic) == 1 and isinstance(self.basic[0], int)

    def _view(self, a):
        return a[self.basic] if self.basic else a

    def read(self, a):
        view = self._view(a)
        return view if self.advanced is None else view[self.advanced]

    def write(self, a, value):
        """``a[index] = value`` in place."""
        if self.advanced is None:
            a[self.basic] = value
        else:
            self._view(a)[self.advanced] = value

    def add(self, a, value):
        """``a[index] += value`` in place, repeated positions adding up."""
        if self.scatters:
            _scatter_add(array_module(a), self._view(a), self.advanced, value)
        else:
            self.write(a, value)


def _plain(item) -> bool:
    """An int, or a slice with a positive (or no) step: numpy and PyTorch agree on these."""
    t = type(item)
    return t is int or (t is slice and (item.step is None or (type(item.step) is int and item.step > 0)))


def parse_index(index, ndim: int) -> Index:
    """The two-step plan for ``index`` (any PyTorch index expression) on ``ndim`` dims."""
    items = index if type(index) is tuple else (index,)
    if all(_plain(i) for i in items):  # the common case, e.g. x[1, 0] or x[:, 2:5]
        return Index(items, None)
    items = [_convert_item(i) for i in items]
    if not any(is_array(i) for i in items):
        return Index(tuple(items), None)
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(i.ndim if is_array(i) and i.dtype == np.bool_ else (i is not None) for i in items if i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, advanced = [], []
    for item in items:
        if item is Ellipsis:
            basic += [slice(None)] * (ndim - used)
            advanced += [slice(None)] * (ndim - used)
        elif item is None or isinstance(item, slice):
            basic.append(item)
            advanced.append(slice(None))
        elif isinstance(item, int):
            basic.append(item)  # a select: its dim is gone before the arrays apply
        elif item.dtype == np.bool_:
            basic += [slice(None)] * item.ndim
            advanced.append(item)
        else:
            basic.append(slice(None))
            advanced.append(item)
    if all(b == slice(None) for b in basic):
        basic = []
    else:
        basic.append(Ellipsis)  # keeps a 0-d result a view (a[0] of a 1-d array is a scalar)
    return Index(tuple(basic), tuple(advanced))


def _on_device(index: Index, like) -> Index:
    """Index arrays moved to the device of the indexed array."""
    if isinstance(like, np.ndarray) or index.advanced is None:
        return index
    moved = tuple(to_device(i, like.device) if is_array(i) else i for i in index.advanced)  # pragma: no cover
    return Index(index.basic, moved)  # pragma: no cover


class GetItem(Function):
    @staticmethod
    def forward(ctx, a, index):
        ctx.meta = (a.shape, index)
        return index.read(a)

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
        out = array_module(values).zeros(shape, values.dtype)
        index.add(out, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, ctx.index), None, None


def _drop_leading_ones(value):
    """PyTorch accepts a value with extra leading size-1 dims in assignment; numpy does
    not when the target has fewer dims."""
    if is_array(value) and value.ndim and value.shape[0] == 1:
        n = 0
        while n < value.ndim and value.shape[n] == 1:
            n += 1
        return value.reshape(value.shape[n:])
    return value


class IndexPut(Function):
    """A copy of ``a`` with ``a[index] = value``."""

    @staticmethod
    def forward(ctx, a, index, value):
        out = a.copy()
        index.write(out, _drop_leading_ones(value))
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
            if extra > 0:  # the value had leading size-1 dims
                gv = gv.reshape((1,) * extra + tuple(gv.shape))
        return ga, None, gv


class IndexFillZero(Function):
    """A copy of ``a`` with zeros at ``index`` (its own adjoint)."""

    @staticmethod
    def forward(ctx, a, index):
        ctx.index = index
        out = a.copy()
        index.write(out, 0)
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexFillZero.apply(grad, ctx.index), None


class Select(GetItem):
    """``x[i]``: one integer index."""


class Slice(GetItem):
    """``x[a:b:c]`` and other basic indexing."""


class AdvancedIndex(GetItem):
    """Indexing with integer or boolean arrays."""

    _public_name = "Index"


def _parse(input, index) -> Index:
    return _on_device(parse_index(index, input._data.ndim), input._data)


def getitem(input, index):
    """``input[index]`` with PyTorch's semantics, differentiable."""
    idx = _parse(input, index)
    if idx.advanced is not None:
        return AdvancedIndex.apply(input, idx)
    return (Select if idx.is_select else Slice).apply(input, idx)


def setitem_functional(input, index, value):
    """A new tensor equal to ``input`` with ``[index] = value`` (recorded for backward)."""
    idx = _parse(input, index)
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
    idx = _parse(input, index)
    if isinstance(value, Tensor):
        arr = value._data
    elif isinstance(value, (numbers.Number, np.generic)) or is_array(value):
        arr = value
    else:
        arr = as_tensor_arg(value)._data
    input._check_writeable("setitem")
    try:
        idx.write(input._data, _drop_leading_ones(arr))
    except IndexError as e:
        raise IndexError(f"setitem: {e} (tensor shape {tuple(input._data.shape)})") from None
    except ValueError as e:
        raise RuntimeError(
            f"setitem: shape mismatch: value of shape {tuple(np.shape(arr))} cannot be "
            f"broadcast to the indexed shape ({e})"
        ) from None
    input._bump_version()


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
        (index,) = ctx.saved_tensors
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
        (index,) = ctx.saved_tensors
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
        (index,) = ctx.saved_tensors
        ga = IndexFillZero.apply(grad, Index((), full)) if ctx.needs_input_grad[0] else None
        gsrc = _pad_to(gather(grad, dim, index), src_shape) if ctx.needs_input_grad[3] else None
        return ga, None, None, gsrc


def _multiply_at(xp, out, index, values, passes=False):
    """``out[index] *= values`` where repeated indices multiply up (``np.multiply.at``).
    Array modules without ``multiply.at`` (CuPy), or ``passes=True``, take one pass per
    occurrence: pass r multiplies in the r-th value of every target, so no pass repeats a
    target."""
    if xp is np and not passes:
        np.multiply.at(out, index, values)
        return
    grids = xp.broadcast_arrays(*index)
    flat = xp.ravel_multi_index(tuple(g.ravel() for g in grids), out.shape)
    vals = xp.broadcast_to(values, grids[0].shape).ravel()
    if flat.size == 0:
        return
    order = xp.argsort(flat, kind="stable")
    flat, vals = flat[order], vals[order]
    first = xp.ones(flat.shape, bool)
    first[1:] = flat[1:] != flat[:-1]
    run = xp.cumsum(first) - 1
    rank = xp.arange(flat.size) - xp.flatnonzero(first)[run]
    target = out.reshape(-1)  # ``out`` is a fresh contiguous copy: a view
    for r in range(int(rank.max()) + 1):
        sel = rank == r
        target[flat[sel]] *= vals[sel]


class ScatterMultiply(Function):
    """``out = a`` with the ``src`` entries multiplied in at ``index`` along ``dim``:
    ``out[p] = a[p] * P[p]``, ``P[p]`` the product of the entries sent to ``p``."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        xp = array_module(a)
        out = a.copy()
        src_part = src[tuple(slice(0, n) for n in index.shape)]
        _multiply_at(xp, out, _scatter_index(xp, index, dim), src_part)
        ctx.meta = (dim, src.shape)
        ctx.save_for_backward(a, index, src)
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, src_shape = ctx.meta
        a, index, src = ctx.saved_tensors
        xp = array_module(grad._data)
        ones = Tensor._make(xp.ones(a.shape, grad._data.dtype))
        ga = gsrc = None
        if ctx.needs_input_grad[0]:
            ga = grad * ScatterMultiply.apply(ones, dim, index._data, src)
        if ctx.needs_input_grad[3]:
            # d out[p] / d src_k = a[p] * (the product of the other entries sent to p)
            part = src[tuple(slice(0, n) for n in index.shape)]
            others = ScatterProductOfOthers.apply(part, dim, index._data, tuple(a.shape))
            gsrc = _pad_to(gather(grad * a, dim, index) * others, src_shape)
        return ga, None, None, gsrc


class ScatterProductOfOthers(Function):
    """For each entry ``k`` of ``src`` sent to position ``p``: the product of the other
    entries sent to ``p`` (``scatter(reduce='multiply')``'s derivative in ``src``): the
    product of the non-zero ones divided by ``src_k``, or, when ``src_k`` is the only zero
    sent there, the product of the rest.  Its own derivative is not written."""

    @staticmethod
    def forward(ctx, part, dim, index, shape):
        xp = array_module(part)
        grids = _scatter_index(xp, index, dim)
        zero = part == 0
        nonzero = xp.where(zero, 1, part)
        product = xp.ones(shape, part.dtype)
        _multiply_at(xp, product, grids, nonzero)
        zeros = xp.zeros(shape, np.int64)
        _scatter_add(xp, zeros, grids, zero.astype(np.int64))
        product, zeros = product[grids], zeros[grids]
        return xp.where(zero, xp.where(zeros == 1, product, 0), xp.where(zeros == 0, product / nonzero, 0))

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "scatter(reduce='multiply'): the second derivative with respect to src is not implemented "
            "(the first derivative is; PyTorch has neither)"
        )


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
        raise RuntimeError(
            f"{op}(): Expected dtype int64 for index (got {getattr(index, 'dtype', type(index).__name__)})"
        )
    nd = input._data.ndim
    d = normalize_dim(dim, nd, op)
    if index._data.ndim != max(nd, 1) and not (nd == 0 and index._data.ndim <= 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as input tensor "
            f"(input {tuple(input._data.shape)}, index {tuple(index._data.shape)})"
        )
    for i, (n, m) in enumerate(zip(index._data.shape, input._data.shape)):
        if i != d and n > m:
            raise RuntimeError(
                f"{op}(): Size does not match at dimension {i} expected index "
                f"{tuple(index._data.shape)} to be smaller than self {tuple(input._data.shape)} "
                f"apart from dimension {d}"
            )
    if src is not None and isinstance(src, Tensor):
        for n, m in zip(index._data.shape, src._data.shape):
            if n > m:
                raise RuntimeError(
                    f"{op}(): Expected index {tuple(index._data.shape)} to be smaller than src {tuple(src._data.shape)}"
                )
    if index._data.size:
        hi = int(index._data.max())
        lo = int(index._data.min())
        size = input._data.shape[d] if nd else 1
        if hi >= size or lo < 0:
            raise RuntimeError(
                f"{op}(): index {hi if hi >= size else lo} is out of bounds for dimension {d} with size {size}"
            )
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
    if input._data.ndim == 0:  # as a 1-element vector
        return scatter_add(input.reshape(1), 0, index.reshape(-1), src.reshape(-1)).reshape(())
    if src._data.dtype != input._data.dtype:
        src = src.to(input._data.dtype)
    return ScatterAdd.apply(input, d, index._data.astype(np.int64, copy=False), src)


_SCATTER_REDUCES = ("add", "multiply")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor, or a number: ``value``) written at
    ``index`` along ``dim``; with ``reduce='add'`` or ``'multiply'`` the entries are added
    to or multiplied into the ones there (repeated indices accumulate)."""
    if src is None and value is None:
        raise TypeError("scatter(): expected src (a Tensor) or value (a number) after index, got neither")
    if src is not None and value is not None:
        raise TypeError("scatter(): expected src (a Tensor) or value (a number), got both")
    if reduce is not None and reduce not in _SCATTER_REDUCES:
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply (got reduce={reduce!r})")
    if src is None:
        src = value
    d = _check_gather_index(input, dim, index, "scatter", src)
    if input._data.ndim == 0:  # as a 1-element vector
        flat_src = src.reshape(-1) if isinstance(src, Tensor) else src
        out = scatter(input.reshape(1), 0, index.reshape(-1), flat_src, reduce=reduce)
        return out.reshape(())
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            src = src.to(input._data.dtype)
    idx = index._data.astype(np.int64, copy=False)
    if reduce is None:
        return Scatter.apply(input, d, idx, src)
    if not isinstance(src, Tensor):  # a number: one per index entry, in the input's dtype
        src = Tensor._make(array_module(input._data).full(index._data.shape, src, dtype=input._data.dtype))
    if reduce == "add":
        return ScatterAdd.apply(input, d, idx, src)
    return ScatterMultiply.apply(input, d, idx, src)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (other dims broadcast); with
    ``dim=None`` both are flattened first."""
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    nd = input._data.ndim
    d = normalize_dim(dim, nd, "take_along_dim")
    if indices._data.ndim != nd:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {nd} and {indices._data.ndim}"
        )
    shape = list(
        np.broadcast_shapes(
            tuple(1 if i == d else s for i, s in enumerate(input._data.shape)),
            tuple(1 if i == d else s for i, s in enumerate(indices._data.shape)),
        )
    )
    in_shape = tuple(shape[:d] + [input._data.shape[d]] + shape[d + 1 :])
    idx_shape = tuple(shape[:d] + [indices._data.shape[d]] + shape[d + 1 :])
    from .shape import broadcast_to

    expanded = broadcast_to(input, in_shape)
    idx = np.ascontiguousarray(np.broadcast_to(indices._data, idx_shape)).astype(np.int64)
    size = input._data.shape[d]
    idx = Tensor._make(np.where(idx < 0, idx + size, idx))  # negative indices wrap, as in PyTorch
    return gather(expanded, d, idx)


def index_select(input, dim, index):
    """The entries of ``input`` at ``index`` (1-D) along ``dim``."""
    d = normalize_dim(dim, input._data.ndim, "index_select")
    index = tensor_arg(index, "index_select")
    if index._data.ndim > 1 or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"index_select(): index must be a 1-D integer tensor (got shape "
            f"{tuple(index._data.shape)}, dtype {index.dtype})"
        )
    if input._data.ndim == 0:  # PyTorch keeps a 0-d input 0-d (the index holds one 0)
        return getitem(input.reshape(1), index._data.reshape(-1)).reshape(())
    return getitem(input, (slice(None),) * d + (index._data.reshape(-1),))


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    from .elementwise import wrap_int

    if input._data.ndim == 0:  # as a 1-element vector, then back to 0-d
        source = source.reshape(-1) if isinstance(source, Tensor) else source
        return index_add(input.reshape(1), dim, index, source, alpha=alpha).reshape(())
    d = normalize_dim(dim, input._data.ndim, "index_add")
    alpha = wrap_int(alpha, input._data.dtype)
    idx = parse_index((slice(None),) * d + (index._data.reshape(-1).astype(np.int64),), input._data.ndim)
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
        raise RuntimeError(
            f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    if not isinstance(value, Tensor):
        value = Tensor._make(array_module(input._data).asarray(value, dtype=input._data.dtype))
    elif value._data.dtype != input._data.dtype:
        value = value.to(input._data.dtype)
    return where(mask, value, input)  # out of place, a wider mask widens the result (PyTorch's)


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor."""
    from .shape import broadcast_tensors

    a, m = broadcast_tensors(input, as_tensor_arg(mask))
    return getitem(a, m._data)
