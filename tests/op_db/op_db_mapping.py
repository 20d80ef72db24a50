"""PyTorch's operator database (``op_db``) run through numpyflow: the machinery of test_op_db.py.

* :func:`resolve` finds numpyflow's version of an OpInfo by its name alone, so an op that
  numpyflow gains later is picked up without editing anything;
* :func:`run_sample` puts one ``SampleInput`` through both libraries and says what differs
  (values, dtype, shape, and for float64 the gradients of every floating input);
* :func:`describe` renders a sample in one short line for failure messages.

Only imported after ``torch`` is known to be importable.
"""

from __future__ import annotations

import builtins
import contextlib
import numbers
import types
import warnings

import numpy as np
import torch

_flags_were_frozen = torch.backends.flags_frozen()
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402,F401  (re-exported)

if torch.backends.flags_frozen() and not _flags_were_frozen:
    # PyTorch's test utilities freeze torch.backends flags on import (disable_global_flags(),
    # for PyTorch's own suite); other tests in this process set them (tests/test_backends.py).
    torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True

import numpyflow as nf  # noqa: E402

# An OpInfo's name -> the numpyflow attribute path that implements it, where the name alone
# does not find it.  The same function under another name, never a different function.
ALIASES = {
    "__rdiv__": "Tensor.__rtruediv__",  # Python 3 spells the reflected division __rtruediv__
}

TESTING_PACKAGE = "torch.testing._internal"


class Unsupported(Exception):
    """A sample holds something numpyflow has no counterpart for (bfloat16, complex, sparse,
    a memory format, a torch.Generator ...).  The message names it."""


def op_key(opinfo) -> str:
    """``name`` or ``name.variant``: the op's name in test ids and in the tables."""
    return f"{opinfo.name}.{opinfo.variant_test_name}" if opinfo.variant_test_name else opinfo.name


def _attr_path(root, path: str):
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def resolve(opinfo):
    """numpyflow's function for ``opinfo`` (a function, Tensor method or property), or None.

    ``nn.functional.x`` is ``nf.nn.functional.x``; another dotted name (``linalg.det``,
    ``special.erfcx``) is the same path under ``nf``; a plain name is ``nf.<name>``, else the
    Tensor method ``nf.Tensor.<name>``; :data:`ALIASES` has the few that differ."""
    name = opinfo.name
    if name in ALIASES:
        return _attr_path(nf, ALIASES[name])
    if name.startswith("torch.") or name.startswith("_") and not name.startswith("__"):
        return None  # aten internals and private helpers: no public API to mirror
    found = _attr_path(nf, name)
    if not callable(found) or isinstance(found, (type, nf.dtype)):
        found = None  # nf.float is a dtype, nf.linalg a module: the op is the Tensor method
    if found is None and "." not in name:
        found = getattr(nf.Tensor, name, None)
    return found


def _rebound(fn, **names):
    """``fn`` (a wrapper lambda of the OpInfo files) with some of its global names replaced."""
    namespace = {**fn.__globals__, **names}
    out = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    out.__kwdefaults__ = fn.__kwdefaults__
    return out


def _is_wrapper(op) -> bool:
    return isinstance(op, types.FunctionType) and (op.__module__ or "").startswith(TESTING_PACKAGE)


def numpyflow_callable(opinfo):
    """What to call on numpyflow inputs: the OpInfo's own wrapper lambda read with ``torch``
    as numpyflow (``lambda x: x.T``, ``lambda t, eq: torch.einsum(eq, t)``), else the
    function :func:`resolve` found, a Tensor property read as ``x.<name>``."""
    op = opinfo.op
    if _is_wrapper(op):
        names = {"torch": nf}
        if op.__globals__.get("F") is torch.nn.functional:
            names["F"] = nf.nn.functional
        return _rebound(op, **names)
    found = resolve(opinfo)
    if isinstance(found, property):
        name = opinfo.name
        return lambda x: getattr(x, name)
    return found


# ----------------------------------------------------------------------------- conversion

NUMPYFLOW_DTYPES = {
    torch.float16: nf.float16,
    torch.float32: nf.float32,
    torch.float64: nf.float64,
    torch.uint8: nf.uint8,
    torch.int8: nf.int8,
    torch.int16: nf.int16,
    torch.int32: nf.int32,
    torch.int64: nf.int64,
    torch.bool: nf.bool,
}


def to_numpyflow(obj, memo: dict):
    """``obj`` with every torch tensor, dtype, size and device replaced by numpyflow's.

    ``memo`` maps ``id(torch tensor)`` to its numpyflow tensor, so a tensor passed twice
    stays one tensor (and one gradient)."""
    if isinstance(obj, torch.Tensor):
        if id(obj) in memo:
            return memo[id(obj)]
        if obj.layout != torch.strided:
            raise Unsupported(f"{obj.layout} tensor")
        if obj.dtype not in NUMPYFLOW_DTYPES:
            raise Unsupported(f"{obj.dtype} tensor")
        array = obj.detach().resolve_conj().resolve_neg().numpy().copy()
        out = nf.tensor(array, requires_grad=obj.requires_grad and obj.dtype.is_floating_point)
        memo[id(obj)] = out
        return out
    if isinstance(obj, torch.dtype):
        if obj not in NUMPYFLOW_DTYPES:
            raise Unsupported(f"dtype argument {obj}")
        return NUMPYFLOW_DTYPES[obj]
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, torch.device):
        return str(obj)
    if isinstance(obj, torch.memory_format):
        name = str(obj).rpartition(".")[2]
        if hasattr(nf, name):
            return getattr(nf, name)
        raise Unsupported(f"memory_format {obj}")
    if isinstance(obj, torch.Generator):
        raise Unsupported("torch.Generator argument")
    if isinstance(obj, torch.layout):
        raise Unsupported(f"layout {obj}")
    if isinstance(obj, (builtins.complex, np.complexfloating)) and not isinstance(obj, numbers.Real):
        raise Unsupported("complex scalar")
    if isinstance(obj, list):
        return [to_numpyflow(x, memo) for x in obj]
    if isinstance(obj, tuple):
        items = [to_numpyflow(x, memo) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, dict):
        return {k: to_numpyflow(v, memo) for k, v in obj.items()}
    return obj


def without_default_memory_format(kwargs: dict) -> dict:
    """``kwargs`` less ``memory_format=torch.preserve_format``, the default: passing it is the
    same call as omitting it, and numpyflow has no memory-format objects to pass."""
    if kwargs.get("memory_format") is torch.preserve_format and not hasattr(nf, "preserve_format"):
        return {k: v for k, v in kwargs.items() if k != "memory_format"}
    return dict(kwargs)


def torch_tensors(obj):
    """Every torch tensor in a nested structure, in order, each once."""
    found, seen = [], set()

    def walk(x):
        if isinstance(x, torch.Tensor):
            if id(x) not in seen:
                seen.add(id(x))
                found.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for y in x.values():
                walk(y)

    walk(obj)
    return found


def _copy_torch(obj):
    """A deep copy of a sample part with fresh torch tensors (for the determinism probe)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, list):
        return [_copy_torch(x) for x in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_copy_torch(x) for x in obj)
    if isinstance(obj, dict):
        return {k: _copy_torch(v) for k, v in obj.items()}
    return obj


# ----------------------------------------------------------------------------- description


def _short(x, depth=0) -> str:
    if isinstance(x, torch.Tensor):
        dt = str(x.dtype).replace("torch.", "")
        shape = ",".join(str(s) for s in x.shape)
        grad = ", grad" if x.requires_grad else ""
        if x.numel() <= 4 and x.dtype != torch.bfloat16:
            return f"{dt}[{shape}]{grad}={x.detach().tolist()}"
        return f"{dt}[{shape}]{grad}"
    if isinstance(x, (list, tuple)) and depth < 3:
        inner = ", ".join(_short(y, depth + 1) for y in x[:6]) + (", ..." if len(x) > 6 else "")
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}={_short(v, depth + 1)}" for k, v in x.items()) + "}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(sample) -> str:
    """One line: the sample's input, args and kwargs, tensors as ``dtype[shape]``."""
    parts = [_short(sample.input)]
    parts += [_short(a) for a in sample.args]
    parts += [f"{k}={_short(v)}" for k, v in sample.kwargs.items()]
    return "(" + ", ".join(parts) + ")"


# ----------------------------------------------------------------------------- comparison

TOLERANCES = {  # (rtol, atol) by the reference output's dtype; atol scales with the output's
    # largest magnitude, as a sum's rounding error does (cancellation leaves it near zero)
    torch.float16: (1e-3, 1e-3),
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def _leaves(out):
    if isinstance(out, (list, tuple)):
        return [leaf for x in out for leaf in _leaves(x)]
    return [out]


def _close(ours: np.ndarray, theirs: np.ndarray, dtype) -> str | None:
    """None if ``ours`` matches ``theirs`` (exactly for integers and bools), else what differs."""
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} != {theirs.shape}"
    if ours.size == 0:
        return None
    rtol, atol = TOLERANCES.get(dtype, (0.0, 0.0))
    a, b = ours.astype(np.complex128), theirs.astype(np.complex128)
    with np.errstate(all="ignore"):
        finite = np.isfinite(b)
        scale = max(1.0, float(np.abs(b[finite]).max())) if finite.any() else 1.0
        allowed = atol * scale + rtol * np.abs(b)
        excess = np.abs(a - b) - allowed
    same_special = (np.isnan(a) & np.isnan(b)) | (~np.isfinite(b) & (a == b))
    excess = np.where(same_special, -1.0, np.where(np.isnan(excess), np.inf, excess))
    bad = excess > 0
    if not bad.any():
        return None
    i = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
    return (
        f"values differ at {int(bad.sum())}/{ours.size} elements, worst at {tuple(int(j) for j in i)}: "
        f"{ours[i]!r} vs {theirs[i]!r}"
    )


def compare_outputs(ours, theirs, values=True) -> list[str]:
    """What differs between numpyflow's and PyTorch's outputs ([] when they agree)."""
    mine, ref = _leaves(ours), _leaves(theirs)
    if len(mine) != len(ref):
        return [f"returns {len(mine)} values, PyTorch {len(ref)} ({type(ours).__name__} vs {type(theirs).__name__})"]
    problems = []
    for k, (o, t) in enumerate(zip(mine, ref)):
        where = f"output {k}: " if len(ref) > 1 else ""
        if isinstance(t, torch.Tensor):
            if not isinstance(o, nf.Tensor):
                problems.append(f"{where}got {type(o).__name__}, PyTorch a Tensor")
                continue
            t_dtype = str(t.dtype).replace("torch.", "")
            if o.dtype.name != t_dtype:
                problems.append(f"{where}dtype {o.dtype.name} != {t_dtype}")
            if tuple(o.shape) != tuple(t.shape):
                problems.append(f"{where}shape {tuple(o.shape)} != {tuple(t.shape)}")
                continue
            if values and o.dtype.name == t_dtype:
                msg = _close(o.detach().numpy(), t.detach().resolve_conj().resolve_neg().numpy(), t.dtype)
                if msg:
                    problems.append(where + msg)
        elif isinstance(t, (bool, int, float, complex)):
            if isinstance(o, nf.Tensor) or type(o) is not type(t):
                problems.append(f"{where}got {type(o).__name__} {o!r}, PyTorch {type(t).__name__} {t!r}")
            elif values and not (o == t or (o != o and t != t) or (isinstance(t, float) and np.isclose(o, t))):
                problems.append(f"{where}value {o!r} != {t!r}")
        elif values and o != t:
            problems.append(f"{where}{o!r} != {t!r}")
    return problems


# ----------------------------------------------------------------------------- one sample


def _call_torch(opinfo, sample):
    return opinfo.op(sample.input, *sample.args, **sample.kwargs)


@contextlib.contextmanager
def cpu_rng(seed: int):
    """PyTorch's CPU generator seeded with ``seed`` inside, restored after.  (Cheaper than
    ``torch.manual_seed`` under ``fork_rng``, which also queues lazy seeds for every
    accelerator type, formatting a stack trace each time.)"""
    state = torch.get_rng_state()
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_rng_state(state)


def _call_directly(fn, *args, **kwargs):
    return fn(*args, **kwargs)


_UNSEEDED: dict = {}


def unseeded_torch_op(opinfo):
    """PyTorch's op without the ``wrapper_set_seed`` some OpInfos wrap it in (random ops, and
    a few others: ``item``): that wrapper reseeds to 42, hiding whether the op is random."""
    op = opinfo.op
    if not (_is_wrapper(op) and "wrapper_set_seed" in op.__code__.co_names):
        return op
    if id(opinfo) not in _UNSEEDED:
        _UNSEEDED[id(opinfo)] = (opinfo, _rebound(op, wrapper_set_seed=_call_directly))
    return _UNSEEDED[id(opinfo)][1]


def _is_random(opinfo, sample) -> bool:
    """Whether PyTorch's op draws from its random generator (sampling, dropout, rrelu): its
    state moves.  Exact, where comparing two seeded runs can miss a draw that came out equal."""
    op = unseeded_torch_op(opinfo)
    with cpu_rng(0), torch.no_grad():
        before = torch.get_rng_state()
        op(_copy_torch(sample.input), *_copy_torch(sample.args), **_copy_torch(sample.kwargs))
        return not torch.equal(before, torch.get_rng_state())


def run_sample(opinfo, fn, sample, check_grad: bool, seed: int = 0) -> list[str]:
    """Put ``sample`` through PyTorch's op and numpyflow's ``fn``; what differs ([] if nothing).

    Raises :class:`Unsupported` when the sample holds something numpyflow has no counterpart for.
    Values are not compared where PyTorch's own output is not reproducible (random sampling,
    uninitialized memory); shapes and dtypes are."""
    with warnings.catch_warnings():  # deprecations and hints are not what is compared
        warnings.simplefilter("ignore")
        return _run_sample(opinfo, fn, sample, check_grad, seed)


def _run_sample(opinfo, fn, sample, check_grad, seed):
    memo: dict = {}
    nf_input = to_numpyflow(sample.input, memo)
    nf_args = to_numpyflow(tuple(sample.args), memo)
    nf_kwargs = to_numpyflow(without_default_memory_format(sample.kwargs), memo)

    theirs = _call_torch(opinfo, sample)
    values = not (opinfo.has_nondeterministic_output or _is_random(opinfo, sample))
    try:
        ours = fn(nf_input, *nf_args, **nf_kwargs)
    except Exception as e:  # noqa: BLE001  (any failure is a finding, reported with its type)
        return [f"raises {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"]
    problems = compare_outputs(ours, theirs, values=values)
    if problems or not check_grad:
        return problems
    return _compare_grads(sample, memo, ours, theirs, seed, values)


def _compare_grads(sample, memo, ours, theirs, seed, values=True) -> list[str]:
    """What differs in the gradients of every floating input that requires grad, for one random
    cotangent per floating output that requires grad; where the values are not comparable
    (random ops), only whether each output requires grad."""
    t_inputs = [
        t
        for t in torch_tensors((sample.input, sample.args, sample.kwargs))
        if t.requires_grad and t.is_floating_point()
    ]
    pairs = [
        (o, t)
        for o, t in zip(_leaves(ours), _leaves(theirs))
        if isinstance(t, torch.Tensor) and t.requires_grad and t.is_floating_point()
    ]
    if not t_inputs or not pairs:
        return []
    problems = []
    for k, (o, _) in enumerate(pairs):
        if not (isinstance(o, nf.Tensor) and o.requires_grad):
            problems.append(f"output {k} does not require grad (PyTorch's does)")
    if problems or not values:
        return problems
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    t_grads = torch.autograd.grad(
        [t for _, t in pairs],
        t_inputs,
        [torch.tensor(c, dtype=t.dtype) for c, (_, t) in zip(cotangents, pairs)],
        allow_unused=True,
    )
    n_inputs = [memo[id(t)] for t in t_inputs]
    try:
        n_grads = nf.autograd.grad(
            [o for o, _ in pairs],
            n_inputs,
            [nf.tensor(c.astype(o.dtype.numpy)) for c, (o, _) in zip(cotangents, pairs)],
            allow_unused=True,
        )
    except Exception as e:  # noqa: BLE001
        return [f"backward raises {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"]
    for k, (n, t, x) in enumerate(zip(n_grads, t_grads, t_inputs)):
        where = f"grad of input {k} ({_short(x)})"
        t_arr = np.zeros(tuple(x.shape), np.float64) if t is None else t.detach().numpy(force=True)
        n_arr = np.zeros(tuple(x.shape), np.float64) if n is None else n.detach().numpy()
        if n is not None and n.dtype.name != str(x.dtype).replace("torch.", ""):
            problems.append(f"{where}: dtype {n.dtype.name} != {x.dtype}")
        msg = _close(n_arr, t_arr, x.dtype)
        if msg:
            problems.append(f"{where}: {msg}")
    return problems
