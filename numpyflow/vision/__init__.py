"""Vision: datasets, transforms and models, as ``torchvision``."""

from . import datasets, models, transforms  # noqa: F401
