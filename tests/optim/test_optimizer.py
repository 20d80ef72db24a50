"""numpyflow/optim/optimizer.py: parameter groups, zero_grad, state_dict / load_state_dict,
the checks on parameters, and steps that are applied whole or not at all."""

import pickle

import numpy as np
import pytest
from optim_reference import assert_same_state, compare_with_pytorch, make_params, run
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.optim.optimizer import Optimizer, required

STATEFUL = {  # every optimizer, with the options that give it the most state
    "SGD": dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "Adam": dict(lr=0.1, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.1, amsgrad=True),
    "RMSprop": dict(lr=0.1, momentum=0.9, centered=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.1),
    "Adadelta": dict(lr=0.5, weight_decay=0.1),
    "Adamax": dict(lr=0.1, weight_decay=0.1),
    "NAdam": dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
    "ASGD": dict(lr=0.1, t0=1, weight_decay=0.1),
    "Rprop": dict(lr=0.1, etas=(0.4, 1.3)),
}


def params(*shapes):
    rng = np.random.default_rng(0)
    return [nf.nn.Parameter(nf.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]


def set_grads(ps, seed=1):
    rng = np.random.default_rng(seed)
    for p in ps:
        p.grad = nf.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


def snapshot(opt):
    """Everything a step may change: parameter values and versions, the state."""
    ps = [p for g in opt.param_groups for p in g["params"]]
    values = [p.detach().numpy().copy() for p in ps]
    versions = [p._version for p in ps]
    state = {
        id(p): {k: (v.numpy().copy() if isinstance(v, nf.Tensor) else v) for k, v in s.items()}
        for p, s in opt.state.items()
    }
    return values, versions, state


def assert_unchanged(opt, before):
    values, versions, state = snapshot(opt)
    for a, b in zip(values, before[0]):
        np.testing.assert_array_equal(a, b)
    assert versions == before[1]
    assert state.keys() == before[2].keys()
    for pid in state:
        assert list(state[pid]) == list(before[2][pid])
        for key in state[pid]:
            np.testing.assert_array_equal(state[pid][key], before[2][pid][key])


# -- parameter groups ------------------------------------------------------------------------


def test_an_iterable_of_tensors_makes_one_group_with_the_defaults():
    ps = params((2,), (3,))
    opt = nf.optim.SGD(iter(ps), lr=0.5, momentum=0.1)
    assert len(opt.param_groups) == 1
    group = opt.param_groups[0]
    assert len(group["params"]) == 2 and all(a is b for a, b in zip(group["params"], ps))
    assert group["lr"] == 0.5 and group["momentum"] == 0.1 and group["nesterov"] is False


def test_group_options_override_the_defaults_and_missing_ones_are_filled_in():
    a, b = params((2,), (3,))
    opt = nf.optim.Adam([{"params": [a], "lr": 0.5}, {"params": b, "betas": (0.5, 0.6)}], lr=0.01)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a list


def test_each_group_steps_with_its_own_learning_rate():
    a, b = params((2,), (2,))
    opt = nf.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    start = [a.detach().numpy().copy(), b.detach().numpy().copy()]
    a.grad, b.grad = nf.ones(2), nf.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), start[0] - 0.1, rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), start[1] - 1.0, rtol=1e-6)


def test_add_param_group_adds_a_group_that_the_next_step_updates():
    a, b = params((2,), (3,))
    opt = nf.optim.SGD([a], lr=0.1, momentum=0.9)
    group = {"params": [b], "lr": 0.01}
    opt.add_param_group(group)
    assert opt.param_groups[1] is group and group["momentum"] == 0.9  # filled in, like PyTorch
    b.grad = nf.ones(3)
    before = b.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(b.detach().numpy(), before - 0.01, rtol=1e-6)
    assert "momentum_buffer" in opt.state[b]


def test_named_parameters_record_their_names_in_the_group_and_state_dict():
    a, b = params((2,), (3,))
    opt = nf.optim.SGD([("layer.weight", a), ("layer.bias", b)], lr=0.1)
    assert opt.param_groups[0]["params"][0] is a
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight", "layer.bias"]


def test_repr_lists_each_group_and_its_options():
    opt = nf.optim.SGD(params((2,)), lr=0.25)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.25" in text


# -- checks on parameters ----------------------------------------------------------------------


def test_a_single_tensor_instead_of_an_iterable_is_a_type_error():
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        nf.optim.SGD(nf.nn.Parameter(nf.zeros(2)), lr=0.1)


def test_an_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        nf.optim.Adam([])


def test_a_set_of_parameters_is_rejected_for_its_unstable_order():
    with pytest.raises(TypeError, match="ordered collections"):
        nf.optim.SGD([{"params": set(params((2,)))}], lr=0.1)


def test_something_that_is_not_a_tensor_is_rejected_by_type():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is .*ndarray"):
        nf.optim.SGD([np.zeros(2)], lr=0.1)


def test_a_parameter_that_is_not_a_leaf_is_rejected():
    (a,) = params((2,))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        nf.optim.SGD([a * 2], lr=0.1)


def test_a_parameter_in_two_groups_is_rejected_and_the_groups_stay_as_they_were():
    a, b = params((2,), (2,))
    opt = nf.optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [b, a]})
    assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match="more than one parameter group"):
        nf.optim.Adam([{"params": [a]}, {"params": [b, a]}])


def test_a_parameter_twice_in_one_group_is_rejected():
    (a,) = params((2,))
    with pytest.raises(ValueError, match="duplicate parameter"):
        nf.optim.SGD([a, a], lr=0.1)


def test_an_invalid_option_in_a_new_group_leaves_the_optimizer_unchanged():
    a, b = params((2,), (2,))
    opt = nf.optim.Adam([a])
    group = {"params": [b], "lr": -1.0}
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        opt.add_param_group(group)
    assert len(opt.param_groups) == 1 and group == {"params": [b], "lr": -1.0}


def test_a_non_numeric_option_is_a_type_error_naming_the_option():
    with pytest.raises(TypeError, match="option 'lr' must be a number"):
        nf.optim.SGD(params((2,)), lr="0.1")


def test_a_required_option_missing_from_a_group_is_an_error():
    class Plain(Optimizer):
        def __init__(self, ps, lr=required):
            super().__init__(ps, dict(lr=lr))

    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Plain(params((2,)))


def test_a_custom_optimizer_written_like_a_pytorch_one_works():
    class PlainSGD(Optimizer):
        def __init__(self, ps, lr=required):
            super().__init__(ps, dict(lr=lr))

        @nf.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])
                        self.state[p]["steps"] = self.state[p].get("steps", 0) + 1

    (a,) = params((3,))
    start = a.detach().numpy().copy()
    opt = PlainSGD([a], lr=0.5)
    a.grad = nf.ones(3)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), start - 0.5, rtol=1e-6)
    assert opt.state_dict()["state"] == {0: {"steps": 1}}


# -- zero_grad --------------------------------------------------------------------------------


def test_zero_grad_sets_gradients_to_none_by_default():
    ps = params((2,), (3,))
    set_grads(ps)
    nf.optim.SGD(ps, lr=0.1).zero_grad()
    assert all(p.grad is None for p in ps)


def test_zero_grad_without_set_to_none_zeroes_the_same_gradient_tensors():
    ps = params((2,), (3,))
    set_grads(ps)
    grads = [p.grad for p in ps]
    nf.optim.SGD(ps, lr=0.1).zero_grad(set_to_none=False)
    for p, g in zip(ps, grads):
        assert p.grad is g and not g.requires_grad
        np.testing.assert_array_equal(g.numpy(), np.zeros(tuple(p.shape), np.float32))


def test_zero_grad_detaches_a_gradient_that_has_a_graph():
    (a,) = params((2,))
    (a * a).sum().backward(create_graph=True)
    assert a.grad.requires_grad
    nf.optim.SGD([a], lr=0.1).zero_grad(set_to_none=False)
    assert not a.grad.requires_grad and a.grad.grad_fn is None
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])


# -- step and closure -------------------------------------------------------------------------


def test_step_returns_the_closure_loss_computed_with_gradients_enabled():
    (a,) = params((3,))
    opt = nf.optim.SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with nf.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, nf.Tensor) and loss.requires_grad


# -- a step is applied whole or not at all ---------------------------------------------------------


@pytest.mark.parametrize("name", STATEFUL)
def test_a_gradient_of_the_wrong_shape_leaves_parameters_and_state_unchanged(name):
    ps = params((3, 4), (2,), (5,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    for seed in range(2):
        set_grads(ps, seed)
        opt.step()
    set_grads(ps, 7)
    ps[-1].data = nf.zeros(6)  # the last parameter changed shape since its gradient was made
    before = snapshot(opt)
    message = r"parameter 2 of param group 0 has shape \(5,\) but the parameter has shape \(6,\)"
    with pytest.raises(RuntimeError, match=message):
        opt.step()
    assert_unchanged(opt, before)


@pytest.mark.parametrize("name", STATEFUL)
def test_a_failed_first_step_creates_no_state(name):
    ps = params((3,), (2,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    set_grads(ps)
    ps[1].data = nf.zeros(4)
    before = snapshot(opt)
    with pytest.raises(RuntimeError, match="has shape"):
        opt.step()
    assert_unchanged(opt, before)
    assert len(opt.state) == (2 if name == "Adagrad" else 0)  # Adagrad's state exists from the start


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"])
def test_a_floating_point_error_raised_mid_step_leaves_everything_unchanged(name):
    ps = params((3, 4), (5,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    set_grads(ps)
    opt.step()
    set_grads(ps, 3)
    ps[1].grad = nf.tensor([np.inf, 1.0, 1.0, 1.0, 1.0])  # inf / inf in the last parameter
    before = snapshot(opt)
    with np.errstate(invalid="raise", divide="raise", over="raise"):
        with pytest.raises(FloatingPointError):
            opt.step()
    assert_unchanged(opt, before)


@pytest.mark.parametrize("name", STATEFUL)
def test_a_closure_that_raises_leaves_everything_unchanged(name):
    ps = params((3,), (2,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    set_grads(ps)
    opt.step()
    set_grads(ps, 2)

    def closure():
        loss = (ps[0] * float("nan")).sum()
        if loss.isnan().item():
            raise ValueError("loss is NaN")
        return loss

    before = snapshot(opt)
    with pytest.raises(ValueError, match="loss is NaN"):
        opt.step(closure)
    assert_unchanged(opt, before)


@pytest.mark.parametrize(
    "name, key",
    [
        ("SGD", "momentum_buffer"),
        ("Adam", "exp_avg_sq"),
        ("RMSprop", "grad_avg"),
        ("Adagrad", "sum"),
        ("Adadelta", "acc_delta"),
        ("Adamax", "exp_inf"),
        ("NAdam", "exp_avg_sq"),
        ("RAdam", "exp_avg"),
        ("ASGD", "ax"),
        ("Rprop", "step_size"),
    ],
)
def test_state_of_the_wrong_shape_is_an_error_that_changes_nothing(name, key):
    ps = params((3,), (2,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    set_grads(ps)
    opt.step()
    opt.state[ps[1]][key] = nf.zeros(3)
    before = snapshot(opt)
    with pytest.raises(RuntimeError, match=f"state '{key}' of parameter 1 of param group 0 has shape \\(3,\\)"):
        opt.step()
    assert_unchanged(opt, before)


def test_a_read_only_parameter_is_an_error_before_anything_changes():
    (a,) = params((3,))
    b = nf.nn.Parameter(nf.zeros(1).expand(4))  # a broadcast view: read-only memory
    opt = nf.optim.SGD([a, b], lr=0.1)
    a.grad, b.grad = nf.ones(3), nf.ones(4)
    before = snapshot(opt)
    with pytest.raises(RuntimeError, match="read-only"):
        opt.step()
    assert_unchanged(opt, before)


# -- state_dict / load_state_dict -----------------------------------------------------------------


def test_state_dict_references_parameters_by_position_and_holds_numpyflow_tensors():
    a, b, c = params((2,), (3,), (1,))
    opt = nf.optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    set_grads([a, c])  # b has no gradient: no state
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]
    assert all(isinstance(v, nf.Tensor) for s in sd["state"].values() for v in s.values())
    assert sd["param_groups"][1]["lr"] == 0.5


@needs_torch
@pytest.mark.parametrize("name", STATEFUL)
def test_state_dict_has_pytorchs_layout_keys_and_options(name):
    arrays = [np.ones((2, 3), np.float32), np.ones(4, np.float32), np.ones((), np.float32)]
    grads = [[np.full(a.shape, 0.5, np.float32) for a in arrays]] * 2
    groups = lambda ps: [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01}]  # noqa: E731
    ours_p, theirs_p = make_params(nf, arrays), make_params(torch, arrays)
    ours = run(nf, getattr(nf.optim, name)(groups(ours_p), **STATEFUL[name]), ours_p, grads)
    theirs = run(torch, getattr(torch.optim, name)(groups(theirs_p), **STATEFUL[name]), theirs_p, grads)
    assert_same_state(ours, theirs, 1e-6, name)


def test_load_state_dict_copies_and_casts_floating_state_to_the_parameter_dtype():
    (a,) = params((3,))
    opt = nf.optim.Adam([a])
    a.grad = nf.ones(3)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0] = {k: v.double() for k, v in sd["state"][0].items()}
    fresh = nf.optim.Adam([nf.nn.Parameter(nf.zeros(3))])
    fresh.load_state_dict(sd)
    state = next(iter(fresh.state.values()))
    assert state["exp_avg"].dtype == nf.float32 and state["step"].dtype == nf.float64  # step keeps its dtype
    assert not np.shares_memory(state["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy())


def test_the_loaded_optimizer_does_not_share_state_with_the_one_saved():
    ps = params((3,))
    opt = nf.optim.SGD(ps, lr=0.1, momentum=0.9)
    set_grads(ps)
    opt.step()
    other_p = [nf.nn.Parameter(ps[0].detach().clone())]
    other = nf.optim.SGD(other_p, lr=0.1, momentum=0.9)
    other.load_state_dict(opt.state_dict())
    saved = other.state[other_p[0]]["momentum_buffer"].numpy().copy()
    set_grads(ps, 5)
    opt.step()
    np.testing.assert_array_equal(other.state[other_p[0]]["momentum_buffer"].numpy(), saved)


def test_load_state_dict_restores_the_saved_options():
    ps = params((2,))
    sd = nf.optim.SGD(ps, lr=0.3, momentum=0.5, nesterov=True).state_dict()
    opt = nf.optim.SGD(params((2,)), lr=0.1)
    opt.load_state_dict(pickle.loads(pickle.dumps(sd)))
    group = opt.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.3, 0.5, True)


def test_load_state_dict_with_another_number_of_groups_is_an_error():
    sd = nf.optim.SGD([{"params": params((2,))}, {"params": params((2,))}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        nf.optim.SGD(params((2,)), lr=0.1).load_state_dict(sd)


def test_load_state_dict_with_groups_of_another_size_is_an_error_that_changes_nothing():
    sd = nf.optim.Adam([{"params": params((2,), (3,))}]).state_dict()
    opt = nf.optim.Adam(params((2,), (3,), (4,)), lr=0.5)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.5 and len(opt.param_groups[0]["params"]) == 3


def test_load_state_dict_with_state_of_the_wrong_shape_is_an_error_that_changes_nothing():
    src = params((2,))
    opt_src = nf.optim.Adam(src)
    set_grads(src)
    opt_src.step()
    dst = params((3,))
    opt = nf.optim.Adam(dst, lr=0.5)
    message = r"'exp_avg' of shape \(2,\) for parameter 0 of param group 0, which has shape \(3,\)"
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(opt_src.state_dict())
    assert opt.param_groups[0]["lr"] == 0.5 and len(opt.state) == 0


# -- step hooks -----------------------------------------------------------------------------------


def test_step_hooks_run_before_and_after_the_update_and_can_be_removed():
    ps = params((3,))
    opt = nf.optim.SGD(ps, lr=0.1)
    seen = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", ps[0].detach().numpy().copy())))
    post = opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", ps[0].detach().numpy().copy())))
    set_grads(ps)
    before = ps[0].detach().numpy().copy()
    opt.step()
    assert [k for k, _ in seen] == ["pre", "post"]
    np.testing.assert_array_equal(seen[0][1], before)
    assert not np.array_equal(seen[1][1], before)
    pre.remove()
    post.remove()
    opt.step()
    assert len(seen) == 2


def _after_one_step(name, next_grads_seed):
    """An optimizer ``name`` with state from one step, and fresh gradients for the next."""
    ps = params((3, 4), (5,))
    opt = getattr(nf.optim, name)(ps, **STATEFUL[name])
    set_grads(ps)
    opt.step()
    set_grads(ps, next_grads_seed)
    return ps, opt


@pytest.mark.parametrize("name", STATEFUL)
def test_a_pre_hook_that_raises_leaves_parameters_and_state_unchanged(name):
    ps, opt = _after_one_step(name, 3)

    def nan_guard(o, args, kwargs):
        for p in ps:
            if not np.isfinite(p.grad.numpy()).all():
                raise RuntimeError("non-finite gradient")

    opt.register_step_pre_hook(nan_guard)
    ps[1].grad = nf.tensor([1.0, np.nan, 1.0, 1.0, 1.0])
    before = snapshot(opt)
    with pytest.raises(RuntimeError, match="non-finite gradient"):
        opt.step()
    assert_unchanged(opt, before)


@pytest.mark.parametrize("name", STATEFUL)
def test_a_hook_that_reshapes_a_gradient_makes_the_step_fail_whole(name):
    ps, opt = _after_one_step(name, 4)

    def bad_hook(o, args, kwargs):
        ps[1].data = nf.zeros(6)  # the parameter no longer matches its gradient

    opt.register_step_pre_hook(bad_hook)
    before = snapshot(opt)
    with pytest.raises(RuntimeError, match="has shape"):  # found before anything is applied
        opt.step()
    values, versions, state = snapshot(opt)
    np.testing.assert_array_equal(values[0], before[0][0])  # the hook changed only ps[1] itself
    assert versions[0] == before[1][0]
    assert state.keys() == before[2].keys()
    for pid in state:
        for key in state[pid]:
            np.testing.assert_array_equal(state[pid][key], before[2][pid][key])


def test_a_pre_hook_can_replace_the_closure_and_a_bad_return_is_an_error():
    ps = params((2,))
    opt = nf.optim.SGD(ps, lr=0.1)
    set_grads(ps)
    handle = opt.register_step_pre_hook(lambda o, args, kwargs: ((o, lambda: nf.tensor(7.0)), {}))
    assert opt.step().item() == 7.0
    handle.remove()
    opt.register_step_pre_hook(lambda o, args, kwargs: "nonsense")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


@needs_torch
def test_step_hooks_see_what_pytorchs_see():
    seen = {}
    for lib in (nf, torch):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        p.grad = lib.ones(2)
        calls = []

        def record(when):
            return lambda o, args, kwargs: calls.append((when, o is opt, [a is opt for a in args], kwargs))

        opt.register_step_pre_hook(record("pre"))
        opt.register_step_post_hook(record("post"))
        opt.step()
        seen[lib.__name__] = calls
    assert seen["numpyflow"] == seen["torch"]


@needs_torch
@pytest.mark.parametrize("name", STATEFUL)
def test_scalar_state_takes_a_float64_default_dtype_like_pytorch(name):
    """``step`` (and NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) are float64 when the
    default dtype is, whatever the parameters' dtype."""
    nf.set_default_dtype(nf.float64)
    torch.set_default_dtype(torch.float64)
    try:
        compare_with_pytorch(name, STATEFUL[name], np.float32, steps=3)
    finally:
        nf.set_default_dtype(nf.float32)
        torch.set_default_dtype(torch.float32)
