"""numpyflow/cli/progress.py: a tqdm bar on a terminal, quiet plain lines elsewhere or
without tqdm."""

import io
import sys

import pytest

from numpyflow.cli import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_tqdm_bar_with_the_fields_and_an_eta():
    pytest.importorskip("tqdm")
    stream = Terminal()
    bar = progress.ProgressBar(4, "epoch 1/2", stream=stream)
    assert bar.bar is not None
    for done in range(1, 5):
        bar.update(done, loss=1.23456, acc=0.5, **{"img/s": 812.7})
    bar.bar.refresh()  # tqdm redraws at most every 0.1 s
    text = stream.getvalue()
    bar.close()
    assert "\r" in text and "epoch 1/2" in text and "4/4" in text
    assert "loss 1.2346 acc 0.5000 img/s 813" in text and "ETA" in text


def test_a_pipe_gets_a_plain_line_every_log_every_seconds_and_at_the_end():
    stream = io.StringIO()
    bar = progress.ProgressBar(3, "epoch 1/1", stream=stream, log_every=3600)
    for done in range(1, 4):
        bar.update(done, loss=0.5, **{"img/s": 100.0})
    bar.close()
    assert bar.bar is None
    assert stream.getvalue().splitlines() == ["epoch 1/1 3/3 loss 0.5000 img/s 100 ETA 00:00"]
    stream = io.StringIO()
    bar = progress.ProgressBar(3, "epoch 1/1", stream=stream, log_every=0)
    for done in range(1, 4):
        bar.update(done, loss=0.5)
    assert len(stream.getvalue().splitlines()) == 3 and "\r" not in stream.getvalue()


def test_without_tqdm_a_terminal_gets_the_plain_lines(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert progress.tqdm_class() is None and not progress.in_notebook()
    stream = Terminal()
    bar = progress.ProgressBar(2, "steps 1-2", stream=stream)
    bar.update(1, loss=2.0)
    bar.update(2, loss=1.0)
    bar.close()
    assert stream.getvalue() == "steps 1-2 2/2 loss 1.0000 ETA 00:00\n"
