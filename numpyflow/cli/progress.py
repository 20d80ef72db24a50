"""Progress of a training pass: a ``tqdm`` bar (``tqdm.auto``, so a notebook gets its widget)
on a terminal or in Jupyter; elsewhere (CI, a log file), or without tqdm, a plain line every
``log_every`` seconds so logs stay short."""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_stats(stats: dict) -> str:
    """``stats`` (name -> value) as ``name value`` pairs: rates (names ending in ``/s``) as
    whole numbers, other floats to four decimals."""
    parts = []
    for k, v in stats.items():
        if k.endswith("/s"):
            parts.append(f"{k} {v:.0f}")
        elif isinstance(v, float):
            parts.append(f"{k} {v:.4f}")
        else:
            parts.append(f"{k} {v}")
    return " ".join(parts)


def tqdm_class():
    """``tqdm.auto.tqdm`` when tqdm is installed (the ``train`` extra), else None."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel, where tqdm.auto draws a widget."""
    try:
        from tqdm import autonotebook, std
    except ImportError:
        return False
    return autonotebook.tqdm is not std.tqdm


class ProgressBar:
    """Progress through ``total`` steps with running statistics (loss, accuracy, rate) and
    an ETA: a tqdm bar where one can be drawn (a terminal, or a notebook when ``stream`` is
    the default), else a line every ``log_every`` seconds and one at the end.  ``tqdm`` is
    the bar's class (default ``tqdm.auto.tqdm``), or False for the plain lines."""

    def __init__(self, total: int, desc: str = "", stream=None, log_every: float = 30.0, tqdm=None):
        self.total = max(total, 1)
        self.desc = desc
        self.stream = stream or sys.stderr
        self.log_every = log_every
        self.start = time.perf_counter()
        self._last_log = self.start
        self.done = 0
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        cls = tqdm_class() if tqdm is None else tqdm or None
        self.bar = None
        if cls is not None and (tty or (stream is None and in_notebook())):
            self.bar = cls(
                total=self.total,
                desc=desc,
                file=self.stream,
                leave=False,
                dynamic_ncols=True,
                unit="step",
                bar_format="{desc} {bar} {n_fmt}/{total_fmt} {postfix} ETA {remaining}",
            )

    def update(self, done: int, **stats):
        """Show progress after ``done`` of ``total`` steps with ``stats`` (name -> value)."""
        if self.bar is not None:
            self.bar.set_postfix_str(format_stats(stats), refresh=False)
            self.bar.update(done - self.done)
            self.done = done
            return
        self.done = done
        now = time.perf_counter()
        if now - self._last_log >= self.log_every or done == self.total:
            self._last_log = now
            elapsed = now - self.start
            eta = (self.total - done) * elapsed / done if done > 0 else 0.0
            line = f"{self.desc} {done}/{self.total} {format_stats(stats)} ETA {_clock(eta)}"
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self):
        """Clear the bar (the caller prints the pass's summary line after it)."""
        if self.bar is not None:
            self.bar.close()
