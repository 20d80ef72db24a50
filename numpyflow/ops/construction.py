"""Tensors built from others: ``meshgrid``, ``cartesian_prod``, ``diag``, ``diag_embed``,
``repeat_interleave`` and ``unfold`` (``Tensor.unfold(dimension, size, step)``, the
sliding windows along one dim; PyTorch has it as a Tensor method only, the im2col
``nn.functional.unfold`` being another op).

``meshgrid``, ``cartesian_prod``, ``diag`` of a matrix and ``repeat_interleave`` are
compositions of view and indexing ops, as in PyTorch, so their gradients come from
those; ``diag_embed`` and ``unfold`` are Functions of their own whose backward is the
other's adjoint (a diagonal read; windows added back into place).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from ._util import normalize_dim, tensor_arg
from .indexing import index_select
from .shape import diagonal as diagonal_of
from .shape import expand, reshape, stack

__all__ = ["cartesian_prod", "diag", "diag_embed", "meshgrid", "repeat_interleave", "unfold"]
# Also Tensor methods: all but the functions of several tensors.
TENSOR_METHODS = ("diag", "diag_embed", "repeat_interleave", "unfold")


class DiagEmbed(Function):
    """The last dim of ``a`` written on the ``offset`` diagonal of dims ``(d1, d2)`` of a
    new zero tensor with one dim more."""

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        xp = array_module(a)
        n = a.shape[-1]
        m = n + abs(offset)
        out = xp.zeros(a.shape[:-1] + (m, m), a.dtype)
        i = xp.arange(n)
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a
        ctx.meta = (offset, d1, d2)
        return xp.ascontiguousarray(xp.moveaxis(out, (-2, -1), (d1, d2)))

    @staticmethod
    def backward(ctx, grad):
        offset, d1, d2 = ctx.meta
        return diagonal_of(grad, offset, d1, d2), None, None, None


class Unfold(Function):
    """Windows of ``size`` every ``step`` along ``dim``, as a new last dim (a view)."""

    @staticmethod
    def forward(ctx, a, dim, size, step):
        xp = array_module(a)
        count = (a.shape[dim] - size) // step + 1
        strides = list(a.strides)
        shape = list(a.shape)
        shape[dim] = count
        strides[dim] = a.strides[dim] * step
        ctx.meta = (a.shape, dim, size, step)
        return xp.lib.stride_tricks.as_strided(
            a, tuple(shape) + (size,), tuple(strides) + (a.strides[dim],), writeable=False
        )

    @staticmethod
    def backward(ctx, grad):
        shape, dim, size, step = ctx.meta
        return UnfoldBackward.apply(grad, shape, dim, size, step), None, None, None


class UnfoldBackward(Function):
    """Windows (``Unfold``'s output gradient) added back into a zero tensor of ``shape``;
    overlapping windows add up.  Its adjoint is ``Unfold`` again."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        xp = array_module(g)
        out = xp.zeros(shape, g.dtype)
        count = g.shape[dim]
        moved = xp.moveaxis(out, dim, -1)  # a view: writes land in out
        windows = xp.moveaxis(g, dim, -2)  # (..., count, size)
        if count <= size:
            for j in range(count):
                moved[..., j * step : j * step + size] += windows[..., j, :]
        else:
            for k in range(size):
                moved[..., k : k + step * (count - 1) + 1 : step] += windows[..., :, k]
        ctx.meta = (dim, size, step)
        return out

    @staticmethod
    def backward(ctx, gg):
        dim, size, step = ctx.meta
        return Unfold.apply(gg, dim, size, step), None, None, None, None


# -- public functions ---------------------------------------------------------------------


def _tensor_list(tensors, op):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensors, got {type(t).__name__}")
    dtype = tensors[0]._data.dtype
    if any(t._data.dtype != dtype for t in tensors):
        got = ", ".join(str(t.dtype) for t in tensors)
        raise RuntimeError(f"{op} expects all tensors to have the same dtype (got {got})")
    return tensors


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d or 1-d tensors: output ``i`` repeats ``tensors[i]`` along
    every other dim.  ``indexing='ij'`` (the default, with PyTorch's warning when not
    given) orders the dims as the inputs; ``'xy'`` swaps the first two."""
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    tensors = _tensor_list(tensors, "meshgrid")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                f"meshgrid: expected 0D or 1D tensors in the tensor list but got one of shape {tuple(t._data.shape)}"
            )
    sizes = [t._data.size for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
        axes[0], axes[1] = 1, 0
    out = []
    for t, axis in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[axis] = t._data.size
        out.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


def cartesian_prod(*tensors):
    """The cartesian product of 1-d tensors: one row per combination (the input itself
    when there is one)."""
    tensors = _tensor_list(tensors, "cartesian_prod")
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor with one dim more whose ``offset`` diagonal over ``(dim1, dim2)`` holds
    ``input``'s last dim, zeros elsewhere."""
    input = tensor_arg(input, "diag_embed")
    nd = input._data.ndim + 1
    if input._data.ndim == 0:
        raise IndexError(f"diag_embed: Dimension out of range (expected to be in range of [-1, 0], but got {dim1})")
    d1 = normalize_dim(dim1, nd, "diag_embed")
    d2 = normalize_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, int(offset), d1, d2)


def diag(input, diagonal=0):
    """A 1-d ``input`` as the ``diagonal`` of a square matrix; the ``diagonal`` of a
    2-d ``input`` as a 1-d tensor (a copy)."""
    input = tensor_arg(input, "diag")
    nd = input._data.ndim
    if nd == 1:
        return DiagEmbed.apply(input, int(diagonal), 0, 1)
    if nd == 2:
        return diagonal_of(input, int(diagonal), 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def _repeat_counts(repeats, n, op):
    """``(counts, uniform)`` for ``repeats`` (an int, or a 0-d or 1-d integer tensor) over
    ``n`` entries: one count per entry (a 1-d array), or else the one count for all."""
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"{op}: repeats must be an integer tensor, got {repeats.dtype}")
        if r.ndim > 1:
            raise RuntimeError(f"{op}: repeats must be 0-dim or 1-dim tensor (got shape {tuple(r.shape)})")
        if r.ndim == 1 and r.shape[0] not in (1, n):
            raise RuntimeError(
                f"{op}: repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {r.shape[0]} and input.size(0) = {n}"
            )
        if r.size and r.min() < 0:
            raise RuntimeError(f"{op}: repeats can not be negative")
        if r.size == 1:
            return None, int(r.reshape(-1)[0])
        return r, None
    if not isinstance(repeats, numbers.Integral) or isinstance(repeats, bool):
        raise TypeError(f"{op}(): argument 'repeats' must be int or Tensor, not {type(repeats).__name__}")
    if repeats < 0:
        raise RuntimeError(f"{op}: Repeats must be non-negative (got {repeats})")
    return None, int(repeats)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each entry of ``input`` along ``dim`` repeated ``repeats`` times (an int, or one
    count per entry), the copies side by side; the flattened input when ``dim`` is None.
    ``repeat_interleave(counts)`` alone gives ``i`` repeated ``counts[i]`` times."""
    input = tensor_arg(input, "repeat_interleave")
    if repeats is None:
        counts = input._data
        if counts.ndim != 1:
            raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat (got shape {tuple(counts.shape)})")
        _repeat_counts(input, counts.shape[0], "repeat_interleave")  # checks the counts
        xp = array_module(counts)
        out = xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), counts)
        _check_output_size(output_size, out.shape[0])
        return Tensor._make(out)
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    elif input._data.ndim == 0:
        normalize_dim(dim, 0, "repeat_interleave")
        input, d = reshape(input, (1,)), 0
    else:
        d = normalize_dim(dim, input._data.ndim, "repeat_interleave")
    n = input._data.shape[d]
    per, uniform = _repeat_counts(repeats, n, "repeat_interleave")
    if per is None:  # one count for all: a broadcast view, reshaped (its gradient sums)
        _check_output_size(output_size, n * uniform)
        shape = tuple(input._data.shape)
        wide = expand(
            reshape(input, shape[: d + 1] + (1,) + shape[d + 1 :]), shape[: d + 1] + (uniform,) + shape[d + 1 :]
        )
        return reshape(wide, shape[:d] + (n * uniform,) + shape[d + 1 :])
    xp = array_module(input._data)
    index = xp.repeat(xp.arange(n, dtype=np.int64), per)
    _check_output_size(output_size, index.shape[0])
    return index_select(input, d, Tensor._make(index))


def _check_output_size(output_size, size):
    if output_size is not None and output_size != size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {size} but got {output_size}")


def unfold(input, dimension, size, step):
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step``
    apart, as a new last dim of that length (a read-only view)."""
    input = tensor_arg(input, "unfold")
    nd = input._data.ndim
    d = normalize_dim(dimension, nd, "unfold")
    length = input._data.shape[d] if nd else 1
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {length} but size is {size}")
    if nd == 0:
        return Unfold.apply(reshape(input, (1,)), 0, size, step).reshape(size)
    return Unfold.apply(input, d, int(size), int(step))
