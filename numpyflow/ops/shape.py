"""Shape ops: views, reorders, joins and splits.  Most forwards return numpy views."""

from __future__ import annotations

import builtins
import math
import numbers

import numpy as np

from .. import dtypes
from ..autograd.function import BroadcastTo, Function, SumTo, sum_to_axes  # noqa: F401
from ..backend import array_module
from ..tensor import Tensor
from ._util import normalize_dim, normalize_dims, shape_arg, tensor_arg

__all__ = [
    "broadcast_tensors",
    "broadcast_to",
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "diagonal",
    "expand",
    "expand_as",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "hstack",
    "moveaxis",
    "movedim",
    "narrow",
    "pad",
    "permute",
    "repeat",
    "reshape",
    "reshape_as",
    "roll",
    "split",
    "squeeze",
    "stack",
    "sum_to",
    "swapaxes",
    "swapdims",
    "t",
    "tensor_split",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
    "vstack",
]
# Also Tensor methods of the same name (``x.view(2, 3)`` is ``view(x, 2, 3)``): all but
# the functions of a sequence of tensors, ``pad`` (``nn.functional.pad``'s constant mode),
# ``sum_to`` and ``tensor_split``.
TENSOR_METHODS = tuple(
    name
    for name in __all__
    if name
    not in (
        "broadcast_tensors",
        "cat",
        "concat",
        "concatenate",
        "hstack",
        "pad",
        "stack",
        "sum_to",
        "tensor_split",
        "vstack",
    )
)


class Reshape(Function):
    _public_name = "View"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return Permute.apply(grad, tuple(inverse)), None


class Transpose(Permute):
    """A permute that swaps two dims (named as PyTorch names it in ``grad_fn``)."""


class T(Permute):
    """A matrix transpose, ``t()``."""


class Unsqueeze(Reshape):
    _public_name = "Unsqueeze"


class Squeeze(Reshape):
    _public_name = "Squeeze"


class Repeat(Function):
    @staticmethod
    def forward(ctx, a, reps):
        shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.meta = (a.shape, shape, reps)
        return array_module(a).tile(a.reshape(shape), reps)

    @staticmethod
    def backward(ctx, grad):
        in_shape, shape, reps = ctx.meta
        interleaved = []
        for r, s in zip(reps, shape):
            interleaved += [r, s]
        g = reshape(grad, tuple(interleaved))
        from .reduction import sum

        g = sum(g, tuple(range(0, 2 * len(reps), 2)))
        return reshape(g, in_shape), None


class Flip(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return array_module(a).flip(a, axes)

    @staticmethod
    def backward(ctx, grad):
        return flip(grad, ctx.axes), None


class Roll(Function):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.meta = (shifts, axes)
        return array_module(a).roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        shifts, axes = ctx.meta
        neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return Roll.apply(grad, neg, axes), None, None


class Cat(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.meta = (axis, [a.shape[axis] for a in arrays])
        return array_module(*arrays).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis, sizes = ctx.meta
        return (None,) + tuple(Split.apply(grad, tuple(sizes), axis))


class Split(Function):
    """Cut along ``axis`` into pieces of ``sizes``; each piece is a view."""

    _materialize = False

    @staticmethod
    def forward(ctx, a, sizes, axis):
        ctx.meta = (a.shape, a.dtype, sizes, axis)
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(array_module(a).split(a, bounds, axis=axis))

    @staticmethod
    def backward(ctx, *grads):
        shape, dtype, sizes, axis = ctx.meta
        xp = array_module(next(g for g in grads if g is not None)._data)
        parts = []
        for g, n in zip(grads, sizes):
            if g is None:
                piece = list(shape)
                piece[axis] = n
                g = Tensor._make(xp.zeros(piece, dtype))
            parts.append(g)
        return cat(parts, axis), None, None


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return array_module(*arrays).stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return (None,) + tuple(Unbind.apply(grad, ctx.axis))


class Unbind(Function):
    _materialize = False

    @staticmethod
    def forward(ctx, a, axis):
        ctx.meta = (a.shape, a.dtype, axis)
        moved = array_module(a).moveaxis(a, axis, 0)
        return tuple(moved[i] for i in range(moved.shape[0]))

    @staticmethod
    def backward(ctx, *grads):
        shape, dtype, axis = ctx.meta
        piece = shape[:axis] + shape[axis + 1 :]
        xp = array_module(next(g for g in grads if g is not None)._data)
        parts = [g if g is not None else Tensor._make(xp.zeros(piece, dtype)) for g in grads]
        return stack(parts, axis), None


class ConstantPad(Function):
    @staticmethod
    def forward(ctx, a, widths, value):
        # widths: ((before, after), ...) per dim; negative widths crop.
        xp = array_module(a)
        crop = tuple(slice(builtins.max(-b, 0), s - builtins.max(-e, 0)) for (b, e), s in zip(widths, a.shape))
        a = a[crop]
        grow = [(builtins.max(b, 0), builtins.max(e, 0)) for b, e in widths]
        out_shape = tuple(s + b + e for s, (b, e) in zip(a.shape, grow))
        out = xp.full(out_shape, value, dtype=a.dtype)
        place = tuple(slice(b, b + s) for s, (b, _) in zip(a.shape, grow))
        out[place] = a
        ctx.meta = (widths, place)
        return out

    @staticmethod
    def backward(ctx, grad):
        widths, place = ctx.meta
        g = grad[place]
        if any(w < 0 for pair in widths for w in pair):
            g = pad(g, _torch_pad([(-builtins.min(b, 0), -builtins.min(e, 0)) for b, e in widths]))
        return g, None, None


def _torch_pad(widths):
    """((before, after), ...) per dim -> PyTorch's last-dim-first flat tuple."""
    out = []
    for b, e in reversed(widths):
        out += [b, e]
    return tuple(out)


class Diagonal(Function):
    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.meta = (a.shape, a.dtype, offset, d1, d2)
        return array_module(a).diagonal(a, offset, d1, d2)

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, offset, d1, d2 = ctx.meta
        from .indexing import setitem_functional

        xp = array_module(grad._data)
        zeros = Tensor._make(xp.zeros(shape, dtype))
        n = grad.shape[-1]
        rows = xp.arange(n) + builtins.max(-offset, 0)
        cols = xp.arange(n) + builtins.max(offset, 0)
        idx = [slice(None)] * len(shape)
        idx[d1], idx[d2] = rows, cols
        # numpy puts the two advanced indices' axis where the first of them stands when
        # they are adjacent, else in front: the diagonal axis of grad goes there.
        position = builtins.min(d1, d2) if builtins.abs(d1 - d2) == 1 else 0
        return setitem_functional(zeros, tuple(idx), movedim(grad, -1, position)), None, None, None


class Triangle(Function):
    """tril / triu: keep one triangle, zero the rest (the gradient is masked alike)."""

    @staticmethod
    def forward(ctx, a, k, upper):
        ctx.meta = (k, upper)
        xp = array_module(a)
        return xp.triu(a, k) if upper else xp.tril(a, k)

    @staticmethod
    def backward(ctx, grad):
        k, upper = ctx.meta
        return Triangle.apply(grad, k, upper), None, None


# -- public functions ---------------------------------------------------------------------


def _resolve_shape(shape, numel, op, in_shape):
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (got {shape})")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension in {shape}")
    known = math.prod(s for s in shape if s != -1)
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel} (shape {in_shape})")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel} (shape {in_shape})")
    return shape


def reshape(input, *shape, _op="reshape"):
    """The same values in a new shape (``reshape(2, 3)`` or ``reshape((2, 3))``; one -1 allowed)."""
    shape = shape_arg(shape, _op)
    if -1 in shape or math.prod(shape) != input._data.size or builtins.min(shape, default=0) < 0:
        shape = _resolve_shape(shape, input._data.size, _op, tuple(input._data.shape))
    return Reshape.apply(input, shape)


def view(input, *shape):
    """``reshape``; ``view(dtype)`` reinterprets the bytes (no gradient)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral, Tensor)):
        return Tensor._make(input._data.view(dtypes.to_numpy(shape[0])))
    return reshape(input, *shape, _op="view")


def view_as(input, other):
    return reshape(input, tuple(other._data.shape))


reshape_as = view_as


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = normalize_dim(start_dim, nd, "flatten")
    e = normalize_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    return reshape(input, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one -1 allowed)."""
    d = normalize_dim(dim, input._data.ndim, "unflatten")
    shape = input._data.shape
    sizes = _resolve_shape(tuple(sizes), shape[d], "unflatten", tuple(shape))
    return reshape(input, shape[:d] + sizes + shape[d + 1 :])


def permute(input, *dims):
    """Reorder the dims: ``permute(2, 0, 1)``."""
    dims = shape_arg(dims, "permute")
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute: number of dims don't match (input has {nd} dims, got {len(dims)})")
    dims = tuple([normalize_dim(d, nd, "permute") for d in dims])
    if len(set(dims)) != nd:
        raise RuntimeError(f"permute: repeated dim in {dims}")
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    """Swap two dims."""
    nd = input._data.ndim
    if nd == 0:
        return input
    a = normalize_dim(dim0, nd, "transpose")
    b = normalize_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(input, tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a matrix (0-d and 1-d tensors come back as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return T.apply(input, (1, 0)) if input._data.ndim == 2 else input


def movedim(input, source, destination):
    """Move dim(s) ``source`` to position(s) ``destination``."""
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [normalize_dim(s, nd, "movedim") for s in src]
    dst = [normalize_dim(d, nd, "movedim") for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


def squeeze(input, dim=None):
    """Drop size-1 dims (all of them, or those in ``dim``)."""
    shape = input._data.shape
    axes = normalize_dims(dim, len(shape), "squeeze")
    if isinstance(dim, (tuple, list)) and len(dim) == 0:  # squeeze(x, ()) squeezes nothing
        axes = ()
    elif axes is None:
        axes = tuple(range(len(shape)))
    return Squeeze.apply(input, tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1)))


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim``."""
    nd = input._data.ndim + 1
    d = normalize_dim(dim, nd, "unsqueeze")
    shape = input._data.shape
    return Unsqueeze.apply(input, shape[:d] + (1,) + shape[d:])


def broadcast_to(input, *shape):
    """A broadcast (read-only) view with ``shape``."""
    shape = shape_arg(shape, "broadcast_to")
    if input._data.shape == shape:
        return input
    try:
        np.broadcast_shapes(input._data.shape, shape)
    except ValueError:
        raise RuntimeError(f"broadcast_to: shape {tuple(input._data.shape)} can't be broadcast to {shape}") from None
    if np.broadcast_shapes(input._data.shape, shape) != shape:
        raise RuntimeError(f"broadcast_to: shape {tuple(input._data.shape)} can't be broadcast to {shape}")
    return BroadcastTo.apply(input, shape)


def expand(input, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dim's size."""
    sizes = shape_arg(sizes, "expand")
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({len(shape)})"
        )
    target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if any(s == -1 for s in target):
        raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension ({sizes})")
    for i, s in enumerate(shape):
        if s != 1 and s != target[i + lead]:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({target[i + lead]}) must match the "
                f"existing size ({s}) at non-singleton dimension {i + lead}. Target sizes: "
                f"{list(sizes)}. Tensor sizes: {list(shape)}"
            )
    return broadcast_to(input, target)


def expand_as(input, other):
    return expand(input, tuple(other._data.shape))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(broadcast_to(t, shape) for t in tensors)


def sum_to(input, shape):
    """Sum a tensor down to ``shape``, the shape it was broadcast from."""
    shape = tuple(shape)
    if input._data.shape == shape:
        return input
    if sum_to_axes(input._data.shape, shape) is None:
        raise ValueError(f"sum_to: shape {input._data.shape} does not broadcast from {shape}")
    return SumTo.apply(input, shape)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (PyTorch's ``Tensor.repeat``)."""
    sizes = shape_arg(sizes, "repeat")
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "repeat: number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(input, sizes)


def tile(input, dims):
    """Like ``repeat``, with missing leading repeats taken as 1."""
    dims = shape_arg((dims,), "tile") if not isinstance(dims, int) else (dims,)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return Repeat.apply(input, dims)


def flip(input, *args, dims=None):
    """Reverse the order of elements along ``dims`` (``flip(0, 2)``, ``flip((0, 2))`` or
    ``flip(dims=(0, 2))``).  No dims (``flip(())``) flips nothing: a copy, as in PyTorch."""
    if dims is not None:
        if args:
            raise TypeError("flip() got multiple values for argument 'dims'")
        args = (dims,)
    if not args:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if not args:
        return input.clone()
    axes = normalize_dims(tuple(args), input._data.ndim, "flip")
    if not axes:  # a 0-d tensor
        return input.clone()
    return Flip.apply(input, axes)


def fliplr(input):
    """Flip the columns (dim 1) of a tensor with at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got a {input._data.ndim}-d tensor)")
    return flip(input, (1,))


def flipud(input):
    """Flip the rows (dim 0) of a tensor with at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError(f"flipud: Input must be >= 1-d (got a {input._data.ndim}-d tensor)")
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (of the flattened tensor when None)."""
    shifts = (shifts,) if _is_int(shifts) else tuple(shifts)
    if not shifts:
        raise RuntimeError("roll: `shifts` required (got an empty sequence of shifts)")
    shifts = tuple(int(s) for s in shifts)
    dims = () if dims is None else ((dims,) if _is_int(dims) else tuple(dims))
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(
                f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:0 (got shifts={shifts} "
                "without dims; expected a single shift of the flattened tensor, or one dim per shift)"
            )
        flat = reshape(input, (-1,))
        return reshape(Roll.apply(flat, shifts[0], 0), tuple(input._data.shape))
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)} "
            f"(got shifts={shifts}, dims={dims}; expected one shift per dim)"
        )
    if input._data.ndim == 0:
        raise IndexError(f"roll: Dimension specified as {dims[0]} but tensor has no dimensions")
    axes = tuple(normalize_dim(int(d) if isinstance(d, Tensor) else d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts, axes)


def _is_int(x):
    return isinstance(x, numbers.Integral) or (isinstance(x, Tensor) and x._data.ndim == 0)


def _same_dtype(tensors, op):
    tensors = [tensor_arg(t, op) for t in tensors]
    if not tensors:
        error = ValueError if op == "cat" else RuntimeError  # PyTorch's types
        raise error(f"{op}: expected a non-empty list of Tensors")
    first = tensors[0]._data.dtype
    if builtins.any(t._data.dtype != first for t in tensors):
        target = dtypes.result_type(*(t._data for t in tensors))
        tensors = [t.to(target) for t in tensors]
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dim (their other dims must match)."""
    tensors = _same_dtype(list(tensors), "cat")
    nd = tensors[0]._data.ndim
    if nd == 0:
        raise RuntimeError("cat: zero-dimensional tensor cannot be concatenated")
    d = normalize_dim(dim, nd, "cat")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        s = t._data.shape
        if len(s) != nd or builtins.any(a != b for j, (a, b) in enumerate(zip(s, ref)) if j != d):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {d}; tensor 0 has "
                f"shape {tuple(ref)} and tensor {i} has shape {tuple(s)}"
            )
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = _same_dtype(list(tensors), "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {tuple(ref)} at entry 0 "
                f"and {tuple(t._data.shape)} at entry {i}"
            )
    d = normalize_dim(dim, len(ref) + 1, "stack")
    return Stack.apply(d, *tensors)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim > 1 else unsqueeze(t, 0) for t in tensors], 0)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    d = normalize_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split: split_with_sizes expects split_sizes to sum exactly to {n} "
                f"(input tensor's size at dimension {d}), but got split_sizes={sizes}"
            )
    if len(sizes) == 1:
        return (tensor,) if not tensor._requires_grad else (Reshape.apply(tensor, tensor._data.shape),)
    return Split.apply(tensor, tuple(sizes), d)


def tensor_split(input, indices_or_sections, dim=0):
    d = normalize_dim(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    if isinstance(indices_or_sections, Tensor):  # a 0-d tensor is a section count, 1-d the indices
        data = indices_or_sections._data
        if data.dtype.kind not in "iu" or data.ndim > 1:
            raise RuntimeError(
                f"tensor_split: indices_or_sections must be a 0-d or 1-d integer tensor, got dtype "
                f"{indices_or_sections.dtype} and {data.ndim} dims"
            )
        indices_or_sections = int(data) if data.ndim == 0 else [int(i) for i in data.tolist()]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        bounds = [0] + [builtins.min(int(i), n) for i in indices_or_sections] + [n]
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    return Split.apply(input, tuple(sizes), d) if len(sizes) > 1 else (input,)


def chunk(input, chunks, dim=0):
    """Up to ``chunks`` equal pieces along ``dim`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: number of chunks must be greater than 0, got {chunks}")
    d = normalize_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple of tensors (that dim removed)."""
    d = normalize_dim(dim, input._data.ndim, "unbind")
    if input._data.ndim == 0:
        raise RuntimeError("unbind: dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, d)


def narrow(input, dim, start, length):
    """``length`` elements of dim ``dim`` from ``start`` (a view)."""
    from .indexing import getitem

    d = normalize_dim(dim, input._data.ndim, "narrow")
    n = input._data.shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    if start < 0:
        start += n
    if not (0 <= start <= n) or length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of dim {d}")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def pad(input, pad, mode="constant", value=None):
    """Constant padding; ``pad`` is PyTorch's flat tuple, last dim first:
    ``(left, right, top, bottom, ...)``. Negative values crop."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode '{mode}' needs nn.functional.pad")
    pad = tuple(int(p) for p in pad)
    nd = input._data.ndim
    if len(pad) % 2 or len(pad) // 2 > nd:
        raise RuntimeError(
            f"pad: padding length must be even and at most twice the number of dims (got {len(pad)} for a {nd}-d input)"
        )
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (b, e), s in zip(widths, input._data.shape):
        if s + b + e < 0:
            raise RuntimeError(
                f"pad: padding {pad} gives a negative size for input of shape {tuple(input._data.shape)}"
            )
    return ConstantPad.apply(input, tuple(widths), 0 if value is None else value)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over dims ``dim1`` and ``dim2`` (as the last dim of the result)."""
    nd = input._data.ndim
    d1 = normalize_dim(dim1, nd, "diagonal")
    d2 = normalize_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(
            f"diagonal: diagonal dimensions cannot be identical (got dim1={dim1}, dim2={dim2} of a "
            f"{nd}-d tensor); expected two different dims"
        )
    return Diagonal.apply(input, int(offset), d1, d2)


def tril(input, diagonal=0):
    """The lower triangle (on and below the ``diagonal``); the rest zero."""
    return Triangle.apply(input, int(diagonal), False)


def triu(input, diagonal=0):
    """The upper triangle (on and above the ``diagonal``); the rest zero."""
    return Triangle.apply(input, int(diagonal), True)
