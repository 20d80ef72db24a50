"""numpyflow/ops/rms_norm.py: rms_norm against PyTorch, finite differences, float32."""

import numpy as np
import pytest
from cases import Case
from runner import op_tests

import numpyflow as nf

CASES = [
    Case(
        "rms_norm_last",
        lambda L, x: L.nn.functional.rms_norm(x, (4,)),
        [((3, 4),), ((2, 3, 4),)],
        grad_shapes=[((3, 4),)],
    ),
    Case(
        "rms_norm_weight_eps",
        lambda L, x, w: L.nn.functional.rms_norm(x, (3, 4), w, eps=1e-3),
        [((2, 3, 4), (3, 4))],
        grad_shapes=[((1, 3, 4), (3, 4))],
    ),
    Case("rms_norm_list_shape", lambda L, x, w: L.nn.functional.rms_norm(x, [5], w), [((2, 5), (5,))]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_rms_norm_default_eps_is_dtype_machine_epsilon():
    x = nf.zeros(2, 3)
    x32 = nf.tensor(np.full((1, 3), 1e-4, np.float32))
    out = nf.nn.functional.rms_norm(x32, (3,))
    expected = 1e-4 / np.sqrt(1e-8 + np.finfo(np.float32).eps)
    assert np.allclose(out.numpy(), expected, rtol=1e-5)
    assert not np.any(np.isnan(nf.nn.functional.rms_norm(x, (3,)).numpy()))


def test_rms_norm_rejects_mismatched_shape():
    with pytest.raises(RuntimeError):
        nf.nn.functional.rms_norm(nf.zeros(2, 3), (4,))
    with pytest.raises(TypeError):  # as PyTorch: the functional form takes a shape, not an int
        nf.nn.functional.rms_norm(nf.zeros(2, 3), 3)
