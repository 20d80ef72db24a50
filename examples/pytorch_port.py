"""A PyTorch training script, ported by replacing ``torch`` with ``nf``.

Everything below is written exactly as for PyTorch: an ``nn.Module`` with conv, batch norm
and pooling layers, a loss, an optimizer with a scheduler, DataLoaders, a train/eval loop,
and saving and loading the ``state_dict``.  The only changes from the PyTorch original are
the four import lines marked "was:".  (tests/test_examples.py runs this file with
NumpyFlow, and with PyTorch by swapping the imports back.)

    python examples/pytorch_port.py
"""

import os
import tempfile

import numpy as np

import numpyflow as nf  # was: import torch as nf
from numpyflow import nn, optim  # was: from torch import nn, optim
from numpyflow.utils.data import DataLoader, TensorDataset  # was: from torch.utils.data import ...
from numpyflow.vision import datasets  # the embedded 8x8 digits (numpy arrays)


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def to_tensors(split):
    images = nf.tensor(np.asarray(split.data, np.float32) / 16.0).unsqueeze(1)
    labels = nf.tensor(np.asarray(split.targets, np.int64))
    return TensorDataset((images - 0.3) / 0.4, labels)


def train_one_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    for x, y in loader:
        optimizer.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * y.shape[0]
        correct += (out.argmax(dim=1) == y).sum().item()
        total += y.shape[0]
    return loss_sum / total, correct / total


@nf.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += y.size(0)
    return correct / total


def main(epochs=8, verbose=True):
    nf.manual_seed(0)
    train_set = to_tensors(datasets.Digits(train=True))
    test_set = to_tensors(datasets.Digits(train=False))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = SmallCNN()
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.3)
    for epoch in range(epochs):
        loss, train_acc = train_one_epoch(model, train_loader, loss_fn, optimizer)
        scheduler.step()
        test_acc = evaluate(model, test_loader)
        if verbose:
            print(
                f"epoch {epoch + 1}: loss {loss:.3f} train {train_acc:.3f} test {test_acc:.3f} "
                f"lr {scheduler.get_last_lr()[0]:.4f}"
            )

    path = os.path.join(tempfile.mkdtemp(), "small_cnn.pt")
    nf.save(model.state_dict(), path)
    restored = SmallCNN()
    restored.load_state_dict(nf.load(path))
    assert evaluate(restored, test_loader) == test_acc
    return test_acc


if __name__ == "__main__":
    print(f"test accuracy {main():.3f}")
