"""From two traces of a forward to an ONNX model: which ops to convert, what each value
is called in the graph, and :class:`Op`, the toolbox a converter (``_ops.py``) works with."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from ._compare import Comparison
from ._graph import Graph, element_type
from .errors import OnnxExporterError, UnsupportedOperatorError

INT64_MAX = np.iinfo(np.int64).max


class Options:
    """What ``export`` was asked for, checked."""

    def __init__(self, opset, input_names, output_names, dynamic, export_params, keep_initializers_as_inputs, fold):
        self.opset = opset
        self.input_names = input_names  # one per graph input
        self.output_names = output_names  # one per graph output
        self.dynamic = dynamic  # {("input"|"output", index): {axis: symbol}}
        self.export_params = export_params
        self.keep_initializers_as_inputs = keep_initializers_as_inputs
        self.fold = fold


class Exporter:
    """Converts the ops of ``comparison.a`` (checked against ``comparison.b``) into a
    graph; see ``build``."""

    def __init__(self, comparison: Comparison, options: Options, converters: dict):
        self.cmp = comparison
        self.trace = comparison.a
        self.opt = options
        self.opset = options.opset
        self.converters = converters
        self.graph = Graph(options.opset)
        self.names = {}  # value key -> graph name
        self.live = set()  # keys whose value depends on a graph input
        self.done = set()  # indices of records a converter handled together with an earlier one
        self.consumers = {}  # key -> [(record index, argument index)] among the needed records
        self._needed = set()
        self._folded = set()
        self._param_inputs = []

    # -- values ----------------------------------------------------------------------------

    def value(self, key) -> str:
        """The graph name of the value ``key`` (an initializer, or a graph input for a
        parameter when parameters are not exported, is made on first use)."""
        name = self.names.get(key)
        if name is not None:
            return name
        kind = key[0]
        if kind == "param":
            name = self.graph.reserve(key[1], "a parameter name")
            arr = self.trace.array(key)
            if self.opt.export_params:
                self.graph.initializer(name, arr)
            else:
                self._param_inputs.append(self.graph.value_info(name, arr.dtype, arr.shape))
        elif kind == "const":
            name = self.graph.constant(self.trace.array(key), "onnx::Constant")
        elif kind == "op" and key in self._folded:
            rec = self.trace.records[key[1]]
            name = self.graph.constant(self.trace.array(key), f"onnx::{rec.name}")
        else:
            raise OnnxExporterError(f"numpyflow.onnx.export: internal error: no graph value for {key}")
        self.names[key] = name
        return name

    def is_live(self, key) -> bool:
        """Whether the value ``key`` can change when the graph runs (it depends on a graph
        input, or is a parameter the user may replace)."""
        if key[0] == "param":
            return not self.opt.export_params or self.opt.keep_initializers_as_inputs
        return key in self.live

    def sole_consumer(self, key):
        """The ``(record, argument index)`` that alone reads ``key`` (None if it is read by
        several ops or is a graph output)."""
        uses = self.consumers.get(key, [])
        if len(uses) != 1 or key in self.trace.output_keys:
            return None
        index, arg = uses[0]
        return self.trace.records[index], arg

    # -- the graph -------------------------------------------------------------------------

    def build(self, graph_name: str, doc: str = "") -> onnx.ModelProto:
        trace, opt = self.trace, self.opt
        self._mark_needed()
        symbols = self._declare_inputs()
        for rec in trace.records:
            if rec.index not in self._needed or rec.index in self.done:
                continue
            live = any(k is not None and self.is_live(k) for k in rec.arg_keys)
            if not live and opt.fold and self._foldable(rec):
                self._folded.update(k for k in rec.out_keys if k is not None)
                continue
            if live:
                self.live.update(k for k in rec.out_keys if k is not None)
            convert = self.converters.get(rec.function)
            if convert is None:
                raise UnsupportedOperatorError(
                    rec.name,
                    self.opset,
                    None,
                    where=rec.where,
                    reason=f"the Function {rec.function.__module__}.{rec.function.__qualname__} has no ONNX mapping",
                )
            convert(Op(self, rec))
            for j, key in enumerate(rec.out_keys):
                if key is not None and key in self._needed_keys and key not in self.names:
                    raise OnnxExporterError(
                        f"numpyflow.onnx.export: internal error: the converter of {rec.name} made no value for "
                        f"its output {j}"
                    )
        self._declare_outputs(symbols)
        order = {name: i for i, name in enumerate(trace.state)}
        self.graph.inputs += sorted(self._param_inputs, key=lambda v: order[v.name])
        if opt.keep_initializers_as_inputs:
            for init in self.graph.initializers:
                dims = list(init.dims)
                self.graph.inputs.append(helper.make_tensor_value_info(init.name, init.data_type, dims))
        graph = self.graph.build(graph_name, doc)
        return helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", self.opset)],
            ir_version=helper.find_min_ir_version_for([helper.make_opsetid("", self.opset)]),
        )

    def _mark_needed(self):
        trace = self.trace
        needed = set(trace.output_keys)
        for rec in reversed(trace.records):
            if any(k in needed for k in rec.out_keys if k is not None):
                self._needed.add(rec.index)
                needed.update(k for k in rec.arg_keys if k is not None)
                for i, k in enumerate(rec.arg_keys):
                    if k is not None:
                        self.consumers.setdefault(k, []).append((rec.index, i))
        self._needed_keys = needed

    def _foldable(self, rec) -> bool:
        """An op on constants only is computed now (its traced result becomes an
        initializer) when that result is the same in both runs and no larger than its
        inputs."""
        other = self.cmp.other(rec)
        size_in = sum(self.trace.array(k).size for k in rec.arg_keys if k is not None)
        for oa, ob in zip(rec.outputs, other.outputs):
            if oa is None:
                continue
            a, b = oa._data, ob._data
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                return False
            if a.size > max(size_in, 64) or a.dtype not in _FOLDABLE_DTYPES:
                return False
        return True

    def _declare_inputs(self) -> dict:
        """Graph inputs (the model's tensors, then the parameters when they are not
        exported as initializers); returns {(size here, size in the second run): symbol}."""
        trace, opt = self.trace, self.opt
        symbols = {}
        for i, key in enumerate(trace.input_keys):
            name = self.graph.reserve(opt.input_names[i], "an input name")
            self.names[key] = name
            self.live.add(key)
            axes = opt.dynamic.get(("input", i), {})
            sa, sb = self.cmp.sizes(key)
            dims = []
            for d, n in enumerate(sa):
                if d in axes:
                    dims.append(axes[d])
                    symbols.setdefault((n, sb[d]), axes[d])
                else:
                    dims.append(int(n))
            self.graph.inputs.append(self.graph.value_info(name, trace.dtype(key), dims))
        for name in opt.output_names:
            self.graph.reserve(name, "an output name")
        return symbols

    def _declare_outputs(self, symbols: dict):
        trace, opt = self.trace, self.opt
        claimed = set()
        for i, key in enumerate(trace.output_keys):
            target = opt.output_names[i]
            src = self.value(key)
            if src in self.graph.produced and src not in claimed and key[0] == "op":
                self.graph.rename(src, target)
            else:
                self.graph.node("Identity", [src], [target], name=self.graph.fresh("/Identity"))
            claimed.add(src)
            axes = opt.dynamic.get(("output", i), {})
            sa, sb = self.cmp.sizes(key)
            dims = []
            for d, (n, m) in enumerate(zip(sa, sb)):
                if d in axes:
                    dims.append(axes[d])
                elif n != m:
                    dims.append(symbols.get((n, m)) or f"{target}_dynamic_axes_{d + 1}")
                else:
                    dims.append(int(n))
            self.graph.outputs.append(self.graph.value_info(target, trace.dtype(key), dims))


_FOLDABLE_DTYPES = {np.dtype(d) for d in (np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8)}


class Op:
    """One recorded op being converted: its arguments and results as graph values, and
    helpers that add nodes.  ``rec`` is the record (``rec.args`` are the ``apply``
    arguments); tensor arguments are read by position with ``name(i)``, ``shape(i)``..."""

    def __init__(self, exporter: Exporter, rec):
        self.ex = exporter
        self.rec = rec
        self.args = rec.args
        self.opset = exporter.opset
        self._prefix = "/" + "/".join(rec.path.split(".")) + "/" if rec.path else "/"

    # -- arguments and results -------------------------------------------------------------

    def key(self, i):
        key = self.rec.arg_keys[i]
        if key is None:
            raise OnnxExporterError(
                f"numpyflow.onnx.export: internal error: argument {i} of {self.rec.name} is no tensor"
            )
        return key

    def is_tensor(self, i) -> bool:
        return i < len(self.rec.arg_keys) and self.rec.arg_keys[i] is not None

    def name(self, i) -> str:
        return self.ex.value(self.key(i))

    def shape(self, i) -> tuple:
        return self.ex.trace.shape(self.key(i))

    def dtype(self, i) -> np.dtype:
        return self.ex.trace.dtype(self.key(i))

    def rank(self, i) -> int:
        return len(self.shape(i))

    def dynamic(self, i) -> tuple:
        """The dims of tensor argument ``i`` that follow a dynamic axis."""
        return self.ex.cmp.dynamic(self.key(i))

    def n_outputs(self) -> int:
        return len(self.rec.out_keys)

    def out_shape(self, j=0) -> tuple:
        return tuple(self.rec.outputs[j]._data.shape)

    def out_dtype(self, j=0) -> np.dtype:
        return self.rec.outputs[j]._data.dtype

    def out_sizes(self, j=0) -> tuple:
        """``(shape of output j here, in the second run)``."""
        return self.ex.cmp.sizes(self.rec.out_keys[j])

    def output(self, j, name: str):
        """Output ``j`` of the op is the graph value ``name``."""
        key = self.rec.out_keys[j]
        if key is not None:
            self.ex.names[key] = name

    def absorb(self, rec, name: str):
        """A later op ``rec`` is done by this op's nodes: its output 0 is ``name``."""
        ex = self.ex
        ex.done.add(rec.index)
        key = rec.out_keys[0]
        ex.names[key] = name
        if any(k is not None and ex.is_live(k) for k in rec.arg_keys):
            ex.live.add(key)

    def static(self, fn, what: str):
        """``fn(rec)`` for a value baked into the graph, checked to be the same in the
        second run (see ``Comparison.static``)."""
        return self.ex.cmp.static(self.rec, fn, what)

    def fail(self, reason: str, since: int | None = None):
        raise UnsupportedOperatorError(self.rec.name, self.opset, since, where=self.rec.where, reason=reason)

    # -- nodes -----------------------------------------------------------------------------

    def emit(self, op_type: str, inputs: list, outputs: int = 1, **attrs):
        """Add a node; returns its output name (or the list of them when ``outputs > 1``)."""
        g = self.ex.graph
        node = g.fresh(self._prefix + op_type)
        names = [g.fresh(f"{node}_output_{k}") for k in range(outputs)]
        g.node(op_type, inputs, names, name=node, **attrs)
        return names[0] if outputs == 1 else names

    def const(self, value, dtype) -> str:
        """A constant holding ``value`` as ``dtype``."""
        return self.ex.graph.constant(np.asarray(value, dtype=dtype))

    def ints(self, values) -> str:
        """A 1-D int64 constant."""
        return self.ex.graph.constant(np.asarray(list(values), dtype=np.int64).reshape(-1))

    def scalar(self, value, dtype) -> str:
        """A 0-d constant of ``dtype`` (for elementwise ops with a number)."""
        return self.ex.graph.constant(np.asarray(value, dtype=dtype).reshape(()))

    def unsqueeze(self, x: str, axes) -> str:
        return self.emit("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x: str, axes) -> str:
        return self.emit("Squeeze", [x, self.ints(axes)])

    def transpose(self, x: str, perm) -> str:
        return self.emit("Transpose", [x], perm=[int(p) for p in perm])

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """``op_type`` (ReduceSum, ReduceMean, ...) over ``axes`` (None: all dims), with the
        axes as an input or an attribute as the opset has it."""
        keep = 1 if keepdims else 0
        as_input = op_type == "ReduceSum" or self.opset >= 18
        if axes is None:
            return self.emit(op_type, [x], keepdims=keep)
        axes = [int(a) for a in axes]
        if not axes:  # reducing over no dims is the identity, as in numpy
            return self.emit("Identity", [x])
        if as_input:
            return self.emit(op_type, [x, self.ints(axes)], keepdims=keep)
        return self.emit(op_type, [x], axes=axes, keepdims=keep)

    def shape_slice(self, x: str, dim: int) -> str:
        """``shape(x)[dim:dim + 1]`` as a 1-D int64 tensor."""
        if self.opset >= 15:
            return self.emit("Shape", [x], start=int(dim), end=int(dim) + 1)
        return self.emit("Gather", [self.emit("Shape", [x]), self.ints([dim])], axis=0)

    def shape_tensor(self, target, src: int | None, copy_code: int | None, infer: bool) -> str:
        """A 1-D int64 graph value for the shape ``target`` of output 0 (its size here and
        in the second run tells which dims follow a dynamic axis).  A static dim is a
        number; a dynamic one is ``copy_code`` where it is the same dim of tensor argument
        ``src`` (0 for Reshape, 1 for Expand), else read at run time from a tensor that has
        it (an argument, or a graph input), else -1 once when ``infer`` (Reshape)."""
        ta, tb = target
        entries = []
        inferred = False
        for j, (a, b) in enumerate(zip(ta, tb)):
            if a == b:
                entries.append(int(a))
                continue
            if src is not None and copy_code is not None:
                sa, sb = self.ex.cmp.sizes(self.key(src))
                pos = j if copy_code == 0 else j - (len(ta) - len(sa))
                if 0 <= pos < len(sa) and (sa[pos], sb[pos]) == (a, b):
                    entries.append(copy_code)
                    continue
            found = self._dim_source(a, b, src)
            if found is not None:
                entries.append(found)
            elif infer and not inferred:
                entries.append(-1)
                inferred = True
            else:
                raise OnnxExporterError(
                    f"numpyflow.onnx.export: {self.rec.name} in {self.rec.where} makes a shape {tuple(ta)} whose dim "
                    f"{j} follows a dynamic axis ({a} here, {b} with other input sizes) in a way the graph cannot "
                    "compute (it is not a dim of an input, and at most one dim can be inferred)"
                )
        if all(isinstance(e, int) for e in entries):
            return self.ints(entries)
        pieces, run = [], []
        for e in entries:
            if isinstance(e, int):
                run.append(e)
                continue
            if run:
                pieces.append(self.ints(run))
                run = []
            pieces.append(self.shape_slice(*e))
        if run:
            pieces.append(self.ints(run))
        return self.emit("Concat", pieces, axis=0)

    def _dim_source(self, a, b, src):
        """``(graph value, dim)`` of a tensor whose dim has size ``a`` here and ``b`` in the
        second run: a tensor argument of this op (``src`` first), else a graph input."""
        cmp = self.ex.cmp
        order = [src] if src is not None else []
        order += [i for i, k in enumerate(self.rec.arg_keys) if k is not None and i != src]
        for i in order:
            sa, sb = cmp.sizes(self.key(i))
            for d, (x, y) in enumerate(zip(sa, sb)):
                if (x, y) == (a, b):
                    return self.name(i), d
        for key in self.ex.trace.input_keys:
            sa, sb = cmp.sizes(key)
            for d, (x, y) in enumerate(zip(sa, sb)):
                if (x, y) == (a, b):
                    return self.ex.value(key), d
        return None

    def element_type(self, dtype) -> int:
        return element_type(dtype, f"a value of {self.rec.name} in {self.rec.where}")
