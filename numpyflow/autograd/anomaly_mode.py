"""Anomaly detection: ``nf.autograd.detect_anomaly()`` and ``set_detect_anomaly``.

With it on, every op checks what it produced: the first forward whose output, or
backward whose gradient, holds NaN or Inf raises a ``RuntimeError`` naming the op and
showing where in the program the op was called (for a backward, where its forward was
called).  It costs a check of every result and a stack capture per op, so it is for
debugging.  It is a function hook (see ``function_hooks``), registered only while on.
"""

from __future__ import annotations

import functools
import traceback

from .. import backend
from .function_hooks import FunctionHook, register_function_hook

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError"]


class _AnomalyHook(FunctionHook):
    """Checks each op's results; ops run inside a backward are checked as that
    backward's result, not alone."""

    def __init__(self):
        self.in_backward = 0

    def forward_post(self, function, args, outputs):
        if self.in_backward or outputs is None:
            return
        function._anomaly_frames = call_site()
        check_forward(function.op_name(), [None if o is None else o._data for o in outputs], function._anomaly_frames)

    def backward_pre(self, function, grads):
        self.in_backward += 1

    def backward_post(self, function, grads, input_grads):
        self.in_backward -= 1
        if input_grads is not None:
            check_backward(function.name(), input_grads, getattr(function, "_anomaly_frames", None))


class _State:
    """Whether anomaly detection is on: its hook is registered exactly while it is."""

    handle = None

    @property
    def enabled(self) -> bool:
        return self.handle is not None

    @enabled.setter
    def enabled(self, on: bool):
        if on and self.handle is None:
            self.handle = register_function_hook(_AnomalyHook())
        elif not on and self.handle is not None:
            self.handle.remove()
            self.handle = None


state = _State()


class AnomalyError(RuntimeError):
    """An op produced NaN or Inf while anomaly detection was on."""


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return state.enabled


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, or as a context manager that restores
    the previous setting on exit (as ``torch.autograd.set_detect_anomaly``)."""

    def __init__(self, mode: bool):
        self.previous = state.enabled
        state.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.previous
        return False


class detect_anomaly(set_detect_anomaly):
    """Context manager (or decorator) with anomaly detection on inside."""

    def __init__(self):
        self.previous = state.enabled

    def __enter__(self):
        state.enabled = True
        return self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly():
                return fn(*args, **kwargs)

        return wrapper


def call_site():
    """The stack of the op call being made, without NumpyFlow's own frames below the
    user's last one."""
    frames = traceback.extract_stack()[:-1]
    while frames and "/numpyflow/" in frames[-1].filename.replace("\\", "/"):
        frames.pop()
    return frames


def _bad(a):
    """``'nan'``, ``'inf'`` or None for an array (non-float arrays are never bad)."""
    if a is None or not backend.is_array(a) or a.dtype.kind not in "fc":
        return None
    xp = backend.array_module(a)
    if bool(xp.isfinite(a).all()):
        return None
    return "nan" if bool(xp.isnan(a).any()) else "inf"


def _where(frames) -> str:
    if not frames:
        return "  (no Python frames outside NumpyFlow)"
    return "".join(traceback.format_list(frames)).rstrip()


def check_forward(name: str, outputs, frames):
    """Raise when a forward output holds NaN or Inf."""
    for i, o in enumerate(outputs):
        bad = _bad(o)
        if bad:
            raise AnomalyError(
                f"Function '{name}' returned {bad} values in its {i}th output (forward). "
                f"The op was called at:\n{_where(frames)}"
            )


def check_backward(name: str, grads, frames):
    """Raise when a gradient returned by a backward holds NaN or Inf."""
    for i, g in enumerate(grads):
        bad = _bad(None if g is None else g._data)
        if bad:
            raise AnomalyError(
                f"Function '{name}' returned {bad} values in its {i}th output (backward). "
                f"Its forward was called at:\n{_where(frames)}"
            )
