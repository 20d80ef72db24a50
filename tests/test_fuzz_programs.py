"""Fuzzing against PyTorch: Hypothesis builds random programs (chains of 3-8 ops drawn
from elementwise (unary and broadcasting binary), reduction, along-a-dim (softmax,
cumsum), shape (flatten, transpose, permute, unsqueeze, expand), indexing (slices,
integer lists with repeats, boolean masks) and matmul ops, on random shapes, float32 and
float64 leaves mixed), runs each in numpyflow and in PyTorch, and compares the result's
dtype and values and the gradient of every leaf.  500 programs under CI
(``FUZZ_EXAMPLES`` sets the count)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 500 if os.environ.get("CI") else 120))


# -- the ops: name -> (applicable(shape), result shape, apply(lib, x, params, leaves)) --------
# Each op takes the current value; some draw parameters and fresh leaves while the program
# is built, so both libraries replay exactly the same program.

UNARY = {
    "tanh": lambda L, x: x.tanh(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "sin": lambda L, x: x.sin(),
    "exp_of_tanh": lambda L, x: x.tanh().exp(),
    "log_of_abs_plus_1": lambda L, x: (x.abs() + 1).log(),
    "sqrt_of_square_plus_1": lambda L, x: (x * x + 1).sqrt(),
    "neg": lambda L, x: -x,
    "square": lambda L, x: x * x,
    "relu": lambda L, x: L.relu(x),
    "clamp": lambda L, x: x.clamp(-0.5, 0.7),
    "cube": lambda L, x: x.pow(3),
}

BINARY = {
    "add": lambda L, x, y: x + y,
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / (y * y + 1),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "where": lambda L, x, y: L.where(x > y, x, y * 2),
}

REDUCE = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
}

ALONG = {  # shape-preserving ops along one dim
    "softmax": lambda x, d: x.softmax(d),
    "cumsum": lambda x, d: x.cumsum(d),
}


def _broadcast_partner(data, shape):
    """A shape that broadcasts with ``shape``: some dims set to 1, some leading dims dropped."""
    dims = [1 if data.draw(st.booleans()) else s for s in shape]
    drop = data.draw(st.integers(0, len(dims)))
    return tuple(dims[drop:])


def _draw_program(data):
    """``(leaves, steps)``: numpy arrays to make leaves from, and the ops to apply in order."""
    rng_seed = data.draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(rng_seed)
    leaves = []

    def leaf(shape, dtype=None):
        dtype = dtype or data.draw(st.sampled_from([np.float32, np.float64]))
        leaves.append(rng.standard_normal(shape).astype(dtype))
        return len(leaves) - 1

    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dtype = leaves[leaf(shape)].dtype  # the current value's dtype (float64 once any leaf is)
    steps = []
    for _ in range(data.draw(st.integers(3, 8))):
        kinds = ["unary", "binary", "shape"]
        if shape:
            kinds += ["reduce", "index", "matmul", "along"]
        kind = data.draw(st.sampled_from(kinds))
        if kind == "unary":
            steps.append(("unary", data.draw(st.sampled_from(sorted(UNARY)))))
        elif kind == "binary":
            partner = _broadcast_partner(data, shape)
            steps.append(("binary", data.draw(st.sampled_from(sorted(BINARY))), leaf(partner)))
            if (len(shape) == 0) == (len(partner) == 0):  # PyTorch: a 0-dim operand doesn't
                dtype = np.promote_types(dtype, leaves[-1].dtype)  # promote a dimensioned one
            elif not shape:
                dtype = leaves[-1].dtype
            shape = tuple(np.broadcast_shapes(shape, partner))
        elif kind == "along":
            steps.append(
                (
                    "along",
                    data.draw(st.sampled_from(sorted(ALONG))),
                    data.draw(st.integers(-len(shape), len(shape) - 1)),
                )
            )
        elif kind == "reduce":
            d = data.draw(st.integers(-len(shape), len(shape) - 1))
            keep = data.draw(st.booleans())
            name = data.draw(st.sampled_from(sorted(REDUCE)))
            if name == "var" and shape[d] < 2:  # one sample: NaN by definition, both agree
                name = "mean"
            steps.append(("reduce", name, d, keep))
            shape = (
                tuple(1 if i == d % len(shape) else s for i, s in enumerate(shape))
                if keep
                else tuple(s for i, s in enumerate(shape) if i != d % len(shape))
            )
        elif kind == "shape":
            choices = (
                ["flatten"]
                + (["transpose", "permute"] if len(shape) >= 2 else [])
                + (["unsqueeze"] if len(shape) < 4 else [])
                + (["expand"] if 1 in shape else [])
            )
            op = data.draw(st.sampled_from(choices))
            if op == "flatten":
                steps.append(("flatten",))
                shape = (int(np.prod(shape)),)
            elif op == "transpose":
                a, b = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2, unique=True))
                steps.append(("transpose", a, b))
                s = list(shape)
                s[a], s[b] = s[b], s[a]
                shape = tuple(s)
            elif op == "permute":
                order = tuple(data.draw(st.permutations(range(len(shape)))))
                steps.append(("permute", order))
                shape = tuple(shape[i] for i in order)
            elif op == "unsqueeze":
                d = data.draw(st.integers(0, len(shape)))
                steps.append(("unsqueeze", d))
                shape = shape[:d] + (1,) + shape[d:]
            else:  # expand the size-1 dims
                shape = tuple(data.draw(st.integers(1, 3)) if s == 1 else s for s in shape)
                steps.append(("expand", shape))
        elif kind == "index":
            d = data.draw(st.integers(0, len(shape) - 1))
            how = data.draw(st.sampled_from(["slice", "integers", "mask"]))
            if how == "slice":
                start = data.draw(st.integers(0, shape[d] - 1))
                stop = data.draw(st.integers(start + 1, shape[d]))
                step = data.draw(st.integers(1, 2))
                steps.append(("slice", d, start, stop, step))
                shape = shape[:d] + (len(range(start, stop, step)),) + shape[d + 1 :]
            elif how == "integers":  # repeats make the backward accumulate
                idx = data.draw(st.lists(st.integers(-shape[d], shape[d] - 1), min_size=1, max_size=5))
                steps.append(("take", d, idx))
                shape = shape[:d] + (len(idx),) + shape[d + 1 :]
            else:
                mask = data.draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0]).filter(any))
                steps.append(("mask", mask))
                shape = (sum(mask),) + shape[1:]
        else:
            k = data.draw(st.integers(1, 3))  # matmul needs equal dtypes, in PyTorch too
            steps.append(("matmul", leaf((shape[-1], k), dtype)))
            shape = shape[:-1] + (k,)
    return leaves, steps


def _run(L, leaves, steps):
    """Replay the program in library ``L`` (numpyflow or torch): ``(output, leaf tensors)``."""
    ts = [L.tensor(a.copy(), requires_grad=True) for a in leaves]
    x = ts[0]
    for step in steps:
        kind = step[0]
        if kind == "unary":
            x = UNARY[step[1]](L, x)
        elif kind == "binary":
            x = BINARY[step[1]](L, x, ts[step[2]])
        elif kind == "reduce":
            x = REDUCE[step[1]](x, step[2], step[3])
        elif kind == "along":
            x = ALONG[step[1]](x, step[2])
        elif kind == "expand":
            x = x.expand(*step[1])
        elif kind == "flatten":
            x = x.reshape(-1)
        elif kind == "transpose":
            x = x.transpose(step[1], step[2])
        elif kind == "permute":
            x = x.permute(*step[1])
        elif kind == "unsqueeze":
            x = x.unsqueeze(step[1])
        elif kind == "slice":
            _, d, start, stop, stride = step
            x = x[(slice(None),) * d + (slice(start, stop, stride),)]
        elif kind == "take":
            _, d, idx = step
            x = x[(slice(None),) * d + (L.tensor(idx),)]
        elif kind == "mask":
            x = x[L.tensor(step[1])]
        else:
            x = L.matmul(x, ts[step[1]])
    return x, ts


def _close(ours, theirs, what, float32, exact=None):
    """``ours`` matches PyTorch's ``theirs``.  In float32 an ill-conditioned step (tanh or
    sigmoid near saturation, a difference of near-equal values) amplifies rounding past any
    fixed tolerance, in PyTorch as much as here; so where the two differ, ours must be about
    as close as PyTorch's to ``exact``, the same program run in float64."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch's {b.shape}"
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    rtol, atol = (2e-4, 2e-5 * scale) if float32 else (1e-9, 1e-11 * scale)
    if exact is not None:
        exact = np.asarray(exact, dtype=np.float64)
        as_accurate = np.abs(a - exact) <= 4 * np.abs(b - exact) + atol
        a = np.where(as_accurate, b, a)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def _compare(leaves, steps):
    """Run the program in both libraries and compare the output's dtype and values and every
    leaf's gradient (of a random weighting of the output)."""
    out_nf, leaves_nf = _run(nf, leaves, steps)
    out_pt, leaves_pt = _run(torch, leaves, steps)
    float32 = any(a.dtype == np.float32 for a in leaves)
    assert str(out_nf.dtype).replace("numpyflow.", "") == str(out_pt.dtype).replace("torch.", ""), (
        f"dtype {out_nf.dtype} vs PyTorch's {out_pt.dtype}"
    )
    weights = np.random.default_rng(len(steps)).standard_normal(tuple(out_pt.shape))
    (out_nf * nf.tensor(weights, dtype=out_nf.dtype)).sum().backward()
    (out_pt * torch.tensor(weights, dtype=out_pt.dtype)).sum().backward()
    exact = [None] * (len(leaves) + 1)
    if float32:
        out64, leaves64 = _run(torch, [a.astype(np.float64) for a in leaves], steps)
        (out64 * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        exact = [out64.detach().numpy()] + [None if t.grad is None else t.grad.numpy() for t in leaves64]
    _close(out_nf.detach().numpy(), out_pt.detach().numpy(), "output", float32, exact[0])
    for i, (a, b) in enumerate(zip(leaves_nf, leaves_pt)):
        assert (a.grad is None) == (b.grad is None), f"leaf {i}: gradient presence differs"
        if b.grad is not None:
            _close(a.grad.numpy(), b.grad.numpy(), f"gradient of leaf {i} {leaves[i].shape}", float32, exact[i + 1])


@needs_torch
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_random_programs_match_pytorch(data):
    leaves, steps = _draw_program(data)
    note(f"leaves: {[(a.shape, a.dtype.name) for a in leaves]}")
    note(f"steps: {steps}")
    _compare(leaves, steps)


SATURATED_TANH = [("unary", "cube"), ("unary", "exp_of_tanh"), ("unary", "cube")]


@needs_torch
def test_float32_through_a_saturated_tanh_is_as_accurate_as_pytorch():
    # Found by the fuzzer: tanh(x**3) at x = 2.04 is 1 - 8e-8, so 1 - tanh**2 in the backward
    # is a few float32 ulps: PyTorch's gradient is 28% below the float64 one, ours 44% above.
    leaf = np.random.default_rng(3).standard_normal(()).astype(np.float32)
    _compare([leaf], SATURATED_TANH)
    out_nf, (x_nf,) = _run(nf, [leaf], SATURATED_TANH)
    out_pt, (x_pt,) = _run(torch, [leaf], SATURATED_TANH)
    out_nf.backward()
    out_pt.backward()
    with pytest.raises(AssertionError, match="gradient"):  # why the float64 reference is needed
        _close(x_nf.grad.numpy(), x_pt.grad.numpy(), "gradient", True)
