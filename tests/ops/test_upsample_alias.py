"""numpyflow/ops/upsample_alias.py: the deprecated upsample aliases warn as PyTorch does
and equal interpolate."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf


@needs_torch
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("upsample", {"scale_factor": 2}),
        ("upsample", {"size": (5, 3), "mode": "bilinear", "align_corners": False}),
        ("upsample_nearest", {"size": 6}),
        ("upsample_bilinear", {"scale_factor": 2}),
    ],
)
def test_upsample_alias_warns_and_matches_pytorch(name, kwargs):
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3))
    with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
        ours = getattr(nf.nn.functional, name)(nf.tensor(x), **kwargs)
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
    assert np.allclose(ours.numpy(), theirs.numpy())
