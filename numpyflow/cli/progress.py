"""A one-line progress bar for training epochs (loss, accuracy, images/s, ETA)."""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (CI, a log file) prints a line every
    ``log_every`` seconds so logs stay short."""

    def __init__(self, total: int, desc: str = "", stream=None, width: int = 24, log_every: float = 30.0):
        self.total = max(total, 1)
        self.desc = desc
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.start = time.perf_counter()
        self._last_log = self.start
        self.done = 0

    def update(self, done: int, **stats):
        """Show progress after ``done`` of ``total`` steps with ``stats`` (name -> value)."""
        self.done = done
        now = time.perf_counter()
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        fields = " ".join(
            f"{k} {v:.4f}" if isinstance(v, float) and k != "img/s" else f"{k} {v:.0f}" if k == "img/s" else f"{k} {v}"
            for k, v in stats.items()
        )
        line = f"{self.desc} [{bar}] {done}/{self.total} {fields} ETA {_clock(eta)}"
        if self.tty:
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()
        elif now - self._last_log >= self.log_every or done == self.total:
            self._last_log = now
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
