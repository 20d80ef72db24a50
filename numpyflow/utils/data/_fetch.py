"""Fetchers: how one batch (or one sample) is read from a dataset, the same in the main
process and in a worker."""

from __future__ import annotations


class MapDatasetFetcher:
    """Reads the samples at the given indices (through ``__getitems__`` when the dataset
    has one) and collates them."""

    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if self.auto_collation:
            if self.getitems is not None:
                data = self.getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableDatasetFetcher:
    """Pulls samples from an IterableDataset; the iterator is made on the first fetch
    (so under the first batch's seed, in every mode)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterator = None
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.iterator is None:
            self.iterator = iter(self.dataset)
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.iterator)
        return self.collate_fn(data)


def make_fetcher(dataset, *, iterable, auto_collation, collate_fn, drop_last):
    """The fetcher for ``dataset``: iterable-style or map-style."""
    if iterable:
        return IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
    return MapDatasetFetcher(dataset, auto_collation, collate_fn)
