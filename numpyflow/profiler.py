"""A per-op profiler: time spent in each op type, forward and backward.

    with nf.profiler.profile() as prof:
        loss = criterion(model(x), y)
        loss.backward()
    print(prof.table())

or for a whole program: ``NUMPYFLOW_PROFILE=1 python train.py`` prints the table at exit.
Profiling is a function hook (see ``numpyflow.autograd.function_hooks``), registered
only while a profile is open, so it costs nothing when off.  Times are self times: an
op's backward excludes the ops its backward applies (those are counted under their own
names), so the column sums add up to the time spent in ops.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections import defaultdict

from .autograd.function_hooks import FunctionHook

_active = []  # the profiles recording now (innermost last)


class profile:
    """Context manager recording per-op timings; ``table()`` formats them."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.forward = defaultdict(lambda: [0, 0.0])  # name -> [calls, seconds]
        self.backward = defaultdict(lambda: [0, 0.0])
        self.wall = 0.0

    def __enter__(self):
        if self.enabled:
            if not _active:
                _TIMER.__enter__()
            _active.append(self)
            self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.wall += time.perf_counter() - self._start
            _active.remove(self)
            if not _active:
                _TIMER.__exit__(None, None, None)
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


class _OpTimer(FunctionHook):
    """Times each op's forward and backward, less the time of the ops run inside it."""

    def __init__(self):
        self.running = []  # [start, seconds spent in nested ops] per op running now

    def _start(self):
        self.running.append([time.perf_counter(), 0.0])

    def _stop(self, record, function):
        start, nested = self.running.pop()
        elapsed = time.perf_counter() - start
        if self.running:
            self.running[-1][1] += elapsed
        name = function.op_name()
        for prof in _active:
            entry = getattr(prof, record)[name]
            entry[0] += 1
            entry[1] += elapsed - nested

    def forward_pre(self, function, args):
        self._start()

    def forward_post(self, function, args, outputs):
        self._stop("forward", function)

    def backward_pre(self, function, grads):
        self._start()

    def backward_post(self, function, grads, input_grads):
        self._stop("backward", function)


_TIMER = _OpTimer()


if os.environ.get("NUMPYFLOW_PROFILE"):
    _whole_program = profile().__enter__()

    @atexit.register
    def _report():
        _whole_program.__exit__(None, None, None)
        print(_whole_program.table(), file=sys.stderr)
