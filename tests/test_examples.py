"""examples/: the ported PyTorch script runs under NumpyFlow, and unchanged (imports
swapped back) under PyTorch."""

import runpy
from pathlib import Path

from reference import needs_torch

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pytorch_port.py"


def test_ported_pytorch_script_trains_saves_and_loads_with_numpyflow():
    module = runpy.run_path(str(EXAMPLE))
    assert module["main"](epochs=4, verbose=False) > 0.9


@needs_torch
def test_the_same_script_runs_under_pytorch(tmp_path):
    source = EXAMPLE.read_text()
    for ours, theirs in (
        ("import numpyflow as nf", "import torch as nf"),
        ("from numpyflow import nn, optim", "from torch import nn, optim"),
        ("from numpyflow.utils.data import", "from torch.utils.data import"),
    ):
        assert ours in source
        source = source.replace(ours, theirs)
    script = tmp_path / "pytorch_original.py"
    script.write_text(source)
    module = runpy.run_path(str(script))
    assert module["nf"].__name__ == "torch"
    assert module["main"](epochs=4, verbose=False) > 0.9
