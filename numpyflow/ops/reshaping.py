"""More of PyTorch's shape and copy-with-a-change ops: ``rot90``, ``ravel``, ``select``,
``take``, ``diagflat``, the ``h/v/dsplit``s, ``split_with_sizes``, the ``*_scatter`` ops,
``index_copy``, ``index_fill``, ``narrow_copy``, ``atleast_*d``, the ``*stack`` joins and
``block_diag``.

Each is an exact composition of differentiable ops (views, ``getitem``,
``setitem_functional``, ``cat``, ``pad``), so gradients and second derivatives come from
those ops."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from ._util import normalize_dim, tensor_arg
from .construction import diag
from .indexing import getitem, setitem_functional
from .shape import cat, flip, movedim, narrow, pad, split, tensor_split, transpose, vstack

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "block_diag",
    "column_stack",
    "diagflat",
    "diagonal_scatter",
    "dsplit",
    "dstack",
    "hsplit",
    "index_copy",
    "index_fill",
    "masked_scatter",
    "narrow_copy",
    "ravel",
    "rot90",
    "row_stack",
    "select",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "take",
    "vsplit",
]
# Also Tensor methods of the same name, as in PyTorch.
TENSOR_METHODS = (
    "diagflat",
    "diagonal_scatter",
    "dsplit",
    "hsplit",
    "index_copy",
    "index_fill",
    "masked_scatter",
    "narrow_copy",
    "ravel",
    "rot90",
    "select",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "take",
    "vsplit",
)


def _int(x):
    return int(x.item()) if isinstance(x, Tensor) else int(x)


def _same_dtype_as(src, input, op):
    src = tensor_arg(src, op)
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}: expected src to have the same dtype as self, but got {src.dtype} and {input.dtype}")
    return src


def _check_src_shape(src, expected, op):
    if tuple(src._data.shape) != tuple(expected):
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self, {tuple(expected)}, but got {tuple(src._data.shape)}"
        )


# -- views and reorders -----------------------------------------------------------------------


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards the second."""
    input = tensor_arg(input, "rot90")
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = (normalize_dim(d, nd, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = k % 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    return input.clone()


def ravel(input):
    """The elements as a 1-D tensor."""
    return tensor_arg(input, "ravel").reshape(-1)


def select(input, dim, index):
    """The slice at ``index`` along ``dim`` (that dim removed)."""
    input = tensor_arg(input, "select")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, nd, "select")
    n = input._data.shape[d]
    i = _int(index)
    if not -n <= i < n:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {tuple(input._data.shape)} at dimension {d}"
        )
    return getitem(input, (slice(None),) * d + (i % n,))


def take(input, index):
    """The elements of the flattened ``input`` at ``index`` (any shape; the result takes it)."""
    input = tensor_arg(input, "take")
    index = tensor_arg(index, "take")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype}")
    n = input._data.size
    idx = index._data
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take(): index out of range for tensor of size {tuple(input._data.shape)} ({n} elements)")
    return getitem(input.reshape(-1), idx)


def diagflat(input, offset=0):
    """The flattened ``input`` as the ``offset`` diagonal of a square matrix."""
    return diag(tensor_arg(input, "diagflat").reshape(-1), int(offset))


def narrow_copy(input, dim, start, length):
    """``narrow``'s slice, as a new tensor."""
    return narrow(tensor_arg(input, "narrow_copy"), dim, start, length).clone()


# -- splits -----------------------------------------------------------------------------------


def _nsplit(input, sections, dim, op, min_dims):
    input = tensor_arg(input, op)
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(
            f"torch.{op} requires a tensor with at least {min_dims} dimension, but got a tensor with {nd} dimensions!"
        )
    if isinstance(sections, numbers.Integral):
        n = input._data.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(
                f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension {n} "
                f"is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for a 1-D tensor)."""
    nd = tensor_arg(input, "hsplit")._data.ndim
    return _nsplit(input, indices_or_sections, 1 if nd > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-D)."""
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-D)."""
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(input, split_sizes, dim=0):
    """Pieces of the listed sizes along ``dim`` (they must add up to its size)."""
    return tuple(split(tensor_arg(input, "split_with_sizes"), [int(s) for s in split_sizes], dim))


# -- copies with a part replaced ----------------------------------------------------------------


def select_scatter(input, src, dim, index):
    """``input`` with the slice at ``index`` along ``dim`` replaced by ``src``."""
    input = tensor_arg(input, "select_scatter")
    src = _same_dtype_as(src, input, "select_scatter")
    part = select(input, dim, index)
    _check_src_shape(src, part._data.shape, "select_scatter")
    d = normalize_dim(dim, input._data.ndim, "select_scatter")
    i = _int(index) % input._data.shape[d]
    return setitem_functional(input, (slice(None),) * d + (i,), src)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src``."""
    input = tensor_arg(input, "slice_scatter")
    src = _same_dtype_as(src, input, "slice_scatter")
    d = normalize_dim(dim, input._data.ndim, "slice_scatter")
    if step is None:
        step = 1
    if int(step) <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    index = (slice(None),) * d + (slice(start, end, int(step)),)
    _check_src_shape(src, getitem(input.detach(), index)._data.shape, "slice_scatter")
    return setitem_functional(input, index, src)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``offset`` diagonal over ``(dim1, dim2)`` replaced by ``src``
    (shaped as ``diagonal``'s result: the diagonal last)."""
    input = tensor_arg(input, "diagonal_scatter")
    src = _same_dtype_as(src, input, "diagonal_scatter")
    expected = input.detach().diagonal(offset, dim1, dim2)._data.shape
    _check_src_shape(src, expected, "diagonal_scatter")
    nd = input._data.ndim
    d1 = normalize_dim(dim1, nd, "diagonal_scatter")
    d2 = normalize_dim(dim2, nd, "diagonal_scatter")
    moved = movedim(input, (d1, d2), (nd - 2, nd - 1))  # the two dims last: the index keeps its place
    length = expected[-1]
    i = np.arange(length)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out = setitem_functional(moved, (Ellipsis, rows, cols), src)
    return movedim(out, (nd - 2, nd - 1), (d1, d2))


def masked_scatter(input, mask, source):
    """``input`` with the elements where ``mask`` (bool, broadcast) is True taken from
    ``source`` in order."""
    from .shape import broadcast_tensors

    input = tensor_arg(input, "masked_scatter")
    mask = tensor_arg(mask, "masked_scatter")
    source = tensor_arg(source, "masked_scatter")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got {input.dtype} and {source.dtype}"
        )
    input, mask = broadcast_tensors(input, mask)
    m = mask._data
    count = int(m.sum())
    if count > source._data.size:
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {count} elements, got {source._data.size}"
        )
    return setitem_functional(input, m, source.reshape(-1)[:count])


def _index_arg(index, op):
    index = tensor_arg(index, op)
    if index._data.ndim > 1 or index._data.dtype != np.int64:
        raise IndexError(
            f"{op}(): Expected a 0-D or 1-D long tensor for index, but got {index.dtype} of {index._data.ndim} dims"
        )
    return index._data.reshape(-1)


def index_copy(input, dim, index, source):
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    input = tensor_arg(input, "index_copy")
    source = _same_dtype_as(source, input, "index_copy")
    idx = _index_arg(index, "index_copy")
    if input._data.ndim == 0:  # as a 1-element vector, then back to 0-d
        return index_copy(input.reshape(1), dim, index, source.reshape(-1)).reshape(())
    d = normalize_dim(dim, input._data.ndim, "index_copy")
    expected = list(input._data.shape)
    expected[d] = idx.size
    if source._data.ndim == 0 and idx.size == 1 and input._data.ndim == 1:
        source = source.reshape(1)
    if source._data.ndim == len(expected) and source._data.shape[d] != idx.size:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({source._data.shape[d]})"
        )
    if tuple(source._data.shape) != tuple(expected):
        raise RuntimeError(
            f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape "
            f"{tuple(expected)}, source {tuple(source._data.shape)}"
        )
    n = input._data.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index_copy_(): index out of range for dimension {d} of size {n}")
    return setitem_functional(input, (slice(None),) * d + (idx,), source)


def index_fill(input, dim, index, value):
    """``input`` with ``value`` (a number or a 0-d tensor) at ``index`` along ``dim``."""
    input = tensor_arg(input, "index_fill")
    idx = _index_arg(index, "index_fill")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s)."
            )
        if value._data.dtype != input._data.dtype:
            value = value.to(input._data.dtype)
    elif not isinstance(value, numbers.Number):
        raise TypeError(f"index_fill(): value must be a number or a 0-d tensor, got {type(value).__name__}")
    if input._data.ndim == 0:
        return index_fill(input.reshape(1), dim, index, value).reshape(())
    d = normalize_dim(dim, input._data.ndim, "index_fill")
    n = input._data.shape[d]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index_fill_(): index out of range for dimension {d} of size {n}")
    idx = np.unique(idx % n) if n else idx  # a repeated index fills once (and sends value's gradient once)
    return setitem_functional(input, (slice(None),) * d + (idx,), value)


# -- at least n dims and joins ----------------------------------------------------------------


def _atleast(tensors, fn, op):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(tensor_arg(t, op)) for t in tensors[0])
    out = tuple(fn(tensor_arg(t, op)) for t in tensors)
    return out[0] if len(out) == 1 else out


def _1d(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def _2d(t):
    return t.reshape(1, -1) if t._data.ndim < 2 else t


def _3d(t):
    nd = t._data.ndim
    if nd == 0:
        return t.reshape(1, 1, 1)
    if nd == 1:
        return t.reshape(1, -1, 1)
    if nd == 2:
        return t.unsqueeze(-1)
    return t


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes shape ``(1,)``)."""
    return _atleast(tensors, _1d, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (leading size-1 dims added)."""
    return _atleast(tensors, _2d, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: ``(N,)`` becomes ``(1, N, 1)``, ``(M, N)`` ``(M, N, 1)``."""
    return _atleast(tensors, _3d, "atleast_3d")


def _tensor_seq(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple of Tensors, not Tensor")
    tensors = [tensor_arg(t, op) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return tensors


def column_stack(tensors):
    """Join along dim 1, 0-d and 1-D tensors as columns."""
    tensors = _tensor_seq(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t._data.ndim < 2 else t for t in tensors], 1)


def row_stack(tensors):
    """``vstack`` (its deprecated alias)."""
    return vstack(_tensor_seq(tensors, "row_stack"))


def dstack(tensors):
    """Join along dim 2, after ``atleast_3d``."""
    tensors = _tensor_seq(tensors, "dstack")
    return cat([_3d(t) for t in tensors], 2)


def block_diag(*tensors):
    """The tensors (0-d, 1-D as a row, or 2-D) as blocks along the diagonal of a matrix, zeros elsewhere."""
    blocks = []
    for i, t in enumerate(tensors):
        t = tensor_arg(t, "block_diag")
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t._data.ndim} dimensions"
            )
        blocks.append(_2d(t) if t._data.ndim else t.reshape(1, 1))
    if not blocks:
        return Tensor._make(np.zeros((1, 0), dtypes.get_default_dtype().numpy))
    dtype = dtypes.result_type(*(b._data for b in blocks))
    blocks = [b if b._data.dtype == dtype else b.to(dtype) for b in blocks]
    width = sum(b._data.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        w = b._data.shape[1]
        rows.append(pad(b, (left, width - left - w)))
        left += w
    return cat(rows, 0)
