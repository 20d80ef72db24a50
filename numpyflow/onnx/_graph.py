"""The ONNX graph under construction: nodes, initializers, graph inputs and outputs, and
the names of the values between them (built with the ``onnx`` package)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .errors import OnnxExporterError

# numpy dtype -> ONNX element type
ELEMENT_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.float16): TensorProto.FLOAT16,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int16): TensorProto.INT16,
    np.dtype(np.int8): TensorProto.INT8,
    np.dtype(np.uint8): TensorProto.UINT8,
    np.dtype(np.uint16): TensorProto.UINT16,
    np.dtype(np.uint32): TensorProto.UINT32,
    np.dtype(np.uint64): TensorProto.UINT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}

# Constants up to this many elements are shared by every node that uses the same value.
_SHARED_CONSTANT_SIZE = 64


def element_type(dtype, what: str) -> int:
    """The ONNX element type of a numpy ``dtype``; ``what`` names the value for the error."""
    t = ELEMENT_TYPES.get(np.dtype(dtype))
    if t is None:
        raise OnnxExporterError(
            f"numpyflow.onnx.export: {what} has dtype {np.dtype(dtype)}, which this exporter does not map to "
            f"ONNX (supported: {', '.join(sorted(str(d) for d in ELEMENT_TYPES))})"
        )
    return t


class Graph:
    """Nodes and initializers in the order they are added, with unique value names."""

    def __init__(self, opset: int):
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self.produced = set()  # names that some node writes
        self._names = set()
        self._counts = {}
        self._shared = {}  # (dtype, shape, bytes) -> name of a small constant
        self._renames = {}

    # -- names -----------------------------------------------------------------------------

    def reserve(self, name: str, what: str) -> str:
        """Claim ``name`` exactly (a graph input, output or parameter name)."""
        if not name or name in self._names:
            raise OnnxExporterError(f"numpyflow.onnx.export: the name '{name}' ({what}) is empty or used twice")
        self._names.add(name)
        return name

    def fresh(self, base: str) -> str:
        """A new unique name starting with ``base``."""
        n = self._counts.get(base, 0)
        while True:
            name = base if n == 0 and base not in self._names else f"{base}_{n}"
            n += 1
            if name not in self._names:
                self._counts[base] = n
                self._names.add(name)
                return name

    # -- content ---------------------------------------------------------------------------

    def node(self, op_type: str, inputs: list, outputs: list, name: str, **attrs):
        """Add a node; ``None`` attributes are left out, ``None`` inputs become ''."""
        attrs = {k: v for k, v in attrs.items() if v is not None}
        inputs = ["" if i is None else i for i in inputs]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        self.produced.update(outputs)

    def initializer(self, name: str, array) -> str:
        array = np.asarray(array)
        element_type(array.dtype, f"the value '{name}'")
        if not array.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
            array = array.copy(order="C")
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def constant(self, array, base: str = "onnx::Constant") -> str:
        """An initializer holding ``array``; small ones are shared by value."""
        array = np.asarray(array)
        if array.size <= _SHARED_CONSTANT_SIZE:
            key = (array.dtype.str, array.shape, array.tobytes())
            name = self._shared.get(key)
            if name is None:
                name = self._shared[key] = self.initializer(self.fresh(base), array)
            return name
        return self.initializer(self.fresh(base), array)

    def rename(self, old: str, new: str):
        """Make the node output ``old`` be called ``new`` everywhere (``new`` is reserved)."""
        self._renames[old] = new

    def value_info(self, name: str, dtype, dims) -> onnx.ValueInfoProto:
        """``dims``: ints and symbol names (str) for dynamic dims."""
        return helper.make_tensor_value_info(name, element_type(dtype, f"the graph value '{name}'"), list(dims))

    def build(self, name: str, doc: str = "") -> onnx.GraphProto:
        if self._renames:
            for node in self.nodes:
                node.input[:] = [self._renames.get(i, i) for i in node.input]
                node.output[:] = [self._renames.get(o, o) for o in node.output]
        return helper.make_graph(
            self.nodes, name, self.inputs, self.outputs, initializer=self.initializers, doc_string=doc or None
        )
