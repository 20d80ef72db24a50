"""A second forward with other inputs, compared with the first: what the graph may bake
in, and which dims follow the dynamic axes.

A trace sees values, not where they came from.  A tensor computed outside NumpyFlow's
ops (a comparison, ``.item()``, numpy, random numbers) is a constant to the tracer, and
a size read with ``x.size(0)`` is a number; both would be baked into the graph.  So the
exporter runs the forward twice: the second time every dynamic axis of the inputs is
grown (each input repeated two or more times along it) and the values are changed
(floats negated, scaled unevenly and perturbed; integers and bools shuffled).  Then:

* both runs must run the same ops on the same values, or the forward's path depends on
  the inputs (data-dependent control flow);
* a constant must be the same in both runs, or it was computed from the inputs;
* an attribute a converter bakes into the graph (``Comparison.static``) must be the same
  in both runs, or it depends on a dynamic axis;
* a dim of a value that differs between the runs follows a dynamic axis: the converters
  read these (``Comparison.dynamic``) to build shapes at run time where needed.

The check cannot see a value that happens not to change under the second inputs; it
catches what a trace would otherwise bake in silently.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..creation import tensor as make_tensor
from ._trace import Trace, replace_tensors, tensors_in
from .errors import OnnxExporterError


def second_inputs(args: tuple, kwargs: dict, dynamic: dict, distinct: bool = True):
    """``(args, kwargs)`` for the second run, with other values of the same kind and the
    dynamic axes (``dynamic``: input index -> {axis: symbol}) grown: each input repeated
    ``k`` times along them, ``k`` one per symbol.  With ``distinct``, two symbols of the
    same size get different ``k`` (2, 3, ...), so that every dim of the second run still
    tells which dynamic axis it follows."""
    rng = np.random.default_rng(0)
    factors = {}  # symbol -> k
    grown = set()  # (size, size * k) of the symbols so far
    new = {}
    for i, t in enumerate(tensors_in((args, kwargs))):
        if id(t) in new:
            continue
        a = np.asarray(t._data)
        for axis, symbol in sorted(dynamic.get(i, {}).items()):
            n = a.shape[axis]
            if symbol not in factors:
                k = 2
                while distinct and (n, n * k) in grown:
                    k += 1
                factors[symbol] = k
                grown.add((n, n * k))
            a = np.concatenate([a] * factors[symbol], axis=axis)
        if a.dtype.kind in "fc" and a.size:
            # the opposite sign, scaled unevenly, plus noise: masks, signs and magnitudes all change
            finite = np.isfinite(a)
            scale = float(np.abs(a[finite]).mean()) if finite.any() else 1.0
            noise = rng.normal(0.0, 0.1 * scale + 1e-3, a.shape)
            a = (-a * rng.uniform(0.5, 1.5, a.shape) + noise).astype(a.dtype)
        elif a.size > 1:
            a = rng.permutation(a.reshape(-1)).reshape(a.shape)
        else:
            a = a.copy()
        new[id(t)] = make_tensor(a)
    return replace_tensors(args, new), replace_tensors(kwargs, new)


class Comparison:
    """Two traces of one model that ran the same ops: ``a`` (the inputs given) and ``b``
    (the second inputs)."""

    def __init__(self, a: Trace, b: Trace):
        self.a = a
        self.b = b
        self._check()

    def other(self, record):
        """The record of the second run that matches ``record`` of the first."""
        return self.b.records[record.index]

    def dynamic(self, key) -> tuple:
        """The dims of the value ``key`` whose size differs between the runs."""
        sa, sb = self.a.shape(key), self.b.shape(key)
        return tuple(i for i, (x, y) in enumerate(zip(sa, sb)) if x != y)

    def sizes(self, key) -> tuple:
        """``(shape in the first run, shape in the second)``."""
        return self.a.shape(key), self.b.shape(key)

    def static(self, record, fn, what: str):
        """``fn(record)``, after checking that the matching record of the second run gives
        the same (the value is baked into the graph)."""
        x = fn(record)
        y = fn(self.other(record))
        if not _same(x, y):
            raise OnnxExporterError(
                f"numpyflow.onnx.export: the {what} of {record.name} in {record.where} changes with the input "
                f"({_short(x)} here, {_short(y)} for other input values or sizes along the dynamic axes), but "
                "the graph would fix it to the traced value. Export without that dynamic axis, or compute it "
                "with tensor ops (an index tensor made from the input's values cannot be baked in)."
            )
        return x

    # -- the checks ------------------------------------------------------------------------

    def _check(self):
        a, b = self.a, self.b
        for ra, rb in zip(a.records, b.records):
            if ra.function is not rb.function or len(ra.args) != len(rb.args) or ra.arg_keys != rb.arg_keys:
                self._diverged(ra, rb)
            if [k is None for k in ra.out_keys] != [k is None for k in rb.out_keys]:
                self._diverged(ra, rb)
        if len(a.records) != len(b.records):
            extra = a.records[len(b.records)] if len(a.records) > len(b.records) else b.records[len(a.records)]
            self._diverged(extra, None)
        if a.output_keys != b.output_keys:
            raise OnnxExporterError(
                "numpyflow.onnx.export: the model's outputs come from different values for other inputs "
                "(data-dependent control flow); a traced graph cannot follow it"
            )
        for key, va in a.consts.items():
            vb = b.consts.get(key)
            if vb is None or va.shape != vb.shape or va.dtype != vb.dtype or not np.array_equal(va, vb, equal_nan=True):
                cause = (
                    f"its shape {va.shape} follows a dynamic axis ({vb.shape} with other input sizes)"
                    if vb is not None and va.shape != vb.shape
                    else "its values change with the input"
                )
                raise OnnxExporterError(
                    f"numpyflow.onnx.export: a tensor made in the forward and first read by {a.first_use[key]} "
                    f"depends on the input: {cause}. It was computed outside NumpyFlow's differentiable ops (a "
                    "comparison such as x > 0, .item(), .numpy(), random numbers) or from the input's sizes, and "
                    "the graph would hold it as a constant. Compute it with tensor ops on the input instead."
                )
        for ra, rb in zip(a.records, b.records):
            for oa, ob in zip(ra.outputs, rb.outputs):
                if oa is not None and (oa._data.ndim != ob._data.ndim or oa._data.dtype != ob._data.dtype):
                    raise OnnxExporterError(
                        f"numpyflow.onnx.export: the result of {ra.name} in {ra.where} has "
                        f"{oa._data.ndim} dims ({oa._data.dtype}) here but {ob._data.ndim} dims "
                        f"({ob._data.dtype}) with other input sizes: its rank depends on a dynamic axis "
                        "(e.g. squeeze() of a dim that is 1 only in the traced input)"
                    )

    def _diverged(self, ra, rb):
        there = f"{rb.name} in {rb.where}" if rb is not None else "no op"
        raise OnnxExporterError(
            f"numpyflow.onnx.export: the forward runs different ops for other input values or sizes: op "
            f"{ra.index} is {ra.name} in {ra.where} here but {there} with other inputs (control flow that "
            "depends on the input's values, e.g. on .item() or a comparison); a traced graph cannot follow it"
        )


def _same(x, y) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return (
            isinstance(x, np.ndarray)
            and isinstance(y, np.ndarray)
            and x.shape == y.shape
            and np.array_equal(x, y, equal_nan=True)
        )
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y))
    if isinstance(x, (numbers.Number, np.generic)) and isinstance(y, (numbers.Number, np.generic)):
        return bool(x == y) or (x != x and y != y)  # NaN attributes are the same too
    return type(x) is type(y) and bool(x == y)


def _short(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."
