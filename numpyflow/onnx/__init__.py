"""Export a model to ONNX: ``numpyflow.onnx.export``, with ``torch.onnx.export``'s
(TorchScript-era) signature::

    model = nf.vision.models.resnet18(num_classes=10).eval()
    x = nf.randn(1, 3, 64, 64)
    nf.onnx.export(
        model, (x,), "resnet18.onnx",
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )

How it works: the forward runs once under ``nf.no_grad()`` with a function hook that
records every op (its Function class, arguments and results).  Parameters and buffers
become initializers named as in ``state_dict()``; other tensors that no op produced
become constant initializers; the model's tensor arguments become the graph inputs, in
order.  Each op is then converted by its entry in a table of converters (``_ops.py``);
the model is checked with ``onnx.checker.check_model`` before it is written.

The forward runs a second time with other inputs (every dynamic axis grown, values
changed), and the two runs must agree: the graph must not bake in a value computed
outside NumpyFlow's ops (a comparison, ``.item()``, numpy), nor a size that follows a
dynamic axis; a reshape such as ``x.view(x.size(0), -1)`` is exported so that the graph
works for any size along that axis.  What cannot be exported is an error that says
what and where, never a silent difference:

* an op without an ONNX mapping raises :class:`errors.UnsupportedOperatorError` (a
  ``RuntimeError``) naming the op and the module it ran in;
* a tensor changed in place after an op produced it (``x += y``, ``relu_()``,
  ``inplace=True``) or a parameter changed by the forward, a value that depends on the
  input's values outside the graph's ops (a mask from ``x > 0``, ``.item()``), and
  data-dependent control flow raise :class:`OnnxExporterError` (a ``RuntimeError``).

Ops mapped: arithmetic with tensors and numbers (add, sub, mul, div, pow, neg, floor
division, remainder), the unary math functions, clamp, where, casts; relu, leaky_relu,
elu/selu/celu, gelu (``Gelu`` from opset 20, the erf or tanh form below), silu, sigmoid,
tanh, hardtanh/relu6, softplus, logsigmoid, mish, hardsigmoid, hardswish,
softmax/log_softmax; linear/matmul/mm/bmm/addmm (``Gemm`` for 2-D linear layers),
einsum; conv2d (stride, padding, dilation, groups, bias or not), conv1d (as conv2d),
conv_transpose2d; max_pool2d (with indices too), avg_pool2d (``count_include_pad``,
``ceil_mode``, ``divisor_override``), adaptive_avg_pool2d (global as
``GlobalAveragePool``, others as an average pool or two matrix products),
adaptive_max_pool2d to 1x1; batch_norm in eval mode (``BatchNormalization`` with the
running statistics), layer_norm (``LayerNormalization`` from opset 17), group_norm;
dropout in eval mode (nothing runs); embedding (``Gather``); reshape/view/flatten,
squeeze/unsqueeze, permute/transpose, cat/stack, split/chunk/unbind, pad (constant,
reflect, replicate, circular), interpolate/Upsample (nearest, linear), repeat, flip,
expand, gather, indexing with ints, slices (steps too), None and one index array;
sum/mean/prod/amax/amin/max(dim)/min(dim)/var/std/logsumexp/norm/cumsum.

``onnx`` is an optional dependency (``pip install onnx``), imported when ``export``
runs; importing this package does not need it.
"""

from __future__ import annotations

import enum
import inspect
import warnings
from contextlib import contextmanager

from .. import __version__
from ..serialization import write_bytes
from ..tensor import Tensor
from . import errors
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = [
    "export",
    "is_in_onnx_export",
    "errors",
    "OnnxExporterError",
    "UnsupportedOperatorError",
    "TrainingMode",
    "OperatorExportTypes",
    "DEFAULT_OPSET",
    "MIN_OPSET",
    "MAX_OPSET",
]

DEFAULT_OPSET = 17
MIN_OPSET = 13
MAX_OPSET = 21

producer_name = "numpyflow"
producer_version = __version__


class TrainingMode(enum.IntEnum):
    """The mode a model is exported in (``torch.onnx.TrainingMode``).  Only inference
    graphs are exported: ``EVAL``, or ``PRESERVE`` of a model in eval mode."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """How ops are exported (``torch.onnx.OperatorExportTypes``); only ``ONNX`` (every op
    as a standard ONNX op) is supported."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


_exporting = False


def is_in_onnx_export() -> bool:
    """True while ``export`` runs the model's forward."""
    return _exporting


def export(
    model,
    args,
    f=None,
    export_params: bool = True,
    verbose: bool = False,
    training=TrainingMode.EVAL,
    input_names=None,
    output_names=None,
    operator_export_type=OperatorExportTypes.ONNX,
    opset_version: int | None = None,
    do_constant_folding: bool = True,
    dynamic_axes=None,
    keep_initializers_as_inputs: bool | None = None,
    custom_opsets=None,
    export_modules_as_functions=False,
    autograd_inlining: bool = True,
    *,
    kwargs: dict | None = None,
    dynamo: bool = False,
    external_data: bool = True,
    dynamic_shapes=None,
    custom_translation_table=None,
    report: bool = False,
    optimize: bool = True,
    verify: bool = False,
    profile: bool = False,
    dump_exported_program: bool = False,
    artifacts_dir=".",
    fallback: bool = False,
):
    """Export ``model`` (an ``nn.Module``) to an ONNX file, by tracing one forward.

    Args:
        model: the model; it runs in eval mode during the export (``training``), and its
            mode is restored afterwards.
        args: the forward's arguments: a tensor, or a tuple of them (and other values,
            which are baked in); a dict as the last element of the tuple holds keyword
            arguments, as in PyTorch.  Every tensor becomes a graph input, in order.
        f: a path, or a binary file-like object, to write the model to.  With None the
            ``onnx.ModelProto`` is returned instead.
        export_params: True: parameters and buffers are initializers named as in
            ``state_dict()``.  False: they are graph inputs after the model's inputs
            (in ``state_dict`` order).
        verbose: print the graph.
        training: ``TrainingMode.EVAL`` (the default), or ``PRESERVE`` for a model in
            eval mode; training-mode graphs are not exported.
        input_names, output_names: names of the graph inputs and outputs, in order
            (default: the forward's parameter names; ``output`` or ``output_0``, ...).
        operator_export_type: ``OperatorExportTypes.ONNX`` only.
        opset_version: the ONNX opset, 13 to 21 (default 17).
        do_constant_folding: compute ops whose inputs are all constants or parameters
            at export time (their results become initializers).
        dynamic_axes: ``{name: [axis, ...]}`` or ``{name: {axis: "symbol"}}`` for graph
            inputs and outputs whose size along those axes is not fixed (e.g. the batch).
        keep_initializers_as_inputs: also list the initializers as graph inputs.
        custom_opsets, export_modules_as_functions: only their defaults (None, False).
        autograd_inlining, dynamo, external_data, report, optimize, profile,
        dump_exported_program, artifacts_dir, fallback: accepted for compatibility;
            the export is always by tracing, to one file.
        kwargs: keyword arguments of the forward (their tensors are graph inputs after
            the positional ones).
        dynamic_shapes: not supported; use ``dynamic_axes``.
        custom_translation_table: not supported.
        verify: run the exported model with onnxruntime on ``args`` and check it gives
            the forward's outputs (``rtol=1e-3, atol=1e-5``).

    Returns:
        None, or the ``onnx.ModelProto`` when ``f`` is None.

    Raises:
        ImportError: the ``onnx`` package is not installed.
        UnsupportedOperatorError: an op of the forward has no ONNX mapping.
        OnnxExporterError: the forward cannot be expressed as a graph (in-place changes,
            values computed outside the traced ops, data-dependent control flow, a size
            that follows a dynamic axis where the graph would fix it).
    """
    try:
        import onnx
    except ImportError as e:
        raise ImportError(
            "numpyflow.onnx.export needs the onnx package: pip install onnx (or pip install numpyflow[onnx])"
        ) from e
    from ..nn import Module
    from ._compare import Comparison
    from ._export import Exporter, Options
    from ._ops import CONVERTERS
    from ._trace import named_state, tensors_in, trace

    if not isinstance(model, Module):
        raise TypeError(f"numpyflow.onnx.export: model must be an nn.Module, got {type(model).__name__}")
    _check_unsupported(
        operator_export_type, custom_opsets, export_modules_as_functions, dynamic_shapes, custom_translation_table
    )
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    if not isinstance(opset, int) or isinstance(opset, bool) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(
            f"numpyflow.onnx.export: opset_version must be an int from {MIN_OPSET} to {MAX_OPSET}, got {opset_version!r}"
        )
    args, kwargs = _split_args(args, kwargs)
    inputs = tensors_in((args, kwargs))
    state = named_state(model)
    in_names = _input_names(model, args, kwargs, input_names, len(inputs), state)

    with _export_mode(model, _training_mode(training)):
        first = trace(model, args, kwargs, state)
        n_out = len(first.output_keys)
        out_names = _output_names(output_names, n_out)
        dynamic = _dynamic_axes(dynamic_axes, in_names, out_names, first)
        in_dynamic = {i: axes for (kind, i), axes in dynamic.items() if kind == "input"}
        second = _second_trace(model, args, kwargs, state, in_dynamic, in_names)
        comparison = Comparison(first, second)
        options = Options(
            opset,
            in_names,
            out_names,
            dynamic,
            bool(export_params),
            bool(keep_initializers_as_inputs),
            bool(do_constant_folding),
        )
        proto = Exporter(comparison, options, CONVERTERS).build(type(model).__name__)
        probe_out = [first.array(k) for k in first.output_keys]
    proto.producer_name = producer_name
    proto.producer_version = producer_version
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as e:
        raise OnnxExporterError(f"numpyflow.onnx.export: the exported graph does not pass onnx.checker: {e}") from e
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if verify:
        _verify(proto, [t._data for t in inputs], probe_out, in_names, out_names)
    if f is None:
        return proto
    write_bytes(proto.SerializeToString(), f)
    return None


def _second_trace(model, args, kwargs, state, dynamic, in_names):
    """The forward on other inputs (see ``_compare.py``): dynamic axes of one size grown
    by different factors, or, if the model needs them equal, all doubled."""
    from ._compare import second_inputs
    from ._trace import trace

    failure = None
    for distinct in (True, False):
        args_b, kwargs_b = second_inputs(args, kwargs, dynamic, distinct)
        try:
            return trace(model, args_b, kwargs_b, state)
        except OnnxExporterError:
            raise
        except Exception as e:
            failure = failure or e
    grown = {in_names[i]: sorted(axes) for i, axes in dynamic.items()}
    raise OnnxExporterError(
        "numpyflow.onnx.export: the forward failed when run a second time with other input values"
        + (f" and the dynamic axes {grown} grown" if grown else "")
        + f" (the exporter checks what the graph may bake in): {type(failure).__name__}: {failure}"
    ) from failure


def _check_unsupported(operator_export_type, custom_opsets, as_functions, dynamic_shapes, translation_table):
    if int(operator_export_type) != OperatorExportTypes.ONNX:
        raise NotImplementedError(
            f"numpyflow.onnx.export: operator_export_type={operator_export_type!r} is not supported; every op is "
            "exported as a standard ONNX op (OperatorExportTypes.ONNX)"
        )
    if custom_opsets:
        raise NotImplementedError("numpyflow.onnx.export: custom_opsets is not supported (no custom ops are exported)")
    if as_functions:
        raise NotImplementedError("numpyflow.onnx.export: export_modules_as_functions is not supported")
    if dynamic_shapes is not None:
        raise NotImplementedError(
            "numpyflow.onnx.export: dynamic_shapes is not supported; give the dynamic dims with dynamic_axes "
            "(e.g. dynamic_axes={'input': {0: 'batch'}})"
        )
    if translation_table:
        raise NotImplementedError("numpyflow.onnx.export: custom_translation_table is not supported")


def _training_mode(training) -> TrainingMode:
    if isinstance(training, bool):  # older PyTorch took a bool
        return TrainingMode.TRAINING if training else TrainingMode.EVAL
    name = getattr(training, "name", None)
    if name in TrainingMode.__members__:
        return TrainingMode[name]
    try:
        return TrainingMode(int(training))
    except (TypeError, ValueError):
        raise ValueError(f"numpyflow.onnx.export: unknown training mode {training!r}") from None


@contextmanager
def _export_mode(model, mode: TrainingMode):
    """The model in eval mode (as ``mode`` asks) while exporting; modes restored after."""
    global _exporting
    if mode == TrainingMode.TRAINING or (mode == TrainingMode.PRESERVE and model.training):
        raise NotImplementedError(
            "numpyflow.onnx.export: only inference graphs are exported (training=TrainingMode.EVAL, or PRESERVE "
            "of a model in eval mode); batch norm and dropout in training mode have no inference graph"
        )
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    _exporting = True
    try:
        yield
    finally:
        _exporting = False
        for m, was_training in modes:
            m.training = was_training


def _split_args(args, kwargs):
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        raise TypeError(
            f"numpyflow.onnx.export: args must be a tensor or a tuple of arguments, got {type(args).__name__}"
        )
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):  # PyTorch's convention: a last dict holds keyword arguments
        kwargs = {**args[-1], **kwargs}
        args = args[:-1]
    return args, kwargs


def _input_names(model, args, kwargs, given, n_inputs, state) -> list:
    if given is not None:
        given = [str(n) for n in given]
        if len(given) > n_inputs:
            raise ValueError(
                f"numpyflow.onnx.export: {len(given)} input_names for {n_inputs} tensor inputs of the model: {given}"
            )
        if len(set(given)) != len(given):
            raise ValueError(f"numpyflow.onnx.export: input_names has a name twice: {given}")
    names = list(given or [])
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values() if p.kind != p.VAR_KEYWORD]
    except (TypeError, ValueError):
        params = []
    defaults = []
    for i, a in enumerate(args):
        base = params[i].name if i < len(params) and params[i].kind != params[i].VAR_POSITIONAL else f"input_{i}"
        count = len(_tensors(a))
        defaults += [base] if isinstance(a, Tensor) else [f"{base}_{k}" for k in range(count)]
    for key, value in kwargs.items():
        count = len(_tensors(value))
        defaults += [str(key)] if isinstance(value, Tensor) else [f"{key}_{k}" for k in range(count)]
    taken = set(names) | set(state)
    for d in defaults[len(names) :]:
        name = d
        n = 1
        while name in taken:
            name = f"{d}.{n}"
            n += 1
        taken.add(name)
        names.append(name)
    return names


def _tensors(obj):
    from ._trace import tensors_in

    return tensors_in(obj)


def _output_names(given, n_out) -> list:
    if given is None:
        return ["output"] if n_out == 1 else [f"output_{i}" for i in range(n_out)]
    given = [str(n) for n in given]
    if len(given) > n_out:
        raise ValueError(f"numpyflow.onnx.export: {len(given)} output_names for {n_out} outputs of the model: {given}")
    if len(set(given)) != len(given):
        raise ValueError(f"numpyflow.onnx.export: output_names has a name twice: {given}")
    return given + [f"output_{i}" for i in range(len(given), n_out)]


def _dynamic_axes(dynamic_axes, in_names, out_names, first) -> dict:
    """``{("input"|"output", index): {axis: symbol}}`` from PyTorch's two forms."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name in in_names:
            kind, index = "input", in_names.index(name)
            rank = len(first.shape(first.input_keys[index]))
        elif name in out_names:
            kind, index = "output", out_names.index(name)
            rank = len(first.shape(first.output_keys[index]))
        else:
            warnings.warn(
                f"numpyflow.onnx.export: dynamic_axes names '{name}', which is not among the input names "
                f"{in_names} or output names {out_names}; it is ignored",
                stacklevel=3,
            )
            continue
        if isinstance(axes, dict):
            pairs = [(int(a), str(s)) for a, s in axes.items()]
        elif isinstance(axes, (list, tuple)):
            pairs = [(int(a), f"{name}_dynamic_axes_{k + 1}") for k, a in enumerate(axes)]
        else:
            raise TypeError(
                f"numpyflow.onnx.export: dynamic_axes['{name}'] must be a list of axes or a dict "
                f"{{axis: name}}, got {type(axes).__name__}"
            )
        table = {}
        for axis, symbol in pairs:
            if not -rank <= axis < rank:
                raise ValueError(
                    f"numpyflow.onnx.export: dynamic_axes['{name}'] has axis {axis}, but '{name}' has {rank} dims"
                )
            table[axis % rank] = symbol
        out[(kind, index)] = table
    return out


def _verify(proto, inputs, expected, in_names, out_names):
    import numpy as np

    try:
        import onnxruntime
    except ImportError as e:
        raise ImportError("numpyflow.onnx.export(verify=True) needs onnxruntime: pip install onnxruntime") from e
    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {name: np.asarray(x) for name, x in zip(in_names, inputs)}
    got = session.run(None, feed)
    for name, a, b in zip(out_names, got, expected):
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-5, equal_nan=True):
            raise OnnxExporterError(
                f"numpyflow.onnx.export(verify=True): onnxruntime's output '{name}' differs from the model's "
                f"(max |difference| {float(np.max(np.abs(a.astype(np.float64) - b))) if a.shape == b.shape else 'n/a'})"
            )
