"""Utilities: ``utils.data`` (datasets and loaders) and ``utils.checkpoint`` (activation
checkpointing)."""

from . import checkpoint, data, safetensors, tensorboard  # noqa: F401  (safetensors and tensorboard import their packages on first use)
from . import viz as viz  # imports graphviz only when make_dot is called
from .summary import summary as summary
