"""BatchNorm3d, RMSNorm, Dropout1d/3d, AlphaDropout, FeatureAlphaDropout, the multi-class
margin losses, LPPool1d/2d/3d and ChannelShuffle against PyTorch (compare(): outputs,
gradients, buffers; state_dict keys and shapes)."""

import numpy as np
import pytest
from layer_parity import compare
from reference import needs_torch, torch

import numpyflow as nf

pytestmark = needs_torch


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _same_state(ours, theirs):
    a = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    b = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert a == b


@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"momentum": None}, {"track_running_stats": False}])
def test_batchnorm3d_matches_pytorch_in_train_and_eval(kwargs):
    ours, theirs = nf.nn.BatchNorm3d(3, **kwargs).double(), torch.nn.BatchNorm3d(3, **kwargs).double()
    _same_state(ours, theirs)
    x = _rand(2, 3, 2, 3, 3)
    compare(ours, theirs, [x])
    compare(ours, theirs, [x * 2 + 1])
    ours.eval()
    theirs.eval()
    compare(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


def test_batchnorm3d_rejects_4d_input():
    with pytest.raises(ValueError):
        nf.nn.BatchNorm3d(3)(nf.zeros(2, 3, 4, 4))


@pytest.mark.parametrize(
    "shape,kwargs", [((4,), {}), ((3, 4), {"eps": 1e-3}), (5, {}), ((4,), {"elementwise_affine": False})]
)
def test_rmsnorm_matches_pytorch(shape, kwargs):
    ours, theirs = nf.nn.RMSNorm(shape, **kwargs).double(), torch.nn.RMSNorm(shape, **kwargs).double()
    _same_state(ours, theirs)
    if ours.weight is not None:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(_rand(*theirs.weight.shape, seed=3)))
    last = (shape,) if isinstance(shape, int) else shape
    compare(ours, theirs, [_rand(2, 3, *last)[..., :] if len(last) == 1 else _rand(2, *last)])
    assert repr(ours) == repr(theirs)


def test_rmsnorm_float32_default_eps_matches_pytorch():
    ours, theirs = nf.nn.RMSNorm(4), torch.nn.RMSNorm(4)
    x = (_rand(3, 4) * 1e-4).astype(np.float32)
    compare(ours, theirs, [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "ours_cls,theirs_cls,shape",
    [
        (nf.nn.Dropout1d, torch.nn.Dropout1d, (4, 6, 5)),
        (nf.nn.Dropout1d, torch.nn.Dropout1d, (6, 5)),
        (nf.nn.Dropout3d, torch.nn.Dropout3d, (2, 6, 2, 2, 2)),
        (nf.nn.AlphaDropout, torch.nn.AlphaDropout, (4, 6, 5)),
        (nf.nn.FeatureAlphaDropout, torch.nn.FeatureAlphaDropout, (4, 6, 5)),
    ],
)
def test_dropout_layers_are_identity_in_eval_and_repr_matches(ours_cls, theirs_cls, shape):
    ours, theirs = ours_cls(0.3), theirs_cls(0.3)
    assert repr(ours) == repr(theirs)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, [_rand(*shape)])


@pytest.mark.parametrize("cls", [nf.nn.Dropout1d, nf.nn.Dropout3d])
def test_channel_dropout_layers_zero_whole_channels(cls):
    shape = (8, 16, 5) if cls is nf.nn.Dropout1d else (4, 16, 2, 2, 2)
    x = nf.ones(*shape)
    nf.manual_seed(0)
    y = cls(0.5)(x).numpy().reshape(shape[0], shape[1], -1)
    assert np.all((y == 0).all(-1) | (y == 2.0).all(-1))
    assert 0 < (y == 0).mean() < 1


def test_alpha_dropout_keeps_mean_and_variance_and_takes_two_values():
    nf.manual_seed(1)
    x = nf.randn(200, 500, dtype=nf.float64)
    y = nf.nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    p, alpha = 0.2, 1.7580993408473766
    a = 1.0 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    dropped = np.isclose(y, -alpha * a + alpha * a * p)
    kept = np.isclose(y, a * x.numpy() + alpha * a * p)
    assert np.all(dropped | kept) and abs(dropped.mean() - p) < 0.01


def test_alpha_dropout_gradient_is_the_keep_scale():
    nf.manual_seed(2)
    x = nf.randn(50, 40, dtype=nf.float64, requires_grad=True)
    y = nf.nn.functional.alpha_dropout(x, 0.5, training=True)
    y.sum().backward()
    g = x.grad.numpy()
    a = 1.0 / np.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    assert np.all(np.isclose(g, 0) | np.isclose(g, a))
    assert np.all(
        nf.nn.functional.alpha_dropout(x, 0.5).detach().numpy() == x.detach().numpy()
    )  # training=False default


def test_feature_alpha_dropout_drops_whole_channels():
    nf.manual_seed(3)
    x = nf.zeros(6, 20, 7, dtype=nf.float64)
    y = nf.nn.FeatureAlphaDropout(0.5)(x).numpy()
    assert np.all(y == y[:, :, :1])
    assert len(np.unique(y)) == 2


@pytest.mark.parametrize("kwargs", [{}, {"p": 2, "margin": 0.5}, {"reduction": "none"}, {"reduction": "sum"}])
def test_multi_margin_loss_layer_matches_pytorch(kwargs):
    x = _rand(4, 5)
    y = np.array([0, 3, 4, 1])
    compare(nf.nn.MultiMarginLoss(**kwargs), torch.nn.MultiMarginLoss(**kwargs), [x, y])


def test_multi_margin_loss_weight_is_a_buffer_like_pytorch():
    w = np.linspace(0.5, 2.0, 5)
    ours, theirs = nf.nn.MultiMarginLoss(weight=nf.tensor(w)), torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    _same_state(ours, theirs)
    compare(ours, theirs, [_rand(4, 5), np.array([0, 3, 4, 1])])


def test_multilabel_margin_loss_layer_matches_pytorch():
    y = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 2, 2]])
    for red in ("mean", "none"):
        compare(
            nf.nn.MultiLabelMarginLoss(reduction=red), torch.nn.MultiLabelMarginLoss(reduction=red), [_rand(3, 4), y]
        )


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_layer_matches_pytorch(swap):
    args = [_rand(5, 3, seed=i) for i in range(3)]
    compare(
        nf.nn.TripletMarginWithDistanceLoss(swap=swap, margin=2.0),
        torch.nn.TripletMarginWithDistanceLoss(swap=swap, margin=2.0),
        args,
    )
    compare(
        nf.nn.TripletMarginWithDistanceLoss(distance_function=nf.nn.PairwiseDistance(p=1.0), reduction="none"),
        torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.PairwiseDistance(p=1.0), reduction="none"),
        args,
    )


@pytest.mark.parametrize(
    "name,args,shape",
    [
        ("LPPool1d", (2, 3), (2, 3, 8)),
        ("LPPool1d", (1.5, 2, 1, True), (2, 7)),
        ("LPPool2d", (2, 2), (1, 2, 4, 6)),
        ("LPPool2d", (3, (2, 3), (1, 2)), (1, 2, 5, 7)),
        ("LPPool3d", (2, 2), (1, 2, 4, 4, 4)),
    ],
)
def test_lp_pool_layers_match_pytorch(name, args, shape):
    ours, theirs = getattr(nf.nn, name)(*args), getattr(torch.nn, name)(*args)
    compare(ours, theirs, [np.abs(_rand(*shape)) + 0.5])
    assert repr(ours) == repr(theirs)


def test_channel_shuffle_layer_matches_pytorch():
    ours, theirs = nf.nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    compare(ours, theirs, [_rand(2, 6, 3, 2)])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "kwargs,forward",
    [
        ({}, {"offsets": [0, 2, 5]}),
        ({"mode": "sum"}, {"offsets": [0, 2, 5], "per_sample_weights": True}),
        ({"mode": "max", "padding_idx": 2}, {"offsets": [0, 3, 3]}),
        ({"mode": "sum", "include_last_offset": True}, {"offsets": [0, 2, 6]}),
    ],
)
def test_embedding_bag_layer_matches_pytorch(kwargs, forward):
    ours, theirs = nf.nn.EmbeddingBag(7, 3, **kwargs).double(), torch.nn.EmbeddingBag(7, 3, **kwargs).double()
    _same_state(ours, theirs)
    assert repr(ours) == repr(theirs)
    idx = np.array([0, 2, 6, 2, 3, 1, 4])
    offsets = np.array(forward["offsets"])
    if forward.get("per_sample_weights"):
        psw = _rand(7)
        theirs_out = theirs(torch.tensor(idx), torch.tensor(offsets), torch.tensor(psw))
        nf_sd = {k: nf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
        ours.load_state_dict(nf_sd)
        ours_out = ours(nf.tensor(idx), nf.tensor(offsets), nf.tensor(psw))
        assert np.allclose(ours_out.detach().numpy(), theirs_out.detach().numpy())
        return
    _, out = compare(ours, theirs, [idx, offsets])
    if "padding_idx" in kwargs:
        assert np.allclose(theirs.weight.grad[2].numpy(), 0)
