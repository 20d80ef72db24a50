"""The named tuples that the ops picking elements return, as PyTorch's
``torch.return_types``: ``values`` and ``indices`` (int64), unpackable as a pair.

Module-level classes, so the results pickle (``torch.save`` of a ``sort`` result works).
"""

from __future__ import annotations

import collections

__all__ = ["cummax", "cummin", "kthvalue", "median", "mode", "nanmedian", "sort", "topk"]


def _values_indices(name: str):
    cls = collections.namedtuple(name, ["values", "indices"])
    cls.__module__ = __name__
    return cls


sort = _values_indices("sort")
topk = _values_indices("topk")
kthvalue = _values_indices("kthvalue")
median = _values_indices("median")
nanmedian = _values_indices("nanmedian")
mode = _values_indices("mode")
cummax = _values_indices("cummax")
cummin = _values_indices("cummin")
