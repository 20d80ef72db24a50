"""``summary``: a model's layer table, torchinfo's API and layout.

::

    >>> stats = nf.utils.summary(model, input_size=(1, 3, 32, 32), col_names=("output_size", "num_params", "mult_adds"))
    >>> stats.total_params, stats.total_mult_adds

One forward pass under ``no_grad`` (in eval mode, the layers' modes restored after)
records, through forward hooks, every layer call in the order it ran: its output shape,
its parameters, and its multiply-adds counted as torchinfo counts them (a convolution's
weights times the output positions, any other weight or bias times the batch size).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping

import numpy as np

from ..autograd.grad_mode import no_grad
from ..creation import rand, tensor
from ..random import Generator
from ..tensor import Tensor

__all__ = ["summary", "ModelStatistics", "LayerInfo"]

COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds", "trainable")
HEADER_TITLES = {
    "kernel_size": "Kernel Shape",
    "input_size": "Input Shape",
    "output_size": "Output Shape",
    "num_params": "Param #",
    "params_percent": "Param %",
    "mult_adds": "Mult-Adds",
    "trainable": "Trainable",
}
ROW_SETTINGS = ("depth", "var_names", "ascii_only")
_NEEDS_INPUT = {"input_size", "output_size", "mult_adds"}


def summary(
    model,
    input_size=None,
    input_data=None,
    depth=3,
    col_names=None,
    dtypes=None,
    verbose=None,
    device=None,
    col_width=25,
    row_settings=None,
    mode="eval",
    **kwargs,
):
    """Summarize ``model``: a layer tree with output shapes, parameter counts and
    multiply-adds, the totals, and an estimate of the memory a training step needs.

    Args:
        model: the ``nn.Module``.
        input_size: the input's shape with its batch dimension (``(1, 3, 32, 32)``), or a
            list of shapes for a model of several inputs; filled with uniform random
            values (from a private generator: the global random stream is untouched).
        input_data: the forward's arguments instead: a Tensor (or array), a sequence of
            them, or a dict of keyword arguments.
        depth: how deep the layer tree is shown; deeper layers are summed into the
            row of their ancestor at this depth.
        col_names: columns, from ``"input_size"``, ``"output_size"``, ``"num_params"``,
            ``"params_percent"``, ``"kernel_size"``, ``"mult_adds"``, ``"trainable"``.
            Default ``("output_size", "num_params")``, or ``("num_params",)`` without input.
        dtypes: the dtype of each ``input_size`` input (default float32).
        verbose: 0 prints nothing, 1 prints the table, 2 also lists each layer's
            weights.  Default 1, or 0 in an interactive session (the returned object
            shows the table).
        device: move the model and the inputs there before the forward.
        col_width: the width of each column.
        row_settings: from ``"depth"`` (``Conv2d: 1-1``, the default), ``"var_names"``
            (the attribute name beside the type) and ``"ascii_only"``.
        mode: ``"eval"`` (default) or ``"train"``: the mode of the forward pass.
        **kwargs: further keyword arguments of ``model.forward``.

    Returns:
        A ``ModelStatistics``: ``str()`` is the table; ``total_params``,
        ``trainable_params``, ``total_mult_adds``, ``summary_list`` hold the numbers.
    """
    has_input = input_data is not None or input_size is not None
    if col_names is None:
        columns = ("output_size", "num_params") if has_input else ("num_params",)
    else:
        columns = tuple(col_names)
        unknown = [c for c in columns if c not in COLUMNS]
        if unknown:
            raise ValueError(f"summary: unknown column {unknown[0]!r}; choose from {', '.join(COLUMNS)}")
    rows = {"depth"} if row_settings is None else set(row_settings)
    unknown = rows - set(ROW_SETTINGS)
    if unknown:
        raise ValueError(f"summary: unknown row setting {sorted(unknown)[0]!r}; choose from {', '.join(ROW_SETTINGS)}")
    if verbose is None:
        verbose = 0 if hasattr(sys, "ps1") and sys.ps1 else 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"summary: verbose must be 0 (quiet), 1 (default) or 2 (verbose), got {verbose!r}")
    if col_width <= 0:
        raise ValueError(f"summary: col_width must be positive, got {col_width}")
    if mode not in ("eval", "train"):
        raise ValueError(f"summary: mode must be 'eval' or 'train', got {mode!r}")
    if input_data is not None and input_size is not None:
        raise ValueError("summary: give input_size or input_data, not both")
    if not has_input and _NEEDS_INPUT & set(columns):
        needed = sorted(_NEEDS_INPUT & set(columns))
        raise ValueError(f"summary: the columns {needed} need input_size or input_data")

    args, kw, sizes = _inputs(input_data, input_size, dtypes, device)
    summary_list = _forward_pass(model, args, {**kw, **kwargs}, device, mode, has_input)
    formatting = FormattingOptions(depth, verbose, columns, col_width, rows)
    input_bytes = sum(t.nbytes for t in _tensors((args, kw)))
    stats = ModelStatistics(summary_list, sizes, input_bytes, formatting)
    if verbose > 0:
        print(stats)
    return stats


# -- inputs -------------------------------------------------------------------------------


def _inputs(input_data, input_size, dtypes, device):
    """``(args, kwargs, sizes)`` of the forward call."""
    if input_data is not None:
        data = _to_tensors(input_data, device)
        if isinstance(data, Tensor):
            args, kw = [data], {}
        elif isinstance(data, Mapping):
            args, kw = [], dict(data)
        else:
            args, kw = list(data), {}
        return args, kw, [list(t.shape) for t in _tensors((args, kw))]
    if input_size is None:
        return None, {}, []
    shapes = _input_shapes(input_size)
    if dtypes is None:
        dtypes = [None] * len(shapes)
    elif len(dtypes) != len(shapes):
        raise ValueError(f"summary: {len(shapes)} input sizes but {len(dtypes)} dtypes")
    gen = Generator().manual_seed(0)
    args = []
    for shape, dtype in zip(shapes, dtypes):
        t = rand(*shape, generator=gen)
        if dtype is not None:
            t = t.to(dtype)
        args.append(t.to(device) if device is not None else t)
    return args, {}, [list(s) for s in shapes]


def _input_shapes(input_size):
    """``input_size`` as a list of shapes: one shape, or a list/tuple of shapes."""
    if not isinstance(input_size, (list, tuple)) or not input_size:
        raise TypeError(f"summary: input_size must be a shape or a list of shapes, got {input_size!r}")
    shapes = [tuple(input_size)] if all(isinstance(s, int) for s in input_size) else [tuple(s) for s in input_size]
    for s in shapes:
        if not all(isinstance(n, int) and n > 0 for n in s):
            raise ValueError(f"summary: input sizes must be positive integers, got {s}")
    return shapes


def _to_tensors(data, device):
    if isinstance(data, Tensor):
        return data.to(device) if device is not None else data
    if isinstance(data, np.ndarray):
        return tensor(data, device=device)
    if isinstance(data, Mapping):
        return {k: _to_tensors(v, device) for k, v in data.items()}
    if isinstance(data, list) or type(data) is tuple:
        return type(data)(_to_tensors(v, device) for v in data)
    return data


def _tensors(data):
    """Every Tensor inside nested lists, tuples and dicts."""
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, Tensor):
            yield d
        elif isinstance(d, Mapping):
            stack.extend(reversed(list(d.values())))
        elif isinstance(d, (list, tuple)):
            stack.extend(reversed(d))


def _size(value):
    """``(shape as a list, bytes per element)`` of a layer's input or output, torchinfo's
    way: a Tensor's own; a sequence's first element's; a dict's last value's."""
    while True:
        if isinstance(value, Tensor):
            return list(value.shape), value.element_size()
        if isinstance(value, np.ndarray):
            return list(value.shape), value.itemsize
        if isinstance(value, Mapping) and value:
            value = list(value.values())[-1]
        elif isinstance(value, (list, tuple)) and value:
            value = value[0]
        else:
            return [], 0


# -- the forward pass ---------------------------------------------------------------------


class LayerInfo:
    """One call of one layer: what the table shows in its row."""

    def __init__(self, var_name, module, depth, parent_info=None):
        self.layer_id = id(module)
        self.module = module
        self.class_name = type(module).__name__
        self.var_name = var_name
        self.depth = depth
        self.depth_index = None
        self.parent_info = parent_info
        self.children = []
        self.inner_layers = {}
        self.executed = False
        self.is_leaf_layer = not any(True for _ in module.children())
        self.is_recursive = False
        self.input_size = []
        self.output_size = []
        self.kernel_size = _kernel_size(module)
        self.num_params = 0
        self.trainable_params = 0
        self.param_bytes = 0
        self.output_bytes = 0
        self.macs = 0

    def __repr__(self):
        return f"{self.class_name}: {self.depth}"

    @property
    def trainable(self):
        """``"True"``, ``"False"``, ``"Partial"`` or ``"--"`` (no parameters)."""
        if self.num_params == 0:
            return "--"
        if self.trainable_params == 0:
            return "False"
        return "True" if self.trainable_params == self.num_params else "Partial"

    def calculate_num_params(self):
        self.num_params = self.trainable_params = self.param_bytes = 0
        self.inner_layers = {}
        last = None
        for name, p in self.module.named_parameters():
            n = p.numel()
            self.num_params += n
            self.param_bytes += n * p.element_size()
            if p.requires_grad:
                self.trainable_params += n
            shape = list(p.shape)
            if name == "weight" and len(shape) > 1:
                shape[0], shape[1] = shape[1], shape[0]
            if self.parent_info is not None or "." not in name:
                self.inner_layers[name] = {"kernel_size": str(shape), "num_params": f"├─{n:,}"}
                last = name
        if last is not None:
            self.inner_layers[last]["num_params"] = "└─" + self.inner_layers[last]["num_params"][2:]

    def calculate_macs(self):
        for name, p in self.module.named_parameters():
            n = p.numel()
            if name in ("weight", "bias"):
                if "Conv" in self.class_name:  # each weight once per output position
                    self.macs += n * math.prod(self.output_size[:1] + self.output_size[2:])
                else:
                    self.macs += (self.output_size[0] if self.output_size else 1) * n
            elif "weight" in name or "bias" in name:  # recurrent layers' weight_ih_l0, ...
                self.macs += math.prod(self.output_size[:2]) * n

    def leftover_params(self):
        """Parameters of this layer not counted in the rows below it."""
        return self._leftover("num_params")

    def leftover_trainable_params(self):
        return self._leftover("trainable_params")

    def _leftover(self, attr):
        # ``children`` holds every row below this one; a container's own share is its
        # count less its leaf rows' counts and its container rows' own shares.
        return getattr(self, attr) - sum(
            getattr(c, attr) if c.is_leaf_layer else c._leftover(attr) for c in self.children if not c.is_recursive
        )

    def macs_to_str(self, reached_max_depth):
        if self.is_leaf_layer:
            return f"{self.macs:,}" if self.macs > 0 else "--"
        if reached_max_depth:  # the row stands for the layers below it
            total = sum(c.macs for c in self.children if c.is_leaf_layer)
            return f"{total:,}" if total > 0 else "--"
        return "--"

    def num_params_to_str(self, reached_max_depth):
        if self.num_params == 0:
            return "--"
        if self.is_recursive:
            return "(recursive)"
        if reached_max_depth or self.is_leaf_layer:
            s = f"{self.num_params:,}"
            return s if self.trainable_params else f"({s})"
        left = self.leftover_params()
        return f"{left:,}" if left > 0 else "--"

    def params_percent(self, total_params, reached_max_depth, precision=2):
        zero = " " * 5 + "--"
        if total_params == 0:
            return zero
        if self.is_recursive:
            return "(recursive)"
        params = self.num_params if reached_max_depth or self.is_leaf_layer else self.leftover_params()
        if params == 0:
            return zero
        return f"{params / total_params:>{precision + 5}.{precision}%}"

    def layer_name(self, show_var_name, show_depth):
        name = self.class_name
        if show_var_name and self.var_name:
            name += f" ({self.var_name})"
        if show_depth and self.depth > 0:
            name += f": {self.depth}"
            if self.depth_index is not None:
                name += f"-{self.depth_index}"
        return name


def _kernel_size(module):
    k = getattr(module, "kernel_size", None)
    if k is None:
        return None
    return list(k) if isinstance(k, (list, tuple)) else int(k)


def _forward_pass(model, args, kwargs, device, mode, has_input):
    """The layers in the order they ran (each call a row), containers included."""
    summary_list = []
    layer_ids = set()
    infos = {}
    handles = {}

    def make_pre_hook(var_name, depth, parent):
        def pre_hook(module, inputs):
            info = LayerInfo(var_name, module, depth, parent)
            info.calculate_num_params()
            info.is_recursive = info.layer_id in layer_ids
            summary_list.append(info)
            layer_ids.add(info.layer_id)
            infos[info.layer_id] = info

        return pre_hook

    def hook(module, inputs, outputs):
        info = infos[id(module)]
        info.input_size, _ = _size(inputs)
        info.output_size, elem_bytes = _size(outputs)
        info.output_bytes = elem_bytes * math.prod(info.output_size)
        info.executed = True
        if info.is_leaf_layer:
            info.calculate_macs()

    # Children are visited with an explicit stack; a module reached twice keeps the hooks
    # of its last place in the tree, as torchinfo does.
    stack = [(type(model).__name__, model, 0, None)]
    while stack:
        var_name, module, depth, parent = stack.pop()
        mid = id(module)
        infos[mid] = LayerInfo(var_name, module, depth, parent)
        pre_hook = make_pre_hook(var_name, depth, parent)
        if not has_input:
            pre_hook(module, None)
        else:
            for h in handles.pop(mid, ()):
                h.remove()
            handles[mid] = (module.register_forward_pre_hook(pre_hook), module.register_forward_hook(hook))
        stack.extend((name, child, depth + 1, infos[mid]) for name, child in reversed(list(module.named_children())))

    if not has_input:
        _set_children(summary_list)
        return summary_list

    modes = [(m, m.training) for m in model.modules()]
    try:
        model.train(mode == "train")
        if device is not None:
            model.to(device)
        with no_grad():
            model(*args, **kwargs)
    except Exception as e:
        ran = [layer for layer in summary_list if layer.executed]
        raise RuntimeError(f"summary: the forward pass failed ({e}); layers run before the failure: {ran}") from e
    finally:
        for pair in handles.values():
            for h in pair:
                h.remove()
        for m, training in modes:
            m.training = training
    _add_missing_containers(summary_list)
    _set_children(summary_list)
    return summary_list


def _add_missing_containers(summary_list):
    """Insert the containers whose forward never ran (a Sequential iterated by hand, a
    ModuleList) above their first child that did."""
    layer_ids = {layer.layer_id for layer in summary_list}
    current = {}
    idx = 0
    while idx < len(summary_list):
        layer = summary_list[idx]
        hierarchy = {}
        parent = layer.parent_info
        while parent is not None and parent.depth > 0:
            hierarchy[parent.depth] = parent
            parent = parent.parent_info
        inserted = 0
        for d in range(1, layer.depth):
            if (d not in current or current[d].module is not hierarchy[d].module) and hierarchy[d] is not summary_list[
                idx + inserted - 1
            ]:
                container = hierarchy[d]
                container.calculate_num_params()
                container.is_recursive = container.layer_id in layer_ids
                summary_list.insert(idx + inserted, container)
                layer_ids.add(container.layer_id)
                current[d] = container
                inserted += 1
        current[layer.depth] = layer
        d = layer.depth + 1
        while d in current:
            current.pop(d)
            d += 1
        idx += inserted + 1


def _set_children(summary_list):
    """Number the rows within each depth (``1-4``) and link each row to the rows below it."""
    counts = {}
    for i, layer in enumerate(summary_list):
        counts[layer.depth] = counts.get(layer.depth, 0) + 1
        layer.depth_index = counts[layer.depth]
        end = i + 1
        while end < len(summary_list) and summary_list[end].depth > layer.depth:
            end += 1
        layer.children = summary_list[i + 1 : end]


# -- the table ----------------------------------------------------------------------------


class FormattingOptions:
    """Columns, widths and tree characters of the table."""

    def __init__(self, max_depth, verbose, col_names, col_width, row_settings):
        self.max_depth = max_depth
        self.verbose = verbose
        self.col_names = tuple(col_names)
        self.col_width = col_width
        self.layer_name_width = 40
        self.ascii_only = "ascii_only" in row_settings
        self.show_var_name = "var_names" in row_settings
        self.show_depth = "depth" in row_settings

    def start_str(self, depth):
        if depth == 0:
            return ""
        if depth == 1:
            return "+ " if self.ascii_only else "├─"
        return ("|    " if self.ascii_only else "│    ") * (depth - 1) + ("+ " if self.ascii_only else "└─")

    def set_layer_name_width(self, summary_list, align_val=5):
        longest = 0
        for info in summary_list:
            longest = max(
                longest, len(info.layer_name(self.show_var_name, self.show_depth)) + info.depth * align_val + 1
            )
        if longest >= self.layer_name_width:
            self.layer_name_width = math.ceil(longest / align_val) * align_val

    def total_width(self):
        return len(self.col_names) * self.col_width + self.layer_name_width

    def format_row(self, layer_name, values):
        line = f"{layer_name:<{self.layer_name_width}} "
        for col in self.col_names:
            line += f"{values.get(col, ''):<{self.col_width}} "
        return line.rstrip() + "\n"

    def header_row(self):
        suffix = (" (var_name)" if self.show_var_name else "") + (":depth-idx" if self.show_depth else "")
        return self.format_row(f"Layer (type{suffix})", HEADER_TITLES)

    def layer_row(self, info, reached_max_depth, total_params):
        values = {
            "kernel_size": _or_dashes(info.kernel_size),
            "input_size": _or_dashes(info.input_size),
            "output_size": _or_dashes(info.output_size),
            "num_params": info.num_params_to_str(reached_max_depth),
            "params_percent": info.params_percent(total_params, reached_max_depth),
            "mult_adds": info.macs_to_str(reached_max_depth),
            "trainable": info.trainable,
        }
        name = info.layer_name(self.show_var_name, self.show_depth)
        line = self.format_row(self.start_str(info.depth) + name, values)
        if self.verbose == 2:
            for inner_name, inner in info.inner_layers.items():
                line += self.format_row(self.start_str(info.depth + 1) + inner_name, inner)
        return line

    def layers_to_str(self, summary_list, total_params):
        return "".join(
            self.layer_row(info, info.depth == self.max_depth, total_params)
            for info in summary_list
            if info.depth <= self.max_depth
        )


def _or_dashes(value):
    return str(value) if value else "--"


class ModelStatistics:
    """What ``summary`` found; ``str()`` is the table.

    Attributes: ``summary_list`` (one ``LayerInfo`` per row, deeper rows included),
    ``total_params``, ``trainable_params``, ``total_mult_adds``, ``total_input``,
    ``total_output_bytes`` (the outputs of the layers with parameters, twice: values
    and gradients) and ``total_param_bytes``, all in bytes where sizes.
    """

    def __init__(self, summary_list, input_size, total_input_size, formatting):
        self.summary_list = summary_list
        self.input_size = input_size
        self.formatting = formatting
        self.total_input = total_input_size
        self.total_mult_adds = 0
        self.total_params = 0
        self.trainable_params = 0
        self.total_param_bytes = 0
        self.total_output_bytes = 0
        for info in summary_list:
            if info.is_leaf_layer:
                self.total_mult_adds += info.macs
                if info.num_params > 0:
                    self.total_output_bytes += info.output_bytes * 2
                if info.is_recursive:
                    continue
                self.total_params += info.num_params
                self.total_param_bytes += info.param_bytes
                self.trainable_params += info.trainable_params
            elif not info.is_recursive:
                self.total_params += max(info.leftover_params(), 0)
                self.trainable_params += max(info.leftover_trainable_params(), 0)
                self.total_param_bytes += max(info._leftover("param_bytes"), 0)
        formatting.set_layer_name_width(summary_list)

    def __str__(self):
        f = self.formatting
        divider = "=" * f.total_width()
        text = (
            f"{divider}\n{f.header_row()}{divider}\n"
            f"{f.layers_to_str(self.summary_list, self.total_params)}{divider}\n"
            f"Total params: {self.total_params:,}\n"
            f"Trainable params: {self.trainable_params:,}\n"
            f"Non-trainable params: {self.total_params - self.trainable_params:,}\n"
        )
        if self.input_size:
            total = self.total_input + self.total_output_bytes + self.total_param_bytes
            text += (
                f"Total mult-adds{_readable(self.total_mult_adds)}\n{divider}\n"
                f"Input size (MB): {self.total_input / 1e6:0.2f}\n"
                f"Forward/backward pass size (MB): {self.total_output_bytes / 1e6:0.2f}\n"
                f"Params size (MB): {self.total_param_bytes / 1e6:0.2f}\n"
                f"Estimated Total Size (MB): {total / 1e6:0.2f}\n"
            )
        return text + divider

    __repr__ = __str__


def _readable(num):
    """`` (M): 40.55``: a count in millions, billions or trillions."""
    unit, scale = next(((u, s) for u, s in (("T", 1e12), ("G", 1e9)) if num >= s), ("M", 1e6))
    value = num / scale
    return f" ({unit}): {int(value):,d}" if value.is_integer() else f" ({unit}): {value:,.2f}"
