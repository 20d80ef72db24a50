"""Utilities: ``utils.data`` (datasets and loaders) and ``utils.checkpoint`` (activation
checkpointing)."""

from . import checkpoint, data, safetensors  # noqa: F401  (safetensors imports its package on first use)
