"""numpyflow/ops/pooling_with_indices.py: the ``*_with_indices`` max pools return
PyTorch's values and indices."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf


@needs_torch
@pytest.mark.parametrize(
    "name,shape,args",
    [
        ("max_pool1d_with_indices", (1, 2, 7), (3, 2)),
        ("max_pool2d_with_indices", (1, 2, 5, 5), (2,)),
        ("max_pool3d_with_indices", (1, 1, 4, 4, 4), (2,)),
        ("adaptive_max_pool1d_with_indices", (1, 2, 7), (3,)),
        ("adaptive_max_pool2d_with_indices", (1, 2, 5, 5), ((2, 3),)),
        ("adaptive_max_pool3d_with_indices", (1, 1, 4, 4, 4), (2,)),
    ],
)
def test_with_indices_returns_pytorch_values_and_indices(name, shape, args):
    x = np.random.default_rng(0).standard_normal(shape)
    ours = getattr(nf.nn.functional, name)(nf.tensor(x), *args)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
    assert np.allclose(ours[0].numpy(), theirs[0].numpy())
    assert np.array_equal(ours[1].numpy(), theirs[1].numpy())
