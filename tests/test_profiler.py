"""numpyflow/profiler.py: per-op forward/backward times, off by default."""

import numpyflow as nf
from numpyflow.autograd.function import Function


def test_profile_counts_ops_forward_and_backward_and_restores_apply():
    original = Function.__dict__["apply"]
    x = nf.randn(4, 3, requires_grad=True)
    with nf.profiler.profile() as prof:
        y = (x.exp() * 2).sum()
        y.backward()
    totals = prof.totals()
    assert totals["Exp"][0] == 1 and totals["Exp"][1] > 0 and totals["Exp"][2] > 0
    assert totals["Sum"][0] == 1
    assert "Exp" in prof.table() and "wall time" in prof.table()
    assert Function.__dict__["apply"] is original


def test_nested_profiles_both_record():
    with nf.profiler.profile() as outer:
        nf.ones(2) + 1
        with nf.profiler.profile() as inner:
            nf.ones(2) * 3
    assert "Mul" in inner.totals() and "Add" not in inner.totals()
    assert {"Add", "Mul"} <= set(outer.totals())
