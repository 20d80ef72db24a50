"""Residual networks.

- ``resnet20/32/44/56/110``: the CIFAR networks of He et al. 2016 ("Deep Residual Learning
  for Image Recognition", section 4.2): a 3x3 stem with 16 channels, three stages of
  BasicBlocks with 16, 32 and 64 channels, parameter-free "option A" shortcuts (stride-2
  subsampling and zero-padded channels).
- ``resnet18/34/50``: torchvision's architecture and ``state_dict`` keys; ``small_input=True``
  replaces the 7x7/stride-2 stem and max-pool with a 3x3/stride-1 stem for 28x28 or 32x32
  images.
"""

from __future__ import annotations

from ... import nn
from ...nn import functional as F
from ._api import handle_legacy_interface


def _conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class PadShortcut(nn.Module):
    """Option-A shortcut: subsample by ``stride`` and zero-pad the channels to ``planes``."""

    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.stride = stride
        extra = planes - in_planes
        self.pad_before = extra // 2
        self.pad_after = extra - extra // 2

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))

    def extra_repr(self):
        return f"stride={self.stride}, pad_channels=({self.pad_before}, {self.pad_after})"


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection."""

    expansion = 1

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride, as torchvision's v1.5), 1x1 expand by 4."""

    expansion = 4

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv1x1(in_planes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class CifarResNet(nn.Module):
    """He et al.'s CIFAR ResNet of depth 6n+2 (n BasicBlocks per stage)."""

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"CifarResNet: depth must be 6n+2 (20, 32, 44, 56, 110, ...), got {depth}")
        n = (depth - 2) // 6
        self.in_planes = 16
        self.conv1 = _conv3x3(in_channels, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, n, 1)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            shortcut = PadShortcut(self.in_planes, planes, s) if s != 1 or self.in_planes != planes else None
            layers.append(BasicBlock(self.in_planes, planes, s, shortcut))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        _check_input(self.conv1, x)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


class ResNet(nn.Module):
    """torchvision's ResNet (v1.5) with its ``state_dict`` keys."""

    def __init__(self, block, layers, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False):
        super().__init__()
        self.in_planes = 64
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.in_planes, planes * block.expansion, stride), nn.BatchNorm2d(planes * block.expansion)
            )
        layers = [block(self.in_planes, planes, stride, downsample)]
        self.in_planes = planes * block.expansion
        layers += [block(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        _check_input(self.conv1, x)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _check_input(conv1, x):
    if x.dim() != 4 or x.shape[1] != conv1.in_channels:
        raise ValueError(
            f"ResNet: expected input of shape (N, {conv1.in_channels}, H, W), got {tuple(x.shape)} "
            f"(set in_channels={x.shape[1] if x.dim() == 4 else '?'} for this data)"
        )


def _cifar(depth):
    def build(*, weights=None, progress: bool = True, num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
        return CifarResNet(depth, num_classes, in_channels)

    build.__name__ = build.__qualname__ = f"resnet{depth}"
    build.__doc__ = (
        f"The CIFAR ResNet-{depth} of He et al. 2016 (option-A shortcuts).  ``weights`` must be None: "
        "NumpyFlow downloads no weights (``progress`` is accepted and ignored)."
    )
    return handle_legacy_interface(build)


resnet20 = _cifar(20)
resnet32 = _cifar(32)
resnet44 = _cifar(44)
resnet56 = _cifar(56)
resnet110 = _cifar(110)

# torchvision's builders: ``resnet18(*, weights=None, progress=True, **kwargs)``.  ``weights``
# must be None (or the deprecated ``pretrained=False``): NumpyFlow downloads no weights;
# ``progress`` is accepted and ignored.


@handle_legacy_interface
def resnet18(
    *, weights=None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False
) -> ResNet:
    """torchvision's ResNet-18 (``small_input=True``: 3x3 stem, no max-pool)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, small_input)


@handle_legacy_interface
def resnet34(
    *, weights=None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False
) -> ResNet:
    """torchvision's ResNet-34."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, small_input)


@handle_legacy_interface
def resnet50(
    *, weights=None, progress: bool = True, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False
) -> ResNet:
    """torchvision's ResNet-50 (Bottleneck blocks)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, small_input)
