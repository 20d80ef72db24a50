"""TensorBoard logging with the API of ``torch.utils.tensorboard``::

    from numpyflow.utils.tensorboard import SummaryWriter

    with SummaryWriter("runs/resnet20") as writer:
        writer.add_graph(model, nf.randn(1, 3, 32, 32))
        for epoch in range(epochs):
            ...
            writer.add_scalar("loss/train", loss, epoch)
            for name, p in model.named_parameters():
                writer.add_histogram(name, p, epoch)
        writer.add_hparams({"lr": 0.1, "batch_size": 128}, {"hparam/accuracy": acc})

Then ``tensorboard --logdir runs``.  Values may be NumpyFlow tensors, numpy arrays or
Python numbers.  The event files are written by the ``tensorboard`` package itself (its
protocol buffers and ``EventFileWriter``, the pieces PyTorch's writer uses), so they hold
what PyTorch's ``SummaryWriter`` writes for the same calls.

``tensorboard`` is an optional dependency (``pip install numpyflow[tensorboard]``):
``import numpyflow`` does not need it; using :class:`SummaryWriter` without it raises an
ImportError that says how to install it.  Images are encoded as PNG with Pillow
(``pip install numpyflow[vision]``).
"""

__all__ = ["FileWriter", "SummaryWriter"]


def __getattr__(name):
    # The writer imports ``tensorboard``: only when it is asked for, so that importing
    # NumpyFlow neither needs nor pays for it.
    if name in __all__:
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
