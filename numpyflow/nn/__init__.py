"""Neural-network layers, losses and utilities with PyTorch's ``torch.nn`` API."""
from .parameter import Buffer, Parameter  # noqa: F401
