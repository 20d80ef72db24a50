"""``nf.backends.mps``: Apple's Metal back end, which NumpyFlow doesn't have."""

from __future__ import annotations


def is_built() -> bool:
    """False: NumpyFlow has no Metal (MPS) back end."""
    return False


def is_available() -> bool:
    """False: NumpyFlow has no Metal (MPS) back end."""
    return False
