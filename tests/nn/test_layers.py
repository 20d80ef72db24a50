"""Every layer in numpyflow/nn against its PyTorch counterpart: same weights, same input,
same outputs, gradients and buffers (float64 tight, float32 loose), train and eval."""

import numpy as np
import pytest
from layer_parity import compare, copy_state
from reference import assert_close, needs_torch, torch

import numpyflow as nf
from numpyflow import nn

T = torch.nn if torch is not None else None

# (name, numpyflow factory, torch factory, input shape)
LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), lambda: T.Linear(5, 3), (4, 5)),
    ("linear_nobias_3d", lambda: nn.Linear(5, 3, bias=False), lambda: T.Linear(5, 3, bias=False), (2, 4, 5)),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3, padding=1), lambda: T.Conv2d(3, 4, 3, padding=1), (2, 3, 6, 6)),
    (
        "conv2d_strided_dilated",
        lambda: nn.Conv2d(2, 4, 3, stride=2, dilation=2, bias=False),
        lambda: T.Conv2d(2, 4, 3, stride=2, dilation=2, bias=False),
        (2, 2, 9, 9),
    ),
    (
        "conv2d_groups_same",
        lambda: nn.Conv2d(4, 4, 3, padding="same", groups=2),
        lambda: T.Conv2d(4, 4, 3, padding="same", groups=2),
        (1, 4, 5, 5),
    ),
    (
        "conv2d_depthwise",
        lambda: nn.Conv2d(3, 3, 3, padding=1, groups=3),
        lambda: T.Conv2d(3, 3, 3, padding=1, groups=3),
        (2, 3, 4, 4),
    ),
    (
        "conv2d_reflect",
        lambda: nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"),
        lambda: T.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"),
        (1, 2, 5, 5),
    ),
    (
        "conv_transpose2d",
        lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        lambda: T.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        (2, 3, 4, 4),
    ),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), lambda: T.BatchNorm2d(3), (4, 3, 5, 5)),
    ("batchnorm1d_2d", lambda: nn.BatchNorm1d(3), lambda: T.BatchNorm1d(3), (6, 3)),
    ("batchnorm1d_3d", lambda: nn.BatchNorm1d(3, momentum=None), lambda: T.BatchNorm1d(3, momentum=None), (4, 3, 7)),
    (
        "batchnorm2d_no_affine",
        lambda: nn.BatchNorm2d(3, affine=False),
        lambda: T.BatchNorm2d(3, affine=False),
        (4, 3, 2, 2),
    ),
    (
        "batchnorm2d_no_running_stats",
        lambda: nn.BatchNorm2d(3, track_running_stats=False),
        lambda: T.BatchNorm2d(3, track_running_stats=False),
        (4, 3, 2, 2),
    ),
    ("layernorm", lambda: nn.LayerNorm(6), lambda: T.LayerNorm(6), (3, 4, 6)),
    ("layernorm_2d_shape", lambda: nn.LayerNorm((4, 6)), lambda: T.LayerNorm((4, 6)), (3, 4, 6)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda: T.GroupNorm(2, 4), (3, 4, 3, 3)),
    ("maxpool2d", lambda: nn.MaxPool2d(2), lambda: T.MaxPool2d(2), (2, 3, 6, 6)),
    (
        "maxpool2d_pad_ceil",
        lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        lambda: T.MaxPool2d(3, 2, 1, ceil_mode=True),
        (2, 2, 7, 7),
    ),
    ("avgpool2d", lambda: nn.AvgPool2d(3, 2, 1), lambda: T.AvgPool2d(3, 2, 1), (2, 2, 7, 7)),
    (
        "avgpool2d_exclude_pad",
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        lambda: T.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 2, 7, 7),
    ),
    ("adaptive_avgpool", lambda: nn.AdaptiveAvgPool2d((1, 1)), lambda: T.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5)),
    (
        "adaptive_avgpool_uneven",
        lambda: nn.AdaptiveAvgPool2d((3, 2)),
        lambda: T.AdaptiveAvgPool2d((3, 2)),
        (2, 3, 7, 5),
    ),
    ("adaptive_maxpool", lambda: nn.AdaptiveMaxPool2d(2), lambda: T.AdaptiveMaxPool2d(2), (2, 3, 5, 5)),
    ("flatten", lambda: nn.Flatten(), lambda: T.Flatten(), (2, 3, 4)),
    ("unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: T.Unflatten(1, (2, 3)), (4, 6)),
    ("identity", lambda: nn.Identity(), lambda: T.Identity(), (3, 2)),
    ("relu", lambda: nn.ReLU(inplace=True), lambda: T.ReLU(), (3, 4)),
    ("relu6", lambda: nn.ReLU6(), lambda: T.ReLU6(), (3, 4)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda: T.LeakyReLU(0.2), (3, 4)),
    ("elu", lambda: nn.ELU(0.7), lambda: T.ELU(0.7), (3, 4)),
    ("gelu", lambda: nn.GELU(), lambda: T.GELU(), (3, 4)),
    ("gelu_tanh", lambda: nn.GELU("tanh"), lambda: T.GELU("tanh"), (3, 4)),
    ("silu", lambda: nn.SiLU(), lambda: T.SiLU(), (3, 4)),
    ("sigmoid", lambda: nn.Sigmoid(), lambda: T.Sigmoid(), (3, 4)),
    ("tanh", lambda: nn.Tanh(), lambda: T.Tanh(), (3, 4)),
    ("softmax", lambda: nn.Softmax(dim=1), lambda: T.Softmax(dim=1), (3, 4)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), lambda: T.LogSoftmax(dim=-1), (3, 4)),
    ("selu", lambda: nn.SELU(), lambda: T.SELU(), (3, 4)),
    ("celu", lambda: nn.CELU(0.5), lambda: T.CELU(0.5), (3, 4)),
    ("mish", lambda: nn.Mish(), lambda: T.Mish(), (3, 4)),
    ("hardswish", lambda: nn.Hardswish(), lambda: T.Hardswish(), (3, 4)),
    # (Hardsigmoid: PyTorch's backward uses 1/6 rounded to float32; tests/ops/test_activation.py)
    ("softsign", lambda: nn.Softsign(), lambda: T.Softsign(), (3, 4)),
    ("tanhshrink", lambda: nn.Tanhshrink(), lambda: T.Tanhshrink(), (3, 4)),
    ("logsigmoid", lambda: nn.LogSigmoid(), lambda: T.LogSigmoid(), (3, 4)),
    ("softmin", lambda: nn.Softmin(1), lambda: T.Softmin(1), (3, 4)),
    ("softmax2d", lambda: nn.Softmax2d(), lambda: T.Softmax2d(), (2, 3, 4, 4)),
    ("glu", lambda: nn.GLU(1), lambda: T.GLU(1), (3, 4)),
    ("threshold", lambda: nn.Threshold(0.1, 20.0), lambda: T.Threshold(0.1, 20.0), (3, 4)),
    ("hardshrink", lambda: nn.Hardshrink(0.3), lambda: T.Hardshrink(0.3), (3, 4)),
    ("softshrink", lambda: nn.Softshrink(0.3), lambda: T.Softshrink(0.3), (3, 4)),
    ("prelu", lambda: nn.PReLU(), lambda: T.PReLU(), (2, 3, 4)),
    ("prelu_channels", lambda: nn.PReLU(3, 0.1), lambda: T.PReLU(3, 0.1), (2, 3, 4)),
]


@needs_torch
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("dtype,rtol,atol", [(np.float64, 1e-9, 1e-10), (np.float32, 1e-4, 1e-5)], ids=["f64", "f32"])
@pytest.mark.parametrize("name,ours,theirs,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_pytorch(name, ours, theirs, shape, dtype, rtol, atol, mode):
    torch.manual_seed(0)
    t = theirs().to(torch.float64 if dtype == np.float64 else torch.float32)
    n = ours().to(nf.float64 if dtype == np.float64 else nf.float32)
    getattr(t, mode)()
    getattr(n, mode)()
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    out, _ = compare(n, t, [x], rtol=rtol, atol=atol)
    assert out.dtype == (nf.float64 if dtype == np.float64 else nf.float32)


@needs_torch
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
def test_batchnorm_running_statistics_follow_pytorch_over_many_steps(momentum):
    t = T.BatchNorm2d(3, momentum=momentum).double()
    n = nn.BatchNorm2d(3, momentum=momentum).double()
    copy_state(t, n)
    rng = np.random.default_rng(2)
    for _ in range(6):
        x = rng.standard_normal((4, 3, 3, 3)) * 3 + 1
        n(nf.tensor(x))
        t(torch.tensor(x))
    for name, b in t.named_buffers():
        assert_close(dict(n.named_buffers())[name], b, 1e-12, 1e-12, name)
    n.eval()
    t.eval()
    x = rng.standard_normal((2, 3, 3, 3))
    assert_close(n(nf.tensor(x)), t(torch.tensor(x)), 1e-12, 1e-12)


def test_batchnorm_wrong_input_rank_and_channels_are_clear_errors():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match="expected 4D input"):
        bn(nf.ones(2, 3))
    with pytest.raises(RuntimeError, match="input has 4 channels but the layer expects 3"):
        bn(nf.ones(2, 4, 2, 2))


def test_conv_wrong_channel_count_is_a_clear_error():
    conv = nn.Conv2d(1, 4, 3)
    with pytest.raises(RuntimeError, match="3 channels"):
        conv(nf.ones(8, 3, 28, 28))


def test_dropout_in_eval_mode_is_the_identity():
    x = nf.randn(3, 4, 2, 2)
    for layer in (nn.Dropout(0.5), nn.Dropout2d(0.5)):
        layer.eval()
        np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    nf.manual_seed(0)
    out = nn.Dropout(0.3)(nf.ones(100_000)).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)


@needs_torch
def test_embedding_matches_pytorch_with_padding_idx():
    t = T.Embedding(10, 4, padding_idx=2).double()
    n = nn.Embedding(10, 4, padding_idx=2).double()
    copy_state(t, n)
    idx = np.array([[1, 2, 2], [9, 1, 0]])
    out_n = n(nf.tensor(idx))
    out_t = t(torch.tensor(idx))
    assert_close(out_n, out_t)
    g = np.random.default_rng(0).standard_normal((2, 3, 4))
    out_n.backward(nf.tensor(g))
    out_t.backward(torch.tensor(g))
    assert_close(n.weight.grad, t.weight.grad)


def test_default_initialisation_follows_pytorch_bounds():
    nf.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = lin.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and w.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    conv = nn.Conv2d(16, 32, 3)
    cb = 1 / np.sqrt(16 * 9)
    assert np.abs(conv.weight.detach().numpy()).max() <= cb
    bn = nn.BatchNorm2d(5)
    assert bn.weight.tolist() == [1.0] * 5 and bn.bias.tolist() == [0.0] * 5
    emb = nn.Embedding(1000, 20)
    assert emb.weight.detach().numpy().std() == pytest.approx(1.0, rel=0.05)


# (name, numpyflow factory, torch factory, input array maker, target array maker)
def _normal(shape):
    return lambda r: r.standard_normal(shape)


def _signs(shape):
    return lambda r: r.choice([-1.0, 1.0], size=shape)


LOSSES = [
    (
        "cross_entropy",
        lambda: nn.CrossEntropyLoss(),
        lambda: T.CrossEntropyLoss(),
        lambda r: r.standard_normal((5, 4)),
        lambda r: r.integers(0, 4, 5),
    ),
    (
        "cross_entropy_options",
        lambda: nn.CrossEntropyLoss(
            weight=nf.tensor([1.0, 2.0, 0.5, 1.0], dtype=nf.float64), ignore_index=1, label_smoothing=0.1
        ),
        lambda: T.CrossEntropyLoss(
            weight=torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64), ignore_index=1, label_smoothing=0.1
        ),
        lambda r: r.standard_normal((6, 4, 2)),
        lambda r: r.integers(0, 4, (6, 2)),
    ),
    (
        "cross_entropy_probabilities",
        lambda: nn.CrossEntropyLoss(reduction="sum"),
        lambda: T.CrossEntropyLoss(reduction="sum"),
        lambda r: r.standard_normal((5, 3)),
        lambda r: r.dirichlet(np.ones(3), 5),
    ),
    (
        "nll",
        lambda: nn.NLLLoss(reduction="none"),
        lambda: T.NLLLoss(reduction="none"),
        lambda r: np.log(r.dirichlet(np.ones(3), 5)),
        lambda r: r.integers(0, 3, 5),
    ),
    (
        "mse",
        lambda: nn.MSELoss(),
        lambda: T.MSELoss(),
        lambda r: r.standard_normal((3, 4)),
        lambda r: r.standard_normal((3, 4)),
    ),
    (
        "l1",
        lambda: nn.L1Loss(reduction="sum"),
        lambda: T.L1Loss(reduction="sum"),
        lambda r: r.standard_normal((3, 4)),
        lambda r: r.standard_normal((3, 4)),
    ),
    (
        "smooth_l1",
        lambda: nn.SmoothL1Loss(beta=0.5),
        lambda: T.SmoothL1Loss(beta=0.5),
        lambda r: r.standard_normal((3, 4)),
        lambda r: r.standard_normal((3, 4)),
    ),
    (
        "bce",
        lambda: nn.BCELoss(),
        lambda: T.BCELoss(),
        lambda r: r.uniform(0.05, 0.95, (3, 4)),
        lambda r: r.integers(0, 2, (3, 4)).astype(float),
    ),
    (
        "bce_logits_pos_weight",
        lambda: nn.BCEWithLogitsLoss(pos_weight=nf.tensor([1.0, 2.0, 3.0, 0.5], dtype=nf.float64)),
        lambda: T.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0, 0.5], dtype=torch.float64)),
        lambda r: r.standard_normal((3, 4)) * 5,
        lambda r: r.integers(0, 2, (3, 4)).astype(float),
    ),
]

LOSSES += [
    ("huber", lambda: nn.HuberLoss(delta=0.5), lambda: T.HuberLoss(delta=0.5), _normal((3, 4)), _normal((3, 4))),
    (
        "kl_div_batchmean",
        lambda: nn.KLDivLoss(reduction="batchmean"),
        lambda: T.KLDivLoss(reduction="batchmean"),
        _normal((3, 4)),
        lambda r: r.uniform(0.1, 1.0, (3, 4)),
    ),
    (
        "poisson_nll",
        lambda: nn.PoissonNLLLoss(),
        lambda: T.PoissonNLLLoss(),
        _normal((3, 4)),
        lambda r: r.uniform(0.0, 3.0, (3, 4)),
    ),
    ("soft_margin", lambda: nn.SoftMarginLoss(), lambda: T.SoftMarginLoss(), _normal((3, 4)), _signs((3, 4))),
    (
        "multilabel_soft_margin",
        lambda: nn.MultiLabelSoftMarginLoss(),
        lambda: T.MultiLabelSoftMarginLoss(),
        _normal((3, 4)),
        lambda r: r.integers(0, 2, (3, 4)).astype(float),
    ),
    (
        "hinge_embedding",
        lambda: nn.HingeEmbeddingLoss(0.5),
        lambda: T.HingeEmbeddingLoss(0.5),
        _normal((3, 4)),
        _signs((3, 4)),
    ),
]


@needs_torch
@pytest.mark.parametrize("name,ours,theirs,make_input,make_target", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_matches_pytorch(name, ours, theirs, make_input, make_target):
    rng = np.random.default_rng(3)
    x, y = make_input(rng), make_target(rng)
    a = nf.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out_n = ours()(a, nf.tensor(y))
    out_t = theirs()(b, torch.tensor(y))
    assert_close(out_n, out_t, 1e-10, 1e-12)
    g = rng.standard_normal(tuple(out_t.shape))
    out_n.backward(nf.tensor(g))
    out_t.backward(torch.tensor(g))
    assert_close(a.grad, b.grad, 1e-10, 1e-12)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_three_input_losses_match_pytorch(reduction):
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal((4, 3)) for _ in range(3))
    y = rng.choice([-1.0, 1.0], size=4)
    var = rng.uniform(0.5, 2.0, (4, 3))
    pairs = [
        (nn.CosineEmbeddingLoss(0.1, reduction=reduction), T.CosineEmbeddingLoss(0.1, reduction=reduction), (a, b, y)),
        (
            nn.MarginRankingLoss(0.2, reduction=reduction),
            T.MarginRankingLoss(0.2, reduction=reduction),
            (a[:, 0], b[:, 0], y),
        ),
        (
            nn.TripletMarginLoss(swap=True, reduction=reduction),
            T.TripletMarginLoss(swap=True, reduction=reduction),
            (a, b, c),
        ),
        (
            nn.GaussianNLLLoss(full=True, reduction=reduction),
            T.GaussianNLLLoss(full=True, reduction=reduction),
            (a, b, var),
        ),
    ]
    for ours, theirs, arrays in pairs:
        assert_close(ours(*(nf.tensor(v) for v in arrays)), theirs(*(torch.tensor(v) for v in arrays)), 1e-10, 1e-12)


@needs_torch
def test_bilinear_and_distance_layers_match_pytorch():
    torch.manual_seed(0)
    rng = np.random.default_rng(6)
    x1, x2 = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    compare(nn.Bilinear(2, 3, 5).double(), T.Bilinear(2, 3, 5).double(), [x1, x2])
    compare(nn.CosineSimilarity(dim=1), T.CosineSimilarity(dim=1), [x1, x1 + 0.5])
    compare(nn.PairwiseDistance(p=3.0), T.PairwiseDistance(p=3.0), [x2, x2 * 2])


def test_bilinear_initialises_within_pytorchs_bounds():
    layer = nn.Bilinear(4, 3, 2)
    assert tuple(layer.weight.shape) == (2, 4, 3) and tuple(layer.bias.shape) == (2,)
    assert np.abs(layer.weight.detach().numpy()).max() <= 0.5 and np.abs(layer.bias.detach().numpy()).max() <= 0.5


@needs_torch
def test_loss_layers_take_pytorchs_positional_arguments_and_legacy_flags():
    assert nn.CrossEntropyLoss(None, None, 3).ignore_index == 3
    assert nn.NLLLoss(None, None, 2, None, "sum").reduction == "sum"
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    assert T.MSELoss(None, False).reduction == nn.MSELoss(None, False).reduction == "none"


@needs_torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_same_padding_pads_with_its_padding_mode(mode):
    torch.manual_seed(0)
    compare(
        nn.Conv2d(2, 3, 3, padding="same", padding_mode=mode).double(),
        T.Conv2d(2, 3, 3, padding="same", padding_mode=mode).double(),
        [np.random.default_rng(0).standard_normal((1, 2, 5, 6))],
    )


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.nn.BatchNorm2d(3, affine=False),
        lambda L: L.nn.BatchNorm1d(3, bias=False),
        lambda L: L.nn.LayerNorm(3, elementwise_affine=False),
        lambda L: L.nn.LayerNorm(3, bias=False),
        lambda L: L.nn.GroupNorm(1, 3, affine=False),
        lambda L: L.nn.GroupNorm(1, 3),
    ],
)
def test_norm_layers_print_as_pytorchs(make):
    assert repr(make(nf)) == repr(make(torch))
