"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``."""

from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module
from .parameter import Parameter


def _position(idx, n: int, container: str = "container") -> int:
    """``idx`` (negative allowed) as a position in a container of ``n`` modules."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{container}: index {idx} is out of range for {n} modules (expected {-n} <= index < {n})")
    return idx % n


class Sequential(Module):
    """Modules run one after another: ``Sequential(conv, bn, relu)`` or from an OrderedDict."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def _index(self, idx):
        return _position(idx, len(self._modules), type(self).__name__)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx, module):
        key = list(self._modules.keys())[self._index(idx)]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules.keys())
        for key in keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]:
            del self._modules[key]
        # keep the keys 0..n-1, as PyTorch does
        items = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "Sequential":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        items = list(self._modules.values())
        n = len(items)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        items.insert(index if index >= 0 else n + index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are seen."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx):
        return _position(idx, len(self._modules), type(self).__name__)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx, module):
        self.add_module(str(self._index(idx)), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[self._index(idx)]
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def __repr__(self):
        """PyTorch's form: a run of equal entries printed once, as ``(0-5): 6 x Linear(...)``."""
        texts = [repr(m) for m in self]
        if not texts:
            return f"{self._get_name()}()"
        runs = []  # [first index, last index, text]
        for k, text in enumerate(texts):
            if runs and runs[-1][2] == text:
                runs[-1][1] = k
            else:
                runs.append([k, k, text])
        lines = []
        for first, last, text in runs:
            head = f"({first})" if first == last else f"({first}-{last}): {last - first + 1} x"
            lines.append((f"{head}: {text}" if first == last else f"{head} {text}").replace("\n", "\n  "))
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward; iterate over it instead")


class _DictContainer(Module):
    """A dict over one of the module's own tables (``_modules`` or ``_parameters``), so
    what it holds is registered; subclasses say which table and how to register a value."""

    _table = ""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.update(values)

    def _entries(self) -> dict:
        return getattr(self, self._table)

    def __getitem__(self, key):
        return self._entries()[key]

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def values(self):
        return self._entries().values()

    def items(self):
        return self._entries().items()

    def pop(self, key):
        return self._entries().pop(key)

    def clear(self):
        self._entries().clear()

    def update(self, values):
        """Add (or replace) each ``key: value`` of a mapping or of a sequence of pairs."""
        for key, value in values.items() if hasattr(values, "items") else values:
            self[key] = value


class ModuleDict(_DictContainer):
    """A dict of modules, registered so their parameters are seen."""

    _table = "_modules"

    def __init__(self, modules=None):
        super().__init__(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward; index it instead")


class ParameterList(Module):
    """A list of parameters, registered in ``parameters()``."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or []:
            self.append(v)

    def __getitem__(self, idx):
        return self._parameters[str(operator.index(idx) % len(self))]

    def __setitem__(self, idx, value):
        self.register_parameter(str(operator.index(idx) % len(self)), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value) -> "ParameterList":
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values) -> "ParameterList":
        for v in values:
            self.append(v)
        return self


class ParameterDict(_DictContainer):
    """A dict of parameters, registered in ``parameters()``."""

    _table = "_parameters"

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))


def _as_parameter(value):
    return value if isinstance(value, Parameter) else Parameter(value)
