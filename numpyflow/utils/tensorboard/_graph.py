"""A model's forward as a TensorBoard ``GraphDef``, laid out as PyTorch's ``add_graph``
lays out its traced graph.

The forward runs once (in eval mode, the mode restored afterwards) with a function hook
that records every op, and module hooks that keep the stack of modules running.  Each op
becomes a node named ``<scope>/<n>``, its scope the module it ran in spelled as PyTorch
spells it (``CifarResNet/Sequential[layer1]/BasicBlock[0]/Conv2d[conv1]``), its ``op``
the op's name, its inputs the nodes that produced its tensor arguments (``name:j`` for
an op's j-th output), its ``_output_shapes`` the shapes it produced and its ``attr`` its
other arguments.  The model's tensor arguments are ``input/<argument name>`` nodes and
its results ``output/output.<i>`` nodes (op ``IO Node``); parameters and buffers are
nodes in the scope of the module that owns them (``.../Conv2d[conv1]/weight``), other
tensors made in the forward are ``Constant`` nodes.  A tensor changed in place is
followed to the op that changed it (the forward runs with gradients enabled, so such an
op is recorded as the tensor's ``grad_fn``).
"""

from __future__ import annotations

import inspect

import numpy as np

from ...autograd.function_hooks import FunctionHook
from ...autograd.grad_mode import enable_grad
from ...tensor import Tensor
from ._protos import (
    AttrValue,
    DeviceStepStats,
    GraphDef,
    NodeDef,
    RunMetadata,
    StepStats,
    TensorShapeProto,
    VersionDef,
)


def _shape_proto(shape) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _describe(value) -> str:
    """A short text for an op's non-tensor argument."""
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return repr(value)
    if isinstance(value, (tuple, list)) and all(
        v is None or isinstance(v, (bool, int, float, str, np.generic)) for v in value
    ):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"array(shape={tuple(value.shape)}, dtype={value.dtype})"
    if type(value).__repr__ is not object.__repr__:
        return repr(value)
    return type(value).__name__


_ARG_NAMES: dict = {}


def _arg_names(function_class) -> list:
    """The names of ``forward``'s arguments after ``ctx`` (None where it takes ``*args``)."""
    names = _ARG_NAMES.get(function_class)
    if names is None:
        try:
            params = list(inspect.signature(function_class.forward).parameters.values())[1:]
        except (TypeError, ValueError):
            params = []
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            params = []
        names = _ARG_NAMES[function_class] = [p.name for p in params]
    return names


class _Node:
    __slots__ = ("name", "op", "inputs", "shapes", "attr")

    def __init__(self, name, op, inputs=(), shapes=(), attr=""):
        self.name = name
        self.op = op
        self.inputs = list(inputs)
        self.shapes = list(shapes)
        self.attr = attr

    def proto(self) -> NodeDef:
        attr = {}
        if self.attr:
            attr["attr"] = AttrValue(s=self.attr.encode("utf_8"))
        if self.shapes:
            attr["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[_shape_proto(s) for s in self.shapes]))
        return NodeDef(name=self.name, op=self.op, input=self.inputs, attr=attr)


class GraphTracer(FunctionHook):
    """Records one forward of ``model`` as graph nodes; see the module docstring."""

    def __init__(self, model):
        self.model = model
        self.nodes = []
        self._count = 0
        self._by_tensor = {}  # id(tensor) -> (node input name, version when named)
        self._by_array = {}  # id(array) -> node input name (detach() and .data share it)
        self._by_grad_fn = {}  # id(op node) -> graph node name
        self._keep = []  # every tensor named, so that no id is reused while tracing
        self._depth = 0
        self._pending = []
        root = type(model).__name__
        self._scopes = {"": root}
        self._paths = {id(model): ""}
        for path, module in model.named_modules():
            if not path:
                continue
            parent, _, last = path.rpartition(".")
            self._scopes[path] = f"{self._scopes[parent]}/{type(module).__name__}[{last}]"
            self._paths.setdefault(id(module), path)
        self._stack = [""]
        self._params = {}  # id(tensor) -> (owner module path, attribute name, node op)
        for kind, named in (("Parameter", model.named_parameters()), ("Buffer", model.named_buffers())):
            for name, t in named:
                if isinstance(t, Tensor) and id(t) not in self._params:
                    path, _, attr = name.rpartition(".")
                    self._params[id(t)] = (path, attr, kind)

    def _new_name(self, scope: str) -> str:
        self._count += 1
        return f"{scope}/{self._count}"

    def _remember(self, t: Tensor, name: str):
        self._by_tensor[id(t)] = (name, t._version)
        self._by_array.setdefault(id(t._data), name)
        self._keep.append(t)

    def add_input(self, t: Tensor, name: str):
        self.nodes.append(_Node(f"input/{name}", "IO Node", shapes=[t.shape]))
        self._remember(t, f"input/{name}")

    def resolve(self, t: Tensor) -> str:
        """The node (``name`` or ``name:j``) that holds tensor ``t``'s current value."""
        fn = t._grad_fn
        if fn is not None and id(fn) in self._by_grad_fn:
            name = self._by_grad_fn[id(fn)]
            return name if t._output_nr == 0 else f"{name}:{t._output_nr}"
        known = self._by_tensor.get(id(t))
        if known is not None and known[1] == t._version:
            return known[0]
        owner = self._params.get(id(t))
        if owner is not None:
            path, attr, kind = owner
            name = f"{self._scopes[path]}/{attr}"
            self.nodes.append(_Node(name, kind, shapes=[t.shape], attr=f"{{ name :  {attr} }}"))
        elif known is None and id(t._data) in self._by_array:
            name = self._by_array[id(t._data)]
        else:
            name = self._new_name(self._scopes[self._stack[-1]])
            self.nodes.append(_Node(name, "Constant", shapes=[t.shape], attr=f"{{ dtype : {t.dtype} }}"))
        self._remember(t, name)
        return name

    # -- the hooks -----------------------------------------------------------------------

    def forward_pre(self, function, args):
        self._depth += 1
        if self._depth == 1:
            self._pending.append([self.resolve(a) if isinstance(a, Tensor) else None for a in args])

    def forward_post(self, function, args, outputs):
        self._depth -= 1
        if self._depth:
            return
        inputs = self._pending.pop()
        if outputs is None:  # the op raised; the error propagates from apply
            return
        cls = type(function)
        names = _arg_names(cls)
        attrs = {}
        for i, a in enumerate(args):
            if not isinstance(a, Tensor):
                attrs[names[i] if i < len(names) else f"arg{i}"] = _describe(a)
        name = self._new_name(self._scopes[self._stack[-1]])
        self.nodes.append(
            _Node(
                name,
                cls.op_name(),
                [i for i in inputs if i is not None],
                [o.shape if o is not None else () for o in outputs],
                str(attrs).replace("'", " "),
            )
        )
        self._by_grad_fn[id(function)] = name
        for j, o in enumerate(outputs):
            if o is not None:
                self._remember(o, name if j == 0 else f"{name}:{j}")

    def enter(self, module, args):
        self._stack.append(self._paths.get(id(module), self._stack[-1]))

    def leave(self, module, args, output):
        if len(self._stack) > 1:
            self._stack.pop()


def _flatten_outputs(out, strict: bool) -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, dict)) and strict:
        raise RuntimeError(
            f"add_graph: the model returned a {type(out).__name__}; with use_strict_trace=True only tensors and "
            "tuples of tensors can be outputs, as the structure of a mutable container may change with the "
            "inputs. Return a tuple, or pass use_strict_trace=False if the structure never changes."
        )
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten_outputs(o, strict)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flatten_outputs(o, strict)]
    raise RuntimeError(f"add_graph: the model returned a {type(out).__name__}; only tensors can be graph outputs")


def _input_names(model, n: int) -> list:
    """``forward``'s argument names for its first ``n`` arguments, ``input.<i>`` where the
    signature does not name them."""
    try:
        params = [
            p.name
            for p in inspect.signature(model.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input.{i + 1}" for i in range(n)]


def _tensors(obj) -> list:
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def graph(model, args, verbose: bool = False, use_strict_trace: bool = True):
    """``(GraphDef, RunMetadata)`` of one forward of ``model`` on ``args`` (a tuple of
    arguments, one argument, or None for none), as PyTorch's ``add_graph`` writes them."""
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    tracer = GraphTracer(model)
    names = _input_names(model, len(args))
    for i, a in enumerate(args):
        tensors = _tensors(a)
        for j, t in enumerate(tensors):
            tracer.add_input(t, names[i] if len(tensors) == 1 else f"{names[i]}.{j}")
    handles = []
    for module in model.modules():
        if module is not model:
            handles.append(module.register_forward_pre_hook(tracer.enter))
            handles.append(module.register_forward_hook(tracer.leave))
    was_training = model.training
    model.train(False)
    try:
        with enable_grad(), tracer:
            out = model(*args)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    for i, t in enumerate(_flatten_outputs(out, use_strict_trace)):
        tracer.nodes.append(_Node(f"output/output.{i + 1}", "IO Node", [tracer.resolve(t)], [t.shape]))
    used = {i.partition(":")[0] for n in tracer.nodes for i in n.inputs}
    nodes = [n for n in tracer.nodes if not (n.name.startswith("input/") and n.name not in used)]
    if verbose:
        for n in nodes:
            shapes = ", ".join(str(tuple(s)) for s in n.shapes)
            print(f"{n.name} = {n.op}({', '.join(n.inputs)}) -> {shapes} {n.attr}".rstrip())
    device = "/device:CPU:0"
    first = next(iter(model.parameters()), None)
    if first is not None and first.device.type == "cuda":
        device = "/device:GPU:0"
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device=device)]))
    return GraphDef(node=[n.proto() for n in nodes], versions=VersionDef(producer=22)), stats
