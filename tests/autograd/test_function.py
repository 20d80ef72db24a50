"""numpyflow/autograd/function.py: the public op contract for user-defined Functions."""

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.autograd import Function, gradcheck, gradgradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class ScaledAdd(Function):
    """a + k * b for a number k; records which inputs needed gradients."""

    seen = None

    @staticmethod
    def forward(ctx, a, k, b):
        ctx.k = k
        return a + k * b

    @staticmethod
    def backward(ctx, grad):
        ScaledAdd.seen = ctx.needs_input_grad
        return grad, None, (grad * ctx.k if ctx.needs_input_grad[2] else None)


class SplitHalves(Function):
    """Two outputs; the second is often unused."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        return x[:n] * 1, x[n:] * 2

    @staticmethod
    def backward(ctx, g1, g2):
        return nf.cat([g1, g2 * 2])


def test_user_function_forward_backward_and_gradchecks():
    x = nf.tensor([0.5, -1.5, 2.0], dtype=nf.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward0"
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() ** 3)
    assert gradcheck(Cube.apply, [x])
    assert gradgradcheck(Cube.apply, [x])


def test_needs_input_grad_reports_which_inputs_need_gradients():
    a = nf.tensor([1.0, 2.0], requires_grad=True)
    b = nf.tensor([3.0, 4.0])
    ScaledAdd.apply(a, 2.0, b).sum().backward()
    assert ScaledAdd.seen == (True, False, False)
    assert a.grad.tolist() == [1.0, 1.0]


def test_unused_output_gets_zeros_in_backward():
    x = nf.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, second = SplitHalves.apply(x)
    first.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0]


def test_gradient_in_broadcast_shape_is_summed_back():
    class Broadcasting(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    a = nf.ones(2, 3, requires_grad=True)
    b = nf.ones(3, requires_grad=True)
    Broadcasting.apply(a, b).sum().backward()
    assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_wrong_number_of_gradients_is_an_error():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = nf.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooFew.apply(a, a).sum().backward()


def test_mark_non_differentiable_output():
    class WithMask(Function):
        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).astype(x.dtype)
            ctx.mark_non_differentiable(mask)
            return x * mask, mask

        @staticmethod
        def backward(ctx, grad, _):
            return grad

    y, mask = WithMask.apply(nf.tensor([1.0, -1.0], requires_grad=True))
    assert y.requires_grad and not mask.requires_grad


def test_mixing_devices_is_an_error_naming_the_op(monkeypatch):
    from numpyflow import backend
    from numpyflow.autograd import function

    on_gpu = nf.ones(2)
    monkeypatch.setattr(backend, "cupy", object())  # pretend CuPy is installed
    monkeypatch.setattr(
        function, "device_of", lambda arr: backend.Device("cuda", 0) if arr is on_gpu._data else backend.CPU
    )
    with pytest.raises(RuntimeError, match=r"mul: expected all tensors to be on the same device.*cpu and cuda:0"):
        nf.ones(2) * on_gpu


class _Masked(nf.autograd.Function):
    """Two outputs, the second computed only when asked for (as gradient ops do)."""

    @staticmethod
    def forward(ctx, x, want_second):
        ctx.save_for_backward(x)
        return x * 2, (x * 3 if want_second else None)

    @staticmethod
    def backward(ctx, g0, g1):
        assert g1 is None or ctx.saved_tensors
        return g0 * 2 + (g1 * 3 if g1 is not None else 0), None


def test_a_forward_may_leave_an_output_out_as_none():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    a, b = _Masked.apply(x, False)
    assert b is None and a.requires_grad
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    a, b = _Masked.apply(x, True)
    (a.sum() + b.sum()).backward()
    assert x.grad.tolist() == [5.0, 5.0]
