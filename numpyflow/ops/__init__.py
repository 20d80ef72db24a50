"""Differentiable ops: one ``Function`` subclass each, with a thin public function.

Each op module declares what it offers, next to its code, and nothing lists an op again:

* ``__all__``: its public functions;
* ``TENSOR_METHODS`` (optional; none if absent): the ones that are also Tensor methods of
  the same name, ``x.exp()`` being ``exp(x)``.

The three places an op shows up are gathered from those declarations:

* ``numpyflow.ops`` (and ``numpyflow``, which star-imports it): the ``__all__`` of the
  tensor-op modules, and the Tensor methods of the nn-op modules (``softmax``), because,
  as in PyTorch, a Tensor method is a ``numpyflow`` function too;
* ``numpyflow.nn.functional``: the ``__all__`` of the nn-op modules;
* Tensor methods: every module's ``TENSOR_METHODS``, gathered in ``TENSOR_METHODS`` below
  and bound by ``tensor.py``.
"""

from . import (
    activation,
    attention,
    bitwise_shift,
    blas,
    channel_shuffle,
    construction,
    conv,
    conv_nd,
    ctc_loss,
    distance,
    dropout,
    elementwise,
    embedding,
    embedding_bag,
    fold,
    gumbel_softmax,
    indexing,
    instance_norm,
    interpolation,
    likelihood_loss,
    linalg,
    linalg_legacy,
    loss,
    lp_pool,
    margin_loss,
    margin_multi,
    multihead_attention,
    normalization,
    padding,
    pdist,
    pixel_shuffle,
    pointwise,
    pooling,
    pooling_nd,
    pooling_with_indices,
    reduction,
    reshaping,
    rms_norm,
    sampling_grid,
    scan,
    scatter_reduction,
    shape,
    sorting,
    special,
    statistics,
    trigonometric,
    upsample_alias,
)

# Tensor math, named as in the ``torch`` namespace.
TENSOR_OP_MODULES = (
    elementwise,
    reduction,
    shape,
    indexing,
    linalg,
    linalg_legacy,
    sorting,
    scan,
    trigonometric,
    special,
    bitwise_shift,
    construction,
    scatter_reduction,
    blas,
    reshaping,
    pointwise,
    statistics,
)
# Neural-network layers' computations, named as in ``torch.nn.functional``.
NN_OP_MODULES = (
    activation,
    attention,
    multihead_attention,
    conv,
    conv_nd,
    ctc_loss,
    distance,
    dropout,
    embedding,
    fold,
    instance_norm,
    interpolation,
    likelihood_loss,
    loss,
    margin_loss,
    normalization,
    padding,
    pixel_shuffle,
    pooling,
    pooling_nd,
    rms_norm,
    channel_shuffle,
    gumbel_softmax,
    lp_pool,
    margin_multi,
    pdist,
    pooling_with_indices,
    upsample_alias,
    embedding_bag,
    sampling_grid,
)


def declared(module, declaration: str) -> tuple:
    """The names ``module`` declares as ``declaration`` (``"__all__"`` or ``"TENSOR_METHODS"``)."""
    return tuple(getattr(module, declaration, ()))


def op_namespace(*selections) -> dict:
    """``{name: function}`` for ``(modules, declaration)`` pairs, in order; a name that two
    modules declare is an error (one op, one home)."""
    found, home = {}, {}
    for modules, declaration in selections:
        for module in modules:
            for name in declared(module, declaration):
                if name in home and home[name] is not module:
                    raise ImportError(
                        f"numpyflow.ops: {name!r} is declared by both {home[name].__name__} and {module.__name__}"
                    )
                home[name] = module
                found[name] = getattr(module, name)
    return found


_namespace = op_namespace((TENSOR_OP_MODULES, "__all__"), (NN_OP_MODULES, "TENSOR_METHODS"))
_clash = set(_namespace) & set(globals())  # an op named like a submodule or a helper above
if _clash:
    raise ImportError(f"numpyflow.ops: ops named like the package's own names: {sorted(_clash)}")
globals().update(_namespace)
__all__ = sorted(_namespace)

# ``{name: op}`` for every op that is also a Tensor method of that name; tensor.py binds them.
TENSOR_METHODS = op_namespace((TENSOR_OP_MODULES + NN_OP_MODULES, "TENSOR_METHODS"))
del _namespace, _clash
