"""numpyflow/autograd/gradcheck.py: passes correct gradients, reports wrong ones clearly."""

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class _Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x


class WrongSquare(_Square):
    """x**2 with a deliberately wrong derivative (3x instead of 2x)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x


class SquareWithWrongSecondDerivative(_Square):
    """x**2 whose backward is right in value but cut from the graph (no second derivative)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x.detach()


def _x():
    return nf.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=nf.float64, requires_grad=True)


def test_gradcheck_passes_a_correct_gradient():
    assert gradcheck(lambda x: (x * x).sum(1), [_x()])


def test_gradcheck_names_the_first_mismatching_element():
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongSquare.apply, [_x()])
    msg = str(err.value)
    assert "output 0 with respect to input 0" in msg
    assert "output element (0, 0), input element (0, 0)" in msg
    numerical = float(msg.split("numerical ")[1].split(" ")[0])
    assert abs(numerical - 1.0) < 1e-8 and "analytical 1.5" in msg


def test_gradcheck_can_return_false_instead_of_raising():
    assert gradcheck(WrongSquare.apply, [_x()], raise_exception=False) is False


def test_gradgradcheck_catches_a_gradient_cut_from_the_graph():
    assert gradcheck(SquareWithWrongSecondDerivative.apply, [_x()])
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(SquareWithWrongSecondDerivative.apply, [_x()])


def test_gradgradcheck_passes_second_derivatives_of_a_composite():
    w = nf.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert gradgradcheck(lambda a: (a.tanh() * a.exp()).sum(0), [w])


def test_gradcheck_warns_for_float32_inputs():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda t: t * 2, [x], eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="require gradient"):
        gradcheck(lambda t: t * 2, [nf.tensor([1.0], dtype=nf.float64)])
