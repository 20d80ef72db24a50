"""Vision: datasets, transforms and models, as ``torchvision``."""
