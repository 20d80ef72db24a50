"""Whether ops record a graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``. Each works as a context manager and as a decorator; the switch is
per thread, as in PyTorch."""

from __future__ import annotations

import functools
import threading

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]


class _State(threading.local):
    enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    """True when new ops record the graph for backward."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return state.inference


class _GradMode:
    """Base of the grad-mode switches: set a mode on enter, restore it on exit.

    The same object may be entered again (a decorated recursive function), so the
    modes to restore are kept on a stack.
    """

    def _target(self) -> tuple[bool, bool]:  # (grad enabled, inference)
        raise NotImplementedError

    def __enter__(self):
        self.__dict__.setdefault("_stack", []).append((state.enabled, state.inference))
        state.enabled, state.inference = self._target()

    def __exit__(self, *exc):
        state.enabled, state.inference = self._stack.pop()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops inside run without recording a graph (saves memory and time)."""

    def _target(self):
        return False, state.inference


class enable_grad(_GradMode):
    """Ops inside record a graph even within ``no_grad``."""

    def _target(self):
        return True, False


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: as a plain call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = state.enabled
        self._just_made = True
        state.enabled = self.mode  # a plain call switches right away, as in PyTorch

    def _target(self):
        return self.mode, state.inference and not self.mode

    def __enter__(self):
        # Right after construction the mode has already switched: on exit, go back to
        # what was there before the constructor ran.
        before = (self._previous if self._just_made else state.enabled, state.inference)
        self._just_made = False
        self.__dict__.setdefault("_stack", []).append(before)
        state.enabled, state.inference = self._target()

    def __call__(self, func):
        state.enabled = self._previous  # used as a decorator: nothing switches until called
        self._just_made = False
        return super().__call__(func)


class inference_mode(_GradMode):
    """Like ``no_grad``, for code that will never need gradients."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _target(self):
        if self.mode:
            return False, True
        return state.enabled, False
