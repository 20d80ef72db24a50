"""Models: CIFAR ResNets and torchvision's ResNets."""

from .resnet import (  # noqa: F401
    BasicBlock,
    Bottleneck,
    CifarResNet,
    ResNet,
    resnet18,
    resnet20,
    resnet32,
    resnet34,
    resnet44,
    resnet50,
    resnet56,
    resnet110,
)

MODELS = {
    name: globals()[name]
    for name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet18", "resnet34", "resnet50")
}


def get_model(name: str, **kwargs):
    """Build a model by name (``'resnet20'``, ``'resnet18'``, ...)."""
    if name not in MODELS:
        raise ValueError(f"unknown model '{name}'; choose one of {', '.join(MODELS)}")
    return MODELS[name](**kwargs)
