"""Hypothesis properties: numpyflow against PyTorch (CPU) over random shapes, dtypes and
index expressions, forward values and gradients.

Every property builds the same inputs for both libraries from numpy arrays, runs the op,
seeds ``backward`` with the same random upstream gradient, and compares values, dtypes
and gradients to a tolerance chosen by dtype.  Plain regression tests for the minimal
cases the properties found sit at the end of the file.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reference import needs_torch, torch

import numpyflow as nf

DTYPES = (np.float32, np.float64)


# -- helpers --------------------------------------------------------------------------------


def tol(*dtypes_):
    """Tolerances for comparing results of these dtypes (the loosest one wins)."""
    if any(np.dtype(d) == np.float32 for d in dtypes_):
        return dict(rtol=1e-5, atol=1e-5)
    return dict(rtol=1e-10, atol=1e-12)


def arr(t):
    """numpy values of a numpyflow or torch tensor."""
    return np.asarray(t.detach().numpy())


def np_dtype_of_torch(t):
    return np.dtype(str(t.dtype).replace("torch.", ""))


def check(ours, theirs, what, dtype_too=True, compute=()):
    """Same shape, dtype (optionally) and values (to the tolerance of the loosest of their
    dtypes and the ``compute`` dtypes the result went through)."""
    assert ours is not None, f"{what}: numpyflow gave None, PyTorch gave {theirs}"
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != PyTorch's {b.shape}"
    if dtype_too:
        assert a.dtype == np_dtype_of_torch(theirs), f"{what}: dtype {a.dtype} != PyTorch's {theirs.dtype}"
    if a.dtype.kind in "biu" or b.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, equal_nan=True, err_msg=what, **tol(a.dtype, b.dtype, *compute))


def nf_leaf(a, grad=True):
    return nf.tensor(np.array(a, copy=True), requires_grad=grad)


def torch_leaf(a, grad=True):
    return torch.tensor(np.array(a, copy=True), requires_grad=grad)


def check_grad(ours_leaf, theirs_leaf, what, compute=()):
    tg = theirs_leaf.grad
    if tg is None:  # PyTorch gives no gradient (e.g. the output was empty): zeros or None
        og = ours_leaf.grad
        if og is not None:
            assert not arr(og).any(), f"{what}: PyTorch has no gradient, numpyflow has {og}"
        return
    check(ours_leaf.grad, tg, what, compute=compute)


seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from(DTYPES)


def values(rng, shape, dtype, kind="any"):
    """Random values of ``shape``: 'any' in [-3, 3] (a third of the time on a coarse grid,
    so ties and equal elements occur), 'nonzero' with |v| in [0.5, 3], 'positive' in [0.5, 2]."""
    if kind == "positive":
        v = rng.uniform(0.5, 2.0, shape)
    elif kind == "nonzero":
        v = rng.uniform(0.5, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == "grid" or rng.random() < 1 / 3:
        v = rng.integers(-2, 3, shape) * 0.5
    else:
        v = rng.uniform(-3.0, 3.0, shape)
    return np.asarray(v, dtype=dtype)


def upstream(rng, shape, dtype):
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


def backward_both(y_nf, y_t, rng):
    g = upstream(rng, tuple(y_t.shape), np_dtype_of_torch(y_t))
    y_t.backward(torch.from_numpy(g.copy()))
    y_nf.backward(nf.tensor(g.copy()))


# -- 1. binary elementwise ops over broadcastable shapes --------------------------------------

two_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4)
three_shapes = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=0, max_side=4)


@st.composite
def dtype_pairs(draw):
    """Both operands float32, both float64, or a mixed float32/float64 pair."""
    return draw(
        st.sampled_from(
            [(np.float32, np.float32), (np.float64, np.float64), (np.float32, np.float64), (np.float64, np.float32)]
        )
    )


def _remainder_operands(rng, shape_a, shape_b, dta, dtb):
    """Exactly representable operands whose quotient is never near an integer, so the
    floor (and so remainder and floor_divide) is unambiguous in both libraries, float32
    included: a = (2m + 1) / 16 in [-3, 3], b in {+-0.5, +-1, +-2}; a / b = odd / 2**j."""
    a = (2 * rng.integers(-24, 24, shape_a) + 1) / 16.0
    b = rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], shape_b)
    return np.asarray(a, dtype=dta), np.asarray(b, dtype=dtb)


# op name (the same in both libraries): (values of a, values of b, differentiable)
BINARY = {
    "add": ("any", "any", True),
    "sub": ("any", "any", True),
    "mul": ("any", "any", True),
    "div": ("any", "nonzero", True),
    "pow": ("positive", "any", True),
    "maximum": ("any", "any", True),
    "minimum": ("any", "any", True),
    "remainder": ("remainder", "remainder", True),
    "floor_divide": ("remainder", "remainder", False),  # PyTorch has no derivative for it
}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


@needs_torch
@pytest.mark.parametrize("op", sorted(BINARY))
@given(shapes=two_shapes, dts=dtype_pairs(), seed=seeds)
def test_binary_op_matches_pytorch_values_dtype_and_gradients(op, shapes, dts, seed):
    kind_a, kind_b, differentiable = BINARY[op]
    nf_fn, t_fn = getattr(nf, op), getattr(torch, op)
    (shape_a, shape_b), _ = shapes
    rng = np.random.default_rng(seed)
    if kind_a == "remainder":
        a, b = _remainder_operands(rng, shape_a, shape_b, *dts)
    else:
        a, b = values(rng, shape_a, dts[0], kind_a), values(rng, shape_b, dts[1], kind_b)
    note(f"a={a!r}\nb={b!r}")
    at, bt = torch_leaf(a, differentiable), torch_leaf(b, differentiable)
    an, bn = nf_leaf(a, differentiable), nf_leaf(b, differentiable)
    yt = t_fn(at, bt)
    yn = nf_fn(an, bn)
    check(yn, yt, f"{op} forward")
    if not differentiable:
        return
    backward_both(yn, yt, rng)
    # A 0-d float64 operand is computed in float32 next to a float32 tensor (PyTorch's
    # promotion), so mixed pairs get float32 tolerances throughout.
    check_grad(an, at, f"{op} gradient of the first operand", compute=dts)
    check_grad(bn, bt, f"{op} gradient of the second operand", compute=dts)


@needs_torch
@pytest.mark.parametrize("op", COMPARISONS)
@given(shapes=two_shapes, dts=dtype_pairs(), seed=seeds)
def test_comparison_matches_pytorch_and_is_bool(op, shapes, dts, seed):
    (shape_a, shape_b), _ = shapes
    rng = np.random.default_rng(seed)
    kind = "grid" if rng.random() < 0.5 else "any"  # many equal pairs: ties decide eq/le/ge
    a, b = values(rng, shape_a, dts[0], kind), values(rng, shape_b, dts[1], kind)
    yt = getattr(torch, op)(torch.tensor(a), torch.tensor(b))
    yn = getattr(nf, op)(nf.tensor(a), nf.tensor(b))
    assert yn.dtype == nf.bool
    assert not yn.requires_grad
    check(yn, yt, f"{op} forward")


@needs_torch
@given(shapes=three_shapes, dts=dtype_pairs(), seed=seeds)
def test_where_matches_pytorch_values_dtype_and_gradients(shapes, dts, seed):
    (shape_c, shape_a, shape_b), _ = shapes
    rng = np.random.default_rng(seed)
    cond = rng.random(shape_c) < 0.5
    a, b = values(rng, shape_a, dts[0]), values(rng, shape_b, dts[1])
    at, bt = torch_leaf(a), torch_leaf(b)
    an, bn = nf_leaf(a), nf_leaf(b)
    yt = torch.where(torch.tensor(cond), at, bt)
    yn = nf.where(nf.tensor(cond), an, bn)
    check(yn, yt, "where forward")
    backward_both(yn, yt, rng)
    check_grad(an, at, "where gradient of input", compute=dts)
    check_grad(bn, bt, "where gradient of other", compute=dts)


SCALAR_OPS = {
    "+": (lambda x, s: x + s, lambda x, s: s + x),
    "-": (lambda x, s: x - s, lambda x, s: s - x),
    "*": (lambda x, s: x * s, lambda x, s: s * x),
    "/": (lambda x, s: x / s, lambda x, s: s / x),
    "**": (lambda x, s: x**s, lambda x, s: s**x),
}


@needs_torch
@pytest.mark.parametrize("op", sorted(SCALAR_OPS))
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
    dtype=float_dtypes,
    seed=seeds,
    reflected=st.booleans(),
    scalar=st.sampled_from([0.5, 2.0, 3.0, -1.5, 2, -3]),
)
def test_python_scalar_operand_never_promotes(op, shape, dtype, seed, reflected, scalar):
    """``tensor op number`` and ``number op tensor`` keep the tensor's dtype, with PyTorch's
    values and gradient."""
    rng = np.random.default_rng(seed)
    kind = "any"
    if op == "/" and reflected or op == "**":
        kind = "positive"
    if op == "**" and reflected:
        scalar = abs(scalar)  # a positive base
    x = values(rng, shape, dtype, kind)
    fn = SCALAR_OPS[op][1 if reflected else 0]
    xt, xn = torch_leaf(x), nf_leaf(x)
    yt, yn = fn(xt, scalar), fn(xn, scalar)
    assert yn.dtype == xn.dtype
    check(yn, yt, f"x {op} {scalar} (reflected={reflected})")
    backward_both(yn, yt, rng)
    check_grad(xn, xt, f"gradient of x {op} {scalar} (reflected={reflected})")


# -- 2. matmul ------------------------------------------------------------------------------


@st.composite
def matmul_shapes(draw):
    """Shape pairs PyTorch's matmul accepts: 1-D and 2-D operands and batches whose batch
    dims broadcast (sizes 0 included)."""
    n, k, m = (draw(st.integers(0, 4)) for _ in range(3))
    (batch_a, batch_b), _ = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)
    )
    a_vec, b_vec = draw(st.booleans()), draw(st.booleans())
    shape_a = (k,) if a_vec else batch_a + (n, k)
    shape_b = (k,) if b_vec else batch_b + (k, m)
    return shape_a, shape_b


@needs_torch
@given(shapes=matmul_shapes(), dtype=float_dtypes, seed=seeds)
def test_matmul_matches_pytorch_values_and_gradients(shapes, dtype, seed):
    shape_a, shape_b = shapes
    rng = np.random.default_rng(seed)
    a, b = values(rng, shape_a, dtype), values(rng, shape_b, dtype)
    at, bt = torch_leaf(a), torch_leaf(b)
    an, bn = nf_leaf(a), nf_leaf(b)
    yt = torch.matmul(at, bt)
    yn = nf.matmul(an, bn)
    check(yn, yt, f"matmul {shape_a} @ {shape_b}")
    check(an @ bn, yt, "the @ operator")
    backward_both(yn, yt, rng)
    check_grad(an, at, "matmul gradient of the first operand")
    check_grad(bn, bt, "matmul gradient of the second operand")


@needs_torch
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul_of_mixed_float_dtypes_raises_like_pytorch(shapes, seed):
    shape_a, shape_b = shapes
    rng = np.random.default_rng(seed)
    a, b = values(rng, shape_a, np.float32), values(rng, shape_b, np.float64)
    try:
        torch.matmul(torch.tensor(a), torch.tensor(b))
    except RuntimeError:
        pass
    else:  # PyTorch lets some empty products through
        assume(False)
    with pytest.raises(RuntimeError):
        nf.matmul(nf.tensor(a), nf.tensor(b))


# -- 3. index expressions -------------------------------------------------------------------


@st.composite
def index_cases(draw):
    """(shape, index items) for a random tensor shape: ints, slices, None, at most one
    Ellipsis, int64 index arrays (repeats, several dims, broadcast among themselves) and
    boolean masks over the dims they cover (0-d included), mixed freely.  Arrays are numpy
    arrays here; ``to_index`` makes the numpyflow and torch versions."""
    shape = draw(
        st.one_of(
            hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5),
            hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
        )
    )
    ndim = len(shape)
    kinds = []  # (kind, number of dims consumed)
    consumed = 0
    for _ in range(draw(st.integers(0, 5))):
        if consumed < ndim:  # weighted: index arrays and masks are the interesting part
            options = ["slice", "int", "intarr", "mask", "none", "slice", "int", "intarr", "intarr", "mask"]
        else:
            options = ["none", "none", "mask"]
        if "ellipsis" not in [k for k, _ in kinds]:
            options.append("ellipsis")
        kind = draw(st.sampled_from(options))
        if kind == "mask":  # a mask over 1..all remaining dims, sometimes a 0-d one
            n = (
                draw(st.integers(0, ndim - consumed))
                if consumed == ndim or draw(st.integers(0, 5)) == 0
                else draw(st.integers(1, ndim - consumed))
            )
        else:
            n = 1 if kind in ("slice", "int", "intarr") else 0
        kinds.append((kind, n))
        consumed += n
    # The dims each item covers: before the Ellipsis from the front, after it from the back.
    starts = []
    if any(k == "ellipsis" for k, _ in kinds):
        e = [k for k, _ in kinds].index("ellipsis")
        pos = 0
        for _kind, n in kinds[:e]:
            starts.append(pos)
            pos += n
        starts.append(pos)
        pos = ndim - sum(n for _, n in kinds[e + 1 :])
        for _kind, n in kinds[e + 1 :]:
            starts.append(pos)
            pos += n
    else:
        pos = 0
        for _kind, n in kinds:
            starts.append(pos)
            pos += n
    items = [None] * len(kinds)
    masks_nnz = []
    for i, ((kind, n), d) in enumerate(zip(kinds, starts)):
        side = shape[d] if d < ndim else 0
        if kind == "int" and side == 0:
            kind = "slice"
        if kind == "slice":
            bound = st.one_of(st.none(), st.integers(-side - 2, side + 2))
            items[i] = slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3])))
        elif kind == "int":
            items[i] = draw(st.integers(-side, side - 1))
        elif kind == "none":
            items[i] = None
        elif kind == "ellipsis":
            items[i] = Ellipsis
        elif kind == "mask":
            m = draw(hnp.arrays(np.bool_, shape[d : d + n]))
            items[i] = m
            masks_nnz.append(int(m.sum()))
    arr_pos = [i for i, (k, _) in enumerate(kinds) if k == "intarr"]
    if arr_pos:
        base = (masks_nnz[0],) if masks_nnz else ()
        arr_shapes, _ = draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=len(arr_pos), base_shape=base, min_dims=0, max_dims=3, min_side=0, max_side=3
            )
        )
        for i, s in zip(arr_pos, arr_shapes):
            side = shape[starts[i]]
            if side == 0:
                assume(int(np.prod(s)) == 0)
                items[i] = np.zeros(s, np.int64)
            else:
                items[i] = draw(hnp.arrays(np.int64, s, elements=st.integers(-side, side - 1)))
    bare = len(items) == 1 and draw(st.booleans())
    return shape, items, bare


def to_index(items, bare, lib):
    """The index expression with arrays as ``lib`` tensors (the same values for both)."""
    conv = []
    for it in items:
        if isinstance(it, np.ndarray):
            conv.append(torch.from_numpy(it.copy()) if lib == "torch" else nf.tensor(it.copy()))
        else:
            conv.append(it)
    return conv[0] if bare else tuple(conv)


def describe(items, bare):
    parts = []
    for it in items:
        if isinstance(it, np.ndarray):
            parts.append(f"tensor({it.tolist()!r}, dtype={it.dtype})")
        elif isinstance(it, slice):
            parts.append(":".join("" if p is None else str(p) for p in (it.start, it.stop, it.step)))
        elif it is Ellipsis:
            parts.append("...")
        else:
            parts.append(repr(it))
    return "x[" + ", ".join(parts) + ("" if bare or len(parts) != 1 else ",") + "]"


@needs_torch
@given(case=index_cases(), dtype=float_dtypes, seed=seeds)
def test_getitem_matches_pytorch_values_and_gradient(case, dtype, seed):
    shape, items, bare = case
    note(f"shape={shape} {describe(items, bare)}")
    rng = np.random.default_rng(seed)
    x = values(rng, shape, dtype)
    xt = torch_leaf(x)
    try:
        yt = xt[to_index(items, bare, "torch")]
    except (IndexError, RuntimeError, ValueError, TypeError):
        assume(False)
    xn = nf_leaf(x)
    yn = xn[to_index(items, bare, "nf")]
    check(yn, yt, f"shape {shape}: {describe(items, bare)}")
    backward_both(yn, yt, rng)
    check_grad(xn, xt, f"gradient of {describe(items, bare)} (shape {shape})")


@st.composite
def value_shapes(draw, target):
    """A shape that broadcasts to ``target`` in assignment: leading dims dropped, some dims
    set to 1, or one extra leading 1."""
    target = tuple(target)
    drop = draw(st.integers(0, len(target)))
    shape = [1 if draw(st.booleans()) and draw(st.booleans()) else s for s in target[drop:]]
    if draw(st.integers(0, 4)) == 0:
        shape = [1] + shape
    return tuple(shape)


@needs_torch
@given(case=index_cases(), dtype=float_dtypes, seed=seeds, data=st.data())
def test_setitem_on_non_leaf_matches_pytorch_values_and_gradients(case, dtype, seed, data):
    shape, items, bare = case
    note(f"shape={shape} {describe(items, bare)}")
    rng = np.random.default_rng(seed)
    x = values(rng, shape, dtype)
    n = int(np.prod(shape))
    # Where two index positions name the same element, which write wins is undefined in
    # PyTorch: only indices naming each element once.
    try:
        positions = torch.arange(n).reshape(shape)[to_index(items, bare, "torch")]
    except (IndexError, RuntimeError, ValueError, TypeError):
        assume(False)
    assume(len(set(positions.reshape(-1).tolist())) == positions.numel())
    vshape = data.draw(value_shapes(tuple(positions.shape)), label="value shape")
    v = values(rng, vshape, dtype)
    xt, vt = torch_leaf(x), torch_leaf(v)
    yt = xt * 1
    try:
        yt[to_index(items, bare, "torch")] = vt
    except (IndexError, RuntimeError, ValueError, TypeError):
        assume(False)
    xn, vn = nf_leaf(x), nf_leaf(v)
    yn = xn * 1
    yn[to_index(items, bare, "nf")] = vn
    what = f"{describe(items, bare).replace('x[', 'y[', 1)} = value of shape {vshape} (y shape {shape})"
    check(yn, yt, what)
    backward_both(yn, yt, rng)
    check_grad(xn, xt, f"gradient of x through {what}")
    check_grad(vn, vt, f"gradient of the value in {what}")


# -- 4. reductions ----------------------------------------------------------------------------

REDUCTIONS = ("sum", "mean", "amax", "logsumexp", "var")


@st.composite
def reduction_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    ndim = len(shape)
    if ndim == 0:
        dim = draw(st.sampled_from([0, -1, (0,), (-1,)]))
    else:
        chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        signed = [d - ndim if draw(st.booleans()) else d for d in chosen]
        dim = signed[0] if len(signed) == 1 and draw(st.booleans()) else tuple(signed)
    return shape, dim, draw(st.booleans())


@needs_torch
@pytest.mark.parametrize("op", REDUCTIONS)
@given(case=reduction_cases(), dtype=float_dtypes, seed=seeds, correction=st.sampled_from([0, 1]))
def test_reduction_over_dims_matches_pytorch_values_and_gradient(op, case, dtype, seed, correction):
    shape, dim, keepdim = case
    rng = np.random.default_rng(seed)
    x = values(rng, shape, dtype)
    kwargs = dict(dim=dim, keepdim=keepdim)
    if op == "var":
        kwargs["correction"] = correction
    what = f"{op}(x of shape {shape}, {kwargs})"
    xt, xn = torch_leaf(x), nf_leaf(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # var with no degrees of freedom left warns in both libraries (and is nan)
        warnings.simplefilter("ignore", (RuntimeWarning, UserWarning))
        try:
            yt = getattr(torch, op)(xt, **kwargs)
        except (IndexError, RuntimeError, ValueError):  # e.g. amax over an empty dim
            with pytest.raises(Exception):
                getattr(nf, op)(xn, **kwargs)
            return
        yn = getattr(nf, op)(xn, **kwargs)
        check(yn, yt, what)
        backward_both(yn, yt, rng)
        check_grad(xn, xt, f"gradient of {what}")


# -- integer powers and negative padding ---------------------------------------------------------


INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


@needs_torch
@given(
    base_dtype=st.sampled_from(INT_DTYPES),
    exp_dtype=st.sampled_from(INT_DTYPES),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
    seed=seeds,
)
def test_integer_tensor_powers_match_pytorch_including_negative_exponents(base_dtype, exp_dtype, shape, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(-3, 4, size=shape).astype(base_dtype)  # wraps to large values for uint8
    exponent = rng.integers(-4, 5, size=shape).astype(exp_dtype)
    what = f"{base_dtype} {base.tolist()} ** {exp_dtype} {exponent.tolist()}"
    ours = nf.tensor(base) ** nf.tensor(exponent)
    theirs = torch.tensor(base) ** torch.tensor(exponent)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=what)


@st.composite
def negative_pads(draw):
    """A non-constant padding mode, an input with a batch and a channel dim, and a flat pad
    tuple with negative widths (down to empty dims and past them)."""
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    spatial = draw(st.lists(st.integers(1, 4), min_size=k, max_size=k))
    pad = draw(st.lists(st.integers(-5, 3), min_size=2 * k, max_size=2 * k))
    return mode, (2, 1, *spatial), tuple(pad)


@needs_torch
@given(case=negative_pads(), seed=seeds)
def test_negative_padding_matches_pytorch_or_both_raise(case, seed):
    mode, shape, pad = case
    if mode == "circular":
        # PyTorch reads outside the tensor when a pad is wider than what the crop leaves;
        # numpyflow refuses those (test_padding.py), so they are not compared here.
        for n, before, after in zip(shape[:1:-1], pad[::2], pad[1::2]):
            kept = n + min(before, 0) + min(after, 0)
            assume(n + before + after == 0 or max(before, after) <= kept)
    x = np.random.default_rng(seed).standard_normal(shape)
    what = f"pad(x of shape {shape}, {pad}, mode={mode!r})"
    note(what)
    try:
        theirs = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            nf.nn.functional.pad(nf.tensor(x), pad, mode=mode)
        return
    ours = nf.nn.functional.pad(nf.tensor(x), pad, mode=mode)
    check(ours, theirs, what)


# -- regressions: the minimal cases the properties found ------------------------------------------
# Expected values are PyTorch 2.13's, written out so these run without torch.


def _x234():
    return nf.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)


@pytest.mark.parametrize("expr", ["x[0, :, idx]", "x[nf.tensor(0), :, idx]"])
def test_int_index_apart_from_an_index_tensor_is_a_plain_select(expr):
    """PyTorch applies an int (or a 0-d int tensor) as a select before advanced indexing,
    so it never joins the index tensors and the indexed dims stay in place; numpy treats it
    as one more advanced index and moves the broadcast dims first."""
    x = _x234()
    idx = nf.tensor(np.array([0, 1]))  # noqa: F841  (used by the expression)
    y = eval(expr)
    assert tuple(y.shape) == (3, 2)  # numpyflow gave (2, 3)
    np.testing.assert_array_equal(y.detach().numpy(), [[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]])
    y.backward(nf.tensor(np.arange(6.0).reshape(3, 2)))
    expected = np.zeros((2, 3, 4))
    expected[0, :, :2] = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_int_index_then_none_then_index_tensor_keeps_the_new_axis_first():
    x = _x234()
    y = x[0, None, nf.tensor(np.array([0, 1]))]
    assert tuple(y.shape) == (1, 2, 4)  # numpyflow gave (2, 1, 4)
    np.testing.assert_array_equal(y.detach().numpy(), [np.arange(8.0).reshape(2, 4)])


def test_index_tensors_around_an_empty_ellipsis_count_as_adjacent():
    """An Ellipsis that covers no dims does not separate two index tensors in PyTorch, so
    their broadcast dim stays where they are; numpy moves it first."""
    x = _x234()
    idx = nf.tensor(np.array([0, 1, 2]))
    y = x[:, idx, ..., idx]
    assert tuple(y.shape) == (2, 3)  # numpyflow gave (3, 2)
    np.testing.assert_array_equal(y.detach().numpy(), [[0.0, 5.0, 10.0], [12.0, 17.0, 22.0]])


def test_setitem_of_a_single_element_accepts_a_value_with_leading_ones():
    """PyTorch strips a value's leading size-1 dims before assignment (``y[0] = v`` with
    v of shape (1,)); numpyflow raised ValueError ('setting an array element with a
    sequence')."""
    x = nf.zeros(3, requires_grad=True)
    v = nf.tensor([5.0], requires_grad=True)
    y = x * 1
    y[0] = v
    np.testing.assert_array_equal(y.detach().numpy(), [5.0, 0.0, 0.0])
    y.backward(nf.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(v.grad.numpy(), [1.0])


@pytest.mark.parametrize("n, correction", [(1, 1), (2, 2), (0, 0)])
def test_var_backward_without_degrees_of_freedom_gives_nan_not_zero_division(n, correction):
    """var over n elements with correction == n is nan, and so is its gradient (PyTorch);
    numpyflow's backward raised ZeroDivisionError."""
    x = nf.tensor(np.ones(n), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: "Degrees of freedom <= 0"
        y = nf.var(x, dim=0, correction=correction)
    assert np.isnan(y.item())
    y.backward()
    assert x.grad.shape == (n,)
    assert np.isnan(x.grad.numpy()).all()
