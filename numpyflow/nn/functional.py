"""``nn.functional``: every layer's computation as a function (PyTorch's names and
signatures). The fused ops live in ``numpyflow.ops``; this module is their public face."""
from __future__ import annotations

from ..ops.activation import (  # noqa: F401
    elu, gelu, hardtanh, leaky_relu, log_softmax, relu6, silu, softmax, softplus,
)
from ..ops.conv import conv2d, conv_transpose2d  # noqa: F401
from ..ops.elementwise import relu, sigmoid, tanh  # noqa: F401
from ..ops.linalg import linear  # noqa: F401
from ..ops.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss,
    nll_loss, smooth_l1_loss,
)
from ..ops.nn_misc import dropout, dropout2d, embedding, interpolate, one_hot, pad  # noqa: F401
from ..ops.normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from ..ops.pooling import (  # noqa: F401
    adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d,
)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)


def softmin(input, dim=None, dtype=None):
    return softmax(-input, dim, dtype=dtype)


def logsigmoid(input):
    return -softplus(-input)


def tanhshrink(input):
    return input - input.tanh()
