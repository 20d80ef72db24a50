"""PyTorch as the reference implementation; tests that need it skip cleanly without it."""

import numpy as np
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def to_numpy(t):
    """numpy values of a numpyflow or torch tensor (or a number)."""
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "numpy"):
        return np.asarray(t.numpy())
    return np.asarray(t)


def assert_close(ours, theirs, rtol=1e-7, atol=1e-9, what=""):
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != reference {b.shape}"
    if a.dtype.kind == "b" or b.dtype.kind == "b" or a.dtype.kind in "iu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
