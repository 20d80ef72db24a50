"""Shared by the optimizer tests: a numpyflow optimizer and PyTorch's, side by side.

Both start from the same weights and see the same gradients (injected, or computed by the
same small model); afterwards weights, state and param groups must agree.
"""

import pickle

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

SHAPES = [(3, 4), (5,), ()]
RTOL = {np.float32: 1e-6, np.float64: 1e-12}


def initial_arrays(dtype, shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def gradient_sequence(dtype, steps, shapes=SHAPES, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]


def make_params(lib, arrays):
    if lib is nf:
        return [nf.nn.Parameter(nf.tensor(a)) for a in arrays]
    return [torch.nn.Parameter(torch.tensor(a)) for a in arrays]


def grouped(params, groups):
    """``params`` as the optimizer's first argument: a plain list, or groups given as
    ``[(indices, options), ...]``."""
    if groups is None:
        return params
    return [{"params": [params[i] for i in idx], **options} for idx, options in groups]


def run(lib, opt, params, grads):
    """Inject each step's gradients and step ``opt``."""
    for step in grads:
        for p, g in zip(params, step):
            p.grad = lib.tensor(g)
        opt.step()
    return opt


def make_optimizer(lib, name, params, options, groups=None):
    return getattr(lib.optim, name)(grouped(params, groups), **options)


def close(ours, theirs, rtol, what):
    """Equal to ``rtol`` relative to the reference's largest magnitude (so values that
    cancel to near zero are judged on the scale of the array)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != reference {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != reference {theirs.dtype}"
    scale = float(np.abs(theirs).max()) if theirs.size else 0.0
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_same_state(ours, theirs, rtol, what=""):
    """Two optimizers' ``state_dict()`` agree: layout, state keys and values, group options."""
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]), f"{what}: state ids differ"
    for pid, their_state in tsd["state"].items():
        our_state = sd["state"][pid]
        assert list(our_state) == list(their_state), f"{what}: state keys of parameter {pid}"
        for key, value in their_state.items():
            close(to_array(our_state[key]), to_array(value), rtol, f"{what}: state[{pid}][{key!r}]")
    assert len(sd["param_groups"]) == len(tsd["param_groups"])
    for ours_g, theirs_g in zip(sd["param_groups"], tsd["param_groups"]):
        assert ours_g == {k: v for k, v in theirs_g.items()}, f"{what}: param group options"


def to_array(t):
    if isinstance(t, nf.Tensor):
        return t.detach().numpy()
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def compare_with_pytorch(name, options, dtype, groups=None, steps=10, torch_options=None):
    """Run ``steps`` injected-gradient steps in both libraries and compare everything."""
    arrays = initial_arrays(dtype)
    grads = gradient_sequence(dtype, steps)
    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours = run(nf, make_optimizer(nf, name, ours_p, options, groups), ours_p, grads)
    theirs = run(torch, make_optimizer(torch, name, theirs_p, torch_options or options, groups), theirs_p, grads)
    rtol = RTOL[dtype]
    for i, (p, q) in enumerate(zip(ours_p, theirs_p)):
        assert p.dtype == getattr(nf, str(q.dtype).split(".")[1]), f"parameter {i} changed dtype"
        close(to_array(p), to_array(q), rtol, f"{name}{options}: parameter {i}")
    assert_same_state(ours, theirs, rtol, f"{name}{options}")


def compare_on_linear_model(name, options, dtype=np.float64, steps=10):
    """Train the same least-squares model with a closure in both libraries."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((16, 4)).astype(dtype)
    y = rng.standard_normal((16, 2)).astype(dtype)
    W0 = (0.5 * rng.standard_normal((4, 2))).astype(dtype)
    b0 = np.zeros(2, dtype)

    def train(lib):
        W, b = make_params(lib, [W0, b0])
        Xt, yt = lib.tensor(X), lib.tensor(y)
        opt = getattr(lib.optim, name)([W, b], **options)

        def closure():
            opt.zero_grad()
            loss = ((Xt @ W + b - yt) ** 2).mean()
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(steps)]
        return [to_array(W), to_array(b)], losses

    (ours, our_losses), (theirs, their_losses) = train(nf), train(torch)
    rtol = RTOL[dtype]
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        close(a, b, rtol, f"{name}{options}: parameter {i}")
    assert their_losses[-1] < their_losses[0]  # it did train


def state_dict_round_trip(name, options, dtype, groups=None):
    """Save after 5 steps, load into a fresh optimizer (through pickle, as a checkpoint
    would), continue 5 steps: the same weights and state as 10 straight steps."""
    arrays = initial_arrays(dtype)
    grads = gradient_sequence(dtype, 10)
    straight_p = make_params(nf, arrays)
    straight = run(nf, make_optimizer(nf, name, straight_p, options, groups), straight_p, grads)

    first_p = make_params(nf, arrays)
    first = run(nf, make_optimizer(nf, name, first_p, options, groups), first_p, grads[:5])
    saved = pickle.loads(pickle.dumps(first.state_dict()))
    resumed_p = make_params(nf, [to_array(p) for p in first_p])
    # A fresh optimizer with default options: loading restores the saved ones.
    resumed = make_optimizer(nf, name, resumed_p, {}, [(idx, {}) for idx, _ in groups] if groups else None)
    resumed.load_state_dict(saved)
    run(nf, resumed, resumed_p, grads[5:])

    for i, (p, q) in enumerate(zip(resumed_p, straight_p)):
        np.testing.assert_array_equal(to_array(p), to_array(q), err_msg=f"parameter {i}")
    sd, ref = resumed.state_dict(), straight.state_dict()
    assert sd["param_groups"] == ref["param_groups"]
    assert list(sd["state"]) == list(ref["state"])
    for pid in ref["state"]:
        assert list(sd["state"][pid]) == list(ref["state"][pid])
        for key in ref["state"][pid]:
            np.testing.assert_array_equal(to_array(sd["state"][pid][key]), to_array(ref["state"][pid][key]))


def complex_arrays(steps):
    """Complex starting weights (float64 parts) and ``steps`` steps of complex gradients."""
    arrays = [a + 1j * b for a, b in zip(initial_arrays(np.float64), initial_arrays(np.float64, seed=5))]
    grads = [
        [a + 1j * b for a, b in zip(s, t)]
        for s, t in zip(gradient_sequence(np.float64, steps), gradient_sequence(np.float64, steps, seed=7))
    ]
    return arrays, grads


def compare_complex_with_pytorch(name, options, steps=10):
    """Complex parameters are updated as pairs of reals, as PyTorch updates them."""
    arrays, grads = complex_arrays(steps)
    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours = run(nf, make_optimizer(nf, name, ours_p, options), ours_p, grads)
    theirs = run(torch, make_optimizer(torch, name, theirs_p, options), theirs_p, grads)
    for i, (p, q) in enumerate(zip(ours_p, theirs_p)):
        close(to_array(p), to_array(q), RTOL[np.float64], f"{name}{options}: complex parameter {i}")
    assert_same_state(ours, theirs, RTOL[np.float64], f"{name}{options}")


def load_pytorch_state_and_continue(name, options, dtype=np.float32, groups=None):
    """A state dict PyTorch's optimizer produced (PyTorch tensors in it) loads into a fresh
    numpyflow optimizer with default options, which then continues exactly like a fresh
    PyTorch optimizer that loaded the same state dict (loading casts state as PyTorch's)."""
    arrays = initial_arrays(dtype)
    grads = gradient_sequence(dtype, 10)
    first_p = make_params(torch, arrays)
    saved = run(torch, make_optimizer(torch, name, first_p, options, groups), first_p, grads[:5]).state_dict()
    fresh_groups = [(idx, {}) for idx, _ in groups] if groups else None
    ours_p = make_params(nf, [to_array(p) for p in first_p])
    theirs_p = make_params(torch, [to_array(p) for p in first_p])
    ours = make_optimizer(nf, name, ours_p, {}, fresh_groups)
    theirs = make_optimizer(torch, name, theirs_p, {}, fresh_groups)
    ours.load_state_dict(saved)
    theirs.load_state_dict(saved)
    for state in ours.state.values():
        assert all(isinstance(v, nf.Tensor) for v in state.values() if not isinstance(v, (int, float)))
    assert_same_state(ours, theirs, 0.0, f"{name}{options}: loaded")
    run(nf, ours, ours_p, grads[5:])
    run(torch, theirs, theirs_p, grads[5:])
    for i, (p, q) in enumerate(zip(ours_p, theirs_p)):
        close(to_array(p), to_array(q), RTOL[dtype], f"{name}{options}: parameter {i}")
    assert_same_state(ours, theirs, RTOL[dtype], f"{name}{options}")


FLOATS = [np.float32, np.float64]


class PyTorchParity:
    """The checks every optimizer's test file runs against PyTorch: subclass it as
    ``TestXxx`` and set the class attributes below to the optimizer's own cases.

    ``CONFIGS`` (id -> options) run in both float dtypes; ``GROUPS`` is ``(options, groups)``
    for the param-group test; ``LINEAR`` (id -> options) the closure-trained linear model;
    ``COMPLEX`` and ``ROUND_TRIP`` name a config (the round trip with its groups);
    ``LOADED`` names a config and ``LOADED_DTYPES`` its dtypes; ``BAD`` lists
    ``(kwargs, message)`` that both libraries reject with a ValueError.
    """

    NAME = ""
    CONFIGS = {}
    GROUPS = ({}, None)
    LINEAR = {}
    COMPLEX = ""
    ROUND_TRIP = ("", None)
    LOADED = ""
    LOADED_DTYPES = [np.float32]
    BAD = []

    def pytest_generate_tests(self, metafunc):
        cases = {
            "options": self.CONFIGS,
            "dtype": {np.dtype(d).name: d for d in FLOATS},
            "linear_options": self.LINEAR,
            "loaded_dtype": {np.dtype(d).name: d for d in self.LOADED_DTYPES},
        }
        for arg, values in cases.items():
            if arg in metafunc.fixturenames:
                metafunc.parametrize(arg, list(values.values()), ids=list(values.keys()))
        if "bad" in metafunc.fixturenames:
            metafunc.parametrize("bad", self.BAD)

    @needs_torch
    def test_matches_pytorch_weights_and_state_over_ten_steps(self, options, dtype):
        compare_with_pytorch(self.NAME, options, dtype)

    @needs_torch
    def test_param_groups_with_their_own_options_match_pytorch(self):
        options, groups = self.GROUPS
        compare_with_pytorch(self.NAME, options, np.float32, groups=groups)

    @needs_torch
    def test_trains_a_linear_model_with_a_closure_like_pytorch(self, linear_options):
        compare_on_linear_model(self.NAME, linear_options)

    @needs_torch
    def test_updates_complex_parameters_as_pairs_of_reals_like_pytorch(self):
        compare_complex_with_pytorch(self.NAME, self.CONFIGS[self.COMPLEX])

    def test_state_dict_round_trip_continues_like_ten_straight_steps(self):
        config, groups = self.ROUND_TRIP
        state_dict_round_trip(self.NAME, self.CONFIGS[config], np.float32, groups=groups)

    @needs_torch
    def test_loads_a_pytorch_state_dict_and_continues_like_pytorch(self, loaded_dtype):
        load_pytorch_state_and_continue(self.NAME, self.CONFIGS[self.LOADED], loaded_dtype)

    def test_rejects_invalid_options_naming_the_value(self, bad):
        kwargs, message = bad
        with pytest.raises(ValueError, match=message):
            getattr(nf.optim, self.NAME)([nf.nn.Parameter(nf.zeros(2))], **kwargs)

    @needs_torch
    def test_pytorch_rejects_the_same_options_with_the_same_message(self, bad):
        kwargs, message = bad
        with pytest.raises(ValueError, match=message):
            getattr(torch.optim, self.NAME)([torch.zeros(2, requires_grad=True)], **kwargs)
