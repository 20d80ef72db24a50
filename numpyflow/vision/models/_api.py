"""torchvision's model-builder interface: ``weights=None`` (and the deprecated
``pretrained=False``) build a freshly initialised model.

NumpyFlow downloads nothing, so any request for pretrained weights (``weights='DEFAULT'``,
a weights enum, ``pretrained=True``) is a ``ValueError`` that says how to bring weights in:
``model.load_state_dict(nf.load(path))``.  The deprecated spellings warn with
torchvision's texts.
"""

from __future__ import annotations

import functools
import inspect
import warnings


def no_weights_error(builder: str, asked: str) -> ValueError:
    return ValueError(
        f"{builder}: {asked} asks for pretrained weights, but NumpyFlow downloads no weights; build the "
        f"model with weights=None and load weights you have with model.load_state_dict(nf.load(path)) "
        "(a state_dict saved by nf.save, or a PyTorch state_dict converted to nf tensors: the keys match)"
    )


def _quoted(names) -> str:
    """torchvision's ``sequence_to_str(names, separate_last='and ')``."""
    if len(names) == 1:
        return f"'{names[0]}'"
    head = "'" + "', '".join(names[:-1]) + "'"
    return head + ("" if len(names) == 2 else ",") + f" and '{names[-1]}'"


def handle_legacy_interface(builder):
    """Give ``builder`` (keyword-only ``weights`` and ``progress`` first) torchvision's legacy
    handling: positional arguments and ``pretrained=`` still work with torchvision's
    deprecation warnings, and any weights but None raise ``no_weights_error``."""
    params = list(inspect.signature(builder).parameters)[:2]  # the two torchvision maps positionals to
    assert params == ["weights", "progress"], params
    name = builder.__name__

    @functools.wraps(builder)
    def build(*args, **kwargs):
        if args:
            if len(args) > len(params):
                raise TypeError(f"{name}() takes at most 2 positional arguments (weights, progress), {len(args)} given")
            positional = dict(zip(params, args))
            warnings.warn(
                f"Using {_quoted(list(positional))} as positional parameter(s) is deprecated since 0.13 and may be "
                "removed in the future. Please use keyword parameter(s) instead.",
                UserWarning,
                stacklevel=2,
            )
            kwargs.update(positional)
        sentinel = object()
        weights = kwargs.get("weights", sentinel)
        legacy = ("weights" in kwargs or "pretrained" in kwargs) and not (weights is None or isinstance(weights, str))
        if legacy and weights is not sentinel and not _is_weights_enum(weights):
            pretrained, positional_pretrained = kwargs.pop("weights"), True  # weights=True/False: pretrained
            kwargs.pop("pretrained", None)
        elif legacy and weights is sentinel:
            pretrained, positional_pretrained = kwargs.pop("pretrained"), False
        else:
            pretrained = sentinel
        if pretrained is not sentinel:
            if pretrained:
                raise no_weights_error(name, f"{'weights' if positional_pretrained else 'pretrained'}={pretrained!r}")
            if not positional_pretrained:
                warnings.warn(
                    "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                    "please use 'weights' instead.",
                    UserWarning,
                    stacklevel=2,
                )
            warnings.warn(
                "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be "
                "removed in the future. The current behavior is equivalent to passing `weights=None`.",
                UserWarning,
                stacklevel=2,
            )
            kwargs["weights"] = None
        if kwargs.get("weights") is not None:
            raise no_weights_error(name, f"weights={kwargs['weights']!r}")
        return builder(**kwargs)

    return build


def _is_weights_enum(obj) -> bool:
    """torchvision's ``WeightsEnum`` members (``ResNet18_Weights.DEFAULT``), told apart by
    their ``url`` and ``meta`` without importing torchvision."""
    return hasattr(obj, "url") and hasattr(obj, "meta")
