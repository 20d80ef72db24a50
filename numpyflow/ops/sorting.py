"""Sorting and order statistics: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``,
``median``, ``nanmedian``, ``mode``, ``unique`` and ``unique_consecutive``.

The ops that pick elements return ``(values, indices)`` named tuples (``return_types``),
as ``max(dim)`` does, with int64 indices; their gradient goes to the elements picked (a
scatter of the output gradient back to ``indices``, itself differentiable: its adjoint is
a gather).
``median()`` and ``nanmedian()`` without ``dim`` share the gradient equally among the
elements equal to the result, as PyTorch does.  ``unique`` and ``argsort`` give no gradient.

Sorting is stable whatever ``stable`` says (PyTorch's CPU sort is too), so equal elements
keep their order, in both directions; NaN sorts as the largest value.  Among ties,
``topk``, ``kthvalue`` and ``median`` return the index of some element equal to the
result (PyTorch leaves which one unspecified); ``mode`` returns the smallest of the most
frequent values and the last index where it occurs, as PyTorch's CPU kernel does.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from ..tensor import Tensor
from . import return_types
from ._util import normalize_dim, tensor_arg
from .indexing import scatter_add

__all__ = [
    "argsort",
    "kthvalue",
    "median",
    "mode",
    "msort",
    "nanmedian",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]
TENSOR_METHODS = tuple(__all__)


_RESULTS = {name: getattr(return_types, name) for name in ("sort", "topk", "kthvalue", "median", "nanmedian", "mode")}


def select_backward(grad, indices, dim, shape, keepdim=True):
    """The gradient of picking ``indices`` along ``dim`` from a tensor of ``shape``: the
    output gradient scattered (and summed where an index repeats) into zeros."""
    if not keepdim:
        grad = grad.unsqueeze(dim)
        indices = indices.unsqueeze(dim)
    zeros = Tensor._make(array_module(grad._data).zeros(shape, grad._data.dtype))
    return scatter_add(zeros, dim, indices, grad)


def stable_argsort(xp, a, axis, descending=False):
    """Indices that sort ``a`` along ``axis`` stably (equal elements keep their order in
    either direction; NaN is the largest value)."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = a.shape[axis]
    reversed_order = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return ((n - 1) - xp.flip(reversed_order, axis)).astype(np.int64, copy=False)


def _take(xp, a, start, stop, axis):
    """``a[start:stop]`` along ``axis``."""
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, stop)
    return a[tuple(index)]


class _Selection(Function):
    """Base of the ops that pick elements along ``dim``: forward returns
    ``(values, indices)``; backward scatters the gradient back to ``indices``."""

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        (indices,) = ctx.saved_tensors
        shape, dim, keepdim = ctx.meta
        return (select_backward(grad, indices, dim, shape, keepdim),) + (None,) * ctx.n_args

    @staticmethod
    def pick(ctx, a, indices, dim, keepdim, n_args):
        """Finish a forward: gather the values at ``indices`` (kept dims), drop ``dim``
        unless ``keepdim``, and record what backward needs."""
        xp = array_module(a)
        indices = indices.astype(np.int64, copy=False)
        values = xp.take_along_axis(a, indices, axis=dim)
        if not keepdim:
            values = values.squeeze(dim)
            indices = indices.squeeze(dim)
        ctx.meta = (a.shape, dim, keepdim)
        ctx.n_args = n_args
        ctx.save_for_backward(indices)
        ctx.mark_non_differentiable(indices)
        return values, indices


class Sort(_Selection):
    @staticmethod
    def forward(ctx, a, dim, descending):
        indices = stable_argsort(array_module(a), a, dim, descending)
        return _Selection.pick(ctx, a, indices, dim, True, 2)


class TopK(_Selection):
    _public_name = "Topk"

    @staticmethod
    def forward(ctx, a, k, dim, largest, sorted):
        xp = array_module(a)
        n = a.shape[dim]
        if k == 0 or n == 0:
            indices = _take(xp, xp.zeros(a.shape, np.int64), 0, 0, dim)
        elif largest:
            indices = _take(xp, xp.argpartition(a, n - k, axis=dim), n - k, n, dim)
        else:
            indices = _take(xp, xp.argpartition(a, k - 1, axis=dim), 0, k, dim)
        if sorted and k > 1:
            order = stable_argsort(xp, xp.take_along_axis(a, indices, axis=dim), dim, descending=largest)
            indices = xp.take_along_axis(indices, order, axis=dim)
        return _Selection.pick(ctx, a, indices, dim, True, 4)


class KthValue(_Selection):
    _public_name = "Kthvalue"

    @staticmethod
    def forward(ctx, a, k, dim, keepdim):
        xp = array_module(a)
        indices = _take(xp, xp.argpartition(a, k - 1, axis=dim), k - 1, k, dim)
        return _Selection.pick(ctx, a, indices, dim, keepdim, 3)


def _median_indices(xp, a, dim, ignore_nan):
    """Indices (kept dims) of the lower median along ``dim``; a NaN, if any, is the
    median (the first NaN), unless ``ignore_nan``, where NaNs are left out (all-NaN rows
    give index 0)."""
    n = a.shape[dim]
    nan = xp.isnan(a) if a.dtype.kind == "f" else None
    has_nan = nan.any(axis=dim, keepdims=True) if nan is not None else None
    k = (n - 1) // 2
    if has_nan is None or not has_nan.any():
        return _take(xp, xp.argpartition(a, k, axis=dim), k, k + 1, dim)
    if not ignore_nan:
        indices = _take(xp, xp.argpartition(a, k, axis=dim), k, k + 1, dim)
        return xp.where(has_nan, xp.argmax(nan, axis=dim, keepdims=True), indices)
    order = stable_argsort(xp, a, dim)  # NaNs last
    count = n - nan.sum(axis=dim, keepdims=True)
    return xp.take_along_axis(order, xp.maximum((count - 1) // 2, 0), axis=dim)


class Median(_Selection):
    @staticmethod
    def forward(ctx, a, dim, keepdim, ignore_nan):
        indices = _median_indices(array_module(a), a, dim, ignore_nan)
        return _Selection.pick(ctx, a, indices, dim, keepdim, 3)


class MedianAll(Function):
    """``median()`` / ``nanmedian()`` of all elements; the gradient is shared equally
    among the elements equal to the result (NaNs, when the result is NaN)."""

    _public_name = "Median"

    @staticmethod
    def forward(ctx, a, ignore_nan):
        xp = array_module(a)
        flat = a.reshape(-1)
        if flat.size == 0:
            out = xp.asarray(np.nan, dtype=a.dtype)
            ctx.save_for_backward(xp.zeros(a.shape, a.dtype))
            return out
        out = flat[_median_indices(xp, flat, 0, ignore_nan)[0]]
        hit = xp.isnan(a) if out != out else a == out
        ctx.save_for_backward((hit / hit.sum()).astype(a.dtype, copy=False))
        return xp.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share, None


class Mode(_Selection):
    @staticmethod
    def forward(ctx, a, dim, keepdim):
        xp = array_module(a)
        moved = xp.moveaxis(a, dim, -1)
        order = stable_argsort(xp, moved, -1)
        ordered = xp.take_along_axis(moved, order, axis=-1)
        n = ordered.shape[-1]
        position = xp.arange(n)
        starts = xp.ones(ordered.shape, bool)
        starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
        # Run length so far at each position of the sorted row; the first position that
        # reaches the longest run ends the smallest most frequent value's run, whose last
        # element (sorting is stable) has the largest original index.
        run = position - xp.maximum.accumulate(xp.where(starts, position, 0), axis=-1)
        end = xp.argmax(run, axis=-1)[..., None]
        indices = xp.moveaxis(xp.take_along_axis(order, end, axis=-1), -1, dim)
        return _Selection.pick(ctx, a, indices, dim, keepdim, 2)


# -- public functions ---------------------------------------------------------------------


def _as_1d(input, op):
    """``(tensor, scalar)``: a 0-d tensor is treated as one element along dim 0."""
    input = tensor_arg(input, op)
    if input._data.ndim == 0:
        return input.reshape(1), True
    return input, False


def _scalar_result(result, name):
    values, indices = result
    return _RESULTS[name](values.reshape(()), indices.reshape(()))


def _check_nonempty(input, d, op):
    if input._data.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def sort(input, dim=-1, descending=False, *, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (stably, whatever
    ``stable`` says; NaN sorts as the largest value)."""
    t, scalar = _as_1d(input, "sort")
    d = normalize_dim(dim, 0 if scalar else t._data.ndim, "sort")
    result = _RESULTS["sort"](*Sort.apply(t, d, bool(descending)))
    return _scalar_result(result, "sort") if scalar else result


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (stable; no gradient)."""
    input = tensor_arg(input, "argsort")
    xp = array_module(input._data)
    if input._data.ndim == 0:
        normalize_dim(dim, 0, "argsort")
        return Tensor._make(xp.zeros((), np.int64))
    d = normalize_dim(dim, input._data.ndim, "argsort")
    return Tensor._make(stable_argsort(xp, input._data, d, bool(descending)))


def msort(input):
    """``input`` sorted along its first dim (``sort(input, 0).values``)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` as
    ``(values, indices)``, in order when ``sorted`` (else in no particular order)."""
    t, scalar = _as_1d(input, "topk")
    d = normalize_dim(dim, 0 if scalar else t._data.ndim, "topk")
    n = t._data.shape[d]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, but dim {d} has size {n})")
    result = _RESULTS["topk"](*TopK.apply(t, int(k), d, bool(largest), bool(sorted)))
    return _scalar_result(result, "topk") if scalar else result


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim`` as ``(values, indices)``."""
    t, scalar = _as_1d(input, "kthvalue")
    d = normalize_dim(dim, 0 if scalar else t._data.ndim, "kthvalue")
    _check_nonempty(t, d, "kthvalue")
    n = t._data.shape[d]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})")
    result = _RESULTS["kthvalue"](*KthValue.apply(t, int(k), d, bool(keepdim) and not scalar))
    return _scalar_result(result, "kthvalue") if scalar else result


def _median(input, dim, keepdim, ignore_nan, name):
    input = tensor_arg(input, name)
    if dim is None:
        if keepdim:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim" (keepdim needs a dim)')
        return MedianAll.apply(input, ignore_nan)
    t, scalar = _as_1d(input, name)
    d = normalize_dim(dim, 0 if scalar else t._data.ndim, name)
    _check_nonempty(t, d, name)
    result = _RESULTS[name](*Median.apply(t, d, bool(keepdim) and not scalar, ignore_nan))
    return _scalar_result(result, name) if scalar else result


def median(input, dim=None, keepdim=False):
    """The lower median: of all elements (a tensor) when ``dim`` is None, else along
    ``dim`` as ``(values, indices)``.  NaN, if present, is the median."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim=False):
    """``median`` leaving NaNs out (NaN only where every element is NaN)."""
    return _median(input, dim, keepdim, True, "nanmedian")


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest of those tied) and the last
    index where it occurs, as ``(values, indices)``."""
    t, scalar = _as_1d(input, "mode")
    d = normalize_dim(dim, 0 if scalar else t._data.ndim, "mode")
    _check_nonempty(t, d, "mode")
    result = _RESULTS["mode"](*Mode.apply(t, d, bool(keepdim) and not scalar))
    return _scalar_result(result, "mode") if scalar else result


# -- unique -------------------------------------------------------------------------------


def _rows(input, dim, op):
    """``(rows, d)``: ``input``'s array as one row per slice along ``dim`` (the flattened
    elements when ``dim`` is None, ``d`` None then)."""
    a = input._data
    if dim is None:
        return a.reshape(-1, 1), None
    d = normalize_dim(dim, a.ndim, op)
    if a.ndim == 0:
        return a.reshape(1, 1), d
    if a.shape[d] != 0 and a.size == 0:
        raise RuntimeError(
            f"{op}(): there are 0-sized dimensions, and they aren't selected (dim={dim}, shape "
            f"{tuple(a.shape)}), so unique cannot be applied"
        )
    xp = array_module(a)
    return xp.moveaxis(a, d, 0).reshape(a.shape[d], a.size // a.shape[d] if a.shape[d] else 0), d


def _unique_result(input, rows, d, order, return_inverse, return_counts):
    """The outputs of ``unique`` / ``unique_consecutive`` from the rows in ``order``."""
    xp = array_module(rows)
    a = input._data
    n = rows.shape[0]
    ordered = rows[order] if order is not None else rows
    new = xp.ones(n, bool)
    if n > 1:
        new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    kept = ordered[new]
    if d is None:
        values = kept.reshape(-1)
    else:
        rest = tuple(s for i, s in enumerate(a.shape) if i != d) if a.ndim else ()
        values = xp.moveaxis(kept.reshape((kept.shape[0],) + rest), 0, d) if a.ndim else kept.reshape(-1)
    out = [Tensor._make(xp.ascontiguousarray(values))]
    if return_inverse:
        group = xp.cumsum(new) - 1
        inverse = xp.empty(n, np.int64)
        if order is not None:
            inverse[order] = group
        else:
            inverse[:] = group
        out.append(Tensor._make(inverse.reshape(a.shape) if d is None else inverse))
    if return_counts:
        starts = xp.flatnonzero(new)
        out.append(Tensor._make(xp.diff(xp.append(starts, n)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), sorted; with ``return_inverse``
    where each element went, with ``return_counts`` how often each occurs.  NaNs are
    all distinct, as in PyTorch.  Not differentiable."""
    input = tensor_arg(input, "unique")
    rows, d = _rows(input, dim, "unique")
    xp = array_module(rows)
    if rows.shape[1] == 1:
        order = xp.argsort(rows[:, 0], kind="stable")
    else:
        order = xp.lexsort(rows.T[::-1]) if rows.shape[0] else xp.zeros(0, np.int64)
    return _unique_result(input, rows, d, order, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``unique`` of each run of equal consecutive elements (or slices along ``dim``),
    in order.  Not differentiable."""
    input = tensor_arg(input, "unique_consecutive")
    rows, d = _rows(input, dim, "unique_consecutive")
    return _unique_result(input, rows, d, None, return_inverse, return_counts)
