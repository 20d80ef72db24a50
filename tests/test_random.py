"""numpyflow/random.py: the seeded global generator, nf.Generator, and sample sanity."""

import numpy as np
import pytest

import numpyflow as nf

SAMPLERS = {
    "rand": lambda g=None: nf.rand(4, 3, generator=g),
    "randn": lambda g=None: nf.randn(4, 3, generator=g),
    "randint": lambda g=None: nf.randint(0, 1000, (12,), generator=g),
    "normal": lambda g=None: nf.normal(1.0, 2.0, (12,), generator=g),
    "normal_tensor_mean": lambda g=None: nf.normal(nf.zeros(12), 1.0, generator=g),
    "normal_": lambda g=None: nf.zeros(12).normal_(generator=g),
    "uniform_": lambda g=None: nf.zeros(12).uniform_(-1.0, 1.0, generator=g),
    "randperm": lambda g=None: nf.randperm(50, generator=g),
    "rand_float64": lambda g=None: nf.rand(12, dtype=nf.float64, generator=g),
    "randn_float16": lambda g=None: nf.randn(12, dtype=nf.float16, generator=g),
}


@pytest.fixture(autouse=True)
def _restore_global_rng():
    state = nf.get_rng_state()
    yield
    nf.set_rng_state(state)


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_manual_seed_makes_sampling_repeat_exactly(name):
    sample = SAMPLERS[name]
    nf.manual_seed(1234)
    first = [sample(), sample()]
    nf.manual_seed(1234)
    second = [sample(), sample()]
    assert _same(first[0], second[0])
    assert _same(first[1], second[1])


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_successive_draws_after_one_seed_differ(name):
    sample = SAMPLERS[name]
    nf.manual_seed(7)
    assert not _same(sample(), sample())


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_different_seeds_give_different_samples(name):
    sample = SAMPLERS[name]
    nf.manual_seed(1)
    a = sample()
    nf.manual_seed(2)
    b = sample()
    assert not _same(a, b)


def test_a_mixed_sequence_of_ops_repeats_after_manual_seed():
    def run():
        x = nf.randn(3, 3)
        x.uniform_()
        i = nf.randint(0, 5, (4,))
        p = nf.randperm(6)
        return [x, i, p, nf.rand(2)]

    nf.manual_seed(99)
    first = run()
    nf.manual_seed(99)
    second = run()
    assert all(_same(a, b) for a, b in zip(first, second))


def test_manual_seed_returns_a_generator_and_sets_initial_seed():
    g = nf.manual_seed(42)
    assert isinstance(g, nf.Generator)
    assert nf.initial_seed() == 42


def test_seed_reseeds_the_global_generator():
    nf.manual_seed(5)
    a = nf.rand(8)
    s = nf.seed()
    assert isinstance(s, int)
    assert nf.initial_seed() == s
    nf.manual_seed(5)
    assert _same(nf.rand(8), a)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_generator_with_the_same_seed_repeats(name):
    sample = SAMPLERS[name]
    a = sample(nf.Generator().manual_seed(3))
    b = sample(nf.Generator().manual_seed(3))
    assert _same(a, b)


def test_generator_manual_seed_returns_the_generator():
    g = nf.Generator()
    assert g.manual_seed(3) is g
    assert g.initial_seed() == 3


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_sampling_with_a_generator_leaves_the_global_generator_alone(name):
    sample = SAMPLERS[name]
    nf.manual_seed(11)
    expected = nf.rand(6)
    nf.manual_seed(11)
    sample(nf.Generator().manual_seed(0))
    assert _same(nf.rand(6), expected)


def test_global_sampling_leaves_a_generator_alone():
    g = nf.Generator().manual_seed(21)
    expected = nf.Generator().manual_seed(21)
    nf.rand(100)
    nf.randn(100)
    assert _same(nf.rand(5, generator=g), nf.rand(5, generator=expected))


def test_two_generators_are_independent():
    g1 = nf.Generator().manual_seed(8)
    g2 = nf.Generator().manual_seed(8)
    a1 = nf.rand(4, generator=g1)
    nf.rand(100, generator=g2)  # advance only g2
    b1 = nf.rand(4, generator=g1)
    fresh = nf.Generator().manual_seed(8)
    nf.rand(4, generator=fresh)
    assert _same(b1, nf.rand(4, generator=fresh))
    assert not _same(a1, b1)


def test_get_and_set_rng_state_round_trip():
    nf.manual_seed(3)
    nf.rand(10)
    state = nf.get_rng_state()
    a = [nf.rand(5), nf.randn(5), nf.randint(0, 100, (5,)), nf.randperm(9)]
    nf.set_rng_state(state)
    b = [nf.rand(5), nf.randn(5), nf.randint(0, 100, (5,)), nf.randperm(9)]
    assert all(_same(x, y) for x, y in zip(a, b))


def test_rng_state_is_a_snapshot_not_a_live_view():
    nf.manual_seed(3)
    state = nf.get_rng_state()
    first = nf.rand(5)
    nf.rand(50)  # advancing the generator must not change the saved state
    nf.set_rng_state(state)
    assert _same(nf.rand(5), first)
    nf.set_rng_state(state)  # the same state can be restored twice
    assert _same(nf.rand(5), first)


def test_generator_get_and_set_state_round_trip():
    g = nf.Generator().manual_seed(17)
    nf.randn(3, generator=g)
    state = g.get_state()
    a = nf.randn(6, generator=g)
    g.set_state(state)
    assert _same(nf.randn(6, generator=g), a)


def test_generator_state_moves_between_generators():
    g = nf.Generator().manual_seed(17)
    nf.rand(3, generator=g)
    h = nf.Generator().set_state(g.get_state())
    assert _same(nf.rand(6, generator=g), nf.rand(6, generator=h))


# -- distribution sanity (loose bounds, fixed seed) ---------------------------------------------


def test_randn_has_mean_0_and_std_1():
    nf.manual_seed(0)
    a = nf.randn(100_000).numpy().astype(np.float64)
    assert abs(a.mean()) < 0.02
    assert abs(a.std() - 1.0) < 0.02


def test_randn_float64_has_mean_0_and_std_1():
    nf.manual_seed(0)
    a = nf.randn(100_000, dtype=nf.float64).numpy()
    assert abs(a.mean()) < 0.02
    assert abs(a.std() - 1.0) < 0.02


def test_normal_has_the_asked_mean_and_std():
    nf.manual_seed(0)
    a = nf.normal(3.0, 2.0, (100_000,)).numpy().astype(np.float64)
    assert abs(a.mean() - 3.0) < 0.05
    assert abs(a.std() - 2.0) < 0.05


def test_rand_lies_in_the_half_open_unit_interval():
    nf.manual_seed(0)
    a = nf.rand(100_000).numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert abs(a.mean() - 0.5) < 0.01
    assert abs(a.var() - 1 / 12) < 0.005


def test_rand_float16_never_reaches_one():
    # torch.rand(n, dtype=torch.float16) lies in [0, 1) like every other float dtype
    nf.manual_seed(0)
    a = nf.rand(100_000, dtype=nf.float16).numpy()
    assert a.min() >= 0.0
    assert a.max() < 1.0


def test_uniform_float16_never_reaches_the_upper_bound():
    nf.manual_seed(0)
    a = nf.zeros(100_000, dtype=nf.float16).uniform_().numpy()
    assert a.max() < 1.0


def test_randint_stays_within_low_and_high_and_covers_the_range():
    nf.manual_seed(0)
    a = nf.randint(-3, 4, (100_000,)).numpy()
    assert a.min() == -3 and a.max() == 3
    counts = np.bincount(a + 3)
    assert len(counts) == 7
    assert counts.min() > 100_000 / 7 * 0.9


def test_randperm_is_roughly_uniform_in_its_first_position():
    nf.manual_seed(0)
    firsts = [nf.randperm(4)[0].item() for _ in range(2000)]
    counts = np.bincount(firsts, minlength=4)
    assert counts.min() > 400


def test_normal_fill_has_the_asked_mean_and_std():
    nf.manual_seed(0)
    a = nf.zeros(100_000).normal_(-1.0, 0.5).numpy().astype(np.float64)
    assert abs(a.mean() + 1.0) < 0.02
    assert abs(a.std() - 0.5) < 0.02
