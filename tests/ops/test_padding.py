"""numpyflow/ops/padding.py: pad in every mode against PyTorch (forward and gradients),
finite differences (first and second derivatives), float32 and errors."""

import numpy as np
import pytest
from cases import Case
from reference import torch
from runner import op_tests

import numpyflow as nf
from numpyflow.ops import padding as padding_ops


def F(L):
    """The functions under test: torch.nn.functional's, or this module's."""
    return L.nn.functional if L is torch else padding_ops


def _pad(name, pad, mode, shapes, grad_shapes=None, reference_grad=True):
    return Case(
        f"pad_{name}",
        lambda L, x: F(L).pad(x, pad, mode=mode),
        shapes,
        grad_shapes=grad_shapes,
        reference_grad=reference_grad,
    )


CASES = [
    _pad("constant", (1, 2, 0, 1), "constant", [((2, 3, 4),)], [((2, 3),)]),
    _pad("reflect_1d", (2, 3), "reflect", [((2, 3, 5),), ((3, 4),)], [((1, 2, 4),)]),
    _pad("reflect_2d", (1, 2, 2, 1), "reflect", [((2, 2, 3, 4),), ((2, 3, 4),)], [((1, 2, 3, 3),)]),
    _pad("reflect_negative_crops", (-1, 2), "reflect", [((2, 2, 5),)], [((1, 2, 4),)]),
    _pad("replicate_2d", (2, 0, 1, 3), "replicate", [((2, 2, 3, 4),)], [((1, 1, 3, 3),)]),
    _pad("replicate_3d", (1, 1, 0, 2, 1, 0), "replicate", [((1, 2, 2, 3, 2),)], [((1, 1, 2, 2, 2),)]),
    _pad("circular_2d", (1, 2, 2, 0), "circular", [((2, 2, 3, 4),)], [((1, 1, 3, 3),)]),
    _pad("circular_negative", (-1, 3), "circular", [((2, 2, 5),)], [((1, 2, 4),)]),
    # Negative padding down to an empty dim: allowed while another padded dim stays non-empty.
    # The gradient is zero; PyTorch's backward leaves it uninitialised memory (reference_grad=False).
    _pad("reflect_crop_to_empty", (-2, -2, 1, 1), "reflect", [((1, 2, 4, 4),)], reference_grad=False),
    _pad("replicate_crop_to_empty", (1, 0, -3, -1), "replicate", [((2, 1, 4, 3),)], reference_grad=False),
    _pad("reflect_3d_crop_to_empty", (0, 0, -2, -2, -1, -1), "reflect", [((1, 1, 2, 4, 3),)], reference_grad=False),
    _pad("circular_crop_all_to_empty", (-2, -2, -4, 0), "circular", [((1, 2, 4, 4),)], reference_grad=False),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


def test_pad_modes_on_a_row():
    x = nf.arange(5.0).reshape(1, 1, 5)
    assert padding_ops.pad(x, (2, 2), mode="reflect").tolist() == [[[2, 1, 0, 1, 2, 3, 4, 3, 2]]]
    assert padding_ops.pad(x, (2, 1), mode="replicate").tolist() == [[[0, 0, 0, 1, 2, 3, 4, 4]]]
    assert padding_ops.pad(x, (1, 2), mode="circular").tolist() == [[[4, 0, 1, 2, 3, 4, 0, 1]]]
    assert padding_ops.pad(x, (1, 1), value=-1.0).tolist() == [[[-1, 0, 1, 2, 3, 4, -1]]]


def test_pad_errors():
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        padding_ops.pad(nf.randn(1, 2, 3), (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        padding_ops.pad(nf.randn(1, 2, 3), (4, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input tensor"):
        padding_ops.pad(nf.randn(1, 1, 3, 3), (1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        padding_ops.pad(nf.randn(1, 3, 3), (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        padding_ops.pad(nf.randn(1, 3, 3), (1, 1), mode="foo")


NEGATIVE_PADS = [
    ("reflect", (1, 1, 4), (-2, -2)),  # 1-D: the only padded dim empty
    ("replicate", (1, 4), (-4, 0)),
    ("reflect", (1, 1, 4, 4), (-2, -2, -2, -2)),  # 2-D: both empty
    ("replicate", (1, 1, 4, 4, 4), (-2, -2, -2, -2, -2, -2)),
    ("reflect", (1, 1, 4), (-2, -3)),  # a negative size
    ("replicate", (1, 1, 4, 4), (-2, -3, 1, 1)),
    ("circular", (1, 1, 4), (-2, -3)),
    ("circular", (1, 1, 4, 4), (-4, -1, 2, 0)),
]


@pytest.mark.parametrize("mode,shape,pad", NEGATIVE_PADS, ids=[f"{m}-{p}" for m, _, p in NEGATIVE_PADS])
def test_negative_padding_past_empty_is_a_runtime_error_as_in_pytorch(mode, shape, pad):
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.nn.functional.pad(torch.ones(shape), pad, mode=mode)
    with pytest.raises(RuntimeError, match="pad: input .* too small"):
        padding_ops.pad(nf.ones(shape), pad, mode=mode)


def test_circular_padding_wider_than_what_the_crop_leaves_is_refused():
    # PyTorch reads memory outside the tensor here (its result is garbage or an overlap
    # error); numpyflow refuses rather than wrap around a dim twice.
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        padding_ops.pad(nf.ones(1, 1, 4), (-2, 3), mode="circular")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        padding_ops.pad(nf.ones(1, 1, 4), (-4, 1), mode="circular")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_to_an_empty_dim_gives_an_empty_tensor_and_a_zero_gradient(mode):
    x = nf.randn(1, 2, 4, 4, dtype=nf.float64, requires_grad=True)
    y = padding_ops.pad(x, (-2, -2, 1, 1), mode=mode)
    assert tuple(y.shape) == (1, 2, 6, 0)
    y.sum().backward()
    assert x.grad.tolist() == np.zeros((1, 2, 4, 4)).tolist()
