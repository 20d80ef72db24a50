"""numpyflow/_blas.py: numpy's BLAS reached through threadpoolctl: gemm on offsets into
flat arrays with leading dimensions and beta, against numpy, and its bounds checks."""

from __future__ import annotations

import numpy as np
import pytest

from numpyflow._blas import Blas, blas

needs_gemm = pytest.mark.skipif(not blas().has_gemm(np.float32), reason="this BLAS's gemm can't be reached")


@needs_gemm
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_gemm_on_offset_views_equals_numpy(dtype, trans_a, trans_b, beta):
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 3
    tol = 1e-5 if dtype == np.float32 else 1e-12
    # each operand a sub-matrix of a bigger flat buffer: offset 4, leading dimension 11
    a_buf, b_buf, c_buf = (rng.standard_normal(200).astype(dtype) for _ in range(3))
    a_shape, b_shape = ((k, m) if trans_a else (m, k)), ((n, k) if trans_b else (k, n))

    def view(buf, shape):
        return np.lib.stride_tricks.as_strided(buf[4:], shape, (11 * buf.itemsize, buf.itemsize))

    a, b = view(a_buf, a_shape), view(b_buf, b_shape)
    expected = (a.T if trans_a else a) @ (b.T if trans_b else b) + beta * view(c_buf, (m, n))
    outside = c_buf.copy()
    blas().gemm((a_buf, 4, 11), (b_buf, 4, 11), (c_buf, 4, 11), m, n, k, beta=beta, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(view(c_buf, (m, n)), expected, rtol=tol, atol=tol)
    written = np.zeros(200, bool)
    view(written, (m, n))[...] = True
    np.testing.assert_array_equal(c_buf[~written], outside[~written])  # nothing else touched


@needs_gemm
def test_gemm_refuses_an_operand_reaching_outside_its_array():
    a, b, c = np.ones(12, np.float32), np.ones(16, np.float32), np.zeros(12, np.float32)
    blas().gemm((a, 0, 4), (b, 0, 4), (c, 0, 4), 3, 4, 4)  # (3x4) @ (4x4) fits exactly
    np.testing.assert_array_equal(c, 4)
    with pytest.raises(ValueError, match="does not fit"):
        blas().gemm((a, 1, 4), (b, 0, 4), (c, 0, 4), 3, 4, 4)  # A's last row ends at 13
    with pytest.raises(ValueError, match="does not fit"):
        blas().gemm((a, 0, 3), (b, 0, 4), (c, 0, 4), 3, 4, 4)  # lda < k
    with pytest.raises(ValueError, match="one dtype"):
        blas().gemm((a.astype(np.float64), 0, 4), (b, 0, 4), (c, 0, 4), 3, 4, 4)
    c.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas().gemm((a, 0, 4), (b, 0, 4), (c, 0, 4), 3, 4, 4)


def test_a_blas_without_a_handle_offers_no_gemm_and_no_thread_control():
    empty = Blas()
    assert not empty.has_gemm(np.float32) and empty.get_threads is None and empty.set_threads is None
