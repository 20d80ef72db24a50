"""Per-op converters: ``CONVERTERS`` maps each exportable ``Function`` class to a function
that adds the op's ONNX nodes.

A converter gets an :class:`~numpyflow.onnx._export.Op`: ``op.args`` are the arguments
the op was applied with (tensors are read as graph values with ``op.name(i)``), and it
ends by naming each result with ``op.output(j, name)``.  What a converter bakes into the
graph from the trace (a kernel size, an index array) it reads through ``op.static``,
which checks the value is the same when the inputs change.  The mapping is by exact
class: a subclass of an op (a user's own Function) is not taken for its parent.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import BroadcastTo, SumTo, sum_to_axes
from ..ops import (
    activation,
    conv,
    dropout,
    elementwise,
    embedding,
    indexing,
    interpolation,
    linalg,
    normalization,
    padding,
    pooling,
    shape,
)
from ..ops import reduction as red
from ._export import INT64_MAX

CONVERTERS = {}


def converts(*functions):
    """Register the decorated converter for each of ``functions`` (Function classes)."""

    def register(fn):
        for f in functions:
            CONVERTERS[f] = fn
        return fn

    return register


def _arg_shape(rec, i):
    return tuple(rec.args[i]._data.shape)


def _out_shape(rec, j=0):
    return tuple(rec.outputs[j]._data.shape)


def _operand(op, i):
    """Argument ``i`` as a graph value: a tensor, or a number as a 0-d constant of the
    result's dtype (Python numbers never promote a tensor)."""
    if op.is_tensor(i):
        return op.name(i)
    return op.scalar(op.args[i], op.out_dtype())


def _unary(op, op_type, **attrs):
    op.output(0, op.emit(op_type, [op.name(0)], **attrs))


# -- elementwise arithmetic ------------------------------------------------------------------


def _binary(op_type):
    def convert(op):
        op.output(0, op.emit(op_type, [_operand(op, 0), _operand(op, 1)]))

    return convert


CONVERTERS[elementwise.Add] = _binary("Add")
CONVERTERS[elementwise.Sub] = _binary("Sub")
CONVERTERS[elementwise.Mul] = _binary("Mul")
CONVERTERS[elementwise.Div] = _binary("Div")
CONVERTERS[elementwise.Pow] = _binary("Pow")
CONVERTERS[elementwise.Maximum] = _binary("Max")
CONVERTERS[elementwise.Minimum] = _binary("Min")
CONVERTERS[elementwise.Where] = lambda op: op.output(0, op.emit("Where", [op.name(0), op.name(1), op.name(2)]))

_UNARY = {
    elementwise.Neg: "Neg",
    elementwise.Exp: "Exp",
    elementwise.Log: "Log",
    elementwise.Sqrt: "Sqrt",
    elementwise.Reciprocal: "Reciprocal",
    elementwise.Sin: "Sin",
    elementwise.Cos: "Cos",
    elementwise.Tan: "Tan",
    elementwise.Tanh: "Tanh",
    elementwise.Sigmoid: "Sigmoid",
    elementwise.Relu: "Relu",
    elementwise.Erf: "Erf",
    elementwise.Abs: "Abs",
    elementwise.Floor: "Floor",
    elementwise.Ceil: "Ceil",
    elementwise.Clone: "Identity",
}
for _function, _op_type in _UNARY.items():
    CONVERTERS[_function] = lambda op, t=_op_type: _unary(op, t)


@converts(elementwise.Sign)
def _sign(op):
    x = op.name(0)
    if op.dtype(0) == np.bool_:
        op.output(0, op.emit("Identity", [x]))
        return
    out = op.emit("Sign", [x])
    if op.dtype(0).kind == "f":  # PyTorch's sign of NaN is 0
        out = op.emit("Where", [op.emit("IsNaN", [x]), op.scalar(0, op.dtype(0)), out])
    op.output(0, out)


@converts(elementwise.PowScalar)
def _pow_scalar(op):
    x, c = op.name(0), op.args[1]
    if c == 2:  # as the forward computes it
        op.output(0, op.emit("Mul", [x, x]))
    else:
        op.output(0, op.emit("Pow", [x, op.scalar(c, op.dtype(0))]))


@converts(elementwise.RPow)
def _rpow(op):
    op.output(0, op.emit("Pow", [op.scalar(op.args[0], op.dtype(1)), op.name(1)]))


@converts(elementwise.Exp2)
def _exp2(op):
    op.output(0, op.emit("Pow", [op.scalar(2, op.dtype(0)), op.name(0)]))


def _log_base(base):
    def convert(op):
        dt = op.dtype(0)
        op.output(0, op.emit("Div", [op.emit("Log", [op.name(0)]), op.scalar(math.log(base), dt)]))

    return convert


CONVERTERS[elementwise.Log2] = _log_base(2.0)
CONVERTERS[elementwise.Log10] = _log_base(10.0)


@converts(elementwise.Log1p)
def _log1p(op):
    op.output(0, op.emit("Log", [op.emit("Add", [op.name(0), op.scalar(1, op.dtype(0))])]))


@converts(elementwise.Expm1)
def _expm1(op):
    op.output(0, op.emit("Sub", [op.emit("Exp", [op.name(0)]), op.scalar(1, op.dtype(0))]))


@converts(elementwise.Rsqrt)
def _rsqrt(op):
    op.output(0, op.emit("Reciprocal", [op.emit("Sqrt", [op.name(0)])]))


@converts(elementwise.Trunc)
def _trunc(op):
    x = op.name(0)
    negative = op.emit("Less", [x, op.scalar(0, op.dtype(0))])
    op.output(0, op.emit("Where", [negative, op.emit("Ceil", [x]), op.emit("Floor", [x])]))


@converts(elementwise.Round)
def _round(op):
    decimals = op.args[1] if len(op.args) > 1 else 0
    x, dt = op.name(0), op.dtype(0)
    if not decimals:
        op.output(0, op.emit("Round", [x]))
        return
    scale = op.scalar(10.0**decimals, dt)
    op.output(0, op.emit("Div", [op.emit("Round", [op.emit("Mul", [x, scale])]), scale]))


@converts(elementwise.FloorDivide)
def _floor_divide(op):
    a, b = _operand(op, 0), _operand(op, 1)
    if op.out_dtype().kind == "f":
        op.output(0, op.emit("Floor", [op.emit("Div", [a, b])]))
        return
    # integers: subtract the remainder with the divisor's sign, then divide exactly
    r = op.emit("Mod", [a, b], fmod=0)
    op.output(0, op.emit("Div", [op.emit("Sub", [a, r]), b]))


@converts(elementwise.Remainder)
def _remainder(op):
    a, b = _operand(op, 0), _operand(op, 1)
    if op.out_dtype().kind != "f":
        op.output(0, op.emit("Mod", [a, b], fmod=0))
        return
    q = op.emit("Floor", [op.emit("Div", [a, b])])
    op.output(0, op.emit("Sub", [a, op.emit("Mul", [q, b])]))


@converts(elementwise.Fmod)
def _fmod(op):
    op.output(0, op.emit("Mod", [_operand(op, 0), _operand(op, 1)], fmod=1))


@converts(elementwise.Clamp)
def _clamp(op):
    lo, hi = op.args[1], op.args[2]
    dt = op.dtype(0)
    bounds = [op.scalar(lo, dt) if lo is not None else None, op.scalar(hi, dt) if hi is not None else None]
    op.output(0, op.emit("Clip", [op.name(0)] + bounds))


@converts(elementwise.Cast)
def _cast(op):
    op.output(0, op.emit("Cast", [op.name(0)], to=op.element_type(op.out_dtype())))


# -- activations ---------------------------------------------------------------------------


@converts(activation.Softmax)
def _softmax(op):
    _unary(op, "Softmax", axis=int(op.args[1]))


@converts(activation.LogSoftmax)
def _log_softmax(op):
    _unary(op, "LogSoftmax", axis=int(op.args[1]))


@converts(activation.LeakyRelu)
def _leaky_relu(op):
    _unary(op, "LeakyRelu", alpha=float(op.args[1]))


_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


@converts(activation.Elu)
def _elu(op):
    alpha, scale, input_scale = (float(a) for a in op.args[1:4])
    x, dt = op.name(0), op.dtype(0)
    if scale == 1 and input_scale == 1:
        op.output(0, op.emit("Elu", [x], alpha=alpha))
    elif input_scale == 1 and (alpha, scale) == _SELU:
        op.output(0, op.emit("Selu", [x], alpha=alpha, gamma=scale))
    elif scale == 1 and input_scale == 1 / alpha:
        op.output(0, op.emit("Celu", [x], alpha=alpha))
    else:  # scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))
        neg = op.emit("Exp", [op.emit("Mul", [op.emit("Min", [x, op.scalar(0, dt)]), op.scalar(input_scale, dt)])])
        neg = op.emit("Mul", [op.emit("Sub", [neg, op.scalar(1, dt)]), op.scalar(alpha, dt)])
        out = op.emit("Where", [op.emit("Greater", [x, op.scalar(0, dt)]), x, neg])
        op.output(0, op.emit("Mul", [out, op.scalar(scale, dt)]) if scale != 1 else out)


@converts(activation.Gelu)
def _gelu(op):
    approximate = op.args[1]
    x, dt = op.name(0), op.dtype(0)
    if op.opset >= 20:
        op.output(0, op.emit("Gelu", [x], approximate=approximate))
        return
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
        cube = op.emit("Mul", [op.emit("Mul", [x, x]), x])
        inner = op.emit("Add", [x, op.emit("Mul", [cube, op.scalar(0.044715, dt)])])
        inner = op.emit("Tanh", [op.emit("Mul", [inner, op.scalar(math.sqrt(2 / math.pi), dt)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        inner = op.emit("Erf", [op.emit("Mul", [x, op.scalar(1 / math.sqrt(2), dt)])])
    half = op.emit("Mul", [op.emit("Add", [inner, op.scalar(1, dt)]), x])
    op.output(0, op.emit("Mul", [half, op.scalar(0.5, dt)]))


@converts(activation.Silu)
def _silu(op):
    x = op.name(0)
    op.output(0, op.emit("Mul", [x, op.emit("Sigmoid", [x])]))


@converts(activation.Hardtanh, activation.Relu6)
def _hardtanh(op):
    dt = op.dtype(0)
    op.output(0, op.emit("Clip", [op.name(0), op.scalar(op.args[1], dt), op.scalar(op.args[2], dt)]))


def _softplus_stable(op, z, dt):
    """``log(1 + exp(z))`` as ``max(z, 0) + log(1 + exp(-|z|))`` (no overflow)."""
    tail = op.emit("Exp", [op.emit("Neg", [op.emit("Abs", [z])])])
    return op.emit("Add", [op.emit("Relu", [z]), op.emit("Log", [op.emit("Add", [tail, op.scalar(1, dt)])])])


@converts(activation.Softplus)
def _softplus(op):
    beta, threshold = float(op.args[1]), float(op.args[2])
    x, dt = op.name(0), op.dtype(0)
    z = op.emit("Mul", [x, op.scalar(beta, dt)]) if beta != 1 else x
    soft = _softplus_stable(op, z, dt)
    if beta != 1:
        soft = op.emit("Div", [soft, op.scalar(beta, dt)])
    op.output(0, op.emit("Where", [op.emit("Greater", [z, op.scalar(threshold, dt)]), x, soft]))


@converts(activation.LogSigmoid)
def _log_sigmoid(op):
    x, dt = op.name(0), op.dtype(0)
    tail = op.emit("Exp", [op.emit("Neg", [op.emit("Abs", [x])])])
    log_tail = op.emit("Log", [op.emit("Add", [tail, op.scalar(1, dt)])])
    op.output(0, op.emit("Sub", [op.emit("Min", [x, op.scalar(0, dt)]), log_tail]))


@converts(activation.Mish)
def _mish(op):
    x, dt = op.name(0), op.dtype(0)
    sp = op.emit("Where", [op.emit("Greater", [x, op.scalar(20, dt)]), x, _softplus_stable(op, x, dt)])
    op.output(0, op.emit("Mul", [x, op.emit("Tanh", [sp])]))


@converts(activation.Hardsigmoid)
def _hardsigmoid(op):
    _unary(op, "HardSigmoid", alpha=1.0 / 6.0, beta=0.5)


@converts(activation.Hardswish)
def _hardswish(op):
    x = op.name(0)
    if op.opset >= 14:
        op.output(0, op.emit("HardSwish", [x]))
    else:
        op.output(0, op.emit("Mul", [x, op.emit("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)]))


@converts(dropout.Dropout)
def _dropout(op):
    op.fail(
        "dropout ran with training=True: it multiplies by a random mask, which an inference graph cannot "
        "hold. Call model.eval() before exporting (and pass training=self.training to F.dropout)"
    )


# -- matrix products -------------------------------------------------------------------------


def _swap_last(op, x, rank):
    perm = list(range(rank))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return op.transpose(x, perm)


@converts(linalg.MatMul, linalg.Mm, linalg.Bmm)
def _matmul(op):
    ta = bool(op.args[2]) if len(op.args) > 2 else False
    tb = bool(op.args[3]) if len(op.args) > 3 else False
    a, b = op.name(0), op.name(1)
    if tb and not ta and op.rank(0) == 2 and op.rank(1) == 2:
        bias = _bias_add(op)
        out = op.emit("Gemm", [a, b] + ([bias[1]] if bias else []), transB=1)
        op.output(0, out)
        if bias:
            op.absorb(bias[0], out)
        return
    if ta:
        a = _swap_last(op, a, op.rank(0))
    if tb:
        b = _swap_last(op, b, op.rank(1))
    op.output(0, op.emit("MatMul", [a, b]))


def _bias_add(op):
    """``(record, bias value)`` when the product's only reader adds a vector of its width
    (``linear``'s bias): Gemm takes it as ``C``."""
    found = op.ex.sole_consumer(op.rec.out_keys[0])
    if found is None:
        return None
    rec, arg = found
    if rec.function is not elementwise.Add or rec.arg_keys[1 - arg] is None:
        return None
    other = rec.arg_keys[1 - arg]
    if other == op.rec.out_keys[0] or op.ex.trace.shape(other) != (op.out_shape()[-1],):
        return None
    if op.ex.trace.dtype(other) != op.out_dtype():
        return None
    return rec, op.ex.value(other)


@converts(linalg.Einsum)
def _einsum(op):
    terms, out = op.args[0]
    operands = [op.name(i) for i in range(1, len(op.args))]
    op.output(0, op.emit("Einsum", operands, equation=",".join(terms) + "->" + out))


# -- shapes ----------------------------------------------------------------------------------


@converts(shape.Reshape)
def _reshape(op):
    target = op.out_sizes()
    static_zero = any(a == 0 for a, b in zip(*target) if a == b)
    if static_zero:  # 0 is then a size, not "copy this dim"
        if op.opset < 14:
            op.fail("a reshape to a shape with a 0-size dim needs Reshape's allowzero", since=14)
        spec = op.shape_tensor(target, src=0, copy_code=None, infer=False)
        op.output(0, op.emit("Reshape", [op.name(0), spec], allowzero=1))
        return
    spec = op.shape_tensor(target, src=0, copy_code=0, infer=True)
    op.output(0, op.emit("Reshape", [op.name(0), spec]))


def _unsqueezed_axis(rec):
    inn, out = _arg_shape(rec, 0), _out_shape(rec)
    for d in range(len(out)):
        if out[d] == 1 and out[:d] + out[d + 1 :] == inn:
            return d
    raise ValueError(f"no unsqueezed dim from {inn} to {out}")


def _squeezed_axes(rec):
    inn, out = _arg_shape(rec, 0), _out_shape(rec)
    axes, j = [], 0
    for i, s in enumerate(inn):
        if j < len(out) and out[j] == s:
            j += 1
        else:
            axes.append(i)
    return tuple(axes)


@converts(shape.Unsqueeze)
def _unsqueeze(op):
    if op.rank(0) + 1 != len(op.out_shape()):
        return _reshape(op)
    op.output(0, op.unsqueeze(op.name(0), [op.static(_unsqueezed_axis, "new dim")]))


@converts(shape.Squeeze)
def _squeeze(op):
    axes = op.static(_squeezed_axes, "squeezed dims")
    op.output(0, op.squeeze(op.name(0), axes) if axes else op.emit("Identity", [op.name(0)]))


@converts(shape.Permute, shape.Transpose, shape.T)
def _permute(op):
    op.output(0, op.transpose(op.name(0), op.args[1]))


@converts(shape.Cat)
def _cat(op):
    axis = int(op.args[0])
    op.output(0, op.emit("Concat", [op.name(i) for i in range(1, len(op.args))], axis=axis))


@converts(shape.Stack)
def _stack(op):
    axis = int(op.args[0])
    parts = [op.unsqueeze(op.name(i), [axis]) for i in range(1, len(op.args))]
    op.output(0, op.emit("Concat", parts, axis=axis))


@converts(shape.Split)
def _split(op):
    sizes = op.static(lambda r: tuple(int(s) for s in r.args[1]), "piece sizes")
    axis = int(op.args[2])
    outs = op.emit("Split", [op.name(0), op.ints(sizes)], outputs=len(sizes), axis=axis)
    for j, name in enumerate(outs if len(sizes) > 1 else [outs]):
        op.output(j, name)


@converts(shape.Unbind)
def _unbind(op):
    axis = int(op.args[1])
    n = op.static(lambda r: _arg_shape(r, 0)[axis], "number of slices")
    x = op.name(0)
    pieces = op.emit("Split", [x, op.ints([1] * n)], outputs=n, axis=axis) if n > 1 else [x]
    for j, piece in enumerate(pieces):
        op.output(j, op.squeeze(piece, [axis]))


@converts(shape.ConstantPad)
def _constant_pad(op):
    widths = [(int(b), int(e)) for b, e in op.args[1]]
    value = op.args[2]
    x, dt = op.name(0), op.dtype(0)
    crop = [(d, max(-b, 0), max(-e, 0)) for d, (b, e) in enumerate(widths) if b < 0 or e < 0]
    if crop:
        starts = [c[1] for c in crop]
        ends = [-c[2] if c[2] else INT64_MAX for c in crop]
        x = op.emit("Slice", [x, op.ints(starts), op.ints(ends), op.ints([c[0] for c in crop])])
    pads = [max(b, 0) for b, _ in widths] + [max(e, 0) for _, e in widths]
    if any(pads):
        x = op.emit("Pad", [x, op.ints(pads), op.scalar(value, dt)], mode="constant")
    elif not crop:
        x = op.emit("Identity", [x])
    op.output(0, x)


@converts(shape.Repeat)
def _repeat(op):
    reps = [int(r) for r in op.args[1]]
    x = op.name(0)
    lead = len(reps) - op.rank(0)
    if lead:
        x = op.unsqueeze(x, range(lead))
    op.output(0, op.emit("Tile", [x, op.ints(reps)]))


@converts(shape.Flip)
def _flip(op):
    axes = [int(a) for a in op.args[1]]
    n = len(axes)
    spec = [op.ints([-1] * n), op.ints([-INT64_MAX] * n), op.ints(axes), op.ints([-1] * n)]
    op.output(0, op.emit("Slice", [op.name(0)] + spec))


@converts(BroadcastTo)
def _broadcast_to(op):
    spec = op.shape_tensor(op.out_sizes(), src=0, copy_code=1, infer=False)
    op.output(0, op.emit("Expand", [op.name(0), spec]))


@converts(SumTo)
def _sum_to(op):
    axes = op.static(lambda r: sum_to_axes(_arg_shape(r, 0), tuple(r.args[1])), "summed dims")
    lead = op.rank(0) - len(op.args[1])
    x = op.reduce("ReduceSum", op.name(0), axes, True) if axes else op.name(0)
    op.output(0, op.squeeze(x, range(lead)) if lead else op.emit("Identity", [x]))


def _resample_plan(rec):
    return tuple(
        (int(a.axis), tuple((np.asarray(g.idx), None if w is None else np.asarray(w)) for g, w in a.taps))
        for a in rec.args[1]
    )


@converts(padding.Pad, interpolation.Upsample)
def _resample(op):
    """Reflect/replicate/circular padding and interpolation: along each axis, a sum of
    gathers at fixed source indices, each scaled by its weights."""
    if op.args[2]:
        op.fail("the adjoint of a resampling (a gradient op) has no mapping")
    plan = op.static(_resample_plan, "source indices (they follow the input size)")
    x, dt, rank = op.name(0), op.dtype(0), op.rank(0)
    if dt.kind != "f" and any(w is not None for _, taps in plan for _, w in taps):
        op.fail(f"interpolation of {dt} values (integer arithmetic) has no mapping here")
    for axis, taps in plan:
        out = None
        for idx, w in taps:
            v = op.emit("Gather", [x, op.const(idx, np.int64)], axis=axis)
            if w is not None:
                view = [1] * rank
                view[axis] = len(w)
                v = op.emit("Mul", [v, op.const(w.astype(dt).reshape(view), dt)])
            out = v if out is None else op.emit("Add", [out, v])
        x = out
    if x == op.name(0):
        x = op.emit("Identity", [x])
    op.output(0, x)


# -- indexing --------------------------------------------------------------------------------


def _basic_items(index, rank):
    """The basic part of an index as ``[("slice", dim, start, stop, step) | ("int", dim, i)
    | ("new", position)]`` with the Ellipsis expanded."""
    items = list(index.basic)
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    out, dim, pos = [], 0, 0
    for item in items:
        if item is Ellipsis:
            for _ in range(rank - used):
                out.append(("slice", dim, None, None, None))
                dim += 1
                pos += 1
            used = rank  # a second Ellipsis (numpy's trailing one) expands to nothing
        elif item is None:
            out.append(("new", pos))
            pos += 1
        elif isinstance(item, slice):
            out.append(("slice", dim, _int(item.start), _int(item.stop), _int(item.step)))
            dim += 1
            pos += 1
        else:
            out.append(("int", dim, int(item)))
            dim += 1
    return out


def _int(v):
    return None if v is None else int(v)


def _index_plan(rec):
    index = rec.args[1]
    advanced = None
    if index.advanced is not None:
        advanced = tuple(
            a if isinstance(a, np.ndarray) else ("slice", _int(a.start), _int(a.stop), _int(a.step))
            for a in index.advanced
        )
    return _basic_items(index, rec.args[0]._data.ndim), advanced


@converts(indexing.GetItem, indexing.Select, indexing.Slice, indexing.AdvancedIndex)
def _getitem(op):
    items, advanced = op.static(_index_plan, "index")
    x = op.name(0)
    slices = [it for it in items if it[0] == "slice" and it[2:] != (None, None, None)]
    if slices:
        starts = [0 if s[2] is None else int(s[2]) for s in slices]
        ends = [INT64_MAX if s[3] is None else int(s[3]) for s in slices]
        steps = [1 if s[4] is None else int(s[4]) for s in slices]
        spec = [op.ints(starts), op.ints(ends), op.ints([s[1] for s in slices]), op.ints(steps)]
        x = op.emit("Slice", [x] + spec)
    for it in sorted((it for it in items if it[0] == "int"), key=lambda it: -it[1]):
        x = op.emit("Gather", [x, op.const(it[2], np.int64)], axis=it[1])
    new = [it[1] for it in items if it[0] == "new"]
    if new:
        x = op.unsqueeze(x, new)
    if advanced is not None:
        arrays = [(d, a) for d, a in enumerate(advanced) if isinstance(a, np.ndarray)]
        full = all(a == ("slice", None, None, None) for a in advanced if not isinstance(a, np.ndarray))
        if len(arrays) != 1 or not full or arrays[0][1].dtype == np.bool_:
            op.fail("indexing with a boolean mask or with several index arrays has no mapping here")
        d, idx = arrays[0]
        x = op.emit("Gather", [x, op.const(idx, np.int64)], axis=d)
    if x == op.name(0):
        x = op.emit("Identity", [x])
    op.output(0, x)


@converts(indexing.Gather)
def _gather(op):
    index = op.static(lambda r: r.args[2], "index")
    op.output(0, op.emit("GatherElements", [op.name(0), op.const(index, np.int64)], axis=int(op.args[1])))


@converts(embedding.Embedding)
def _embedding(op):
    if not op.is_tensor(4):
        op.fail("the lookup's index tensor is not among its arguments")
    op.output(0, op.emit("Gather", [op.name(0), op.name(4)], axis=0))


# -- reductions ------------------------------------------------------------------------------


def _axes(axes):
    return None if axes is None else [int(a) for a in axes]


def _reduce_in_dtype(op, onnx_op):
    """Sum and Prod: the input cast to the op's ``dtype`` argument first, when it has one."""
    x = op.name(0)
    dtype = op.args[3] if len(op.args) > 3 else None
    if dtype is not None and np.dtype(dtype) != op.dtype(0):
        x = op.emit("Cast", [x], to=op.element_type(dtype))
    op.output(0, op.reduce(onnx_op, x, _axes(op.args[1]), op.args[2]))


@converts(red.Sum)
def _sum(op):
    _reduce_in_dtype(op, "ReduceSum")


@converts(red.Mean)
def _mean(op):
    op.output(0, op.reduce("ReduceMean", op.name(0), _axes(op.args[1]), op.args[2]))


@converts(red.Prod)
def _prod(op):
    _reduce_in_dtype(op, "ReduceProd")


@converts(red._Extreme)
def _extreme(op):
    axes, keepdim, is_max = op.args[1:4]
    op.output(0, op.reduce("ReduceMax" if is_max else "ReduceMin", op.name(0), _axes(axes), keepdim))


@converts(red._ExtremeDim)
def _extreme_dim(op):
    dim, keepdim, is_max = int(op.args[1]), op.args[2], op.args[3]
    x = op.name(0)
    op.output(0, op.reduce("ReduceMax" if is_max else "ReduceMin", x, [dim], keepdim))
    op.output(1, op.emit("ArgMax" if is_max else "ArgMin", [x], axis=dim, keepdims=int(bool(keepdim))))


def _reduced_count(rec):
    axes = rec.args[1]
    shape_ = _arg_shape(rec, 0)
    return math.prod(shape_) if axes is None else math.prod(shape_[a] for a in axes)


@converts(red.Var)
def _var(op):
    axes, correction, keepdim = _axes(op.args[1]), op.args[2], op.args[3]
    n = op.static(_reduced_count, "number of reduced elements")
    x, dt = op.name(0), op.dtype(0)
    centered = op.emit("Sub", [x, op.reduce("ReduceMean", x, axes, True)])
    total = op.reduce("ReduceSum", op.emit("Mul", [centered, centered]), axes, keepdim)
    op.output(0, op.emit("Div", [total, op.scalar(n - correction, dt)]))


@converts(red.LogSumExp)
def _logsumexp(op):
    op.output(0, op.reduce("ReduceLogSumExp", op.name(0), _axes(op.args[1]), op.args[2]))


@converts(red.Norm)
def _norm(op):
    p, axes, keepdim = float(op.args[1]), _axes(op.args[2]), op.args[3]
    x, dt = op.name(0), op.dtype(0)
    if p == 2:
        op.output(0, op.reduce("ReduceL2", x, axes, keepdim))
    elif p == 1:
        op.output(0, op.reduce("ReduceL1", x, axes, keepdim))
    elif p == math.inf or p == -math.inf:
        op.output(0, op.reduce("ReduceMax" if p > 0 else "ReduceMin", op.emit("Abs", [x]), axes, keepdim))
    elif p == 0:
        nonzero = op.emit("Cast", [op.emit("Not", [op.emit("Equal", [x, op.scalar(0, dt)])])], to=op.element_type(dt))
        op.output(0, op.reduce("ReduceSum", nonzero, axes, keepdim))
    else:
        powered = op.emit("Pow", [op.emit("Abs", [x]), op.scalar(p, dt)])
        op.output(0, op.emit("Pow", [op.reduce("ReduceSum", powered, axes, keepdim), op.scalar(1.0 / p, dt)]))


@converts(red.Cumsum)
def _cumsum(op):
    x = op.name(0)
    dtype = op.args[2]
    if dtype is not None and np.dtype(dtype) != op.dtype(0):
        x = op.emit("Cast", [x], to=op.element_type(dtype))
    op.output(0, op.emit("CumSum", [x, op.const(int(op.args[1]), np.int64)]))


# -- convolution and pooling -----------------------------------------------------------------


def _conv_geometry(rec):
    g = rec.args[3]
    return (g.kh, g.kw), (g.sh, g.sw), (g.pt, g.pl, g.pb, g.pr), (g.dh, g.dw), g.groups


@converts(conv.Conv2d)
def _conv2d(op):
    kernel, strides, pads, dilations, groups = op.static(_conv_geometry, "kernel, stride, padding or groups")
    inputs = [op.name(0), op.name(1)] + ([op.name(2)] if op.is_tensor(2) else [])
    out = op.emit(
        "Conv",
        inputs,
        kernel_shape=list(kernel),
        strides=list(strides),
        pads=list(pads),
        dilations=list(dilations),
        group=groups,
    )
    op.output(0, out)


def _transposed_geometry(rec):
    g = rec.args[3]
    # g is the geometry of the convolution this is the adjoint of: (H, W) the output
    # size, (Ho, Wo) the input's; output_padding is what the formula leaves over
    oph = g.H - ((g.Ho - 1) * g.sh - 2 * g.pt + g.dh * (g.kh - 1) + 1)
    opw = g.W - ((g.Wo - 1) * g.sw - 2 * g.pl + g.dw * (g.kw - 1) + 1)
    return (g.kh, g.kw), (g.sh, g.sw), (g.pt, g.pl, g.pb, g.pr), (g.dh, g.dw), g.groups, (oph, opw)


@converts(conv.ConvTranspose2d)
def _conv_transpose2d(op):
    kernel, strides, pads, dilations, groups, output_padding = op.static(
        _transposed_geometry, "kernel, stride, padding or groups"
    )
    inputs = [op.name(0), op.name(1)] + ([op.name(2)] if op.is_tensor(2) else [])
    out = op.emit(
        "ConvTranspose",
        inputs,
        kernel_shape=list(kernel),
        strides=list(strides),
        pads=list(pads),
        dilations=list(dilations),
        group=groups,
        output_padding=list(output_padding),
    )
    op.output(0, out)


def _batched(op, fn):
    """Run ``fn(x)`` on input 0 as a 4-D (N, C, H, W) value (a 3-D (C, H, W) input gets a
    batch dim of one, removed again), returning ``fn``'s outputs (one name or a list)."""
    x = op.name(0)
    if op.rank(0) == 4:
        return fn(x)
    out = fn(op.unsqueeze(x, [0]))
    if isinstance(out, list):
        return [op.squeeze(o, [0]) for o in out]
    return op.squeeze(out, [0])


def _pool_geometry(rec):
    g = rec.args[1]
    # explicit end padding that makes the floor formula give Ho (covers ceil_mode)
    return (g.kh, g.kw), (g.sh, g.sw), (g.ph, g.pw, g.cg.pb, g.cg.pr), (g.dh, g.dw)


@converts(pooling.MaxPool2d)
def _max_pool2d(op):
    kernel, strides, pads, dilations = op.static(_pool_geometry, "kernel, stride or padding")
    with_indices = bool(op.args[2])
    attrs = dict(kernel_shape=list(kernel), strides=list(strides), pads=list(pads))
    if dilations != (1, 1):
        attrs["dilations"] = list(dilations)
    if not with_indices:
        op.output(0, _batched(op, lambda x: op.emit("MaxPool", [x], **attrs)))
        return
    plane = op.static(lambda r: _arg_shape(r, 0)[-2] * _arg_shape(r, 0)[-1], "input size")
    values, flat = _batched(op, lambda x: op.emit("MaxPool", [x], outputs=2, **attrs))
    op.output(0, values)
    # ONNX counts indices over the whole tensor; PyTorch's are per (H, W) plane
    idx = op.emit("Mod", [flat, op.scalar(plane, np.int64)], fmod=0)
    if op.out_dtype(1) != np.int64:
        idx = op.emit("Cast", [idx], to=op.element_type(op.out_dtype(1)))
    op.output(1, idx)


@converts(pooling.AvgPool2d)
def _avg_pool2d(op):
    if op.dtype(0).kind != "f":
        op.fail(f"average pooling of {op.dtype(0)} values (ONNX's AveragePool takes floating-point values only)")
    kernel, strides, pads, _ = op.static(_pool_geometry, "kernel, stride or padding")
    divisor = op.static(lambda r: r.args[2], "divisor (the windows at the edges differ)")
    dt = op.dtype(0)
    # AveragePool counting the padding divides by the kernel area everywhere; PyTorch's
    # divisor (padding counted or not, ceil_mode edges) is applied after
    out = _batched(
        op,
        lambda x: op.emit(
            "AveragePool", [x], kernel_shape=list(kernel), strides=list(strides), pads=list(pads), count_include_pad=1
        ),
    )
    area = kernel[0] * kernel[1]
    if isinstance(divisor, np.ndarray):
        out = op.emit("Mul", [out, op.const(area / divisor.astype(np.float64), dt)])
    elif divisor != area:
        out = op.emit("Mul", [out, op.scalar(area / divisor, dt)])
    op.output(0, out)


@converts(pooling.BlockMean)
def _block_mean(op):
    global_pool = op.static(lambda r: _out_shape(r)[-2:] == (1, 1), "output size")
    if global_pool:
        op.output(0, _batched(op, lambda x: op.emit("GlobalAveragePool", [x])))
        return
    kh, kw = op.static(lambda r: (int(r.args[1]), int(r.args[2])), "window")
    out = _batched(op, lambda x: op.emit("AveragePool", [x], kernel_shape=[kh, kw], strides=[kh, kw]))
    op.output(0, out)


@converts(pooling.SeparablePool)
def _separable_pool(op):
    rows = op.static(lambda r: np.asarray(r.args[1]), "averaging matrix (it depends on the input size)")
    cols = op.static(lambda r: np.asarray(r.args[2]), "averaging matrix (it depends on the input size)")
    dt = op.dtype(0)
    t = op.emit("MatMul", [op.name(0), op.const(cols, dt)])
    op.output(0, op.emit("MatMul", [op.const(rows, dt), t]))


@converts(pooling.AdaptiveMaxPool2d)
def _adaptive_max_pool2d(op):
    global_pool = op.static(lambda r: (r.args[1], r.args[2]) == (1, 1), "output size")
    if not global_pool or op.args[3]:
        op.fail("adaptive max pooling maps to ONNX only for output size 1 without indices (GlobalMaxPool)")
    op.output(0, _batched(op, lambda x: op.emit("GlobalMaxPool", [x])))


# -- normalization ---------------------------------------------------------------------------


def _running_stats(op):
    """``(mean, var, eps)`` as graph values when the batch norm ran in a module whose
    running statistics are what it used (their ``state_dict`` names), else None."""
    module = op.rec.module
    rm, rv, eps = (getattr(module, n, None) for n in ("running_mean", "running_var", "eps"))
    names = op.ex.trace.param_names
    if rm is None or rv is None or not isinstance(eps, (int, float)) or id(rm) not in names or id(rv) not in names:
        return None
    mean, invstd = op.args[4], op.args[5]
    dt = op.dtype(0)
    used_mean = rm._data.reshape(-1).astype(dt)
    used_invstd = (1 / np.sqrt(rv._data.reshape(-1).astype(np.float64) + eps)).astype(dt)
    if not (np.array_equal(mean, used_mean) and np.array_equal(invstd, used_invstd)):
        return None
    mean_name = op.ex.value(("param", names[id(rm)]))
    var_name = op.ex.value(("param", names[id(rv)]))
    if rm._data.dtype != dt:
        mean_name = op.emit("Cast", [mean_name], to=op.element_type(dt))
        var_name = op.emit("Cast", [var_name], to=op.element_type(dt))
    return mean_name, var_name, float(eps)


@converts(normalization.BatchNormInference)
def _batch_norm(op):
    dt = op.dtype(0)
    channels = op.shape(0)[1]
    stats = _running_stats(op)
    if stats is None:  # statistics from elsewhere: the ones the op used, with eps inside
        mean, invstd = op.args[4], op.args[5]
        stats = (op.const(mean, dt), op.const(1.0 / np.square(invstd.astype(np.float64)), dt), 0.0)
    mean, var, eps = stats
    weight = op.name(1) if op.is_tensor(1) else op.const(np.ones(channels), dt)
    bias = op.name(2) if op.is_tensor(2) else op.const(np.zeros(channels), dt)
    op.output(0, op.emit("BatchNormalization", [op.name(0), weight, bias, mean, var], epsilon=eps))


@converts(normalization.BatchNorm)
def _batch_norm_training(op):
    op.fail(
        "batch norm ran in training mode (with the batch's statistics, updating the running ones); export "
        "the model in eval mode (model.eval(), or training=TrainingMode.EVAL)"
    )


@converts(normalization.LayerNorm)
def _layer_norm(op):
    layout, eps = op.args[3], float(op.args[4])
    param_shape = tuple(layout.param_shape)
    k = len(param_shape)
    x, dt, rank = op.name(0), op.dtype(0), op.rank(0)
    weight = op.name(1) if op.is_tensor(1) else op.const(np.ones(param_shape), dt)
    if op.opset >= 17:
        inputs = [x, weight] + ([op.name(2)] if op.is_tensor(2) else [])
        op.output(0, op.emit("LayerNormalization", inputs, axis=-k, epsilon=eps))
        return
    out = _standardize(op, x, list(range(rank - k, rank)), eps, dt)
    out = op.emit("Mul", [out, weight])
    if op.is_tensor(2):
        out = op.emit("Add", [out, op.name(2)])
    op.output(0, out)


def _standardize(op, x, axes, eps, dt):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance)."""
    centered = op.emit("Sub", [x, op.reduce("ReduceMean", x, axes, True)])
    var = op.reduce("ReduceMean", op.emit("Mul", [centered, centered]), axes, True)
    return op.emit("Div", [centered, op.emit("Sqrt", [op.emit("Add", [var, op.scalar(eps, dt)])])])


@converts(normalization.GroupNorm)
def _group_norm(op):
    layout, eps = op.args[3], float(op.args[4])
    groups = int(layout.stat_shape[1])
    x, dt, rank = op.name(0), op.dtype(0), op.rank(0)
    grouped = op.emit("Reshape", [x, op.ints([0, groups, -1])])
    out = _standardize(op, grouped, [2], eps, dt)
    out = op.emit("Reshape", [out, op.emit("Shape", [x])])
    per_channel = list(range(1, rank - 1))
    if op.is_tensor(1):
        w = op.unsqueeze(op.name(1), per_channel) if per_channel else op.name(1)
        out = op.emit("Mul", [out, w])
    if op.is_tensor(2):
        b = op.unsqueeze(op.name(2), per_channel) if per_channel else op.name(2)
        out = op.emit("Add", [out, b])
    op.output(0, out)
