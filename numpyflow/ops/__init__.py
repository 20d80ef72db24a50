"""Differentiable ops: one ``Function`` subclass each, with a thin public function."""
from .elementwise import (  # noqa: F401
    abs, absolute, add, addcdiv, addcmul, allclose, bitwise_and, bitwise_not, bitwise_or,
    bitwise_xor, cast, ceil, clamp, clip, clone, cos, div, divide, eq, equal, erf, exp, exp2,
    expm1, floor, floor_divide, fmod, ge, greater, gt, isclose, isfinite, isinf, isnan, le,
    lerp, less, log, log1p, log2, log10, logical_and, logical_not, logical_or, logical_xor, lt,
    maximum, minimum, mul, multiply, ne, neg, negative, nonzero, pow, reciprocal, relu,
    remainder, round, rsqrt, sigmoid, sign, sin, sqrt, square, sub, subtract, tan, tanh,
    true_divide, trunc, where,
)
from .reduction import (  # noqa: F401
    all, amax, amin, any, argmax, argmin, count_nonzero, cumprod, cumsum, logsumexp, max,
    mean, min, nansum, norm, prod, std, std_mean, sum, var, var_mean,
)
from .shape import (  # noqa: F401
    broadcast_tensors, broadcast_to, cat, chunk, concat, concatenate, diagonal, expand,
    expand_as, flatten, flip, fliplr, flipud, hstack, movedim, moveaxis, narrow, pad, permute,
    repeat, reshape, reshape_as, roll, split, squeeze, stack, sum_to, swapaxes, swapdims, t,
    tensor_split, tile, transpose, tril, triu, unbind, unflatten, unsqueeze, view, view_as,
    vstack,
)
from .indexing import (  # noqa: F401
    gather, getitem, index_add, index_select, masked_fill, masked_select, scatter,
    scatter_add, setitem, setitem_functional, take_along_dim,
)
from .linalg import bmm, dot, einsum, ger, inner, linear, matmul, mm, outer, vdot  # noqa: F401
from .activation import log_softmax, softmax  # noqa: F401
