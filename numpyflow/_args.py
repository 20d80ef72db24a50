"""Argument parsing shared by the Tensor, the creation functions and the ops: dims,
shapes and numpy's spellings of them.  Works on plain Python values and anything that
acts as an index, so it sits below the Tensor and imports none of it."""

from __future__ import annotations

import numbers
import operator


def dim_error(op: str, dim, ndim: int) -> IndexError:
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    return IndexError(f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")


def normalize_dim(dim, ndim: int, op: str) -> int:
    """``dim`` as a non-negative index into ``ndim`` dims (a 0-d tensor accepts 0 and -1)."""
    if type(dim) is int and -ndim <= dim < ndim:
        return dim % ndim
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise dim_error(op, dim, ndim)
    return int(dim) % size if ndim else 0


def normalize_dims(dim, ndim: int, op: str):
    """``dim`` (None, int, or a sequence of ints) as a sorted tuple of axes, or None for all.

    As in PyTorch, an empty sequence means every dim.
    """
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(normalize_dim(d, ndim, op) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
        return tuple(sorted(axes)) if ndim else ()
    d = normalize_dim(dim, ndim, op)
    return (d,) if ndim else ()


def reduce_args(op, dim, keepdim, axis, keepdims):
    """Merge numpy's ``axis``/``keepdims`` spellings into PyTorch's ``dim``/``keepdim``."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: give either dim or axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def shape_arg(args, op: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(tensor([2, 3]))`` all give ``(2, 3)``;
    a single size may be any integer that acts as an index (a one-element int tensor)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if all(type(s) is int for s in args):
        return args
    if len(args) == 1 and getattr(args[0], "ndim", 0) == 1:  # a 1-D tensor of sizes
        args = tuple(args[0].tolist())
    out = []
    for s in args:
        if getattr(s, "ndim", 0) == 0 and hasattr(s, "item") and not isinstance(s, numbers.Number):
            s = s.item()  # a one-element tensor: judged by its value
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}: sizes must be ints, got {s!r}")
        out.append(operator.index(s))
    return tuple(out)
