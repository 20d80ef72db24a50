"""The op contract: a ``Function`` has ``forward`` on raw arrays and ``backward`` on
Tensors, side by side; ``Function.apply`` runs the forward and records the graph node.

A user-defined op looks exactly like the built-in ones::

    class Cube(nf.autograd.Function):
        @staticmethod
        def forward(ctx, x):              # raw arrays (numpy or CuPy) in, array out
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):          # Tensors in, one gradient per forward input out
            x, = ctx.saved_tensors
            return grad * 3 * x ** 2

    y = Cube.apply(t)

``backward`` is written with numpyflow ops, so with ``create_graph=True`` it is itself
recorded and higher derivatives come for free.  No op reads the grad mode: the engine
runs a backward without recording, or records it for ``create_graph=True``.  Gradients
may be returned with the broadcast shape of the output: the base class sums them back
to each input's shape (``SumTo``, below) and casts them to its dtype.

A fused op whose first derivative is expensive array code (convolution, normalization,
cross-entropy) applies a *gradient op* in its ``backward``: another Function whose
``forward`` computes the gradients on arrays and whose ``backward`` is the second
derivative, written with numpyflow ops (PyTorch's ``...BackwardBackward0``).  A plain
``backward()`` then costs the array code alone, and ``create_graph=True`` records the
same call.  A forward may return None in its tuple of outputs for an output nobody asked
for (pass ``ctx.needs_input_grad`` along as a mask); the output is None and its
backward receives None for it.

``apply`` and the engine call the registered function hooks (``function_hooks``) around
every forward and backward; with none registered they cost one test per op.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .._errors import broadcast_error
from ..backend import device_of, is_array
from . import function_hooks, grad_mode

_state = grad_mode.state
_ndarray = np.ndarray


class _SavedTensor:
    """One value saved for backward, with what it takes to check and rebuild it.

    An input keeps a reference to its Tensor (its version and history are read when
    unpacked); an output keeps its version counter; a frozen copy (the old value of a
    tensor changed in place by this very op) keeps the history it had.
    """

    __slots__ = ("array", "tensor", "counter", "version", "output_nr", "history")

    def unpack(self, node):
        t = self.tensor
        if t is not None:
            counter = t._vc_
            if (counter.value if counter is not None else 0) != self.version:
                self._stale(node, counter.value)
            if t._grad_fn is None and t._data is self.array:
                return t if t._requires_grad else Tensor._make(self.array)
            return Tensor._make(self.array, t._requires_grad, t._grad_fn, t._output_nr)
        if self.counter is not None:  # an output of this node
            if self.counter.value != self.version:
                self._stale(node, self.counter.value)
            return Tensor._make(
                self.array, self.output_nr >= 0, node if self.output_nr >= 0 else None, max(self.output_nr, 0)
            )
        grad_fn, output_nr, requires_grad = self.history
        return Tensor._make(self.array, requires_grad, grad_fn, output_nr)

    def _stale(self, node, now):
        a = self.array
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{a.dtype} {list(a.shape)}], which is saved by "
            f"{node.name()}, is at version {now}; expected version {self.version} instead. "
            "Use an out-of-place op or .clone() before the in-place change."
        )

    def freeze(self):
        """Keep a copy of the current value with its current history (used when the op
        that saved it is about to overwrite it in place)."""
        t = self.tensor
        self.history = (t._grad_fn, t._output_nr, t._requires_grad) if t is not None else (None, 0, False)
        self.array = self.array.copy()
        self.tensor = None
        self.counter = None


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved values and flags."""

    def save_for_backward(self, *values):
        """Keep arrays (or Tensors) for ``backward``; read them back from ``saved_tensors``."""
        self._to_save = values

    def mark_non_differentiable(self, *arrays):
        """Outputs that never carry a gradient (indices, masks)."""
        self._non_differentiable = tuple(id(a) for a in arrays)

    def set_materialize_grads(self, value: bool):
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    @property
    def saved_tensors(self):
        """The values given to ``save_for_backward``, as Tensors, checked for in-place changes."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(
                    "Trying to backward through the graph a second time (or directly access saved "
                    "tensors after they have already been freed). Saved intermediate values of the "
                    "graph are freed when you call .backward() or autograd.grad(). Specify "
                    "retain_graph=True if you need to backward through the graph a second time or "
                    f"if you need to access saved tensors after calling backward (op: {self.name()})."
                )
            return ()
        return tuple([s.unpack(self) if type(s) is _SavedTensor else _wrap_raw(s) for s in saved])


def _wrap_raw(value):
    if is_array(value):
        return Tensor._make(value)
    return value


class Function(FunctionCtx):
    """Base class of every differentiable op; an instance is the op's graph node and ctx.

    Subclasses define ``forward(ctx, *args)`` (arrays in for Tensor arguments, other
    arguments as given; an array, or a tuple of arrays and None, out) and
    ``backward(ctx, *grads)`` (one Tensor or None per output in; one gradient or None
    per forward argument out), and are called through ``apply``.  See the module
    docstring for the contract."""

    _materialize = True
    _released = False
    _saved = None
    _to_save = ()
    _non_differentiable = ()
    _tensor_hooks = None  # {output_nr: {handle_id: hook}} from Tensor.register_hook
    _retained = None  # {output_nr: weakref to the tensor} from Tensor.retain_grad

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a Function must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on the arrays behind ``args`` and, when gradients are needed,
        record this call as a node of the graph."""
        ctx = object.__new__(cls)
        if function_hooks.hooks:
            return function_hooks.watch("forward", ctx, args, lambda: ctx._forward(args))
        return ctx._forward(args)

    def _forward(ctx, args):
        """``apply``'s work: this node is the op's ctx."""
        cls = type(ctx)
        arrays = []
        tensors = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                tensors.append(a)
                if a._requires_grad:
                    record = True
            else:
                arrays.append(a)
                tensors.append(None)
        if backend.cupy is not None:
            _check_same_device(cls, tensors)
        if record and _state.enabled:
            ctx.needs_input_grad = tuple([t is not None and t._requires_grad for t in tensors])
        else:
            record = False
            ctx.needs_input_grad = (False,) * len(args)
        try:
            out = cls.forward(ctx, *arrays)
        except (ValueError, IndexError, TypeError) as e:
            if cls.__module__.startswith("numpyflow."):
                raise _op_error(cls, e, arrays) from None
            raise
        if type(out) is not tuple:
            returned = out
            if type(out) is not _ndarray:  # numpy returns scalars for 0-d results
                out = _as_array(out)
            differentiable = record and out.dtype.kind in "fc" and id(returned) not in ctx._non_differentiable
            result = object.__new__(Tensor)  # Tensor._make, inlined on the hottest path
            result._data = out
            result._requires_grad = differentiable
            result._grad_fn = ctx if differentiable else None
            result._output_nr = 0
            if out.base is not None:
                _share_version_if_view(result, tensors, record)
            if record:
                ctx._connect(tensors, (returned,), (result,))
            return result
        returned = out
        outputs = tuple(_as_array(o) if o is not None else None for o in out)
        results = []
        non_diff = ctx._non_differentiable
        for nr, (o, r) in enumerate(zip(outputs, returned)):
            if o is None:  # an output nobody asked for (a gradient op's masked result)
                results.append(None)
                continue
            differentiable = record and o.dtype.kind in "fc" and id(r) not in non_diff
            t = Tensor._make(o, differentiable, ctx if differentiable else None, nr)
            if o.base is not None:
                _share_version_if_view(t, tensors, record)
            results.append(t)
        if record:
            ctx._connect(tensors, returned, results)
        return tuple(results)

    # -- graph bookkeeping -------------------------------------------------------------

    def _connect(self, tensors, returned, results):
        """Record edges to the inputs' nodes, input metadata and the saved values.
        ``returned`` are the objects forward returned (before scalars became arrays), so
        a saved output is recognised by identity."""
        edges = []
        meta = []
        for t, need in zip(tensors, self.needs_input_grad):
            if need:
                fn = t._grad_fn
                edges.append((fn, t._output_nr) if fn is not None else (t._accumulator(), 0))
                d = t._data
                meta.append((d.shape, d.dtype))
            else:
                edges.append(None)
                meta.append(None)
        self._next = edges
        self._input_meta = meta
        self._n_outputs = len(results)
        if len(results) > 1:
            self._output_meta = [(r._data.shape, r._data.dtype) if r is not None else None for r in results]
        to_save = self._to_save
        if to_save:
            self._saved = [_make_saved(v, tensors, returned, results) for v in to_save]
            self._to_save = ()

    def _release(self):
        """Free what the forward saved (called after backward unless retain_graph)."""
        self._saved = None
        self._released = True

    @classmethod
    def op_name(cls) -> str:
        """``Mul``: the op's name, as the profiler and error messages print it."""
        return cls.__dict__.get("_public_name", cls.__name__)

    def name(self) -> str:
        """``MulBackward0``: the op's name as PyTorch prints it in ``grad_fn``."""
        return f"{self.op_name()}Backward0"

    def __repr__(self):
        return f"<{self.name()}>"

    @property
    def next_functions(self):
        """The nodes this one sends gradients to, one ``(node, output_nr)`` per input."""
        return tuple(e if e is not None else (None, 0) for e in self._next)

    def _run_backward(self, grads):
        """Call ``backward`` and return one gradient (Tensor or None) per forward input,
        reduced to the input's shape and dtype."""
        if self._n_outputs > 1 and self._materialize:
            xp = backend.array_module(next(g for g in grads if g is not None)._data)
            grads = [
                g if g is not None or meta is None else Tensor._make(xp.zeros(*meta))
                for g, meta in zip(grads, self._output_meta)
            ]
        if function_hooks.hooks:
            return function_hooks.watch("backward", self, grads, lambda: self._backward(grads))
        return self._backward(grads)

    def _backward(self, grads):
        result = type(self).backward(self, *grads)
        if type(result) is not tuple:
            result = (result,)
        n = len(self._next)
        if len(result) != n and (len(result) < n or any(r is not None for r in result[n:])):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(result)})"
            )
        out = []
        for g, edge, meta in zip(result, self._next, self._input_meta):
            if edge is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                g = Tensor._make(g if is_array(g) else np.asarray(g, dtype=meta[1]))
            shape, dtype = meta
            if g._data.shape != shape:
                g = _reduce_to_shape(g, shape, self)
            if g._data.dtype != dtype:
                g = g.to(dtype)
            out.append(g)
        return out


def _check_same_device(cls, tensors):
    """Ops need all their tensors on one device (checked only where CuPy exists)."""
    devices = {str(device_of(t._data)) for t in tensors if t is not None}
    if len(devices) > 1:
        a, b = sorted(devices)
        raise RuntimeError(
            f"{cls.__name__.lower()}: expected all tensors to be on the same device, "
            f"but found at least two devices, {a} and {b}"
        )


def _as_array(o):
    if type(o) is _ndarray:
        return o
    if isinstance(o, np.generic):
        return np.asarray(o)
    if isinstance(o, Tensor):
        return o._data
    if not is_array(o):
        raise TypeError(f"forward must return arrays, got {type(o).__name__}")
    return o


def _root(a):
    while True:
        b = a.base
        if b is None or not is_array(b):
            return a
        a = b


def _share_version_if_view(t, tensors, record):
    """An output that views an input's memory shares its version counter, so an in-place
    change through either is seen by the graph."""
    base = t._data.base
    for src in tensors:
        if src is None:
            continue
        d = src._data
        # numpy points a view's base at the array that owns the memory, so one or two
        # steps decide; _root covers bases that are themselves views.
        if base is d or (d.base is not None and base is d.base) or _root(base) is _root(d):
            t._vc = src._vc
            t._is_view = True
            if record:
                src._vc.has_graph_views = True
            return


def _make_saved(value, tensors, returned, results):
    """A saved value, tied to the input or output it is (for version checks and for
    rebuilding it with its history in double backward), or kept as a plain value."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value._data
    for t in tensors:
        if t is not None and t._data is value:
            s = _SavedTensor()
            s.array = value
            s.tensor = t
            counter = t._vc_
            s.version = counter.value if counter is not None else 0
            return s
    for nr, (o, r) in enumerate(zip(returned, results)):
        if o is value:
            s = _SavedTensor()
            s.array = r._data
            s.tensor = None
            s.counter = r._vc
            s.version = s.counter.value
            s.output_nr = nr if r._requires_grad else -1
            return s
    return value


def _reduce_to_shape(g, shape, node):
    """A gradient of the broadcast shape summed back to its input's ``shape``."""
    if sum_to_axes(g._data.shape, shape) is None:
        raise RuntimeError(
            f"{node.name()} returned a gradient of shape {tuple(g.shape)} for an input of shape {tuple(shape)}"
        )
    return SumTo.apply(g, tuple(shape))


def _op_error(cls, err, arrays):
    """Re-raise a numpy error from ``forward`` naming the op and its input shapes."""
    shapes = " and ".join(str(tuple(a.shape)) for a in arrays if is_array(a))
    msg = str(err)
    op = cls.__name__.lower()
    if msg.startswith(op + ":"):
        return err
    if "broadcast" in msg:
        return broadcast_error(op, [a.shape for a in arrays if is_array(a)])
    return type(err)(f"{op}: {msg} (input shapes {shapes})")


# -- broadcasting and its inverse ---------------------------------------------------------
#
# The base class undoes broadcasting for every op with ``SumTo``; the two are each other's
# backward, so they live here, below the ops that also use them.


def sum_to_axes(shape, target):
    """The axes of an array of ``shape`` to sum (keeping dims) so that it becomes
    ``target``, the shape it was broadcast from; None when ``target`` does not broadcast
    to ``shape``."""
    lead = len(shape) - len(target)
    if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(target)):
        return None
    return tuple(range(lead)) + tuple(lead + i for i, s in enumerate(target) if s == 1 and shape[lead + i] != 1)


class BroadcastTo(Function):
    """A read-only broadcast view; the base class sums the gradient back."""

    @staticmethod
    def forward(ctx, a, shape):
        return backend.array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class SumTo(Function):
    """Sum a broadcast array back down to ``shape`` (the inverse of broadcasting)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        axes = sum_to_axes(a.shape, shape)
        out = a.sum(axis=axes, keepdims=True) if axes else a
        lead = a.ndim - len(shape)
        if lead:
            out = out.reshape(out.shape[lead:])
        return out

    @staticmethod
    def backward(ctx, grad):
        return BroadcastTo.apply(grad, ctx.shape), None


# Functions make Tensors, and tensor.py imports this package's grad mode and engine: the
# class is bound once both exist (numpyflow/__init__.py imports autograd first).
from ..tensor import Tensor  # noqa: E402
