"""numpyflow/vision/models: architecture, state_dict keys and parity with PyTorch
(weights copied by key): logits, every gradient, and five SGD steps."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.vision import models


def _rel(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)


def test_resnet20_has_he_et_al_structure():
    m = models.resnet20()
    assert sum(p.numel() for p in m.parameters()) == 269722  # the 0.27M of the paper
    convs = [n for n, mod in m.named_modules() if isinstance(mod, nf.nn.Conv2d)]
    assert len(convs) == 19  # 1 + 3 stages x 3 blocks x 2
    assert m(nf.randn(2, 3, 32, 32)).shape == (2, 10)


def test_cifar_resnet_depths_and_options():
    for name, blocks in (("resnet32", 5), ("resnet44", 7), ("resnet56", 9), ("resnet110", 18)):
        m = getattr(models, name)(num_classes=7, in_channels=1)
        assert len(m.layer1) == blocks and m.fc.out_features == 7 and m.conv1.in_channels == 1


def test_resnet18_keys_follow_torchvision():
    keys = list(models.resnet18().state_dict())
    assert keys[:6] == [
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
    ]
    assert "layer2.0.downsample.0.weight" in keys and "layer4.1.bn2.running_var" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert sum(p.numel() for p in models.resnet18().parameters()) == 11689512  # torchvision's count


def test_resnet50_parameter_count_matches_torchvision():
    assert sum(p.numel() for p in models.resnet50().parameters()) == 25557032


def test_wrong_channel_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\), got \(2, 1, 28, 28\)"):
        models.resnet20()(nf.zeros(2, 1, 28, 28))


def _pair(name, dtype=np.float32):
    """The same network in both frameworks, weights copied by state_dict key."""
    from benchmarks.torch_reference import CifarResNet, ResNet18

    torch.manual_seed(0)
    if name == "resnet20":
        theirs, ours, shape = CifarResNet(20), models.resnet20(), (16, 3, 32, 32)
    else:
        theirs, ours, shape = ResNet18(10), models.resnet18(num_classes=10, small_input=True), (8, 3, 32, 32)
    if dtype == np.float64:
        theirs.double()
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs, shape


def _gradients(lib, model, x, y):
    model.zero_grad()
    lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
    return {n: p.grad.numpy().astype(np.float64) for n, p in model.named_parameters()}


@needs_torch
@pytest.mark.parametrize("name", ["resnet20", "resnet18"])
def test_logits_match_pytorch_in_train_and_eval_mode_float32(name):
    ours, theirs, shape = _pair(name)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for mode in ("eval", "train"):  # eval first: train mode updates the running statistics
        getattr(ours, mode)()
        getattr(theirs, mode)()
        with nf.no_grad(), torch.no_grad():
            a = ours(nf.tensor(x)).numpy()
            b = theirs(torch.tensor(x)).numpy()
        assert np.abs(a - b).max() < 1e-4, f"{mode}: logits differ by {np.abs(a - b).max()}"
    for key, v in theirs.state_dict().items():  # running statistics after the train-mode pass
        assert _rel(ours.state_dict()[key].numpy(), v.numpy()) < 1e-5, key


@needs_torch
@pytest.mark.parametrize("name", ["resnet20", "resnet18"])
def test_every_parameter_gradient_matches_pytorch(name):
    """float64: every gradient equal to PyTorch's to 1e-8 relative.

    float32 against the exact (float64) gradient.  In train mode the gradient of a random
    network is ill-conditioned (ReLU kinks coupled through batch statistics): a float32
    rounding that moves one pre-activation across zero moves exact gradients by up to
    ~5e-3, in PyTorch as here, and which kinks flip depends on the order of float32 sums
    (BLAS blocking, batch chunks, thread count).  So train mode bounds every gradient by
    1e-2, 4x PyTorch's worst, or twice the largest move of the exact gradients when the
    input is nudged by float32 arithmetic's error (1e-6), whichever is larger: a real error is O(1).  Eval mode is well conditioned:
    the median error must be at rounding level (1e-5) and every one within 1e-3."""
    rng = np.random.default_rng(1)
    ours64, theirs64, shape = _pair(name, np.float64)
    ours64.double()
    x = rng.standard_normal(shape)
    y = rng.integers(0, 10, shape[0])
    exact = _gradients(nf, ours64, x, y)
    reference = _gradients(torch, theirs64, x, y)
    for key in reference:
        assert _rel(exact[key], reference[key]) < 1e-8, key
    ours32, theirs32, _ = _pair(name)

    def errors(g, exact):
        return {key: np.linalg.norm(g[key] - exact[key]) / np.linalg.norm(exact[key]) for key in exact}

    ours_err = errors(_gradients(nf, ours32, x.astype(np.float32), y), exact)
    theirs_err = errors(_gradients(torch, theirs32, x.astype(np.float32), y), exact)
    # How far the exact gradients themselves move when the input moves by 1e-6 relative, the
    # error float32 sums of a few hundred terms carry into every activation: the float32
    # error no implementation can be held below.
    conditioning = 0.0
    for seed in range(3):
        nudged = x * (1 + 1e-6 * np.random.default_rng(seed).standard_normal(x.shape))
        fresh = _pair(name, np.float64)[0].double()  # running statistics as ``ours64``'s were
        conditioning = max(conditioning, max(errors(_gradients(nf, fresh, nudged, y), exact).values()))
    worst = max(ours_err, key=ours_err.get)
    bound = max(1e-2, 4 * max(theirs_err.values()), 2 * conditioning)
    assert ours_err[worst] < bound, f"train: {worst}: {ours_err[worst]:.1e}"

    ours64.eval()
    ours32.eval()
    ours_err = errors(_gradients(nf, ours32, x.astype(np.float32), y), _gradients(nf, ours64, x, y))
    worst = max(ours_err, key=ours_err.get)
    assert np.median(list(ours_err.values())) < 1e-5
    assert ours_err[worst] < 1e-3, f"eval: {worst}: {ours_err[worst]:.1e}"


@needs_torch
@pytest.mark.parametrize("name", ["resnet20", "resnet18"])
def test_five_sgd_steps_match_pytorch(name):
    """Weights and BatchNorm running statistics after five SGD steps (momentum, nesterov,
    weight decay), in float64, where training is not chaotic at the rounding level."""
    ours, theirs, shape = _pair(name, np.float64)
    ours.double()
    rng = np.random.default_rng(2)
    opt_o = nf.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    for _ in range(5):
        x = rng.standard_normal(shape)
        y = rng.integers(0, 10, shape[0])
        for model, opt, lib in ((ours, opt_o, nf), (theirs, opt_t, torch)):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    sd = ours.state_dict()
    for key, v in theirs.state_dict().items():
        assert _rel(sd[key].numpy(), v.numpy()) < 1e-3, key


# -- torchvision's builder interface: weights=None, the deprecated pretrained=False --------------

BUILDERS = ["resnet18", "resnet34", "resnet50", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]


def _quiet_build(name, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(models, name)(**kwargs)


@pytest.mark.parametrize("name", ["resnet18", "resnet20"])
def test_weights_none_builds_the_same_fresh_model_as_no_argument(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nf.manual_seed(0)
        a = getattr(models, name)(weights=None, progress=False)
    nf.manual_seed(0)
    b = getattr(models, name)()
    assert list(a.state_dict()) == list(b.state_dict())
    assert all(nf.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("name", BUILDERS)
def test_every_builder_has_torchvisions_keyword_only_weights_and_progress(name):
    import inspect

    params = inspect.signature(getattr(models, name)).parameters
    assert list(params)[:2] == ["weights", "progress"]
    assert params["weights"].default is None and params["progress"].default is True
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert getattr(models, name).__name__ == name


def test_pretrained_false_warns_with_torchvisions_texts_and_builds():
    with pytest.warns(UserWarning) as record:
        m = models.resnet18(pretrained=False, num_classes=7)
    assert [str(w.message) for w in record] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
        "please use 'weights' instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed "
        "in the future. The current behavior is equivalent to passing `weights=None`.",
    ]
    assert all(w.filename == __file__ for w in record)
    assert m.fc.out_features == 7


def test_a_positional_false_is_the_legacy_pretrained_flag_as_in_torchvision():
    with pytest.warns(UserWarning) as record:
        m = models.resnet20(False, num_classes=3)
    assert str(record[0].message) == (
        "Using 'weights' as positional parameter(s) is deprecated since 0.13 and may be removed in the future. "
        "Please use keyword parameter(s) instead."
    )
    assert "equivalent to passing `weights=None`" in str(record[1].message)
    assert m.fc.out_features == 3
    with pytest.warns(UserWarning) as record:
        models.resnet20(False, True)
    assert str(record[0].message).startswith("Using 'weights' and 'progress' as positional parameter(s)")
    with pytest.raises(TypeError):
        models.resnet20(False, True, 10)


@pytest.mark.parametrize(
    "kwargs,asked",
    [
        ({"weights": "DEFAULT"}, "weights='DEFAULT'"),
        ({"weights": "IMAGENET1K_V1"}, "weights='IMAGENET1K_V1'"),
        ({"pretrained": True}, "pretrained=True"),
        ({"weights": True}, "weights=True"),
    ],
)
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnet56"])
def test_asking_for_pretrained_weights_is_a_clear_error_that_names_the_way_in(name, kwargs, asked):
    with pytest.raises(ValueError) as info:
        _quiet_build(name, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{name}: {asked} asks for pretrained weights"), message
    assert "downloads no weights" in message and "weights=None" in message, message
    assert "load_state_dict(nf.load(path))" in message, message


def test_a_torchvision_weights_enum_member_is_refused_too():
    class ResNet18_Weights:  # noqa: N801  (stands in for torchvision's enum member)
        url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
        meta = {"categories": ["tench"]}

        def __repr__(self):
            return "ResNet18_Weights.IMAGENET1K_V1"

    with pytest.raises(ValueError, match=r"resnet18: weights=ResNet18_Weights.IMAGENET1K_V1 asks for"):
        models.resnet18(weights=ResNet18_Weights())


def test_get_model_passes_weights_through():
    assert isinstance(models.get_model("resnet20", weights=None), models.CifarResNet)
    with pytest.raises(ValueError, match="resnet20: weights='DEFAULT'"):
        models.get_model("resnet20", weights="DEFAULT")


def test_unknown_keyword_arguments_are_still_type_errors():
    with pytest.raises(TypeError):
        models.resnet18(weights=None, zero_init_residual_typo=True)
    with pytest.raises(TypeError):  # weights=None with the legacy flag: torchvision passes it on, and fails
        models.resnet18(weights=None, pretrained=False)
