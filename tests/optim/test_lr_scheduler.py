"""numpyflow/optim/lr_scheduler.py: every scheduler's learning rates (and OneCycle's and
CyclicLR's momentum) step by step against PyTorch's, chained and sequential schedules,
state_dict round trips, ReduceLROnPlateau on a metric sequence, and the checks."""

import pickle
import warnings

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
import numpyflow.optim.lr_scheduler as lr_scheduler

STEPS = 100


def make_optimizer(lib, name="SGD"):
    """Two groups with different learning rates (the second with its own momentum)."""
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    if name == "SGD":
        return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.5}], lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)


def record(opt, scheduler):
    """What a scheduler step may change: its last lrs, the groups' lrs and momenta."""
    groups = opt.param_groups
    return (
        list(scheduler.get_last_lr())
        + [g["lr"] for g in groups]
        + [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups]
    )


def trajectory(lib, make, name="SGD", steps=STEPS):
    opt = make_optimizer(lib, name)
    scheduler = make(lib.optim.lr_scheduler, opt)
    out = [record(opt, scheduler)]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append(record(opt, scheduler))
    return np.array(out, dtype=np.float64)


def assert_same_trajectory(make, name="SGD", steps=STEPS):
    ours, theirs = trajectory(nf, make, name, steps), trajectory(torch, make, name, steps)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-3),  # 100 steps: down, up, down
    "CosineAnnealingLR_to_zero": lambda S, o: S.CosineAnnealingLR(o, T_max=100),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda epoch: 0.95**epoch),
    "LambdaLR_per_group": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: (e % 10) / 10]),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=40),
    "LinearLR_decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=100),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=20),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.98),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=50, power=2.0),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3),
    "CyclicLR_triangular2": lambda S, o: S.CyclicLR(
        o, 0.01, [0.1, 0.2], step_size_up=7, step_size_down=13, mode="triangular2"
    ),
    "CyclicLR_exp_range": lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.3, step_size_up=10, mode="exp_range", gamma=0.99),
    "OneCycleLR_cos": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS),
    "OneCycleLR_linear_three_phase": lambda S, o: S.OneCycleLR(
        o,
        max_lr=1.0,
        epochs=10,
        steps_per_epoch=10,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
        final_div_factor=100.0,
        base_momentum=0.8,
        max_momentum=[0.9, 0.99],
    ),
    "OneCycleLR_no_momentum": lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=120, cycle_momentum=False),
    "SequentialLR_warmup_cosine": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.CosineAnnealingLR(o, T_max=90)], milestones=[10]
    ),
    "SequentialLR_three": lambda S, o: S.SequentialLR(
        o,
        [
            S.ConstantLR(o, factor=0.5, total_iters=5),
            S.ExponentialLR(o, gamma=0.9),
            S.StepLR(o, step_size=10, gamma=0.5),
        ],
        milestones=[20, 60],
    ),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ExponentialLR(o, gamma=0.99), S.CosineAnnealingLR(o, T_max=20), S.MultiStepLR(o, [5, 50])]
    ),
}


@needs_torch
@pytest.mark.parametrize("make", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_scheduler_learning_rates_match_pytorch_over_100_steps(make):
    assert_same_trajectory(make)


@needs_torch
@pytest.mark.parametrize("name", ["OneCycleLR_cos", "OneCycleLR_linear_three_phase", "CyclicLR_triangular2"])
def test_cycled_momentum_moves_adams_beta1_like_pytorch(name):
    assert_same_trajectory(SCHEDULERS[name], name="Adam")


@needs_torch
def test_two_schedulers_stepped_together_chain_like_pytorch():
    class Both:
        def __init__(self, S, o):
            self.first, self.second = S.ExponentialLR(o, gamma=0.95), S.MultiStepLR(o, [15, 40], gamma=0.2)

        def step(self):
            self.first.step()
            self.second.step()

        def get_last_lr(self):
            return self.second.get_last_lr()

    assert_same_trajectory(Both)


@needs_torch
def test_nested_sequential_inside_chained_matches_pytorch():
    def make(S, o):
        warmup_then_cosine = S.SequentialLR(
            o, [S.LinearLR(o, start_factor=0.5, total_iters=5), S.CosineAnnealingLR(o, T_max=40)], milestones=[5]
        )
        return S.ChainedScheduler([warmup_then_cosine, S.ExponentialLR(o, gamma=0.995)])

    assert_same_trajectory(make)


@needs_torch
def test_deprecated_epoch_argument_uses_the_closed_form_like_pytorch():
    def run(lib):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [1, 2, 7, 7, 12, 4]:
                opt.step()
                scheduler.step(epoch)
                out.append(scheduler.get_last_lr())
        return out

    np.testing.assert_allclose(run(nf), run(torch), rtol=1e-12)


# -- state_dict round trips ---------------------------------------------------------------------------

ROUND_TRIP = [
    "StepLR",
    "MultiStepLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "LinearLR",
    "OneCycleLR_cos",
    "OneCycleLR_linear_three_phase",
    "SequentialLR_warmup_cosine",
    "ChainedScheduler",
    "CosineAnnealingWarmRestarts",
    "CyclicLR_triangular2",
    "ExponentialLR",
]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_scheduler_state_dict_round_trip_continues_like_the_straight_run(name):
    make = SCHEDULERS[name]
    straight = trajectory(nf, make)
    opt = make_optimizer(nf)
    scheduler = make(lr_scheduler, opt)
    for _ in range(40):
        opt.step()
        scheduler.step()
    saved = pickle.loads(pickle.dumps((opt.state_dict(), scheduler.state_dict())))

    opt = make_optimizer(nf)
    scheduler = make(lr_scheduler, opt)  # as PyTorch advises: make the scheduler, then load both
    opt.load_state_dict(saved[0])
    scheduler.load_state_dict(saved[1])
    resumed = [record(opt, scheduler)]
    for _ in range(STEPS - 40):
        opt.step()
        scheduler.step()
        resumed.append(record(opt, scheduler))
    np.testing.assert_array_equal(np.array(resumed), straight[40:])


# -- ReduceLROnPlateau -----------------------------------------------------------------------------------

METRICS = [
    1.0,
    0.9,
    0.95,
    0.95,
    0.95,
    0.95,
    0.8,
    0.8,
    0.8,
    0.79999,
    0.8,
    0.8,
    0.8,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.71,
    0.72,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.49,
    0.49,
]
PLATEAU = {
    "min_rel": dict(mode="min", factor=0.5, patience=2),
    "min_abs_cooldown": dict(mode="min", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    "max_rel_min_lr": dict(mode="max", factor=0.1, patience=0, min_lr=[0.005, 0.02]),
    "max_abs_large_eps": dict(mode="max", factor=0.9, patience=3, threshold=0.01, threshold_mode="abs", eps=0.01),
}


def plateau_run(lib, options, metrics, scheduler=None, opt=None):
    opt = opt or make_optimizer(lib)
    scheduler = scheduler or lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    out = []
    for m in metrics:
        opt.step()
        scheduler.step(lib.tensor(m, dtype=lib.float64))  # a 0-d tensor metric, as a loss would be
        out.append(
            list(scheduler.get_last_lr())
            + [g["lr"] for g in opt.param_groups]
            + [scheduler.num_bad_epochs, scheduler.cooldown_counter, scheduler.best]
        )
    return out, opt, scheduler


@needs_torch
@pytest.mark.parametrize("options", PLATEAU.values(), ids=PLATEAU.keys())
def test_reduce_lr_on_plateau_follows_a_metric_sequence_like_pytorch(options):
    metrics = METRICS if options["mode"] == "min" else [-m for m in METRICS]
    ours, _, _ = plateau_run(nf, options, metrics)
    theirs, _, _ = plateau_run(torch, options, metrics)
    np.testing.assert_allclose(np.array(ours, float), np.array(theirs, float), rtol=1e-12)


def test_reduce_lr_on_plateau_reduces_after_patience_bad_epochs():
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    lrs = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0]:
        scheduler.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05]


def test_reduce_lr_on_plateau_state_dict_round_trip():
    straight, _, _ = plateau_run(nf, PLATEAU["min_abs_cooldown"], METRICS)
    first, opt, scheduler = plateau_run(nf, PLATEAU["min_abs_cooldown"], METRICS[:12])
    saved = pickle.loads(pickle.dumps((opt.state_dict(), scheduler.state_dict())))
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt)
    opt.load_state_dict(saved[0])
    scheduler.load_state_dict(saved[1])
    rest, _, _ = plateau_run(nf, None, METRICS[12:], scheduler=scheduler, opt=opt)
    assert first + rest == straight


def test_reduce_lr_on_plateau_rejects_invalid_options():
    opt = make_optimizer(nf)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="threshold mode percent is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="percent")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


# -- the base class and the checks -----------------------------------------------------------------------


def test_lr_scheduler_is_a_module_of_optim_with_pytorchs_names():
    assert nf.optim.lr_scheduler is lr_scheduler
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
    for name in [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "CosineAnnealingLR",
        "LambdaLR",
        "LinearLR",
        "OneCycleLR",
        "SequentialLR",
        "ReduceLROnPlateau",
        "ChainedScheduler",
        "ConstantLR",
        "CyclicLR",
    ]:
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler)


def test_a_scheduler_sets_initial_lr_in_each_group_and_keeps_base_lrs():
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.5] == scheduler.base_lrs
    opt.step()
    scheduler.step()
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.25] == scheduler.get_last_lr()
    assert scheduler.last_epoch == 1 and [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_a_custom_scheduler_subclassing_the_old_base_name_works():
    class Halving(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5**self.last_epoch for base in self.base_lrs]

    opt = make_optimizer(nf)
    scheduler = Halving(opt)
    for _ in range(3):
        opt.step()
        scheduler.step()
    assert scheduler.get_last_lr() == [0.1 / 8, 0.5 / 8]


def test_resuming_without_initial_lr_is_a_key_error_that_says_why():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(nf), step_size=2, last_epoch=5)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        scheduler.step()


def test_stepping_in_the_right_order_does_not_warn():
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            scheduler.step()


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)


def test_one_cycle_raises_when_stepped_past_its_total_steps():
    opt = make_optimizer(nf)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(2):
        opt.step()
        scheduler.step()
    opt.step()
    scheduler.step()  # the last value: step 3 of 3
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        scheduler.step()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_lr=1.0), r"You must define either total_steps OR \(epochs AND steps_per_epoch\)"),
        (dict(max_lr=1.0, total_steps=0), "Expected positive integer total_steps, but got 0"),
        (dict(max_lr=1.0, epochs=2, steps_per_epoch=-1), "Expected positive integer steps_per_epoch, but got -1"),
        (dict(max_lr=1.0, total_steps=10, pct_start=1.5), "Expected float between 0 and 1 pct_start, but got 1.5"),
        (dict(max_lr=1.0, total_steps=10, anneal_strategy="exp"), "anneal_strategy must be one of 'cos' or 'linear'"),
        (dict(max_lr=[1.0, 2.0, 3.0], total_steps=10), "max_lr must have the same length as optimizer.param_groups"),
    ],
)
def test_one_cycle_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_scheduler.OneCycleLR(make_optimizer(nf), **kwargs)


def test_one_cycle_momentum_needs_an_optimizer_with_momentum_or_betas():
    opt = nf.optim.Adagrad([nf.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)


def test_sequential_lr_checks_its_milestones_and_schedulers():
    opt = make_optimizer(nf)
    with pytest.raises(ValueError, match="number of schedulers 2 and the number of milestones to be equal to 2"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(opt, 3)], milestones=[1, 2])
    other = make_optimizer(nf)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(other, 3)], milestones=[1])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(opt)])


def test_linear_lr_rejects_factors_out_of_range():
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        lr_scheduler.LinearLR(make_optimizer(nf), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1"):
        lr_scheduler.LinearLR(make_optimizer(nf), end_factor=2)


def test_a_tensor_learning_rate_is_updated_in_place():
    lr = nf.tensor(0.1, dtype=nf.float64)
    opt = nf.optim.SGD([nf.zeros(2, requires_grad=True)], lr=lr)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.05


@pytest.mark.parametrize("name", ["MultiStepLR", "SequentialLR_three", "OneCycleLR_cos", "ChainedScheduler"])
def test_optimizer_and_scheduler_state_dicts_survive_a_checkpoint_file(name, tmp_path):
    opt = make_optimizer(nf, "Adam")
    scheduler = SCHEDULERS[name](lr_scheduler, opt)
    for _ in range(12):
        opt.step()
        scheduler.step()
    nf.save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "checkpoint.pt")
    checkpoint = nf.load(tmp_path / "checkpoint.pt")  # the safe (weights-only) unpickling
    resumed_opt = make_optimizer(nf, "Adam")
    resumed = SCHEDULERS[name](lr_scheduler, resumed_opt)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    for _ in range(20):
        for o, s in ((opt, scheduler), (resumed_opt, resumed)):
            o.step()
            s.step()
        assert record(resumed_opt, resumed) == record(opt, scheduler)
