"""A per-op profiler: time spent in each op type, forward and backward.

    with nf.profiler.profile() as prof:
        loss = criterion(model(x), y)
        loss.backward()
    print(prof.table())

or for a whole program: ``NUMPYFLOW_PROFILE=1 python train.py`` prints the table at exit.
Profiling swaps in timed versions of ``Function.apply`` and of the backward call, so it
costs nothing when off.  Times are self times: an op's backward excludes the ops its
backward applies (those are counted under their own names), so the column sums add up
to the time spent in ops.
"""
from __future__ import annotations

import atexit
import os
import sys
import time
from collections import defaultdict

from .autograd import function as _function

_active = []  # the profiles recording now (innermost last)


class profile:
    """Context manager recording per-op timings; ``table()`` formats them."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.forward = defaultdict(lambda: [0, 0.0])   # name -> [calls, seconds]
        self.backward = defaultdict(lambda: [0, 0.0])
        self.wall = 0.0

    def __enter__(self):
        if self.enabled:
            if not _active:
                _install()
            _active.append(self)
            self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.wall += time.perf_counter() - self._start
            _active.remove(self)
            if not _active:
                _uninstall()
        return False

    def totals(self):
        """``{op name: (calls, forward seconds, backward seconds)}``."""
        names = set(self.forward) | set(self.backward)
        return {n: (self.forward[n][0], self.forward[n][1], self.backward[n][1]) for n in names}

    def table(self, limit: int = 30) -> str:
        """The ops sorted by total time, with calls, forward and backward milliseconds."""
        rows = sorted(self.totals().items(), key=lambda kv: -(kv[1][1] + kv[1][2]))
        total = sum(f + b for _, f, b in self.totals().values()) or 1e-12
        lines = [f"{'op':28s} {'calls':>8s} {'forward ms':>11s} {'backward ms':>12s} {'total %':>8s}"]
        for name, (calls, f, b) in rows[:limit]:
            lines.append(f"{name:28s} {calls:8d} {1e3 * f:11.2f} {1e3 * b:12.2f} {100 * (f + b) / total:7.1f}%")
        lines.append(f"{'wall time in profile':28s} {'':8s} {1e3 * self.wall:11.2f} ms")
        return "\n".join(lines)


_original_apply = _function.Function.__dict__["apply"]
_original_run_backward = _function.Function._run_backward


_children = []  # one running total of nested-op time per active timed call


def _timed(record, name, call, *args):
    _children.append(0.0)
    start = time.perf_counter()
    try:
        return call(*args)
    finally:
        elapsed = time.perf_counter() - start
        own = elapsed - _children.pop()
        if _children:
            _children[-1] += elapsed
        for prof in _active:
            entry = getattr(prof, record)[name]
            entry[0] += 1
            entry[1] += own


def _name(cls):
    return cls.__dict__.get("_public_name", cls.__name__)


def _timed_apply(cls, *args):
    return _timed("forward", _name(cls), _original_apply.__func__, cls, *args)


def _timed_run_backward(self, grads):
    return _timed("backward", _name(type(self)), _original_run_backward, self, grads)


def _install():
    _function.Function.apply = classmethod(_timed_apply)
    _function.Function._run_backward = _timed_run_backward


def _uninstall():
    _function.Function.apply = _original_apply
    _function.Function._run_backward = _original_run_backward


if os.environ.get("NUMPYFLOW_PROFILE"):
    _whole_program = profile().__enter__()

    @atexit.register
    def _report():
        _whole_program.__exit__(None, None, None)
        print(_whole_program.table(), file=sys.stderr)
