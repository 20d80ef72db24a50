"""``nn.utils.rnn``: batches of sequences of different lengths, padded to one tensor or
packed time step by time step, as ``torch.nn.utils.rnn``.  Every function is built from
differentiable ops, so gradients flow through packing and padding."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import creation
from ...ops.shape import cat, stack
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class PackedSequence(NamedTuple):
    """Sequences packed time step by time step: ``data`` holds, for each step ``t``, the
    ``batch_sizes[t]`` sequences still running (longest first); ``sorted_indices`` is the
    order that sorted the batch by length (None if it came sorted), ``unsorted_indices``
    its inverse."""

    data: Tensor
    batch_sizes: Tensor | None = None
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _lengths(lengths):
    return np.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences ``(L_i, *)`` padded with ``padding_value`` to the longest and stacked:
    ``(L, B, *)``, or ``(B, L, *)`` with ``batch_first``."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    longest = max((s.shape[0] for s in sequences), default=0)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = creation.full((missing, *s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(L, B, *)`` (``(B, L, *)`` with ``batch_first``) whose
    sequences have the given ``lengths``.  With ``enforce_sorted`` they must come longest
    first; else the batch is sorted here and the order kept in the result."""
    lengths = _lengths(lengths)
    if len(lengths) and lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    sorted_indices = unsorted_indices = None
    batch_dim = 0 if batch_first else 1
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = creation.tensor(order, device=input.device)
        unsorted_indices = creation.tensor(np.argsort(order), device=input.device)
        lengths = lengths[order]
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) and lengths[0] > input.shape[0]:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} exceeds the {input.shape[0]} time steps of the input"
        )
    steps = int(lengths[0]) if len(lengths) else 0
    batch_sizes = np.array([(lengths > t).sum() for t in range(steps)], np.int64)
    data = cat([input[t, : batch_sizes[t]] for t in range(steps)])
    return PackedSequence(data, creation.tensor(batch_sizes), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, the batch back in
    its original order, padded to ``total_length`` time steps when given."""
    data, batch_sizes = sequence.data, _lengths(sequence.batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}"
            )
    batch = int(batch_sizes[0]) if steps else 0
    rows, offset = [], 0
    for size in batch_sizes:
        step = data[offset : offset + size]
        if size < batch:
            fill = creation.full((batch - size, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
            step = cat([step, fill])
        rows.append(step)
        offset += size
    for _ in range((total_length or steps) - steps):
        rows.append(creation.full((batch, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device))
    padded = stack(rows, 0)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_lengths(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, creation.tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``(L_i, *)`` (longest first, unless not ``enforce_sorted``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences in a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(_lengths(lengths))]


def unpack_sequence(packed_sequences):
    """The list of sequences a ``PackedSequence`` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
