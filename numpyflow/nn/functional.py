"""``nn.functional``: every layer's computation as a function (PyTorch's names and
signatures).

The fused ops live in ``numpyflow.ops``; this module is their public face.  It offers
what the nn-op modules declare in ``__all__`` (see ``numpyflow/ops/__init__.py``) and
the tensor ops PyTorch also keeps here."""

from __future__ import annotations

from ..ops import NN_OP_MODULES as _NN_OP_MODULES
from ..ops import op_namespace as _op_namespace
from ..ops.elementwise import relu as _relu
from ..ops.elementwise import sigmoid, tanh  # noqa: F401  (tensor ops torch.nn.functional has too)
from ..ops.linalg import bilinear, linear  # noqa: F401

globals().update(_op_namespace((_NN_OP_MODULES, "__all__")))


def relu(input, inplace=False):
    """``max(x, 0)``; with ``inplace=True`` the result is written into ``input``."""
    return input.relu_() if inplace else _relu(input)


__all__ = sorted(name for name, value in globals().items() if callable(value) and not name.startswith("_"))
