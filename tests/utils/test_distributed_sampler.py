"""DistributedSampler with PyTorch's semantics: equal shards padded from the start (or cut
with drop_last), one permutation per (seed, epoch) shared by every rank."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference import needs_torch, torch

from numpyflow.utils.data import DistributedSampler
from numpyflow.utils.data.distributed import DistributedSampler as same_class


@needs_torch
@pytest.mark.parametrize("n,replicas", [(10, 3), (9, 3), (2, 5), (1, 2), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shards_are_pytorchs(n, replicas, drop_last):
    from torch.utils.data import DistributedSampler as Theirs

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = Theirs(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@given(n=st.integers(1, 60), replicas=st.integers(1, 6), seed=st.integers(0, 5), epoch=st.integers(0, 3))
def test_shuffled_shards_partition_one_permutation(n, replicas, seed, epoch):
    shards = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    assert len({len(s) for s in shards}) == 1
    covered = sorted(i for s in shards for i in s)
    assert set(covered) == set(range(n)) and len(covered) == len(shards[0]) * replicas
    again = DistributedSampler(range(n), replicas, 0, shuffle=True, seed=seed)
    again.set_epoch(epoch)
    assert list(again) == shards[0]  # the same (seed, epoch): the same order in every process


def test_invalid_rank_is_pytorchs_value_error_and_the_class_is_exported_twice():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=3)
    assert DistributedSampler is same_class
    if torch is not None:
        with pytest.raises(ValueError, match="Invalid rank 3"):
            torch.utils.data.DistributedSampler(range(4), num_replicas=3, rank=3)
