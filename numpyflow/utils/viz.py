"""Draw a tensor's backward graph with Graphviz, as torchviz draws PyTorch's.

::

    from numpyflow.utils.viz import make_dot

    loss = nf.nn.functional.cross_entropy(model(x), y)
    dot = make_dot(loss, params=dict(model.named_parameters()), show_saved=True)
    dot.render("graph", format="svg")      # or dot.pipe(format="png") for the bytes

Gray boxes are the graph's nodes (``ConvolutionBackward0``), each with the shape and
dtype of what its forward op returned; light blue boxes are the leaves that will get a
``.grad`` (named by ``params``), orange boxes the values a node saved for backward
(``show_saved=True``) and the green box the output itself.

``make_dot`` needs the ``graphviz`` Python package (``pip install graphviz``, or
``pip install numpyflow[viz]``); ``render`` and ``pipe`` also need Graphviz's ``dot``
program (``apt-get install graphviz``, ``brew install graphviz``).  Importing numpyflow
needs neither.
"""

from __future__ import annotations

from ..backend import is_array
from ..tensor import Tensor

__all__ = ["make_dot", "resize_graph"]

_NODE_ATTR = dict(
    style="filled",
    shape="box",
    align="left",
    fontsize="10",
    ranksep="0.1",
    height="0.2",
    fontname="monospace",
)


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "make_dot needs the graphviz Python package: pip install graphviz "
            "(or pip install numpyflow[viz]); rendering to SVG or PNG also needs Graphviz's "
            "dot program (apt-get install graphviz, brew install graphviz)"
        ) from None
    return graphviz


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The backward graph of ``var`` (a Tensor, or a tuple of Tensors) as a
    ``graphviz.Digraph``.

    Args:
        var: the output tensor(s); drawn green, below the node that made them.
        params: ``{name: tensor}`` (``dict(model.named_parameters())``) naming the leaf
            tensors that require grad; unnamed leaves show their shape alone.
        show_attrs: list each node's non-tensor attributes (kernel geometry, shapes,
            saved scalars) under its name.
        show_saved: draw the values each node saved for backward as orange boxes with
            their shapes.  A plain ``backward()`` frees them: draw the graph before it,
            or backward with ``retain_graph=True``.
        max_attr_chars: with ``show_attrs``, the widest an attribute's value is shown.

    The graph is walked with an explicit stack, so graphs of any depth are drawn.
    """
    graphviz = _graphviz()
    outputs = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    for v in outputs:
        if not isinstance(v, Tensor):
            raise TypeError(f"make_dot: expected a Tensor or a tuple of Tensors, got {type(v).__name__}")
    if params is not None:
        for name, p in params.items():
            if not isinstance(p, Tensor):
                raise TypeError(f"make_dot: params['{name}'] is a {type(p).__name__}, not a Tensor")
        param_map = {id(p): name for name, p in params.items()}
    else:
        param_map = {}

    dot = graphviz.Digraph(node_attr=dict(_NODE_ATTR), graph_attr=dict(size="12,12"))
    nodes = _reachable([v.grad_fn for v in outputs])
    out_meta = _output_metadata(nodes, outputs)

    for fn in nodes:
        fid = str(id(fn))
        dot.node(fid, _escape(_node_label(fn, out_meta.get(fn, {}), show_attrs, max_attr_chars)))
        variable = getattr(fn, "variable", None)  # AccumulateGrad: the leaf it feeds
        if variable is not None:
            vid = str(id(variable))
            dot.node(vid, _escape(_tensor_label(variable, param_map.get(id(variable), ""))), fillcolor="lightblue")
            dot.edge(vid, fid)
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                dot.edge(str(id(nxt)), fid)
        if show_saved:
            for i, saved in enumerate(_saved_values(fn)):
                array = _saved_array(saved)
                if array is None:
                    continue
                sid = str(id(saved))
                name = _saved_name(saved, i, param_map)
                dot.edge(fid, sid, dir="none")
                dot.node(sid, _escape(_array_label(name, array.shape, array.dtype)), fillcolor="orange")

    for v in outputs:
        vid = str(id(v))
        dot.node(vid, _escape(_tensor_label(v, param_map.get(id(v), ""))), fillcolor="darkolivegreen1")
        if v.grad_fn is not None:
            dot.edge(str(id(v.grad_fn)), vid)

    resize_graph(dot)
    return dot


def resize_graph(dot, size_per_element=0.15, min_size=12):
    """Scale ``dot``'s drawing size with the number of its statements (in place)."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")


# -- walking the graph --------------------------------------------------------------------


def _reachable(roots):
    """Every node reachable from ``roots``, each once, in depth-first order."""
    seen = set()
    order = []
    stack = [r for r in reversed(roots) if r is not None]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        order.append(fn)
        for nxt, _ in reversed(fn.next_functions):
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    return order


def _output_metadata(nodes, outputs):
    """``{node: {output_nr: (shape, dtype)}}``: what each node's forward op returned.

    A node records the shape and dtype of each input it sends a gradient to, which is
    the output of the node behind that edge; multi-output nodes record their outputs
    themselves, and the drawn outputs give the rest."""
    meta = {}
    for fn in nodes:
        own = getattr(fn, "_output_meta", None)
        if own is not None:
            meta.setdefault(fn, {}).update({nr: m for nr, m in enumerate(own) if m is not None})
        edges = getattr(fn, "_next", ())
        inputs = getattr(fn, "_input_meta", ())
        for edge, m in zip(edges, inputs):
            if edge is not None and m is not None and edge[0] is not None:
                meta.setdefault(edge[0], {}).setdefault(edge[1], m)
    for v in outputs:
        if v.grad_fn is not None:
            meta.setdefault(v.grad_fn, {})[v._output_nr] = (tuple(v.shape), v.dtype.numpy)
    return meta


def _saved_values(fn):
    """What ``fn`` saved for backward (empty once a backward has freed it)."""
    return getattr(fn, "_saved", None) or ()


def _saved_array(saved):
    """The array behind a saved value, or None for a non-array value."""
    if saved is None:
        return None
    array = getattr(saved, "array", None)  # a saved input or output, with its version
    if array is not None:
        return array
    return saved if is_array(saved) else None


def _saved_name(saved, index, param_map):
    tensor = getattr(saved, "tensor", None)
    if tensor is not None and id(tensor) in param_map:
        return param_map[id(tensor)]
    if tensor is None and getattr(saved, "counter", None) is not None:
        return "result"
    return f"saved_tensors[{index}]"


# -- labels -------------------------------------------------------------------------------


def _shape_str(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _dtype_name(dtype):
    return getattr(dtype, "name", str(dtype))


def _array_label(name, shape, dtype):
    return f"{name}\n {_shape_str(shape)} {_dtype_name(dtype)}"


def _tensor_label(t, name):
    return _array_label(name, tuple(t.shape), t.dtype.numpy)


def _node_label(fn, outputs, show_attrs, max_attr_chars):
    name = fn.name()
    if len(outputs) == 1 and 0 in outputs and getattr(fn, "_n_outputs", 1) == 1:
        lines = [_shape_str(outputs[0][0]) + " " + _dtype_name(outputs[0][1])]
    else:
        lines = [f"{nr}: {_shape_str(s)} {_dtype_name(d)}" for nr, (s, d) in sorted(outputs.items())]
    if type(fn).__name__ == "AccumulateGrad":
        lines = []  # the leaf box beside it shows the shape
    label = "\n".join([name] + lines)
    if show_attrs:
        attrs = _attributes(fn)
        if attrs:
            label += "\n" + _attr_table(attrs, max(len(name), *(len(s) for s in lines)), max_attr_chars)
    return label


def _attributes(fn):
    """A node's non-tensor state, as torchviz lists a PyTorch node's ``_saved_*``."""
    attrs = {}
    state = getattr(fn, "__dict__", {})
    for key, value in state.items():
        if key.startswith("_") or key == "needs_input_grad":
            continue
        attrs[key] = "[saved tensor]" if isinstance(value, Tensor) or is_array(value) else str(value)
    for i, saved in enumerate(_saved_values(fn)):
        if saved is None:
            continue
        attrs[f"saved_tensors[{i}]"] = "[saved tensor]" if _saved_array(saved) is not None else str(saved)
    return attrs


def _attr_table(attrs, title_width, max_attr_chars):
    max_attr_chars = max(max_attr_chars, 3)
    key_width = max(len(k) for k in attrs)
    value_width = min(max(len(v) for v in attrs.values()), max_attr_chars)

    def truncate(s):
        return s[: value_width - 3] + "..." if len(s) > value_width else s

    rule = "-" * max(key_width + value_width + 2, title_width)
    rows = [f"{k:<{key_width}}: {truncate(v):>{value_width}}" for k, v in attrs.items()]
    return "\n".join([rule] + rows)


def _escape(label):
    # DOT reads backslashes in a quoted label as escapes (\n, \l); keep them literal.
    return label.replace("\\", "\\\\")
