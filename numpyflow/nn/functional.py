"""``nn.functional``: every layer's computation as a function (PyTorch's names and
signatures).

The fused ops live in ``numpyflow.ops``; this module is their public face.  It offers
what the nn-op modules declare in ``__all__`` (see ``numpyflow/ops/__init__.py``), the
tensor ops PyTorch also keeps here, and a few compositions of those."""

from __future__ import annotations

from ..ops import NN_OP_MODULES as _NN_OP_MODULES
from ..ops import op_namespace as _op_namespace
from ..ops.activation import softmax as _softmax
from ..ops.elementwise import relu, sigmoid, tanh  # noqa: F401  (tensor ops torch.nn.functional has too)
from ..ops.linalg import linear  # noqa: F401

globals().update(_op_namespace((_NN_OP_MODULES, "__all__")))


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def softmin(input, dim=None, dtype=None):
    """``softmax(-input)``."""
    return _softmax(-input, dim, dtype=dtype)


def tanhshrink(input):
    """``input - tanh(input)``."""
    return input - input.tanh()


__all__ = sorted(name for name, value in globals().items() if callable(value) and not name.startswith("_"))
