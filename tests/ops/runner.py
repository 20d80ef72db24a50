"""The four checks every op case goes through (see cases.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import make_values
from reference import assert_close, needs_torch, torch

import numpyflow as nf

MAX_GRADCHECK_ELEMENTS = 40


def _arrays(case, shapes, rng, dtype=np.float64):
    kinds = case.values if isinstance(case.values, tuple) else (case.values,) * len(shapes)
    arrays = [make_values(k, s, rng, dtype) for k, s in zip(kinds, shapes)]
    extras = case.extra(rng, shapes) if case.extra else []
    return arrays, extras


def _run(lib, case, arrays, extras, requires_grad):
    tensors = [lib.tensor(a, requires_grad=requires_grad) for a in arrays]
    out = case.fn(lib, *tensors, *(lib.tensor(e) for e in extras))
    return tensors, (out if isinstance(out, tuple) else (out,))


def _float_outputs(outs):
    return [
        o
        for o in outs
        if o.dtype in (nf.float32, nf.float64) or (torch is not None and o.dtype in (torch.float32, torch.float64))
    ]


def _ids(pairs):
    return [f"{case.name}-{'x'.join(str(s) for s in shapes)}" for case, shapes in pairs]


def _params(cases, grad=False):
    pairs = []
    for case in cases:
        shapes_list = (case.grad_shapes or case.shapes) if grad else case.shapes
        for shapes in shapes_list:
            if grad and sum(math.prod(s) for s in shapes) > MAX_GRADCHECK_ELEMENTS:
                continue
            pairs.append((case, shapes))
    return pairs


def op_tests(cases):
    """The parametrized tests for ``cases``: assign them to ``test_*`` names in a module."""
    all_pairs = _params(cases)
    grad_pairs = _params([c for c in cases if c.differentiable and c.finite_differences], grad=True)
    second_pairs = _params([c for c in cases if c.differentiable and c.second and c.finite_differences], grad=True)

    @needs_torch
    @pytest.mark.parametrize("case,shapes", all_pairs, ids=_ids(all_pairs))
    def test_matches_pytorch(case, shapes):
        """Forward values and gradients equal PyTorch's (float64)."""
        rng = np.random.default_rng(0)
        arrays, extras = _arrays(case, shapes, rng)
        ours_in, ours = _run(nf, case, arrays, extras, case.differentiable)
        theirs_in, theirs = _run(torch, case, arrays, extras, case.differentiable)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_close(o, t, rtol=case.rtol, atol=1e-12, what=f"{case.name} forward")
            assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (
                f"{case.name}: dtype {o.dtype} vs {t.dtype}"
            )
        if not case.differentiable or not case.reference_grad:
            return
        pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
        if not pairs:
            return
        seeds = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
        nf.autograd.backward([o for o, _ in pairs], [nf.tensor(s) for s in seeds])
        torch.autograd.backward([t for _, t in pairs], [torch.tensor(s) for s in seeds])
        for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
            if b.grad is None:
                assert a.grad is None or not np.any(a.grad.numpy()), (
                    f"{case.name}: input {i} got a gradient, PyTorch's is None"
                )
            else:
                assert a.grad is not None, f"{case.name}: input {i} got no gradient"
                assert_close(a.grad, b.grad, rtol=case.rtol, atol=1e-12, what=f"{case.name} grad of input {i}")

    @pytest.mark.parametrize("case,shapes", grad_pairs, ids=_ids(grad_pairs))
    def test_gradcheck(case, shapes):
        """Gradients equal central finite differences (float64)."""
        rng = np.random.default_rng(1)
        arrays, extras = _arrays(case, shapes, rng)
        ext = [nf.tensor(e) for e in extras]
        inputs = [nf.tensor(a, requires_grad=True) for a in arrays]
        assert nf.autograd.gradcheck(lambda *ts: case.fn(nf, *ts, *ext), inputs)

    @pytest.mark.parametrize("case,shapes", second_pairs, ids=_ids(second_pairs))
    def test_gradgradcheck(case, shapes):
        """Second derivatives (backward of backward) equal finite differences of gradients."""
        rng = np.random.default_rng(2)
        arrays, extras = _arrays(case, shapes, rng)
        ext = [nf.tensor(e) for e in extras]
        inputs = [nf.tensor(a, requires_grad=True) for a in arrays]
        assert nf.autograd.gradgradcheck(lambda *ts: case.fn(nf, *ts, *ext), inputs, atol=1e-4)

    @pytest.mark.parametrize("case,shapes", all_pairs, ids=_ids(all_pairs))
    def test_float32_stays_float32(case, shapes):
        """float32 inputs give float32 outputs and float32 gradients."""
        rng = np.random.default_rng(3)
        arrays, extras = _arrays(case, shapes, rng, np.float32)
        inputs, outs = _run(nf, case, arrays, extras, case.differentiable)
        floats = [o for o in outs if o.is_floating_point()]
        for o in floats:
            assert o.dtype == nf.float32, f"{case.name}: output is {o.dtype}"
        if not case.differentiable:
            return
        diff = [o for o in floats if o.requires_grad]
        if diff:
            nf.autograd.backward(diff, [nf.ones_like(o) for o in diff])
        for t in inputs:
            if t.grad is not None:
                assert t.grad.dtype == nf.float32, f"{case.name}: gradient is {t.grad.dtype}"

    return test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32
