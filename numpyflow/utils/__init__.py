"""Utilities: ``utils.data`` (datasets and loaders) and ``utils.checkpoint`` (activation
checkpointing)."""

from . import checkpoint, data  # noqa: F401
