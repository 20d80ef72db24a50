"""Module attributes that check what is assigned to them, as PyTorch's back-end switches do."""

from __future__ import annotations

import types


class BoolFlag:
    """A switch on a module (``module.name = True``) that takes only bools: PyTorch raises
    ``RuntimeError`` for anything else."""

    def __init__(self, default: bool):
        self.value = default

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, module, owner=None):
        return self if module is None else self.value

    def __set__(self, module, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"{module.__name__}.{self.name} expects a bool, but got {type(value).__name__}")
        self.value = value


def install(module_name: str, flags_class: type) -> None:
    """Give the module ``module_name`` the switches declared on ``flags_class`` (a
    ``types.ModuleType`` subclass)."""
    import sys

    assert issubclass(flags_class, types.ModuleType)
    sys.modules[module_name].__class__ = flags_class
