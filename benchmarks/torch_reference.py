"""Reference ResNets in PyTorch with the same module names (state_dict keys) as
numpyflow.vision.models: torchvision's ResNet-18 layout and He et al.'s CIFAR ResNet with
option-A shortcuts (torchvision itself can't be installed beside the pinned torch).
Used by the parity tests and by the side-by-side benchmarks."""

import torch
import torch.nn as tnn
import torch.nn.functional as TF


class PadShortcut(tnn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.stride = stride
        extra = planes - in_planes
        self.before, self.after = extra // 2, extra - extra // 2

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return TF.pad(x, (0, 0, 0, 0, self.before, self.after))


class BasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class CifarResNet(tnn.Module):
    def __init__(self, depth=20, num_classes=10, in_channels=3):
        super().__init__()
        n = (depth - 2) // 6
        self.in_planes = 16
        self.conv1 = tnn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(16)
        self.relu = tnn.ReLU(inplace=True)
        self.layer1 = self._make(16, n, 1)
        self.layer2 = self._make(32, n, 2)
        self.layer3 = self._make(64, n, 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(64, num_classes)
        for m in self.modules():  # the same initialisation as numpyflow's CifarResNet
            if isinstance(m, (tnn.Conv2d, tnn.Linear)):
                tnn.init.kaiming_normal_(m.weight)

    def _make(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            sc = PadShortcut(self.in_planes, planes, s) if s != 1 or self.in_planes != planes else None
            layers.append(BasicBlock(self.in_planes, planes, s, sc))
            self.in_planes = planes
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ResNet18(tnn.Module):
    def __init__(self, num_classes=10, in_channels=3, small_input=True):
        super().__init__()
        self.in_planes = 64
        if small_input:
            self.conv1 = tnn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        else:
            self.conv1 = tnn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.Identity() if small_input else tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(64, 2, 1)
        self.layer2 = self._make(128, 2, 2)
        self.layer3 = self._make(256, 2, 2)
        self.layer4 = self._make(512, 2, 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)

    def _make(self, planes, blocks, stride):
        down = None
        if stride != 1 or self.in_planes != planes:
            down = tnn.Sequential(tnn.Conv2d(self.in_planes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes))
        layers = [BasicBlock(self.in_planes, planes, stride, down)]
        self.in_planes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
