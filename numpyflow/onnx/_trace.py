"""Recording one forward: every op that ran, with its arguments and results, and the
values that flow between ops named by the tensors that carry them.

A :class:`Tracer` is a function hook (``nf.autograd.FunctionHook``): around each op it
names the op's tensor arguments and records the op's Function class, its ``apply``
arguments (tensors and the non-tensor attributes) and its outputs.  A value is named by
a key:

* ``("input", i)``: the i-th tensor the model was called with;
* ``("param", name)``: a parameter or buffer of the model, by its ``state_dict`` name;
* ``("const", j)``: any other tensor that no recorded op produced (made in ``forward``);
* ``("op", k, j)``: output ``j`` of the k-th recorded op.

A tensor is known by its identity, and by its array (``x.detach()`` and ``x.data`` are
the same value as ``x``).  Its version counter is read when it is named and again each
time an op reads it: a value changed in place in between is an error, because the graph
would compute with its old value.  Only the outermost op is recorded when a Function's
forward itself runs ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autograd.function_hooks import FunctionHook
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .errors import OnnxExporterError


@dataclass
class Record:
    """One op of the forward."""

    index: int
    function: type  # the Function subclass
    node: object  # its ctx (what forward stored on it)
    args: tuple  # as given to apply
    arg_keys: list  # a key per tensor argument, None for the other arguments
    outputs: tuple  # result Tensors (None where the op produced none)
    out_keys: list
    where: str  # the module it ran in, for messages
    path: str  # that module's dotted name ("" for the model itself)
    module: object  # that module

    @property
    def name(self) -> str:
        return self.function.op_name()


@dataclass
class Trace:
    """What one forward did."""

    records: list = field(default_factory=list)
    input_keys: list = field(default_factory=list)
    output_keys: list = field(default_factory=list)
    tensors: dict = field(default_factory=dict)  # key -> Tensor (inputs and op outputs)
    consts: dict = field(default_factory=dict)  # ("const", j) -> array, copied when first seen
    first_use: dict = field(default_factory=dict)  # const key -> where it was first read
    param_names: dict = field(default_factory=dict)  # id(param tensor) -> state_dict name
    state: dict = field(default_factory=dict)  # state_dict name -> parameter or buffer
    result: object = None  # what the model returned

    def array(self, key):
        """The value behind ``key`` as it was in this forward."""
        if key[0] == "const":
            return self.consts[key]
        if key[0] == "param":
            return self.state[key[1]]._data
        return self.tensors[key]._data

    def shape(self, key) -> tuple:
        return tuple(self.array(key).shape)

    def dtype(self, key) -> np.dtype:
        return self.array(key).dtype


def named_state(model) -> dict:
    """``{name: tensor}`` of the model's parameters and buffers: the ``state_dict`` names
    first (in its order), then non-persistent buffers; a tensor shared by two names keeps
    the first."""
    out = {}
    seen = set()
    entries = list(model.state_dict(keep_vars=True).items())
    entries += list(model.named_parameters(remove_duplicate=False))
    entries += list(model.named_buffers(remove_duplicate=False))
    for name, t in entries:
        if isinstance(t, Tensor) and id(t) not in seen and name not in out:
            seen.add(id(t))
            out[name] = t
    return out


def describe_module(path: str, module) -> str:
    """``layer1.0.conv1 (Conv2d)``; ``the model's own forward (ResNet)`` for the model itself."""
    kind = type(module).__name__
    return f"{path} ({kind})" if path else f"the model's own forward ({kind})"


class Tracer(FunctionHook):
    """Records the ops of one forward of ``model``; see the module docstring."""

    def __init__(self, model, state: dict):
        self.model = model
        self.trace = Trace()
        self._keys = {}  # id(tensor) -> key
        self._versions = {}  # id(tensor) -> version when named
        self._by_array = {}  # id(array) -> key, for tensors that share another's array
        self._keep = []  # every tensor named, so that no id is reused while tracing
        self._depth = 0
        self._pending = []
        self._modules = [("", model)]
        self._params = {}
        for name, t in state.items():
            self._params[id(t)] = name
            self._by_array.setdefault(id(t._data), ("param", name))
            self.trace.param_names[id(t)] = name
        self._state = state
        self.trace.state = state
        self._param_versions = {name: t._version for name, t in state.items()}

    # -- naming ------------------------------------------------------------------------

    def where(self) -> str:
        path, module = self._modules[-1]
        return describe_module(path, module)

    def _remember(self, t: Tensor, key):
        self._keys[id(t)] = key
        self._versions[id(t)] = t._version
        self._keep.append(t)
        if key[0] in ("input", "op"):
            self.trace.tensors.setdefault(key, t)
        self._by_array[id(t._data)] = key

    def name_input(self, t: Tensor, i: int):
        self._remember(t, ("input", i))
        self.trace.input_keys.append(("input", i))

    def resolve(self, t: Tensor, use: str):
        """The key of tensor ``t``, read by ``use`` (an op's description)."""
        key = self._keys.get(id(t))
        if key is not None:
            if t._version != self._versions[id(t)]:
                raise OnnxExporterError(
                    f"numpyflow.onnx.export: {self._describe(key)} was changed in place (by an in-place op such "
                    "as x += y, add_(), relu_(), x[...] = v, or a layer with inplace=True) before "
                    f"{use} read it; the graph has no in-place ops and would compute with its old value. Use the "
                    "out-of-place form (x = x + y, inplace=False, ...) in the model's forward to export it."
                )
            return key
        name = self._params.get(id(t))
        key = ("param", name) if name is not None else self._by_array.get(id(t._data))
        if key is None:
            key = ("const", len(self.trace.consts))
            self.trace.consts[key] = np.array(t._data, copy=True)
            self.trace.first_use[key] = use
        self._remember(t, key)
        return key

    def _describe(self, key) -> str:
        kind = key[0]
        if kind == "input":
            return f"input {key[1]} of the model"
        if kind == "param":
            return f"the parameter or buffer '{key[1]}'"
        if kind == "const":
            return f"a tensor made in the forward (first read by {self.trace.first_use[key]})"
        rec = self.trace.records[key[1]]
        return f"the result of {rec.name} in {rec.where}"

    # -- the hook ----------------------------------------------------------------------

    def forward_pre(self, function, args):
        self._depth += 1
        if self._depth == 1:
            use = f"{type(function).op_name()} in {self.where()}"
            self._pending.append([self.resolve(a, use) if isinstance(a, Tensor) else None for a in args])

    def forward_post(self, function, args, outputs):
        self._depth -= 1
        if self._depth:
            return
        arg_keys = self._pending.pop()
        if outputs is None:  # the op raised; the error propagates from apply
            return
        index = len(self.trace.records)
        out_keys = []
        for j, o in enumerate(outputs):
            if o is None:
                out_keys.append(None)
                continue
            key = ("op", index, j)
            self._remember(o, key)
            out_keys.append(key)
        self.trace.records.append(
            Record(
                index,
                type(function),
                function,
                tuple(args),
                arg_keys,
                tuple(outputs),
                out_keys,
                self.where(),
                *self._modules[-1],
            )
        )

    # -- modules -----------------------------------------------------------------------

    def hook_modules(self):
        """Module hooks that keep the stack of modules running (for messages); returns
        their handles."""
        handles = []
        for path, module in self.model.named_modules():
            if module is self.model:
                continue
            handles.append(module.register_forward_pre_hook(self._enter(path)))
            handles.append(module.register_forward_hook(self._leave))
        return handles

    def _enter(self, path):
        def enter(module, args):
            self._modules.append((path, module))

        return enter

    def _leave(self, module, args, output):
        if len(self._modules) > 1:
            self._modules.pop()

    def check_state_unchanged(self):
        for name, t in self._state.items():
            if t._version != self._param_versions[name]:
                raise OnnxExporterError(
                    f"numpyflow.onnx.export: the forward changed the parameter or buffer '{name}' in place "
                    "(a layer in training mode updating its statistics, or an in-place op on a weight); the "
                    "ONNX graph cannot do that. Export the model in eval mode and without in-place changes "
                    "of its state."
                )


def flatten(obj, what: str) -> list:
    """The tensors of a (nested) tuple, list or dict of tensors, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flatten(o, what)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flatten(o, what)]
    if obj is None:
        return []
    raise OnnxExporterError(
        f"numpyflow.onnx.export: the model's {what} holds a {type(obj).__name__}; only tensors (in "
        "tuples, lists and dicts) can be graph values"
    )


def tensors_in(obj) -> list:
    """The tensors of a (nested) tuple, list or dict, in order; other values are skipped."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in tensors_in(o)]
    return []


def replace_tensors(obj, new: dict):
    """``obj`` with each tensor ``t`` replaced by ``new[id(t)]`` (same nesting)."""
    if isinstance(obj, Tensor):
        return new[id(obj)]
    if isinstance(obj, tuple):
        return tuple(replace_tensors(o, new) for o in obj)
    if isinstance(obj, list):
        return [replace_tensors(o, new) for o in obj]
    if isinstance(obj, dict):
        return {k: replace_tensors(v, new) for k, v in obj.items()}
    return obj


def trace(model, args: tuple, kwargs: dict, state: dict) -> Trace:
    """Run ``model(*args, **kwargs)`` once under ``no_grad`` and record what it did."""
    tracer = Tracer(model, state)
    for i, t in enumerate(tensors_in((args, kwargs))):
        tracer.name_input(t, i)
    handles = tracer.hook_modules()
    try:
        with no_grad(), tracer:
            out = model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    tracer.check_state_unchanged()
    use = "the model's outputs"
    tracer.trace.output_keys = [tracer.resolve(t, use) for t in flatten(out, "output")]
    if not tracer.trace.output_keys:
        raise OnnxExporterError("numpyflow.onnx.export: the model returned no tensor; there is nothing to export")
    tracer.trace.result = out
    return tracer.trace
