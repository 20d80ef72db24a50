"""numpyflow/ops/sampling_grid.py: grid_sample (bilinear / nearest, every padding mode,
align_corners, 4-D and 5-D) and affine_grid (2-D and 3-D) against PyTorch, finite
differences (to the input and the grid) and float32; warnings and errors."""

import numpy as np
import pytest
from cases import Case
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf


def F(L):
    return L.nn.functional


def _grid(shape):
    def extra(rng, shapes):
        return [rng.uniform(-1.2, 1.2, (shapes[0][0],) + shape[1:])]  # the input's batch size

    return extra


CASES = []
for pad in ("zeros", "border", "reflection"):
    for ac in (False, True):
        CASES.append(
            Case(
                f"grid_sample_bilinear_{pad}_{'ac' if ac else 'noac'}",
                lambda L, x, g, pad=pad, ac=ac: F(L).grid_sample(x, g * 1.2, "bilinear", pad, ac),
                [((2, 2, 3, 4), (2, 3, 2, 2))],
                values=("normal", "unit"),
                grad_shapes=[((1, 1, 3, 3), (1, 2, 2, 2))],
            )
        )
        CASES.append(
            Case(
                f"grid_sample_nearest_{pad}_{'ac' if ac else 'noac'}",
                lambda L, x, g, pad=pad, ac=ac: F(L).grid_sample(x, g.to(x.dtype), "nearest", pad, ac),
                [((2, 2, 3, 4),)],
                extra=_grid((2, 3, 2, 2)),
                grad_shapes=[((1, 1, 3, 3),)],
            )
        )
CASES += [
    Case(
        "grid_sample_trilinear_zeros",
        lambda L, x, g: F(L).grid_sample(x, g * 1.2, align_corners=False),
        [((1, 2, 2, 3, 3), (1, 2, 1, 2, 3))],
        values=("normal", "unit"),
        grad_shapes=[((1, 1, 2, 2, 3), (1, 1, 2, 2, 3))],
    ),
    Case(
        "grid_sample_trilinear_reflection_ac",
        lambda L, x, g: F(L).grid_sample(x, g * 1.2, "bilinear", "reflection", True),
        [((1, 1, 2, 3, 3), (1, 2, 1, 2, 3))],
        values=("normal", "unit"),
    ),
    Case(
        "affine_grid_2d",
        lambda L, t: F(L).affine_grid(t, [t.shape[0], 3, 4, 5], align_corners=False),
        [((2, 2, 3),)],
        grad_shapes=[((1, 2, 3),)],
    ),
    Case("affine_grid_2d_ac", lambda L, t: F(L).affine_grid(t, [1, 1, 3, 2], align_corners=True), [((1, 2, 3),)]),
    Case("affine_grid_3d", lambda L, t: F(L).affine_grid(t, [1, 1, 2, 3, 2], align_corners=False), [((1, 3, 4),)]),
    Case(
        "affine_grid_then_grid_sample",
        lambda L, x, t: F(L).grid_sample(x, F(L).affine_grid(t * 0.5, [1, 2, 3, 3], False), align_corners=False),
        [((1, 2, 4, 4), (1, 2, 3))],
        values=("normal", "unit"),
        grad_shapes=[((1, 1, 3, 3), (1, 2, 3))],
    ),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_grid_sample_and_affine_grid_warn_without_align_corners():
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        nf.nn.functional.grid_sample(nf.zeros(1, 1, 2, 2), nf.zeros(1, 1, 1, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        nf.nn.functional.affine_grid(nf.zeros(1, 2, 3), [1, 1, 2, 2])


def test_grid_sample_and_affine_grid_argument_errors():
    with pytest.raises(ValueError):
        nf.nn.functional.grid_sample(nf.zeros(1, 1, 2, 2), nf.zeros(1, 1, 1, 2), mode="area", align_corners=False)
    with pytest.raises(ValueError):
        nf.nn.functional.grid_sample(
            nf.zeros(1, 1, 2, 2), nf.zeros(1, 1, 1, 2), padding_mode="wrap", align_corners=False
        )
    with pytest.raises(ValueError):
        nf.nn.functional.affine_grid(nf.zeros(1, 3, 4), [1, 1, 2, 2], align_corners=False)
    with pytest.raises(NotImplementedError):
        nf.nn.functional.affine_grid(nf.zeros(1, 2, 3), [1, 2, 2], align_corners=False)


@needs_torch
def test_grid_sample_identity_affine_grid_reproduces_the_input():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5))
    theta = nf.tensor(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]))
    for ac in (False, True):
        out = nf.nn.functional.grid_sample(
            nf.tensor(x), nf.nn.functional.affine_grid(theta, [1, 2, 4, 5], ac), align_corners=ac
        )
        assert np.allclose(out.numpy(), x)
    assert torch is not None
