"""Conformance against PyTorch's own operator database.

``torch.testing._internal.common_methods_invocations.op_db`` lists ~700 operators (OpInfos)
with generators of sample inputs.  For every OpInfo numpyflow implements (found by name:
``nf.<name>``, ``nf.Tensor.<name>``, ``nf.nn.functional.<x>`` for ``nn.functional.x``; see
``op_db_mapping.resolve``) and every dtype both the OpInfo and this test take, a spread of
samples goes through both libraries: output values, dtypes and shapes must match, and for
float64 the gradients of every floating input for a random output cotangent.  An op
numpyflow gains later is picked up without editing this file.

What numpyflow does not do yet (``MISSING``) and what it cannot take for a reason that stays
(``CANNOT``) are skipped sample by sample, one table line per (op, reason).  Known bugs
(``BUGS``) make their (op, dtype) case a strict expected failure: it xfails while the bug
reproduces, and fails once it is fixed ([XPASS(strict)], or "fixed, so delete its BUGS
line" where another bug of the case remains), so the table never outlives the bug.  Every
other sample of a case with a known bug is still checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
pytest.importorskip("expecttest", reason="torch.testing._internal (op_db) needs the expecttest package")

from op_db_mapping import Unsupported, cpu_rng, describe, numpyflow_callable, op_db, op_key, resolve, run_sample  # noqa: E402

# The dtypes tried, where the OpInfo supports them on the CPU.
DTYPES = (torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool)
# Samples per (op, dtype), spread evenly over the OpInfo's list so later kinds (kwargs,
# edge cases) are reached too.
MAX_SAMPLES = 24


# ----------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class Rule:
    """One table line: ``op`` (an op key, ``name`` or ``name.variant``; ``"*"`` for every op),
    the ``dtypes`` it concerns (all when empty) and the samples it concerns (``when``, a
    predicate on the torch SampleInput; all when None)."""

    op: str
    reason: str
    dtypes: tuple = ()
    when: Callable | None = None

    def matches(self, key, dtype, sample) -> bool:
        return (
            self.op in ("*", key)
            and (not self.dtypes or dtype in self.dtypes)
            and (self.when is None or bool(self.when(sample)))
        )


def _walk(x, cls):
    """The values of type ``cls`` in a nested structure."""
    if isinstance(x, cls):
        yield x
    elif isinstance(x, (list, tuple)):
        for y in x:
            yield from _walk(y, cls)
    elif isinstance(x, dict):
        for y in x.values():
            yield from _walk(y, cls)


def _parts(s):
    return (s.input, s.args, s.kwargs)


def holds(cls):
    """A ``when``: the sample holds a value of type ``cls`` anywhere."""
    return lambda s: any(True for _ in _walk(_parts(s), cls))


def holds_dtype(*dtypes):
    """A ``when``: one of the sample's tensors, or a dtype argument, is of ``dtypes``."""
    return lambda s: (
        any(t.dtype in dtypes for t in _walk(_parts(s), torch.Tensor))
        or any(d in dtypes for d in _walk(_parts(s), torch.dtype))
    )


def non_default_memory_format(s):
    """A ``when``: a memory format other than the default ``torch.preserve_format``."""
    return any(f is not torch.preserve_format for f in _walk(_parts(s), torch.memory_format))


def kwarg(name, *values):
    """A ``when``: the sample passes keyword ``name`` (with one of ``values``, if given)."""
    return lambda s: name in s.kwargs and (not values or s.kwargs[name] in values)


def has_ties(s):
    """A ``when``: the input tensor holds some value twice."""
    return s.input.numel() != torch.unique(s.input).numel()


def legacy_empty_in_cat(s):
    """A ``when`` for cat: a 1-D empty tensor among tensors of more dims."""
    return any(t.shape == (0,) for t in s.input) and any(t.ndim > 1 for t in s.input)


def empty_index_of_other_rank(s):
    """A ``when`` for gather: an empty index whose rank differs from the input's."""
    return s.args[1].numel() == 0 and s.args[1].ndim != s.input.ndim


COMPLEX = (torch.complex32, torch.complex64, torch.complex128)
INTEGERS = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
NARROW_INTEGERS = (torch.uint8, torch.int8, torch.int16, torch.int32)  # integers other than int64
U8 = (torch.uint8,)
BOOL = (torch.bool,)
F64 = (torch.float64,)

# fmt: off
# (a) numpyflow bugs, found by this test: strict expected failures.  Delete a line when its fix
# lands (the case then fails with [XPASS(strict)] until you do).
BUGS: list[Rule] = [
]

# (b) missing features: arguments numpyflow does not take yet (it raises a clear error).
MISSING: list[Rule] = [
    Rule("nn.functional.grid_sample", "mode='bicubic' (bilinear and nearest exist)", when=kwarg("mode", "bicubic")),
    Rule("*", "layout= (torch.strided, numpy's one layout): numpyflow's creation functions take no layout", when=holds(torch.layout)),
    Rule("to", "positional non_blocking and copy: to(device, dtype, non_blocking, copy) reads the bools as dtypes", when=lambda s: any(isinstance(a, bool) for a in s.args)),
    Rule("cumprod", "backward through inputs that contain zeros is not written (raises RuntimeError)", F64, lambda s: bool((s.input == 0).any())),
    Rule("nn.functional.conv2d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.conv_transpose2d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.conv1d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.conv3d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.conv_transpose1d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.conv_transpose3d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.avg_pool1d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.avg_pool3d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.max_pool1d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.max_pool3d", "integer inputs (expects floating-point tensors)", INTEGERS),
    Rule("nn.functional.hardtanh", "integer inputs (expects a floating-point input)", INTEGERS),
    Rule("nn.functional.relu6", "integer inputs (expects a floating-point input)", INTEGERS),
    Rule("nn.functional.softsign", "integer inputs (expects a floating-point input)", INTEGERS),
    Rule("nn.functional.tanhshrink", "integer inputs (expects a floating-point input)", INTEGERS),
    Rule("nn.functional.interpolate.bicubic", "mode='bicubic' (NotImplementedError)"),
    Rule("nn.functional.interpolate.area", "mode='area' (NotImplementedError)"),
    Rule("nn.functional.batch_norm", "an input of fewer than 2 dims (PyTorch takes a (C,)-shaped one)", when=lambda s: s.input.ndim < 2),
    Rule("cat", "PyTorch's legacy skipping of 1-D empty tensors (cat([tensor([]), x], dim=1))", when=legacy_empty_in_cat),
    Rule("zero_", "the function form nf.zero_(x) (the Tensor method x.zero_() exists)"),
    Rule("norm.nuc", "p='nuc' (the nuclear norm; ValueError)"),
]

# (c) samples numpyflow cannot take, for a reason that stays.
CANNOT: list[Rule] = [
    Rule("nn.functional.embedding_bag", "sparse=True: numpyflow has no sparse tensors", when=kwarg("sparse", True)),
    Rule("nn.functional.triplet_margin_with_distance_loss", "distance_function is a PyTorch module object, which the harness cannot convert", when=lambda s: "distance_function" in s.kwargs),
    Rule("linalg.svd", "singular vectors' signs: a free choice that numpy's and PyTorch's LAPACK builds make differently"),
    Rule("linalg.eigh", "eigenvectors' signs: a free choice that numpy's and PyTorch's LAPACK builds make differently"),
    Rule("svd", "singular vectors' signs: a free choice that numpy's and PyTorch's LAPACK builds make differently"),
    Rule("*", "a memory format other than the default: numpyflow has no channels_last (layout is each op's private choice)", when=non_default_memory_format),
    Rule("*", "complex tensors: outside numpyflow's real-valued autograd", when=holds_dtype(*COMPLEX)),
    Rule("*", "bfloat16: numpy has no bfloat16", when=holds_dtype(torch.bfloat16)),
    Rule("*", "a torch.Generator argument: numpyflow draws from its own generators", when=holds(torch.Generator)),
    Rule("nn.functional.embedding", "sparse=True: numpyflow has no sparse tensors (so no sparse gradients)", when=kwarg("sparse", True)),
    Rule("sort", "ties: which index of equal elements comes first is PyTorch's unspecified choice (stable=False)", when=has_ties),
    Rule("argsort", "ties: which index of equal elements comes first is PyTorch's unspecified choice (stable=False)", when=has_ties),
    Rule("topk", "ties: which index of equal elements topk returns is unspecified", when=has_ties),
    Rule("kthvalue", "ties: which index of equal elements kthvalue returns is unspecified", when=has_ties),
    Rule("mode", "ties: which index of the modal value mode returns is unspecified", when=has_ties),
    Rule("gather", "an empty index of another rank than the input: PyTorch skips its rank check for an empty index, a quirk rather than API", when=empty_index_of_other_rank),
]
# fmt: on

SKIPS = MISSING + CANNOT


# ----------------------------------------------------------------------------- the cases


class KnownBug(Exception):
    """A BUGS line reproduced: the strict xfail marker of its case expects exactly this."""


def _bug_lines(key, dtype):
    return [r for r in BUGS if r.op == key and (not r.dtypes or dtype in r.dtypes)]


def _cases():
    """One case per (OpInfo numpyflow has, dtype both take); a case a BUGS line names is a
    strict expected failure, so its fix is reported ([XPASS(strict)]) until the line goes."""
    cases = []
    for opinfo in op_db:
        if resolve(opinfo) is None:
            continue
        key, supported = op_key(opinfo), opinfo.supported_dtypes("cpu")
        for dtype in DTYPES:
            if dtype not in supported:
                continue
            bugs = _bug_lines(key, dtype)
            marks = [pytest.mark.xfail(strict=True, raises=KnownBug, reason=" / ".join(r.reason for r in bugs))]
            case_id = f"{key}-{str(dtype).replace('torch.', '')}"
            cases.append(pytest.param(opinfo, dtype, id=case_id, marks=marks if bugs else ()))
    return cases


CASES = _cases()


def _first(rules, key, dtype, sample):
    return next((rule for rule in rules if rule.matches(key, dtype, sample)), None)


@dataclass
class Outcome:
    """What one (op, dtype) case found, sample by sample."""

    ran: int = 0
    passed: int = 0
    skipped: dict = field(default_factory=dict)  # reason -> number of samples
    failures: list = field(default_factory=list)  # "sample i (...): problems"
    expected: set = field(default_factory=set)  # bug reasons that reproduced
    fixed: set = field(default_factory=set)  # bug reasons whose samples all passed


def _spread(items, n):
    """Up to ``n`` of ``items``, evenly spaced, first and last included."""
    if len(items) <= n:
        return items
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))]


def pick_samples(opinfo, dtype, out: Outcome):
    """The OpInfo's samples less those a SKIPS line explains (counted in ``out``), as
    ``(index, sample, bug line or None)``: up to MAX_SAMPLES spread evenly over them, and as
    many again over the ones a BUGS line concerns, so a known bug is always looked at.
    Float64 samples require grad."""
    key = op_key(opinfo)
    requires_grad = dtype == torch.float64 and opinfo.supports_autograd
    # The generator that opinfo.sample_inputs wraps, called directly: the wrapper reseeds per
    # sample and inspects the call stack for a test name, which costs more than the samples.
    with cpu_rng(0):
        samples = list(enumerate(opinfo.sample_inputs_func(opinfo, "cpu", dtype, requires_grad)))
    plain, known = [], []
    for index, sample in samples:
        skip = _first(SKIPS, key, dtype, sample)
        if skip is not None:
            out.skipped[skip.reason] = out.skipped.get(skip.reason, 0) + 1
            continue
        bug = _first(BUGS, key, dtype, sample)
        (plain if bug is None else known).append((index, sample, bug))
    picked = sorted(_spread(plain, MAX_SAMPLES) + _spread(known, MAX_SAMPLES), key=lambda p: p[0])
    return picked, requires_grad


def check_case(opinfo, dtype) -> Outcome:
    """The picked samples of ``opinfo`` in ``dtype`` through both libraries, judged by the tables."""
    fn = numpyflow_callable(opinfo)
    out = Outcome()
    samples, check_grad = pick_samples(opinfo, dtype, out)
    for index, sample, bug in samples:
        try:
            problems = run_sample(opinfo, fn, sample, check_grad, seed=index)
        except Unsupported as e:
            problems = [f"holds {e}, which numpyflow has no counterpart for and no table line explains"]
        out.ran += 1
        out.passed += not problems
        if bug is not None:
            (out.expected if problems else out.fixed).add(bug.reason)
        elif problems:
            out.failures.append(f"sample {index} {describe(sample)}:\n    " + "\n    ".join(problems))
    out.fixed -= out.expected
    return out


@pytest.mark.parametrize("opinfo,dtype", CASES)
def test_op_matches_pytorch(opinfo, dtype):
    """Values, dtypes, shapes (and float64 gradients) of the picked samples match PyTorch's."""
    out = check_case(opinfo, dtype)
    key = op_key(opinfo)
    if out.failures:
        head = f"{key} ({dtype}): {len(out.failures)} of {out.ran} samples differ from PyTorch"
        pytest.fail(head + "\n" + "\n".join(out.failures[:6]))
    if out.fixed and out.expected:
        pytest.fail(f"fixed, so delete its BUGS line: {' / '.join(sorted(out.fixed))}")
    if out.expected:
        raise KnownBug(" / ".join(sorted(out.expected)))
    if out.fixed:
        return  # the strict xfail marker reports it: [XPASS(strict)] with the BUGS line
    if out.ran == 0:
        pytest.skip("; ".join(sorted(out.skipped)) or "the OpInfo has no samples for this dtype")
    if _bug_lines(key, dtype):
        pytest.fail(f"a BUGS line names {key} ({dtype}) but matches none of its picked samples: narrow its dtypes")


def test_every_table_line_names_an_op_numpyflow_has():
    """A line for an op that is misspelled, or that numpyflow no longer has, is stale."""
    keys = {op_key(o) for o in op_db if resolve(o) is not None}
    stale = [r for r in SKIPS + BUGS if r.op != "*" and r.op not in keys]
    assert not stale, f"table lines for ops op_db has not or numpyflow lacks: {[r.op for r in stale]}"


def test_the_mapping_finds_core_ops():
    """The automatic name mapping is doing its job (guards against a silently empty CASES)."""
    keys = {op_key(o) for o in op_db if resolve(o) is not None}
    assert {"add", "matmul", "sum", "nn.functional.conv2d", "nn.functional.relu", "T", "__radd__"} <= keys
