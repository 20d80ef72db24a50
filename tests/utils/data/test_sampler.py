"""Samplers: index order, lengths, randomness from the seeded generators."""

import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler_counts_up():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


def test_random_sampler_without_replacement_is_a_permutation_that_changes_each_pass():
    s = RandomSampler(range(50))
    nf.manual_seed(0)
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second


def test_random_sampler_follows_the_global_seed_and_its_generator():
    nf.manual_seed(1)
    a = list(RandomSampler(range(30)))
    nf.manual_seed(1)
    assert list(RandomSampler(range(30))) == a
    g = lambda: nf.Generator().manual_seed(9)  # noqa: E731
    assert list(RandomSampler(range(30), generator=g())) == list(RandomSampler(range(30), generator=g()))


def test_random_sampler_draws_one_seed_from_the_global_generator_per_pass():
    nf.manual_seed(2)
    list(RandomSampler(range(1000)))
    after = nf.rand(1).item()
    nf.manual_seed(2)
    list(RandomSampler(range(3)))
    assert nf.rand(1).item() == after


def test_random_sampler_with_more_samples_than_data_repeats_whole_permutations():
    out = list(RandomSampler(range(4), num_samples=10))
    assert len(out) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert set(out[8:]) <= {0, 1, 2, 3} and len(set(out[8:])) == 2


def test_random_sampler_with_replacement_draws_num_samples_in_range():
    out = list(RandomSampler(range(3), replacement=True, num_samples=100))
    assert len(out) == 100 and set(out) == {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True, num_samples=100)) == 100


@pytest.mark.parametrize(
    "kwargs, error",
    [({"replacement": 1}, TypeError), ({"num_samples": 0}, ValueError), ({"num_samples": 2.5}, ValueError)],
)
def test_random_sampler_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler_shuffles_exactly_the_given_indices():
    nf.manual_seed(0)
    out = list(SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(out) == [10, 20, 30, 40] and len(SubsetRandomSampler([1, 2])) == 2


def test_weighted_random_sampler_never_picks_zero_weights():
    nf.manual_seed(0)
    out = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200))
    assert set(out) == {1, 3} and out.count(3) > out.count(1)


@needs_torch
@pytest.mark.parametrize(
    "n, batch_size, drop_last",
    [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True), (0, 4, False)],
)
def test_batch_sampler_groups_like_pytorch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_batch_sampler_accepts_any_iterable_of_indices():
    assert list(BatchSampler([5, 1, 4, 2, 3], 2, False)) == [[5, 1], [4, 2], [3]]


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (-1, False), (True, False), (2, "yes")])
def test_batch_sampler_rejects_bad_arguments(batch_size, drop_last):
    with pytest.raises(ValueError):
        BatchSampler(range(3), batch_size, drop_last)
