"""Error messages that several ops share, worded once."""

from __future__ import annotations


def broadcast_error(op: str, shapes) -> RuntimeError:
    """The error for ``shapes`` that don't broadcast: names the op, the shapes, and the
    first dimension (from the right) where two sizes other than 1 differ."""
    shapes = [tuple(s) for s in shapes]
    ndim = max(len(s) for s in shapes)
    listed = " and ".join(str(s) for s in shapes)
    for back in range(1, ndim + 1):
        sizes = []
        for s in shapes:
            if len(s) >= back and s[-back] != 1 and s[-back] not in sizes:
                sizes.append(s[-back])
        if len(sizes) > 1:
            return RuntimeError(
                f"{op}: shapes {listed} cannot be broadcast together: sizes {sizes[0]} and "
                f"{sizes[1]} at dimension {ndim - back}, where broadcasting expects equal sizes or 1"
            )
    return RuntimeError(f"{op}: shapes {listed} cannot be broadcast together")
