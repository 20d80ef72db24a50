"""nn.utils.rnn against torch.nn.utils.rnn: padding, packing and back, values and
gradients (float64), over random lengths and layouts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.nn.utils import rnn


def _both(arrays):
    return [nf.tensor(a, requires_grad=True) for a in arrays], [torch.tensor(a, requires_grad=True) for a in arrays]


def _backward(lib, out, seed=3):
    rng = np.random.default_rng(seed)
    (out * lib.tensor(rng.standard_normal(tuple(out.shape)))).sum().backward()


@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    batch_first=st.booleans(),
    padding_side=st.sampled_from(["right", "left"]),
    value=st.sampled_from([0.0, -1.5]),
)
def test_pad_sequence_matches_pytorch_with_gradients(lengths, batch_first, padding_side, value):
    rng = np.random.default_rng(len(lengths))
    arrays = [rng.standard_normal((n, 2)) for n in lengths]
    ours, theirs = _both(arrays)
    a = rnn.pad_sequence(ours, batch_first, value, padding_side)
    b = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, value, padding_side)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    _backward(nf, a)
    _backward(torch, b)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    batch_first=st.booleans(),
    enforce_sorted=st.booleans(),
    total_extra=st.integers(0, 2),
)
def test_pack_and_pad_back_match_pytorch_with_gradients(lengths, batch_first, enforce_sorted, total_extra):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    steps, batch = max(lengths), len(lengths)
    x = np.random.default_rng(steps).standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3))
    (ours,), (theirs,) = _both([x])
    p = rnn.pack_padded_sequence(ours, lengths, batch_first, enforce_sorted)
    q = torch.nn.utils.rnn.pack_padded_sequence(theirs, lengths, batch_first, enforce_sorted)
    np.testing.assert_array_equal(p.data.detach().numpy(), q.data.detach().numpy())
    assert p.batch_sizes.tolist() == q.batch_sizes.tolist()
    for a, b in ((p.sorted_indices, q.sorted_indices), (p.unsorted_indices, q.unsorted_indices)):
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())
    a, la = rnn.pad_packed_sequence(p, batch_first, -2.0, steps + total_extra)
    b, lb = torch.nn.utils.rnn.pad_packed_sequence(q, batch_first, -2.0, steps + total_extra)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert la.tolist() == lb.tolist() and la.dtype == nf.int64
    _backward(nf, a)
    _backward(torch, b)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


@needs_torch
def test_pack_sequence_and_the_unpacking_helpers():
    arrays = [np.arange(n * 2, dtype=np.float64).reshape(n, 2) for n in (2, 4, 1)]
    ours = rnn.pack_sequence([nf.tensor(a) for a in arrays], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    for got, want in zip(rnn.unpack_sequence(ours), arrays):
        np.testing.assert_array_equal(got.numpy(), want)
    padded = rnn.pad_sequence([nf.tensor(a) for a in arrays], batch_first=True)
    for got, want in zip(rnn.unpad_sequence(padded, nf.tensor([2, 4, 1]), batch_first=True), arrays):
        np.testing.assert_array_equal(got.numpy(), want)


@needs_torch
def test_errors_are_pytorchs():
    for lib in (nf, torch):
        utils = rnn if lib is nf else torch.nn.utils.rnn
        with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
            utils.pack_padded_sequence(lib.zeros(4, 3), [4, 2, 3])
        with pytest.raises(RuntimeError, match="greater than 0"):
            utils.pack_padded_sequence(lib.zeros(4, 2), [4, 0])
        packed = utils.pack_padded_sequence(lib.zeros(4, 2), [4, 2])
        with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
            utils.pad_packed_sequence(packed, total_length=2)
