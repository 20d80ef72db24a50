"""What a run writes besides checkpoints: ``metrics.csv`` (one row per evaluation),
``steps.csv`` (one row per training step) and ``curves.png`` (both drawn together)."""

from __future__ import annotations

import csv
import os
import warnings

FIELDS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "epoch_seconds", "images_per_second"]
STEP_FIELDS = ["step", "epoch", "loss", "acc", "lr", "grad_norm", "seconds", "images_per_second"]

# What curves.png shows of an image classifier's run: one panel per (y label, per-step curve,
# per-evaluation curves).  The per-step curve is (steps.csv key, legend, scale, smoothed) or
# None; each per-evaluation curve is (metrics key, legend, scale).
PANELS = (
    ("cross-entropy loss", ("loss", "train", 1, True), (("test_loss", "test", 1),)),
    ("accuracy (%)", ("acc", "train", 100, True), (("test_acc", "test", 100),)),
    ("learning rate", ("lr", None, 1, False), ()),
)


def write_metrics(path: str, history: list[dict], fields=FIELDS) -> None:
    """Rewrite ``metrics.csv`` with one row per evaluation, the columns ``fields`` (atomically)."""
    tmp = path + ".part"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in history:
            writer.writerow({k: row.get(k, "") for k in fields})
    os.replace(tmp, path)


def read_steps(path: str) -> list[dict]:
    """The rows of a ``steps.csv`` (numbers as ``int`` or ``float``); a row cut short by a
    crash is left out."""
    rows = []
    with open(path, newline="") as f:
        for raw in csv.DictReader(f):
            try:
                rows.append({k: int(v) if k == "step" else float(v) for k, v in raw.items() if v not in ("", None)})
            except (TypeError, ValueError):
                continue
    return [r for r in rows if "step" in r]


class StepLog:
    """``steps.csv``: one row per training step, with the columns ``fields``.

    Rows wait in memory until :meth:`flush`, which the run calls when it writes a
    checkpoint, so the file holds the steps the checkpoint has seen.  Resuming from the
    checkpoint of step ``resume_step`` keeps the file's rows up to that step and drops any
    after it (written before a crash), so no step appears twice; a fresh run starts the
    file anew.  ``rows`` holds every row, for the plots."""

    def __init__(self, path: str, fields=STEP_FIELDS, resume_step: int | None = None):
        self.path, self.fields = path, list(fields)
        self.rows: list[dict] = []
        if resume_step is not None and os.path.exists(path):
            self.rows = [r for r in read_steps(path) if r["step"] <= resume_step]
        self._pending: list[dict] = []
        self._rewrite = True  # the first flush writes the whole file: a fresh start, or the kept rows

    def add(self, row: dict) -> None:
        """Record one step's ``row`` (a dict with at least ``step``)."""
        self.rows.append(row)
        self._pending.append(row)

    def flush(self) -> None:
        """Write the rows recorded since the last flush (the first flush rewrites the file,
        atomically)."""
        if self._rewrite:
            tmp = self.path + ".part"
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(self.rows)
            os.replace(tmp, self.path)
            self._rewrite = False
        elif self._pending:
            with open(self.path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore").writerows(self._pending)
        self._pending = []


def smooth(values, weight: float | None = None) -> list[float]:
    """An exponential moving average of ``values``, debiased as TensorBoard's smoothing is
    (the first points are not pulled towards zero); ``weight`` defaults to one that grows
    with the number of points (none for 10 or fewer, at most 0.98)."""
    n = len(values)
    if weight is None:
        weight = min(0.98, max(0.0, 1 - 10 / max(n, 1)))
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**i))
    return out


def plot_curves(
    path: str,
    history: list[dict],
    title: str = "",
    x: str = "epoch",
    panels=PANELS,
    steps: list[dict] = (),
) -> bool:
    """``curves.png``: for each of ``panels``, the per-step curve of ``steps`` (smoothed,
    the raw values faint) and the per-evaluation curves of ``history``, against their ``x``
    column (whole-number ticks); False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        warnings.warn("matplotlib is not installed: no curves.png (pip install matplotlib)", stacklevel=2)
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (ylabel, step_curve, curves) in zip(axes[0], panels):
        if step_curve is not None:
            key, label, scale, smoothed = step_curve
            points = [(r[x], scale * r[key]) for r in steps if key in r and x in r]
            if points:
                xs, ys = zip(*points)
                if smoothed:
                    (raw,) = ax.plot(xs, ys, alpha=0.25, linewidth=0.8)
                    ax.plot(xs, smooth(ys), color=raw.get_color(), label=f"{label} (per step, smoothed)")
                else:
                    ax.plot(xs, ys, label=label)
        for key, label, scale in curves:
            points = [(r[x], scale * r[key]) for r in history if key in r]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker="o", label=label)
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    tmp = path + ".part.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return True
