"""numpyflow/ops/nn_misc.py: dropout (statistics, determinism, gradients), embedding,
one_hot, interpolate and pad against PyTorch (forward and gradients), finite differences
(first and second derivatives), float32 and errors."""
import warnings

import numpy as np
import pytest

import numpyflow as nf
from cases import Case
from reference import assert_close, needs_torch, torch
from runner import op_tests
from numpyflow.ops import nn_misc


def F(L):
    """The functional namespace of the library under test (torch.nn.functional or ours)."""
    return L.nn.functional if L is torch else nn_misc


def _indices(shape, n):
    def extra(rng, shapes):
        i = rng.integers(0, n, size=shape)
        i.reshape(-1)[:2] = [1, 1]  # a repeated index: its gradient rows add up
        return [i]
    return extra


def _interp(name, shapes, grad_shapes=None, **kw):
    return Case(f"interpolate_{name}", lambda L, x: F(L).interpolate(x, **kw), shapes, grad_shapes=grad_shapes)


IMG = [((2, 3, 4, 5),), ((1, 1, 3, 3),)]
IMG_GRAD = [((1, 2, 2, 3),)]


def _pad(name, pad, mode, shapes, grad_shapes=None):
    return Case(f"pad_{name}", lambda L, x: F(L).pad(x, pad, mode=mode), shapes, grad_shapes=grad_shapes)


CASES = [
    Case("dropout_eval_is_identity", lambda L, x: F(L).dropout(x, 0.5, training=False) * 2, [((3, 4),)]),
    Case("dropout_p0_is_identity", lambda L, x: F(L).dropout(x, 0.0) * 2, [((3, 4),)]),
    Case("embedding", lambda L, w, i: F(L).embedding(i, w), [((5, 3),)], extra=_indices((2, 4), 5)),
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is not the
    # derivative), so these compare with PyTorch only, not with finite differences
    Case("embedding_padding_idx", lambda L, w, i: F(L).embedding(i, w, padding_idx=1), [((5, 3),)],
         extra=_indices((6,), 5), finite_differences=False),
    Case("embedding_negative_padding_idx_scaled_by_freq",
         lambda L, w, i: F(L).embedding(i, w, padding_idx=-1, scale_grad_by_freq=True), [((4, 2),)],
         extra=_indices((3, 3), 4), finite_differences=False),
    _interp("nearest_scale_2", IMG, IMG_GRAD, scale_factor=2),
    _interp("nearest_size", IMG, IMG_GRAD, size=(7, 3)),
    _interp("nearest_fractional_scale", IMG, IMG_GRAD, scale_factor=(1.5, 0.6)),
    _interp("nearest_exact", IMG, IMG_GRAD, size=(5, 8), mode="nearest-exact"),
    _interp("bilinear", IMG, IMG_GRAD, size=(6, 7), mode="bilinear"),
    _interp("bilinear_align_corners", IMG, IMG_GRAD, size=(6, 4), mode="bilinear", align_corners=True),
    _interp("bilinear_scale_factor", IMG, IMG_GRAD, scale_factor=1.7, mode="bilinear"),
    _interp("bilinear_downsample", [((2, 2, 6, 7),)], [((1, 1, 5, 4),)], size=(3, 2), mode="bilinear"),
    _interp("linear_3d", [((2, 3, 5),)], [((1, 2, 4),)], scale_factor=2.5, mode="linear"),
    _interp("trilinear_align_corners", [((1, 2, 2, 3, 2),)], [((1, 1, 2, 2, 2),)], size=(3, 4, 3),
            mode="trilinear", align_corners=True),
    _interp("nearest_3d", [((2, 3, 5),)], scale_factor=3),
    _pad("constant", (1, 2, 0, 1), "constant", [((2, 3, 4),)], [((2, 3),)]),
    _pad("reflect_1d", (2, 3), "reflect", [((2, 3, 5),), ((3, 4),)], [((1, 2, 4),)]),
    _pad("reflect_2d", (1, 2, 2, 1), "reflect", [((2, 2, 3, 4),), ((2, 3, 4),)], [((1, 2, 3, 3),)]),
    _pad("reflect_negative_crops", (-1, 2), "reflect", [((2, 2, 5),)], [((1, 2, 4),)]),
    _pad("replicate_2d", (2, 0, 1, 3), "replicate", [((2, 2, 3, 4),)], [((1, 1, 3, 3),)]),
    _pad("replicate_3d", (1, 1, 0, 2, 1, 0), "replicate", [((1, 2, 2, 3, 2),)], [((1, 1, 2, 2, 2),)]),
    _pad("circular_2d", (1, 2, 2, 0), "circular", [((2, 2, 3, 4),)], [((1, 1, 3, 3),)]),
    _pad("circular_negative", (-1, 3), "circular", [((2, 2, 5),)], [((1, 2, 4),)]),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)


# -- dropout ---------------------------------------------------------------------------------

def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    nf.manual_seed(0)
    x = nf.ones(200, 500)
    y = nn_misc.dropout(x, p=0.3).numpy()
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, np.float32(1 / 0.7)], rtol=1e-7)
    assert abs(y.mean() - 1.0) < 0.02  # the expectation is preserved


def test_dropout_repeats_under_manual_seed():
    x = nf.randn(50, 40)
    nf.manual_seed(123)
    a = nn_misc.dropout(x, 0.5).numpy()
    nf.manual_seed(123)
    b = nn_misc.dropout(x, 0.5).numpy()
    c = nn_misc.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_gradient_is_the_scaled_mask():
    nf.manual_seed(1)
    x = nf.randn(30, 20, dtype=nf.float64, requires_grad=True)
    y = nn_misc.dropout(x, 0.25)
    y.backward(nf.ones_like(y))
    kept = y.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy(), kept / 0.75)
    g, = nf.autograd.grad(nn_misc.dropout(x, 0.25).sum(), [x], create_graph=True)
    assert g.dtype == nf.float64


def test_dropout_extremes_and_identity():
    x = nf.randn(4, 5, requires_grad=True)
    assert nn_misc.dropout(x, 0.5, training=False) is x
    assert nn_misc.dropout(x, 0.0) is x
    y = nn_misc.dropout(x, 1.0)
    assert not np.any(y.detach().numpy())
    y.sum().backward()
    assert not np.any(x.grad.numpy())


def test_dropout_float32_stays_float32():
    x = nf.randn(8, 8, requires_grad=True)
    y = nn_misc.dropout(x, 0.5)
    y.sum().backward()
    assert y.dtype == nf.float32 and x.grad.dtype == nf.float32


def test_dropout_inplace_writes_into_the_input():
    nf.manual_seed(2)
    x = nf.ones(10, 10)
    y = nn_misc.dropout(x, 0.5, inplace=True)
    assert y is x
    assert np.any(x.numpy() == 0) and np.any(x.numpy() == 2)


def test_dropout2d_drops_whole_channels():
    nf.manual_seed(3)
    y = nn_misc.dropout2d(nf.ones(8, 16, 5, 5), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # each channel all zero or all scaled
    assert 0 < np.mean(per_channel[..., 0] == 0) < 1
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y3 = nn_misc.dropout2d(nf.ones(4, 6, 7), 0.5).numpy()
    assert any("3D input" in str(m.message) for m in w)
    assert np.all(y3.min(-1) == y3.max(-1))


def test_dropout_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn_misc.dropout(nf.randn(3), 1.5)


# -- embedding and one_hot ---------------------------------------------------------------------

def test_embedding_padding_row_gets_no_gradient_and_repeats_accumulate():
    w = nf.randn(4, 3, dtype=nf.float64, requires_grad=True)
    out = nn_misc.embedding(nf.tensor([[2, 0, 2], [2, 3, 0]]), w, padding_idx=0)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0, 0], [0, 0, 0], [3, 3, 3], [1, 1, 1]])


@needs_torch
def test_embedding_max_norm_renormalises_rows_like_pytorch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4)) * 2
    ours, theirs = nf.tensor(w), torch.tensor(w)
    idx = [1, 3, 3, 5]
    a = nn_misc.embedding(nf.tensor(idx), ours, max_norm=1.5, norm_type=1.0)
    b = torch.nn.functional.embedding(torch.tensor(idx), theirs, max_norm=1.5, norm_type=1.0)
    assert_close(a, b, rtol=1e-12, what="rows")
    assert_close(ours, theirs, rtol=1e-12, what="weight after renorm")


def test_embedding_errors():
    w = nf.randn(4, 2)
    with pytest.raises(RuntimeError, match="embedding: Expected tensor for argument #1 'indices'"):
        nn_misc.embedding(nf.tensor([1.0, 2.0]), w)
    with pytest.raises(IndexError, match="embedding: index 5 is out of range"):
        nn_misc.embedding(nf.tensor([1, 5]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn_misc.embedding(nf.tensor([1]), w, padding_idx=4)


@needs_torch
@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot_matches_pytorch(num_classes):
    t = np.array([[0, 3], [4, 1]])
    ours = nn_misc.one_hot(nf.tensor(t), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(t), num_classes)
    assert ours.dtype == nf.int64
    assert_close(ours, theirs, what="one_hot")


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        nn_misc.one_hot(nf.tensor([1, -2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        nn_misc.one_hot(nf.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        nn_misc.one_hot(nf.tensor(np.zeros(0, np.int64)))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        nn_misc.one_hot(nf.tensor([1.0]))
    assert tuple(nn_misc.one_hot(nf.tensor(np.zeros(0, np.int64)), 3).shape) == (0, 3)


# -- interpolate: PyTorch's index rules, exactly --------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,align", [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                        ("bilinear", True)])
def test_interpolate_source_indices_match_pytorch_over_many_sizes(dtype, mode, align):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 13, 33)).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for size in [(1, 1), (2, 5), (6, 16), (13, 33), (26, 66), (31, 67), (40, 17)]:
        ours = nn_misc.interpolate(nf.tensor(x), size=size, mode=mode, align_corners=align)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=align)
        assert_close(ours, theirs, rtol=tol, atol=tol, what=f"size {size}")
    if align:
        return
    for scale in [0.3, 0.7, 1 / 3, 1.1, 1.5, 2.5, 3.0]:
        ours = nn_misc.interpolate(nf.tensor(x), scale_factor=scale, mode=mode)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale, mode=mode)
        assert_close(ours, theirs, rtol=tol, atol=tol, what=f"scale_factor {scale}")


def test_interpolate_nearest_copies_input_values():
    x = nf.arange(6.0).reshape(1, 1, 2, 3)
    y = nn_misc.interpolate(x, scale_factor=2)
    assert y.numpy()[0, 0].tolist() == [[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5],
                                        [3, 3, 4, 4, 5, 5]]


def test_interpolate_argument_errors():
    x = nf.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        nn_misc.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        nn_misc.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        nn_misc.interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        nn_misc.interpolate(nf.randn(1, 2, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        nn_misc.interpolate(x, scale_factor=2, mode="bicubic")


# -- pad ----------------------------------------------------------------------------------------

def test_pad_modes_on_a_row():
    x = nf.arange(5.0).reshape(1, 1, 5)
    assert nn_misc.pad(x, (2, 2), mode="reflect").tolist() == [[[2, 1, 0, 1, 2, 3, 4, 3, 2]]]
    assert nn_misc.pad(x, (2, 1), mode="replicate").tolist() == [[[0, 0, 0, 1, 2, 3, 4, 4]]]
    assert nn_misc.pad(x, (1, 2), mode="circular").tolist() == [[[4, 0, 1, 2, 3, 4, 0, 1]]]
    assert nn_misc.pad(x, (1, 1), value=-1.0).tolist() == [[[-1, 0, 1, 2, 3, 4, -1]]]


def test_pad_errors():
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        nn_misc.pad(nf.randn(1, 2, 3), (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        nn_misc.pad(nf.randn(1, 2, 3), (4, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input tensor"):
        nn_misc.pad(nf.randn(1, 1, 3, 3), (1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        nn_misc.pad(nf.randn(1, 3, 3), (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        nn_misc.pad(nf.randn(1, 3, 3), (1, 1), mode="foo")


@needs_torch
def test_embedding_double_backward_reads_rows_back_like_pytorch():
    rng = np.random.default_rng(1)
    w0, seed0, r0 = rng.standard_normal((5, 3)), rng.standard_normal((2, 4, 3)), rng.standard_normal((5, 3))
    idx = np.array([[1, 4, 1, 0], [2, 4, 4, 3]])
    results = []
    for lib, emb in ((nf, nn_misc.embedding), (torch, torch.nn.functional.embedding)):
        w = lib.tensor(w0, requires_grad=True)
        seed = lib.tensor(seed0, requires_grad=True)
        g, = lib.autograd.grad(emb(lib.tensor(idx), w, padding_idx=4), [w], seed, create_graph=True)
        (g * lib.tensor(r0)).sum().backward()
        results.append((g, seed.grad))
    assert_close(results[0][0], results[1][0], rtol=1e-12, what="weight gradient")
    assert_close(results[0][1], results[1][1], rtol=1e-12, what="gradient of the weight gradient wrt its seed")
