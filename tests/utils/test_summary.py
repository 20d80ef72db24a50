"""numpyflow/utils/summary.py: torchinfo's table, counts checked against known values."""

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.utils import summary
from numpyflow.vision import models

MACS = ("output_size", "num_params", "mult_adds")


@pytest.fixture(scope="module")
def resnet20_stats():
    return summary(models.resnet20(), input_size=(1, 3, 32, 32), col_names=MACS, verbose=0)


def test_resnet20_totals(resnet20_stats):
    s = resnet20_stats
    assert s.total_params == s.trainable_params == 269_722
    # 19 convolutions (weights x output positions) + 19 batch norms (their parameters) + the linear layer
    convs = 432 * 32 * 32 + 6 * 2304 * 32 * 32 + 4608 * 16 * 16 + 5 * 9216 * 16 * 16 + 18432 * 8 * 8 + 5 * 36864 * 8 * 8
    norms = 7 * 32 + 6 * 64 + 6 * 128
    assert s.total_mult_adds == convs + norms + 650 == 40_552_426
    text = str(s)
    assert "Total params: 269,722\nTrainable params: 269,722\nNon-trainable params: 0\n" in text
    assert "Total mult-adds (M): 40.55\n" in text
    assert "Input size (MB): 0.01\nForward/backward pass size (MB): 3.01\nParams size (MB): 1.08\n" in text
    assert "Estimated Total Size (MB): 4.11\n" in text


def test_resnet20_table_rows_are_torchinfos(resnet20_stats):
    lines = str(resnet20_stats).splitlines()
    assert lines[1].split() == ["Layer", "(type:depth-idx)", "Output", "Shape", "Param", "#", "Mult-Adds"]
    assert lines[3].split() == ["CifarResNet", "[1,", "10]", "--", "--"]
    assert (
        lines[4]
        == "├─Conv2d: 1-1                            [1, 16, 32, 32]           432                       442,368"
    )
    assert lines[8] == "│    └─BasicBlock: 2-1                   [1, 16, 32, 32]           --                        --"
    assert (
        lines[9]
        == "│    │    └─Conv2d: 3-1                  [1, 16, 32, 32]           2,304                     2,359,296"
    )
    assert "│    │    └─PadShortcut: 3-19            [1, 32, 16, 16]           --                        --" in lines
    assert (
        lines[-12] == "├─Linear: 1-8                            [1, 10]                   650                       650"
    )
    assert all(len(line) == 115 for line in lines if set(line) == {"="})


def test_conv_mult_adds_are_weights_times_output_positions():
    conv = nf.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    s = summary(conv, input_size=(2, 3, 10, 10), col_names=MACS, verbose=0)
    # out (2, 8, 5, 5): 8*3*3*3 weights and 8 biases, each used at 2*5*5 output positions
    assert s.total_mult_adds == (8 * 3 * 3 * 3 + 8) * 2 * 5 * 5 == 11_200
    assert s.total_params == 224


def test_linear_mult_adds_are_parameters_times_batch():
    s = summary(nf.nn.Linear(5, 3), input_size=(4, 5), col_names=MACS, verbose=0)
    assert s.total_mult_adds == 4 * (5 * 3 + 3)


def test_depth_folds_deeper_layers_into_their_ancestor():
    s = summary(models.resnet20(), input_size=(1, 3, 32, 32), depth=1, col_names=MACS, verbose=0)
    lines = str(s).splitlines()
    assert (
        "├─Sequential: 1-4                        [1, 16, 32, 32]           14,016                    14,155,968"
        in lines
    )
    assert not any("BasicBlock" in line for line in lines)
    assert s.total_params == 269_722


class _Net(nf.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nf.nn.Parameter(nf.ones(4))
        self.body = nf.nn.Sequential(nf.nn.Linear(3, 4), nf.nn.ReLU())
        self.head = nf.nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x) * self.scale)


def test_frozen_layers_and_a_containers_own_parameters_are_counted():
    net = _Net()
    net.head.requires_grad_(False)
    s = summary(net, input_size=(5, 3), col_names=("num_params", "trainable"), row_settings=("var_names",), verbose=0)
    assert (s.total_params, s.trainable_params) == (30, 20)
    text = str(s)
    assert "_Net (_Net)                              4                         Partial" in text
    assert "├─Linear (head)                          (10)                      False" in text
    assert "Non-trainable params: 10" in text


def test_without_input_only_the_parameters_are_listed():
    s = summary(_Net(), verbose=0)
    text = str(s)
    assert "Param #" in text and "Output Shape" not in text and "Mult-Adds" not in text
    assert s.total_params == 30 and s.total_mult_adds == 0
    with pytest.raises(ValueError, match="input_size or input_data"):
        summary(_Net(), col_names=("output_size",), verbose=0)


def test_input_data_and_keyword_inputs():
    net = _Net()
    s = summary(net, input_data=nf.randn(7, 3), col_names=MACS, verbose=0)
    assert s.input_size == [[7, 3]] and "[7, 2]" in str(s)
    s = summary(net, input_data={"x": np.ones((2, 3), dtype=np.float32)}, verbose=0)
    assert "[2, 2]" in str(s)


def test_the_forward_runs_in_eval_mode_without_grad_and_leaves_state_as_it_was():
    model = models.resnet20()
    model.layer1.train(False)
    state = nf.get_rng_state()
    seen = []
    model.bn1.register_forward_hook(lambda m, a, out: seen.append((m.training, out.requires_grad)))
    summary(model, input_size=(1, 3, 32, 32), verbose=0)
    assert seen == [(False, False)]
    assert model.training and not model.layer1.training and model.layer2.training
    assert np.array_equal(nf.get_rng_state(), state)
    assert not model.bn1._forward_pre_hooks and len(model.bn1._forward_hooks) == 1


def test_verbose_prints_the_table(capsys):
    s = summary(nf.nn.Linear(2, 2), input_size=(1, 2), verbose=1)
    assert capsys.readouterr().out == str(s) + "\n"
    s = summary(nf.nn.Linear(2, 2), input_size=(1, 2), verbose=2, col_names=("kernel_size", "num_params"))
    assert "├─weight                                 [2, 2]                    ├─4" in str(s)


def test_dtypes_choose_the_input_dtype():
    s = summary(nf.nn.Linear(2, 2).double(), input_size=(3, 2), dtypes=[nf.float64], verbose=0)
    assert "Input size (MB): 0.00" in str(s) and s.total_input == 3 * 2 * 8


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="not both"):
        summary(_Net(), input_size=(1, 3), input_data=nf.randn(1, 3), verbose=0)
    with pytest.raises(ValueError, match="unknown column 'flops'"):
        summary(_Net(), input_size=(1, 3), col_names=("flops",), verbose=0)
    with pytest.raises(ValueError, match="positive"):
        summary(_Net(), input_size=(0, 3), verbose=0)
    with pytest.raises(RuntimeError, match="forward pass failed"):
        summary(_Net(), input_size=(1, 5), verbose=0)
