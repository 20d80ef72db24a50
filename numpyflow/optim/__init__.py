"""Optimizers (``SGD``, ``Adam``, ...) and learning-rate schedulers, as ``torch.optim``."""
