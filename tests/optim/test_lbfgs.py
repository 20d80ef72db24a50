"""numpyflow/optim/lbfgs.py: LBFGS against PyTorch's (its iterations, line search, state and
return value), its failure behaviour and its checks.

The closures compute the loss and its gradient in numpy and hand both libraries the same
values, so the comparison sees the optimizers alone (not two autograd engines rounding a
loss differently, which near a minimum flips the line search's decisions).
"""

import pickle

import numpy as np
import pytest
from optim_reference import compare_on_linear_model, make_params, to_array
from reference import needs_torch, torch

import numpyflow as nf

FLOATS = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
START = [np.array([-1.2, 1.0, -0.5, 0.8]), np.array([[1.5, -0.3], [0.2, 2.0]])]


def rosenbrock(x):
    """The Rosenbrock function of the flat vector ``x`` and its gradient (in x's dtype)."""
    a, b = x[:-1], x[1:]
    f = np.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400 * a * (b - a * a) - 2 * (1 - a)
    g[1:] += 200 * (b - a * a)
    return f, g


def numpy_closure(lib, opt, params, objective=rosenbrock, calls=None):
    """A closure that sets each parameter's gradient to ``objective``'s and returns its value."""

    def closure():
        opt.zero_grad()
        x = np.concatenate([to_array(p).ravel() for p in params])
        f, g = objective(x)
        offset = 0
        for p in params:
            n = int(np.prod(p.shape))
            p.grad = lib.tensor(g[offset : offset + n].reshape(tuple(p.shape)))
            offset += n
        if calls is not None:
            calls.append(f)
        return lib.tensor(f)

    return closure


def assert_same_value(ours, theirs, rtol, what):
    """One LBFGS state entry: tensors to ``rtol`` on the scale of their largest entry (a list
    of tensors, such as the history, on the scale of the whole list), numbers by type."""
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), what
        present = [(a, b) for a, b in zip(ours, theirs) if b is not None]
        assert all(a is None for a, b in zip(ours, theirs) if b is None), f"{what}: None entries"
        if not present:
            return
        for i, (a, b) in enumerate(present):
            assert isinstance(a, nf.Tensor), f"{what}[{i}]: {type(a).__name__} where PyTorch has a tensor"
            assert a.dtype == getattr(nf, str(b.dtype).split(".")[1]) and tuple(a.shape) == tuple(b.shape), what
        ours_a = np.stack([to_array(a) for a, _ in present])
        theirs_a = np.stack([to_array(b) for _, b in present])
        np.testing.assert_allclose(ours_a, theirs_a, rtol=rtol, atol=rtol * np.abs(theirs_a).max(), err_msg=what)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, nf.Tensor), f"{what}: {type(ours).__name__} where PyTorch has a tensor"
        a, b = to_array(ours), to_array(theirs)
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * float(np.abs(b).max(initial=0)), err_msg=what)
    elif theirs is None:
        assert ours is None, what
    else:
        assert type(ours) is type(theirs), f"{what}: {type(ours).__name__} != {type(theirs).__name__}"
        np.testing.assert_allclose(ours, theirs, rtol=rtol, err_msg=what)


def assert_same_lbfgs_state(ours, theirs, rtol):
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"])
    for pid, their_state in tsd["state"].items():
        assert list(sd["state"][pid]) == list(their_state), "state keys and their order"
        for key, value in their_state.items():
            assert_same_value(sd["state"][pid][key], value, rtol, f"state[{pid}][{key!r}]")


def side_by_side(options, dtype, steps, arrays=None, objective=rosenbrock, rtol=None):
    """Run ``steps`` LBFGS steps in both libraries on ``objective``; compare after each."""
    arrays = [a.astype(dtype) for a in (arrays or START)]
    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours, theirs = nf.optim.LBFGS(ours_p, **options), torch.optim.LBFGS(theirs_p, **options)
    our_calls, their_calls = [], []
    our_closure = numpy_closure(nf, ours, ours_p, objective, our_calls)
    their_closure = numpy_closure(torch, theirs, theirs_p, objective, their_calls)
    # Rosenbrock's curved valley amplifies rounding: the libraries' dot products and sums
    # round differently in the last bit, and after 40 iterations that has grown ~1e6-fold.
    # (float32 runs one step of up to 20 iterations, float64 two.)
    rtol = rtol or {np.float32: 1e-4, np.float64: 1e-8, np.complex128: 1e-8}[np.dtype(dtype).type]
    for step in range(steps):
        our_loss, their_loss = ours.step(our_closure), theirs.step(their_closure)
        assert isinstance(our_loss, nf.Tensor)
        np.testing.assert_allclose(to_array(our_loss), to_array(their_loss), rtol=rtol, err_msg=f"step {step}")
        assert len(our_calls) == len(their_calls), f"step {step}: closure calls"
        for i, (p, q) in enumerate(zip(ours_p, theirs_p)):
            np.testing.assert_allclose(to_array(p), to_array(q), rtol=rtol, atol=rtol, err_msg=f"step {step}: p{i}")
        assert_same_lbfgs_state(ours, theirs, rtol)
    return ours, ours_p


CONFIGS = {
    "default": dict(),
    "lr_history": dict(lr=0.1, max_iter=5, history_size=3),  # the oldest update is forgotten
    "one_iteration": dict(lr=0.01, max_iter=1),  # no evaluation after the move
    "max_eval": dict(lr=0.05, max_iter=10, max_eval=4),
    "tolerance_change": dict(lr=0.1, tolerance_change=1e-2),
    "tolerance_grad": dict(lr=0.1, tolerance_grad=1.0),  # stops, then later steps return at once
    "strong_wolfe": dict(line_search_fn="strong_wolfe"),
    "strong_wolfe_short_history": dict(line_search_fn="strong_wolfe", max_iter=10, history_size=2),
    "strong_wolfe_lr": dict(line_search_fn="strong_wolfe", lr=0.3, max_iter=7, max_eval=9),
    "strong_wolfe_one_iteration": dict(line_search_fn="strong_wolfe", max_iter=1),  # max_ls = 0
    "strong_wolfe_small_lr": dict(line_search_fn="strong_wolfe", lr=1e-3, max_iter=5),  # extrapolates
    "strong_wolfe_large_lr": dict(line_search_fn="strong_wolfe", lr=20.0, max_iter=5),  # zooms in
    "tiny_steps": dict(lr=1e-3, tolerance_change=1e-3),  # stops for lack of progress
}


@needs_torch
@FLOATS
@pytest.mark.parametrize("options", CONFIGS.values(), ids=CONFIGS.keys())
def test_lbfgs_matches_pytorch_weights_state_and_losses_step_by_step(options, dtype):
    side_by_side(options, dtype, steps=1 if dtype == np.float32 else 2)


def quartic(x):
    return np.sum(x * x + 0.1 * x**4), 2 * x + 0.4 * x**3


@needs_torch
@FLOATS
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_stops_when_the_loss_stops_changing_like_pytorch(line_search_fn, dtype):
    options = dict(lr=0.5, max_iter=10, tolerance_change=1e-4, line_search_fn=line_search_fn)
    opt, _ = side_by_side(options, dtype, steps=2, objective=quartic)
    assert opt.state_dict()["state"][0]["n_iter"] < 20


@needs_torch
def test_lbfgs_reaches_rosenbrocks_minimum_like_pytorch():
    _, params = side_by_side(dict(line_search_fn="strong_wolfe", max_iter=100), np.float64, steps=3, rtol=1e-6)
    x = np.concatenate([to_array(p).ravel() for p in params])
    np.testing.assert_allclose(x, np.ones(8), atol=1e-4)


@needs_torch
def test_lbfgs_optimizes_complex_parameters_as_pairs_of_reals_like_pytorch():
    c = np.array([1.0 + 2.0j, -0.5 + 0.25j, 0.3 - 1.0j])

    def objective(z):  # sum |z - c|^4; PyTorch's gradient of a real loss is dL/dRe + i dL/dIm
        r = z - c
        return np.sum(np.abs(r) ** 4), 4 * np.abs(r) ** 2 * r

    for options in (dict(max_iter=5, lr=0.2), dict(line_search_fn="strong_wolfe", max_iter=5)):
        side_by_side(
            options, np.complex128, 3, arrays=[np.array([0.5 - 0.5j, 1.0 + 0.0j, -1.0 + 1.0j])], objective=objective
        )


@needs_torch
@pytest.mark.parametrize("options", [CONFIGS["default"], CONFIGS["strong_wolfe"]], ids=["fixed", "strong_wolfe"])
def test_lbfgs_trains_a_linear_model_with_an_autograd_closure_like_pytorch(options):
    compare_on_linear_model("LBFGS", dict(options, max_iter=4), steps=3)


@needs_torch
def test_lbfgs_counts_a_parameter_without_gradient_as_zero_gradient_like_pytorch():
    arrays = START + [np.array([5.0, -5.0])]  # not in the objective: its gradient stays None

    def objective(x):
        f, g = rosenbrock(x[:8])
        return f, np.concatenate([g, np.zeros(2)])

    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours, theirs = nf.optim.LBFGS(ours_p, max_iter=5, lr=0.1), torch.optim.LBFGS(theirs_p, max_iter=5, lr=0.1)
    ours.step(numpy_closure(nf, ours, ours_p[:2], objective))
    theirs.step(numpy_closure(torch, theirs, theirs_p[:2], objective))
    assert ours_p[2].grad is None
    for p, q in zip(ours_p, theirs_p):
        np.testing.assert_allclose(to_array(p), to_array(q), rtol=1e-10)
    assert_same_lbfgs_state(ours, theirs, 1e-10)


@needs_torch
def test_lbfgs_takes_a_tensor_learning_rate_like_pytorch():
    ours_p, theirs_p = make_params(nf, START), make_params(torch, START)
    ours = nf.optim.LBFGS(ours_p, lr=nf.tensor(0.1, dtype=nf.float64), max_iter=4)
    theirs = torch.optim.LBFGS(theirs_p, lr=torch.tensor(0.1, dtype=torch.float64), max_iter=4)
    for _ in range(2):
        ours.step(numpy_closure(nf, ours, ours_p))
        theirs.step(numpy_closure(torch, theirs, theirs_p))
    for p, q in zip(ours_p, theirs_p):
        np.testing.assert_allclose(to_array(p), to_array(q), rtol=1e-10)
    assert isinstance(ours.state[ours_p[0]]["t"], nf.Tensor)  # t = lr: a tensor, as in PyTorch


def line_search_problem(seed):
    """A wavy 1-d problem along a descent direction (with a random first step), where the
    line search has to bracket, extrapolate and zoom."""
    rng = np.random.default_rng(seed)
    a, w, c = rng.uniform(0.5, 3, 3), rng.uniform(0.5, 8, 3), rng.uniform(0.01, 1, 3)

    def fg(x):
        return float(np.sum(a * np.sin(w * x) + c * x * x)), a * w * np.cos(w * x) + 2 * c * x

    x = rng.standard_normal(3)
    f, g = fg(x)
    return fg, x, -g * rng.uniform(0.1, 2), f, g, float(10 ** rng.uniform(-3, 1.5))


@needs_torch
@pytest.mark.parametrize("tolerance_change", [1e-9, 1e-2, 0.3])
def test_strong_wolfe_line_search_matches_pytorchs_on_random_problems(tolerance_change):
    from torch.optim.lbfgs import _strong_wolfe as their_strong_wolfe

    from numpyflow.optim.lbfgs import _strong_wolfe

    for seed in range(200):
        fg, x, d, f, g, t = line_search_problem(seed)

        def ours_obj(x, t, d):
            return fg(x + t * d)

        def theirs_obj(x, t, d):
            f, g = fg(x + float(t) * d.numpy())
            return f, torch.tensor(g)

        ours = _strong_wolfe(ours_obj, x, t, d, f, g, np.dot(g, d)[()], tolerance_change=tolerance_change)
        td, tg = torch.tensor(d), torch.tensor(g)
        theirs = their_strong_wolfe(theirs_obj, x, t, td, f, tg, tg.dot(td), tolerance_change=tolerance_change)
        # numpy's and PyTorch's dot products may differ in the last bit, which the
        # interpolation amplifies; with PyTorch's own dot the results agree to the bit in
        # all but a few cases, which differ by one ulp
        what = f"problem {seed}"
        assert ours[3] == theirs[3], f"{what}: evaluations"
        np.testing.assert_allclose(float(ours[2]), float(theirs[2]), rtol=1e-9, err_msg=f"{what}: step")
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9, err_msg=f"{what}: loss")
        scale = np.abs(theirs[1].numpy()).max()
        np.testing.assert_allclose(
            ours[1], theirs[1].numpy(), rtol=1e-9, atol=1e-9 * scale, err_msg=f"{what}: gradient"
        )


@needs_torch
def test_cubic_interpolation_matches_pytorchs():
    from torch.optim.lbfgs import _cubic_interpolate as theirs

    from numpyflow.optim.lbfgs import _cubic_interpolate as ours

    rng = np.random.default_rng(0)
    for _ in range(500):
        x1, f1, x2, f2 = rng.standard_normal(4)
        g1, g2 = rng.standard_normal(2) * 3
        bounds = tuple(sorted(rng.standard_normal(2))) if rng.random() < 0.5 else None
        expected = theirs(x1, f1, torch.tensor(g1), x2, f2, torch.tensor(g2), bounds=bounds)
        np.testing.assert_allclose(
            float(ours(x1, f1, np.float64(g1), x2, f2, np.float64(g2), bounds=bounds)), float(expected), rtol=1e-13
        )


def test_lbfgs_step_returns_the_first_loss_the_closure_computed():
    p = nf.nn.Parameter(nf.tensor([3.0, -1.0]))
    opt = nf.optim.LBFGS([p], max_iter=5)
    losses = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        losses.append(loss)
        return loss

    result = opt.step(closure)
    assert result is losses[0] and len(losses) == opt.state[p]["func_evals"] > 1


def test_lbfgs_already_at_a_minimum_evaluates_once_and_keeps_only_the_counters():
    p = nf.nn.Parameter(nf.zeros(3))
    opt = nf.optim.LBFGS([p])
    closure = numpy_closure(nf, opt, [p], lambda x: (np.sum(x * x), 2 * x))
    opt.step(closure)
    assert opt.state[p] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(p.detach().numpy(), np.zeros(3, np.float32))


def test_lbfgs_calls_the_closure_at_most_max_eval_times_per_step():
    params = make_params(nf, [a.astype(np.float64) for a in START])
    for options in (
        dict(max_iter=50, max_eval=7, lr=0.01),
        dict(max_iter=50, max_eval=7, line_search_fn="strong_wolfe"),
    ):
        calls = []
        opt = nf.optim.LBFGS(params, **options)
        opt.step(numpy_closure(nf, opt, params, calls=calls))
        assert len(calls) <= 7 + 1  # PyTorch's bound: the line search may finish its last evaluation


def test_lbfgs_state_dict_round_trip_continues_like_straight_steps():
    arrays = [a.astype(np.float64) for a in START]
    options = dict(line_search_fn="strong_wolfe", max_iter=4, history_size=3)
    straight_p = make_params(nf, arrays)
    straight = nf.optim.LBFGS(straight_p, **options)
    for _ in range(4):
        straight.step(numpy_closure(nf, straight, straight_p))

    first_p = make_params(nf, arrays)
    first = nf.optim.LBFGS(first_p, **options)
    for _ in range(2):
        first.step(numpy_closure(nf, first, first_p))
    saved = pickle.loads(pickle.dumps(first.state_dict()))
    resumed_p = make_params(nf, [to_array(p) for p in first_p])
    resumed = nf.optim.LBFGS(resumed_p)  # default options: loading restores the saved ones
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["line_search_fn"] == "strong_wolfe"
    for _ in range(2):
        resumed.step(numpy_closure(nf, resumed, resumed_p))
    for p, q in zip(resumed_p, straight_p):
        np.testing.assert_array_equal(to_array(p), to_array(q))
    a, b = resumed.state_dict()["state"][0], straight.state_dict()["state"][0]
    assert list(a) == list(b)
    assert a["n_iter"] == b["n_iter"] and a["func_evals"] == b["func_evals"]
    for key in ("d", "prev_flat_grad", "H_diag"):
        np.testing.assert_array_equal(to_array(a[key]), to_array(b[key]))
    for key in ("old_dirs", "old_stps", "ro"):
        for x, y in zip(a[key], b[key]):
            np.testing.assert_array_equal(to_array(x), to_array(y))


@needs_torch
@FLOATS
def test_lbfgs_loads_a_pytorch_state_dict_and_continues_like_pytorch(dtype):
    arrays = [a.astype(dtype) for a in START]
    options = dict(line_search_fn="strong_wolfe", max_iter=3, history_size=4)
    first_p = make_params(torch, arrays)
    first = torch.optim.LBFGS(first_p, **options)
    for _ in range(2):
        first.step(numpy_closure(torch, first, first_p))
    saved = first.state_dict()
    ours_p = make_params(nf, [to_array(p) for p in first_p])
    theirs_p = make_params(torch, [to_array(p) for p in first_p])
    ours, theirs = nf.optim.LBFGS(ours_p), torch.optim.LBFGS(theirs_p)
    ours.load_state_dict(saved)
    theirs.load_state_dict(saved)
    state = ours.state[ours_p[0]]
    assert isinstance(state["d"], nf.Tensor) and all(isinstance(t, nf.Tensor) for t in state["old_dirs"])
    assert_same_lbfgs_state(ours, theirs, 0.0)
    for _ in range(2):
        ours.step(numpy_closure(nf, ours, ours_p))
        theirs.step(numpy_closure(torch, theirs, theirs_p))
    rtol = {np.float32: 1e-5, np.float64: 1e-10}[dtype]
    for p, q in zip(ours_p, theirs_p):
        np.testing.assert_allclose(to_array(p), to_array(q), rtol=rtol, atol=rtol)
    assert_same_lbfgs_state(ours, theirs, rtol)


# -- a failed step --------------------------------------------------------------------------------


def snapshot(opt, params):
    state = pickle.loads(pickle.dumps(opt.state_dict()["state"]))
    return [to_array(p).copy() for p in params], [p._version for p in params], state


def assert_state_equal(a, b):
    assert list(a) == list(b)
    for pid in a:
        assert list(a[pid]) == list(b[pid])
        for key in a[pid]:
            x, y = a[pid][key], b[pid][key]
            if isinstance(x, list):
                assert len(x) == len(y)
                for u, v in zip(x, y):
                    assert (u is None and v is None) or np.array_equal(to_array(u), to_array(v))
            else:
                assert np.array_equal(to_array(x), to_array(y)), key


def failing_closure(opt, params, fail_at):
    """A Rosenbrock closure that raises on its ``fail_at``-th call (counting from 1)."""
    inner, calls = numpy_closure(nf, opt, params), []

    def closure():
        calls.append(None)
        if len(calls) == fail_at:
            raise ValueError("loss is NaN")
        return inner()

    return closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_closure_failing_at_once_changes_nothing(line_search_fn):
    params = make_params(nf, [a.astype(np.float64) for a in START])
    opt = nf.optim.LBFGS(params, max_iter=3, line_search_fn=line_search_fn)
    opt.step(numpy_closure(nf, opt, params))
    values, versions, state = snapshot(opt, params)
    with pytest.raises(ValueError, match="loss is NaN"):
        opt.step(failing_closure(opt, params, fail_at=1))
    assert [p._version for p in params] == versions
    for p, v in zip(params, values):
        np.testing.assert_array_equal(to_array(p), v)
    assert_state_equal(opt.state_dict()["state"], state)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("fail_at", [2, 4])
def test_lbfgs_closure_failing_mid_step_puts_the_weights_back_and_keeps_the_state(line_search_fn, fail_at):
    params = make_params(nf, [a.astype(np.float64) for a in START])
    opt = nf.optim.LBFGS(params, max_iter=6, line_search_fn=line_search_fn)
    opt.step(numpy_closure(nf, opt, params))
    values, _, state = snapshot(opt, params)
    with pytest.raises(ValueError, match="loss is NaN"):
        opt.step(failing_closure(opt, params, fail_at=fail_at))
    for p, v in zip(params, values):
        np.testing.assert_array_equal(to_array(p), v)
    assert_state_equal(opt.state_dict()["state"], state)
    # and the next step is the one the failed step would have been
    reference_p = make_params(nf, values)
    reference = nf.optim.LBFGS(reference_p, max_iter=6, line_search_fn=line_search_fn)
    reference.load_state_dict(opt.state_dict())
    opt.step(numpy_closure(nf, opt, params))
    reference.step(numpy_closure(nf, reference, reference_p))
    for p, q in zip(params, reference_p):
        np.testing.assert_array_equal(to_array(p), to_array(q))


def test_lbfgs_first_step_failing_creates_no_state():
    params = make_params(nf, [a.astype(np.float64) for a in START])
    opt = nf.optim.LBFGS(params)
    with pytest.raises(ValueError, match="loss is NaN"):
        opt.step(failing_closure(opt, params, fail_at=3))
    assert len(opt.state) == 0
    for p, a in zip(params, START):
        np.testing.assert_array_equal(to_array(p), a)


def test_lbfgs_gradient_of_the_wrong_shape_is_an_error_that_changes_nothing():
    (p,) = make_params(nf, [np.ones(3, np.float32)])
    opt = nf.optim.LBFGS([p])

    def closure():
        p.grad = nf.ones(3)
        p.data = nf.zeros(4)  # the parameter changed shape since its gradient was made
        return nf.tensor(1.0)

    with pytest.raises(RuntimeError, match=r"parameter 0 of param group 0 has shape \(3,\)"):
        opt.step(closure)
    assert len(opt.state) == 0


def test_lbfgs_state_of_another_model_is_an_error_before_anything_changes():
    small = make_params(nf, [np.ones(2)])
    opt_small = nf.optim.LBFGS(small, max_iter=2)
    opt_small.step(numpy_closure(nf, opt_small, small, lambda x: (np.sum(x * x), 2 * x)))
    params = make_params(nf, [np.ones(3)])
    opt = nf.optim.LBFGS(params)
    opt.load_state_dict(opt_small.state_dict())
    versions = [p._version for p in params]
    with pytest.raises(RuntimeError, match=r"flat vectors of shape \(2,\), but the parameters have 3 values"):
        opt.step(numpy_closure(nf, opt, params, lambda x: (np.sum(x * x), 2 * x)))
    assert [p._version for p in params] == versions


# -- options and checks ---------------------------------------------------------------------------


@needs_torch
def test_lbfgs_param_group_options_are_pytorchs():
    ours = nf.optim.LBFGS([nf.nn.Parameter(nf.zeros(2))], max_iter=8)
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=8)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    assert ours.param_groups[0]["max_eval"] == 10  # max_iter * 5 // 4


def test_lbfgs_step_hooks_run_around_the_step():
    p = nf.nn.Parameter(nf.tensor([1.0, 2.0]))
    opt = nf.optim.LBFGS([p], max_iter=2)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", len(args))))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", len(args))))
    opt.step(numpy_closure(nf, opt, [p], lambda x: (np.sum(x * x), 2 * x)))
    assert seen == [("pre", 2), ("post", 2)]


@pytest.mark.parametrize("lib", ["nf", "torch"])
def test_lbfgs_rejects_parameter_groups_like_pytorch(lib):
    lib = nf if lib == "nf" else torch
    if lib is None:
        pytest.skip("PyTorch is not installed")
    groups = [{"params": [lib.zeros(2, requires_grad=True)]}, {"params": [lib.zeros(2, requires_grad=True)]}]
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        lib.optim.LBFGS(groups)


def test_lbfgs_rejects_a_negative_learning_rate():
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1"):
        nf.optim.LBFGS([nf.nn.Parameter(nf.zeros(2))], lr=-1)


def test_lbfgs_needs_a_closure():
    opt = nf.optim.LBFGS([nf.nn.Parameter(nf.zeros(2))])
    with pytest.raises(TypeError, match="closure"):
        opt.step()


def test_lbfgs_unknown_line_search_is_an_error_that_changes_nothing():
    params = make_params(nf, [np.ones(3)])
    opt = nf.optim.LBFGS(params, line_search_fn="backtracking")
    calls = []
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(numpy_closure(nf, opt, params, lambda x: (np.sum(x * x), 2 * x), calls))
    assert len(opt.state) == 0 and params[0]._version == 0
