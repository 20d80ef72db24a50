"""Tensor element types (``nf.float32``, ``nf.int64``, ...) and PyTorch's promotion rules."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:
    """A tensor element type; wraps the numpy dtype that stores it."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_complex", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, numpy_dtype):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        kind = self.numpy.kind
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "ifc"
        self.itemsize = self.numpy.itemsize
        self._category = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}[kind]

    def __repr__(self):
        return f"numpyflow.{self.name}"

    def __eq__(self, other):
        if isinstance(other, dtype):
            return self is other
        try:
            return self.numpy == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.numpy)

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
complex64 = cfloat = dtype("complex64", np.complex64)
complex128 = cdouble = dtype("complex128", np.complex128)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

ALL = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool)
_FROM_NUMPY = {d.numpy: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

_default_float = float32


def _by_name(name):
    return _BY_NAME[name]


def from_numpy(np_dtype) -> dtype:
    """The numpyflow dtype of a numpy dtype."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _FROM_NUMPY:
            return _FROM_NUMPY[d]
        raise TypeError(f"numpy dtype {d} has no numpyflow equivalent") from None


def to_numpy(d) -> np.dtype:
    """The numpy dtype for a numpyflow dtype, numpy dtype, Python type or name."""
    if isinstance(d, dtype):
        return d.numpy
    if d is builtins.float:
        return _default_float.numpy
    if d is builtins.int:
        return np.dtype(np.int64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d].numpy
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"not a dtype: {d!r}") from None
    if nd not in _FROM_NUMPY:
        raise TypeError(f"numpy dtype {nd} has no numpyflow equivalent")
    return nd


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors made from Python numbers (float32 unless changed)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Set the dtype of new floating tensors made from Python numbers."""
    global _default_float
    d = from_numpy(to_numpy(d))
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type (got {d})")
    _default_float = d


def default_numpy_float() -> np.dtype:
    return _default_float.numpy


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_SCALAR_CATEGORY = {builtins.bool: 0, builtins.int: 1, builtins.float: 2, builtins.complex: 3}


def category(np_dtype) -> builtins.int:
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY[np_dtype.kind]


def _default_for_category(cat):
    return (np.dtype(np.bool_), np.dtype(np.int64), _default_float.numpy, np.dtype(np.complex64))[cat]


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch gives an op on ``operands`` (arrays, 0-d arrays or Python scalars).

    Dimensioned arrays decide first, then 0-d arrays, then Python scalars; a lower rank
    only wins when it brings a higher category (bool < integer < floating < complex).
    """
    dims = zero = scal = None  # (category, dtype) of each rank's promoted type
    for op in operands:
        t = type(op)
        if t in _SCALAR_CATEGORY:
            c = _SCALAR_CATEGORY[t]
            if scal is None or c > scal:
                scal = c
            continue
        d = op.dtype
        c = _CATEGORY[d.kind]
        if op.ndim:
            dims = _merge(dims, c, d)
        else:
            zero = _merge(zero, c, d)
    best = None
    for level in (dims, zero):
        if level is not None and (best is None or level[0] > best[0]):
            best = level
    if scal is not None and (best is None or scal > best[0]):
        return _default_for_category(scal)
    return best[1]


def _merge(level, c, d):
    if level is None or c > level[0]:
        return (c, d)
    if c < level[0]:
        return level
    return (c, np.promote_types(level[1], d))


def promote_types(a, b) -> np.dtype:
    """PyTorch's promotion of two dtypes: the higher category wins outright
    (``int64`` with ``float16`` is ``float16``); within a category, numpy's rule."""
    a, b = to_numpy(a), to_numpy(b)
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def can_cast(source, target) -> builtins.bool:
    """Whether an in-place op may write a ``source`` result into a ``target`` tensor:
    never to a lower category (float into int, int into bool)."""
    source, target = to_numpy(source), to_numpy(target)
    return _CATEGORY[source.kind] <= _CATEGORY[target.kind]
