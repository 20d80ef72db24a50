"""numpyflow/cli/report.py: steps.csv across stops and resumes, the smoothing, and
curves.png drawn from per-step and per-epoch figures."""

import csv

import pytest

from numpyflow.cli import report


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _step(i):
    return {"step": i, "epoch": i / 4, "loss": 1.0 / i, "acc": 0.5, "lr": 0.1, "grad_norm": 2.0, "seconds": 0.1}


def test_step_log_writes_rows_only_at_flush_and_appends_without_a_second_header(tmp_path):
    path = tmp_path / "steps.csv"
    log = report.StepLog(str(path))
    for i in (1, 2):
        log.add(_step(i))
    assert not path.exists()  # nothing before the first checkpoint
    log.flush()
    log.add(_step(3))
    log.flush()
    log.flush()  # nothing new: nothing written
    rows = _rows(path)
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    assert rows[0].keys() == set(report.STEP_FIELDS) and rows[0]["images_per_second"] == ""
    assert path.read_text().count("step,epoch") == 1


def test_resume_keeps_the_rows_up_to_the_checkpoint_and_drops_later_ones(tmp_path):
    path = tmp_path / "steps.csv"
    log = report.StepLog(str(path))
    for i in range(1, 6):
        log.add(_step(i))
    log.flush()
    with open(path, "a") as f:
        f.write("6,1.5,0.1")  # a row cut short by a crash
    resumed = report.StepLog(str(path), resume_step=3)
    assert [r["step"] for r in resumed.rows] == [1, 2, 3]
    assert resumed.rows[1]["loss"] == pytest.approx(0.5)
    for i in (4, 5):
        resumed.add(_step(i))
    resumed.flush()
    assert [int(r["step"]) for r in _rows(path)] == [1, 2, 3, 4, 5]


def test_a_fresh_run_starts_steps_csv_anew(tmp_path):
    path = tmp_path / "steps.csv"
    path.write_text("step,epoch\n1,0.5\n2,1.0\n")
    log = report.StepLog(str(path))
    log.add(_step(1))
    log.flush()
    assert [int(r["step"]) for r in _rows(path)] == [1]


def test_smoothing_is_debiased_and_leaves_few_points_alone():
    assert report.smooth([3.0, 1.0, 2.0]) == [3.0, 1.0, 2.0]
    assert report.smooth([5.0] * 200) == pytest.approx([5.0] * 200)  # no pull towards 0 at the start
    values = [0.0, 1.0] * 100
    smoothed = report.smooth(values)
    assert max(smoothed[50:]) - min(smoothed[50:]) < 0.2  # the noise is averaged out
    assert report.smooth([1.0, 3.0], weight=0.5) == pytest.approx([1.0, (0.25 * 1 + 0.5 * 3) / 0.75])


def test_curves_of_a_one_epoch_run_draw_steps_and_whole_epoch_ticks(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [_step(i) for i in range(1, 5)]
    history = [{"epoch": 1, "test_loss": 0.7, "test_acc": 0.8}]
    path = tmp_path / "curves.png"
    drawn = []
    real_savefig = plt.Figure.savefig

    def spy(fig, *args, **kw):
        drawn.append(fig)
        return real_savefig(fig, *args, **kw)

    plt.Figure.savefig = spy
    try:
        assert report.plot_curves(str(path), history, "run", steps=steps)
    finally:
        plt.Figure.savefig = real_savefig
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loss_axes, _, lr_axes = drawn[0].axes
    lines = loss_axes.get_lines()
    assert [len(line.get_xdata()) for line in lines] == [4, 4, 1]  # raw, smoothed, test
    assert list(lines[0].get_xdata()) == [0.25, 0.5, 0.75, 1.0]
    assert all(float(t).is_integer() for t in loss_axes.get_xticks())
    assert list(lr_axes.get_lines()[0].get_ydata()) == [0.1] * 4
