"""``RemovableHandle``: what hook registrations return."""

from __future__ import annotations

import itertools


class RemovableHandle:
    """Keeps ``hook`` in ``table`` under a fresh id until ``remove()`` (or the end of a
    ``with`` block)."""

    _ids = itertools.count()

    def __init__(self, table: dict, hook):
        self.id = next(self._ids)
        self._table = table
        table[self.id] = hook

    def remove(self):
        self._table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
