"""The Fashion-MNIST recipe of ``python -m numpyflow train`` run in PyTorch, for comparison.

    python -m benchmarks.fashion_mnist_pytorch [--epochs 8] [--threads 2]

Same model (CIFAR ResNet-20, option-A shortcuts, 1 input channel), same data order and
augmentation (the epoch permutation and the batch crops/flips are drawn from the same
seeds as numpyflow's training command), same optimizer (SGD, nesterov momentum 0.9,
weight decay 5e-4), OneCycle schedule, batch 128, label smoothing 0.  Prints one line per
epoch: train loss/accuracy, test accuracy, seconds.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import numpyflow as nf
from numpyflow.cli.data import DATASETS, augmentation, channel_stats, train_loader
from numpyflow.utils.data import TensorDataset
from numpyflow.vision.datasets import FashionMNIST


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    import torch

    from benchmarks.torch_reference import CifarResNet

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train, test = FashionMNIST(args.data_dir, train=True), FashionMNIST(args.data_dir, train=False)
    (mean,), (std,) = channel_stats(train)
    prep = lambda d: ((np.asarray(d.data, np.float32) / 255.0 - mean) / std)[:, None]  # noqa: E731
    x_train, x_test = prep(train), prep(test)
    y_train, y_test = np.asarray(train.targets, np.int64), np.asarray(test.targets, np.int64)
    train_set = TensorDataset(nf.from_numpy(x_train), nf.from_numpy(y_train))
    augment = augmentation(DATASETS["fashion-mnist"], fill=((0.0 - mean) / std,))

    model = CifarResNet(20, num_classes=10, in_channels=1)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    steps = math.ceil(len(x_train) / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps)
    print(f"PyTorch {torch.__version__}, {args.threads} threads: resnet20 on Fashion-MNIST, {args.epochs} epochs")
    for epoch in range(args.epochs):
        model.train()
        loader = train_loader(
            train_set, batch_size=args.batch_size, seed=args.seed, epoch=epoch, workers=0, augment=augment
        )
        start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for xb, yb in loader:
            xb, yb = torch.from_numpy(xb.numpy()), torch.from_numpy(yb.numpy())
            out = model(xb)
            loss = torch.nn.functional.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(yb)
            correct += int((out.argmax(1) == yb).sum())
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            pred = np.concatenate(
                [model(torch.from_numpy(x_test[i : i + 1000])).argmax(1).numpy() for i in range(0, len(x_test), 1000)]
            )
        print(
            f"epoch {epoch + 1}/{args.epochs}: train loss {loss_sum / len(x_train):.4f} acc "
            f"{100 * correct / len(x_train):.2f}% | test acc {100 * (pred == y_test).mean():.2f}% | "
            f"{seconds:.1f}s, {len(x_train) / seconds:.0f} img/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
