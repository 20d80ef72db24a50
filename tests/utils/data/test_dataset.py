"""Datasets: TensorDataset, Subset, ConcatDataset, ChainDataset and random_split."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Range(Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.offset + i


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_tensor_dataset_items_are_the_rows_of_each_tensor():
    x, y = nf.arange(12).reshape(4, 3), nf.tensor([10, 11, 12, 13])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6, 7, 8] and b.item() == 12


def test_tensor_dataset_rejects_tensors_of_different_lengths():
    with pytest.raises(ValueError, match="size mismatch.*\\[4, 3\\]"):
        TensorDataset(nf.zeros(4, 2), nf.zeros(3))


def test_tensor_dataset_rejects_non_tensors():
    with pytest.raises(TypeError, match="argument 1 is ndarray"):
        TensorDataset(nf.zeros(2), np.zeros(2))


def test_subset_maps_indices_in_the_given_order():
    sub = Subset(Range(10), [7, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [7, 2, 5]
    assert sub.__getitems__([2, 0]) == [5, 7]


def test_concat_dataset_joins_lengths_and_indexes_across_parts():
    ds = ConcatDataset([Range(3), Range(2, offset=100), Range(4, offset=200)])
    assert len(ds) == 9
    assert [ds[i] for i in range(9)] == [0, 1, 2, 100, 101, 200, 201, 202, 203]
    assert ds[-1] == 203 and ds[-9] == 0
    assert ds.cumulative_sizes == [3, 5, 9]
    with pytest.raises(ValueError):
        ds[-10]


def test_adding_datasets_concatenates_them():
    ds = Range(2) + Range(2, offset=10)
    assert isinstance(ds, ConcatDataset) and [ds[i] for i in range(4)] == [0, 1, 10, 11]


def test_concat_dataset_refuses_iterable_datasets():
    with pytest.raises(AssertionError):
        ConcatDataset([Range(2), Stream([1])])


def test_chain_dataset_streams_one_after_another():
    ds = Stream([1, 2]) + Stream([3])
    assert isinstance(ds, ChainDataset) and list(ds) == [1, 2, 3] and len(ds) == 3


def test_random_split_with_counts_partitions_the_dataset():
    nf.manual_seed(0)
    parts = random_split(Range(10), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    values = sorted(p[i] for p in parts for i in range(len(p)))
    assert values == list(range(10))


@needs_torch
@pytest.mark.parametrize(
    "n, fractions",
    [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.9]), (5, [1 / 3, 1 / 3, 1 / 3]), (100, [0.8, 0.2])],
)
def test_random_split_with_fractions_gives_pytorchs_lengths(n, fractions):
    ours = [len(p) for p in random_split(Range(n), fractions)]
    theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs and sum(ours) == n


def test_random_split_repeats_with_the_same_seed_and_generator():
    def split(**kw):
        return [list(p.indices) for p in random_split(Range(20), [0.25, 0.75], **kw)]

    nf.manual_seed(3)
    a = split()
    nf.manual_seed(3)
    assert split() == a
    g1, g2 = nf.Generator().manual_seed(5), nf.Generator().manual_seed(5)
    assert split(generator=g1) == split(generator=g2)
    assert split(generator=nf.Generator().manual_seed(6)) != split(generator=nf.Generator().manual_seed(5))


def test_random_split_with_wrong_total_is_an_error():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(Range(10), [3, 3])


def test_random_split_warns_about_an_empty_part():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(Range(2), [1.0, 0.0])
    assert [len(p) for p in parts] == [2, 0]
