"""numpyflow/autograd/engine.py: order, accumulation, graph release, hooks, grad()."""

import gc
import weakref

import numpy as np
import pytest
from reference import assert_close, needs_torch, torch

import numpyflow as nf
from numpyflow.ops.elementwise import Add


def test_chain_of_100000_ops_backprops_without_recursion_error():
    x = nf.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_doubling_60_times_runs_each_node_once(monkeypatch):
    calls = []
    original = Add.backward
    monkeypatch.setattr(Add, "backward", staticmethod(lambda ctx, g: calls.append(1) or original(ctx, g)))
    x = nf.tensor(1.0, dtype=nf.float64, requires_grad=True)
    y = x
    for _ in range(60):
        y = y + y
    y.backward()
    assert len(calls) == 60  # linear, not 2**60
    assert x.grad.item() == 2.0**60


def test_intermediate_arrays_are_freed_after_backward():
    gc.disable()
    try:
        x = nf.randn(50, 50, requires_grad=True)
        refs = []
        h = x
        for _ in range(5):
            h = (h * 1.5).tanh().exp()
            refs.append(weakref.ref(h._data))
        loss = h.sum()
        del h
        assert any(r() is not None for r in refs), "saved arrays should live until backward"
        loss.backward()
        assert all(r() is None for r in refs), "intermediate arrays survived backward"
    finally:
        gc.enable()


def test_graph_is_kept_with_retain_graph_and_released_otherwise():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_gradients_accumulate_over_calls_and_across_uses():
    x = nf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 3)


def test_nonscalar_backward_needs_a_gradient():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(np.array([1.0, 10.0], np.float32))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])
    x.grad = None
    (x * 2).backward(nf.tensor([0.5, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_backward_gradient_of_wrong_shape_is_rejected():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(nf.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nf.tensor([1.0]).sum().backward()


def test_first_gradient_is_not_shared_between_leaves():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = nf.tensor([3.0, 4.0], requires_grad=True)
    seed = nf.tensor([1.0, 1.0])
    (x + y).backward(seed)
    x.grad.mul_(10)
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(seed.numpy(), [1.0, 1.0])


def test_nonleaf_grad_only_with_retain_grad():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = x * 4
    h.retain_grad()
    assert h.retains_grad and not k.retains_grad
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), k.detach().numpy())
    assert k.grad is None


def test_hooks_replace_gradients_and_can_be_removed():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    seen = []
    handle = h.register_hook(lambda g: g * 10)
    leaf_handle = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    np.testing.assert_allclose(seen[0], [20.0, 20.0])
    handle.remove()
    leaf_handle.remove()
    x.grad = None
    h2 = x * 2
    h2.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert len(seen) == 1


def test_grad_returns_gradients_without_touching_dot_grad():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = nf.tensor([3.0], requires_grad=True)
    out = (x * x).sum() + y.sum() * 0
    (gx,) = nf.autograd.grad(out, x)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert x.grad is None and y.grad is None


def test_grad_of_nonleaf_input():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    out = (h * h).sum()
    (gh,) = nf.autograd.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_grad_unused_input_needs_allow_unused():
    x = nf.tensor([1.0], requires_grad=True)
    z = nf.tensor([1.0], requires_grad=True)
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        nf.autograd.grad(out, [x, z], retain_graph=True)
    gx, gz = nf.autograd.grad(out, [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0


def test_backward_with_inputs_accumulates_only_those():
    x = nf.tensor([1.0], requires_grad=True)
    y = nf.tensor([2.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


def test_create_graph_gives_differentiable_gradients():
    x = nf.tensor(3.0, dtype=nf.float64, requires_grad=True)
    y = x**3
    (g,) = nf.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    (g2,) = nf.autograd.grad(g, x)
    assert g.item() == 27.0 and g2.item() == 18.0


def test_third_derivative():
    x = nf.tensor(0.7, dtype=nf.float64, requires_grad=True)
    y = x.sin() * x.exp()
    (g1,) = nf.autograd.grad(y, x, create_graph=True)
    (g2,) = nf.autograd.grad(g1, x, create_graph=True)
    (g3,) = nf.autograd.grad(g2, x)
    v = 0.7
    # d3/dx3 (sin x e^x) = 2 e^x (cos x - sin x)
    assert abs(g3.item() - 2 * np.exp(v) * (np.cos(v) - np.sin(v))) < 1e-12


@needs_torch
def test_hessian_vector_product_matches_pytorch():
    rng = np.random.default_rng(5)
    w0, v0, a0 = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal((4, 6))

    def hvp(lib):
        w = lib.tensor(w0, requires_grad=True)
        a = lib.tensor(a0)
        loss = (lib.tanh(a @ w) ** 2).sum() + (w * w * w).sum() + lib.logsumexp(a @ w, 0)
        (g,) = lib.autograd.grad(loss, w, create_graph=True)
        (hv,) = lib.autograd.grad((g * lib.tensor(v0)).sum(), w)
        return hv

    assert_close(hvp(nf), hvp(torch), rtol=1e-10, atol=1e-12)


def test_gradient_dtype_follows_each_input():
    a = nf.ones(3, dtype=nf.float32, requires_grad=True)
    b = nf.tensor(2.0, dtype=nf.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == nf.float32 and b.grad.dtype == nf.float64
    assert b.grad.item() == 3.0


def test_in_place_change_of_saved_tensor_is_detected_naming_the_op():
    x = nf.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    with nf.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward0.*version 1; expected version 0"):
        z.backward()


def test_in_place_change_through_a_view_is_detected():
    x = nf.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.sigmoid()
    v = y.view(-1)
    loss = y.sum()
    with nf.no_grad():
        v[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_in_place_on_leaf_requiring_grad_raises_outside_no_grad():
    w = nf.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with nf.no_grad():
        w.add_(1)
    np.testing.assert_allclose(w.detach().numpy(), [2, 2, 2])


@needs_torch
def test_in_place_ops_on_nonleaf_are_differentiable_like_pytorch():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        c = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.mul_(c)
        y.add_(x, alpha=0.5)
        y[1] = c[0] * 4
        y.clamp_(-1.0, 5.0)
        (y * y).sum().backward()
        return y, x.grad, c.grad

    for a, b in zip(run(nf), run(torch)):
        assert_close(a, b, rtol=1e-6)


def test_setitem_of_tensor_requiring_grad_into_plain_buffer():
    x = nf.tensor(2.0, requires_grad=True)
    buf = nf.zeros(3)
    buf[1] = x * 3
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    assert x.grad.item() == 3.0


def test_in_place_with_grad_on_a_view_is_refused():
    x = nf.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[:2]
    with pytest.raises(RuntimeError, match="view"):
        v.mul_(2)


def test_hooks_run_inside_the_create_graph_backward():
    x = nf.tensor(2.0, dtype=nf.float64, requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * x)  # the hook's output depends on x
    (g,) = nf.autograd.grad(y, x, create_graph=True)
    assert g.item() == 8.0  # x * 2x
    (g2,) = nf.autograd.grad(g, x)
    assert g2.item() == 8.0  # d/dx 2x^2 = 4x
