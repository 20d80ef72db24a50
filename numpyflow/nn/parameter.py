"""``nn.Parameter``: a leaf tensor that a Module registers as one of its weights."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight (``requires_grad=True`` by default).

    Assigning one to a Module attribute registers it in ``parameters()`` and
    ``state_dict()``.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty(0, np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        self._init(arr, False, None, 0)
        if isinstance(data, Tensor) and data._vc_ is not None:
            self._vc = data._vc  # shares memory with ``data``, as in PyTorch
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        from ..backend import to_numpy

        return (_rebuild_parameter, (to_numpy(self._data), self._requires_grad))

    def __deepcopy__(self, memo):
        new = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            new._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = new
        return new


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)


class Buffer(Tensor):
    """Marks a tensor assigned to a Module attribute as a buffer (``nn.Buffer``)."""

    def __init__(self, data, persistent: bool = True):
        arr = data._data if isinstance(data, Tensor) else np.asarray(data)
        self._init(arr, False, None, 0)
        self.persistent = persistent
