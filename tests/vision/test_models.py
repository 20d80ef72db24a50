"""numpyflow/vision/models: architecture, state_dict keys and parity with PyTorch
(weights copied by key): logits, every gradient, and five SGD steps."""
import numpy as np
import pytest

import numpyflow as nf
from numpyflow.vision import models
from reference import needs_torch, torch


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
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.0.weight" in keys and "layer4.1.bn2.running_var" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert sum(p.numel() for p in models.resnet18().parameters()) == 11689512  # torchvision's count


def test_resnet50_parameter_count_matches_torchvision():
    assert sum(p.numel() for p in models.resnet50().parameters()) == 25557032


def test_wrong_channel_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\), got \(2, 1, 28, 28\)"):
        models.resnet20()(nf.zeros(2, 1, 28, 28))


def _pair(name):
    from torch_resnets import CifarResNet, ResNet18
    torch.manual_seed(0)
    if name == "resnet20":
        theirs, ours, shape = CifarResNet(20), models.resnet20(), (8, 3, 32, 32)
    else:
        theirs, ours, shape = ResNet18(10), models.resnet18(num_classes=10, small_input=True), (4, 3, 32, 32)
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs, shape


@needs_torch
@pytest.mark.parametrize("name", ["resnet20", "resnet18"])
def test_resnet_matches_pytorch_logits_gradients_and_five_sgd_steps(name):
    ours, theirs, shape = _pair(name)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    # logits in train and eval mode (eval first, so running stats are still the same)
    for mode in ("eval", "train"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        with nf.no_grad(), torch.no_grad():
            a = ours(nf.tensor(x)).numpy()
            b = theirs(torch.tensor(x)).numpy()
        assert np.abs(a - b).max() < 1e-4, f"{mode} logits differ by {np.abs(a - b).max()}"
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    # gradients of every parameter
    loss_o = nf.nn.functional.cross_entropy(ours(nf.tensor(x)), nf.tensor(y))
    loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    loss_o.backward()
    loss_t.backward()
    assert abs(loss_o.item() - loss_t.item()) < 1e-4
    ours_p = dict(ours.named_parameters())
    for pname, p in theirs.named_parameters():
        assert _rel(ours_p[pname].grad.numpy(), p.grad.numpy()) < 1e-3, pname
    # five SGD steps with momentum, nesterov and weight decay
    opt_o = nf.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    for step in range(5):
        xs = rng.standard_normal(shape).astype(np.float32)
        ys = rng.integers(0, 10, shape[0])
        for model, opt, lib in ((ours, opt_o, nf), (theirs, opt_t, torch)):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(xs)), lib.tensor(ys)).backward()
            opt.step()
    sd_o = ours.state_dict()
    for key, v in theirs.state_dict().items():
        assert _rel(sd_o[key].numpy(), v.numpy()) < 1e-3, key
