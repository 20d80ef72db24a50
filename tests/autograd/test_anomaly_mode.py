"""numpyflow/autograd/anomaly_mode.py: detect_anomaly names the first op whose forward or
backward produces NaN or Inf, and where in the program that op was called."""

from __future__ import annotations

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.autograd import AnomalyError, detect_anomaly, set_detect_anomaly


def test_off_by_default_and_restored_after_the_block():
    assert not nf.is_anomaly_enabled()
    with detect_anomaly():
        assert nf.is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not nf.is_anomaly_enabled()
        assert nf.is_anomaly_enabled()
    assert not nf.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_call():
    set_detect_anomaly(True)
    try:
        assert nf.autograd.is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not nf.autograd.is_anomaly_enabled()


def test_decorator_turns_it_on_inside_the_function():
    @detect_anomaly()
    def inside():
        return nf.is_anomaly_enabled()

    assert inside() and not nf.is_anomaly_enabled()


def test_forward_producing_inf_names_the_op_and_the_calling_line():
    x = nf.tensor([1.0, 0.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        nf.log(x)  # the line the message must point at
    message = str(info.value)
    assert "Function 'Log' returned inf values in its 0th output (forward)" in message
    assert "test_anomaly_mode.py" in message and "nf.log(x)" in message
    assert isinstance(info.value, RuntimeError)


def test_backward_producing_inf_names_the_op_and_where_its_forward_was_called():
    x = nf.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = nf.sqrt(x)  # finite forward; the gradient at 0 is inf
        with pytest.raises(AnomalyError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Function 'SqrtBackward0' returned inf values in its 0th output (backward)" in message
    assert "y = nf.sqrt(x)" in message


def test_the_first_op_producing_nan_is_named_not_the_ones_after_it():
    x = nf.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="Function 'Div' returned nan"):
        a = x * 0
        b = a / a
        b + 1


def test_nan_inside_a_model_is_caught_at_its_layer():
    model = nf.nn.Sequential(nf.nn.Linear(3, 4), nf.nn.ReLU(), nf.nn.Linear(4, 2))
    with nf.no_grad():
        model[2].weight[0, 0] = float("nan")
    with detect_anomaly(), pytest.raises(AnomalyError, match="returned nan values in its 0th output \\(forward\\)"):
        model(nf.ones(5, 3))


def test_without_it_the_same_program_runs_and_yields_non_finite_values():
    x = nf.tensor([0.0, 4.0], requires_grad=True)
    nf.sqrt(x).sum().backward()
    assert np.isinf(x.grad.numpy()[0])
    assert np.isinf(nf.log(nf.tensor([0.0])).numpy()[0])


def test_finite_programs_run_unchanged_with_it_on():
    x = nf.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nf.float64, requires_grad=True)
    with detect_anomaly():
        (x @ x).tanh().sum().backward()
        g = x.grad.numpy().copy()
    x.grad = None
    (x @ x).tanh().sum().backward()
    np.testing.assert_array_equal(g, x.grad.numpy())


def test_integer_results_are_not_checked():
    with detect_anomaly():
        assert nf.tensor([1, 2]).sum().item() == 3
