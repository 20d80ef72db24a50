"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``,
with PyTorch's rules (tensors stacked along a new first dim, numpy arrays and numbers
become tensors, containers are collated element by element)."""

from __future__ import annotations

import collections.abc
import copy
import numbers

import numpy as np

import numpyflow as nf

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_CONVERT_ERR = "default_convert: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _bad_numpy_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "OSUVaMm"  # objects, strings, raw bytes, dates


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_collate(batch):
    """Merge a list of samples into a batch.

    * Tensors are stacked along a new dim 0 (they must have equal shapes).
    * numpy arrays become tensors of their dtype, then are stacked; numpy scalars
      become a 1-d tensor of their dtype.
    * Python floats become float64, ints int64 and bools bool (PyTorch's rule).
    * str and bytes are left as a list.
    * Mappings, namedtuples, tuples and lists are collated per key / position
      (a tuple of samples gives a list of batches, as in PyTorch).
    """
    elem = batch[0]
    if isinstance(elem, nf.Tensor):
        return nf.stack(batch, 0)
    if isinstance(elem, np.ndarray) and not isinstance(elem, np.generic):
        if _bad_numpy_dtype(elem.dtype):
            raise TypeError(_ERR.format(elem.dtype))
        return default_collate([nf.as_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        if isinstance(elem, (np.str_, np.bytes_)):
            return batch
        if _bad_numpy_dtype(elem.dtype):
            raise TypeError(_ERR.format(elem.dtype))
        return nf.as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return nf.tensor(batch, dtype=nf.bool)
    if isinstance(elem, numbers.Integral):
        return nf.tensor(batch, dtype=nf.int64)
    if isinstance(elem, float):
        return nf.tensor(batch, dtype=nf.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            try:  # keep the mapping's type (OrderedDict, defaultdict, ...)
                clone = copy.copy(elem)
                clone.update(collated)
                return clone
            except TypeError:
                return collated
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        if isinstance(elem, collections.abc.MutableSequence):
            try:
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            except TypeError:
                pass
        try:
            return type(elem)([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Convert one sample (no batching): numpy arrays become tensors, containers are
    converted element by element, everything else is returned as is. The DataLoader
    uses it when ``batch_size=None``."""
    if isinstance(data, nf.Tensor):
        return data
    if isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        if _bad_numpy_dtype(data.dtype):
            return data
        return nf.as_tensor(data)
    if isinstance(data, np.generic):
        if _bad_numpy_dtype(data.dtype) or isinstance(data, (np.str_, np.bytes_)):
            return data
        return nf.as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(converted):
                    clone[i] = d
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    return data
