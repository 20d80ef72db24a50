"""The founding article's example (examples/founding_example.py) against PyTorch."""

import sys
from pathlib import Path

import numpy as np
from reference import needs_torch, torch

import numpyflow as nf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from founding_example import make_inputs, run, small_case  # noqa: E402


def test_small_case_gradients_are_one_and_one():
    assert small_case(nf) == (1.0, 1.0)


def test_output_shape():
    f15, gx, gy, gz = run(nf, make_inputs())
    assert tuple(f15.shape) == (6, 4, 3)
    assert gx.shape == (2, 4, 6, 3, 4) and gz.shape == (2, 4, 1, 1, 4)


@needs_torch
def test_gradients_match_pytorch_to_1e9_relative():
    arrays = make_inputs(seed=7)
    ours = run(nf, arrays)
    theirs = run(torch, arrays)
    for name, a, b in zip(("f15", "x.grad", "y.grad", "z.grad"), ours, theirs):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=0, err_msg=name)
