"""The BLAS library numpy loaded, found through ``threadpoolctl``: its thread count, and
its ``gemm`` called on offsets into flat arrays with leading dimensions and an
accumulating ``beta`` (numpy's ``matmul`` takes neither, so without this a sum of
GEMMs over shifted views costs a temporary and an add per term).

Only OpenBLAS (numpy's own wheels carry it) is reached for ``gemm``; with another BLAS,
or none found, :func:`blas` gives an object whose ``gemm`` is None and callers keep to
numpy.  Every call is bounds-checked here, in Python, before BLAS sees a pointer.
"""

from __future__ import annotations

import ctypes
import itertools

import numpy as np

__all__ = ["Blas", "blas"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


class Blas:
    """Handles into one loaded BLAS library: ``get_threads`` / ``set_threads`` (None where
    the library offers no control) and :meth:`gemm` (usable when ``has_gemm``)."""

    def __init__(self, controller=None):
        self.get_threads = self.set_threads = None
        self._gemm = {}
        if controller is None:
            return
        lib = controller.dynlib
        if controller.internal_api == "openblas":
            self._bind_openblas(lib)
        elif controller.internal_api == "mkl":  # thread control only
            self.get_threads = self._function(lib, "MKL_Get_Max_Threads", ctypes.c_int, [])
            self.set_threads = self._function(lib, "MKL_Set_Num_Threads", None, [ctypes.c_int])

    @staticmethod
    def _function(lib, name, restype, argtypes):
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = restype, argtypes
        return fn

    def _bind_openblas(self, lib):
        for prefix, suffix in itertools.product(("scipy_", ""), ("64_", "_64", "")):
            if hasattr(lib, f"{prefix}openblas_get_num_threads{suffix}"):
                break
        else:
            return
        self.get_threads = self._function(lib, f"{prefix}openblas_get_num_threads{suffix}", ctypes.c_int, [])
        self.set_threads = self._function(lib, f"{prefix}openblas_set_num_threads{suffix}", None, [ctypes.c_int])
        config = self._function(lib, f"{prefix}openblas_get_config{suffix}", ctypes.c_char_p, [])
        wide = config is not None and b"USE64BITINT" in config()
        index = ctypes.c_int64 if wide else ctypes.c_int32
        for dtype, letter, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
            fn = self._function(
                lib,
                f"{prefix}cblas_{letter}gemm{suffix}",
                None,
                [ctypes.c_int] * 3  # order, trans_a, trans_b
                + [index] * 3  # m, n, k
                + [scalar, ctypes.c_void_p, index]  # alpha, a, lda
                + [ctypes.c_void_p, index]  # b, ldb
                + [scalar, ctypes.c_void_p, index],  # beta, c, ldc
            )
            if fn is not None:
                self._gemm[np.dtype(dtype)] = fn

    def has_gemm(self, dtype) -> bool:
        """Whether :meth:`gemm` serves arrays of ``dtype``."""
        return np.dtype(dtype) in self._gemm

    def gemm(self, a, b, c, m, n, k, *, beta=0.0, trans_a=False, trans_b=False):
        """``C = op(A) @ op(B) + beta * C`` (row-major), each operand ``(array, offset,
        leading dimension)`` into a flat C-contiguous array of one dtype: ``op(A)`` is
        ``m x k``, ``op(B)`` ``k x n``, ``C`` ``m x n``.  Raises ValueError where any
        operand would reach outside its array."""
        (a_arr, a_off, lda), (b_arr, b_off, ldb), (c_arr, c_off, ldc) = a, b, c
        dtype = c_arr.dtype
        if m <= 0 or n <= 0:
            return
        _check(a_arr, a_off, lda, *((k, m) if trans_a else (m, k)), dtype)
        _check(b_arr, b_off, ldb, *((n, k) if trans_b else (k, n)), dtype)
        _check(c_arr, c_off, ldc, m, n, dtype)
        if not c_arr.flags.writeable:
            raise ValueError("gemm: the output array is read-only")
        item = dtype.itemsize
        self._gemm[dtype](
            _ROW_MAJOR,
            _TRANS if trans_a else _NO_TRANS,
            _TRANS if trans_b else _NO_TRANS,
            m,
            n,
            k,
            1.0,
            a_arr.ctypes.data + a_off * item,
            lda,
            b_arr.ctypes.data + b_off * item,
            ldb,
            beta,
            c_arr.ctypes.data + c_off * item,
            ldc,
        )


def _check(arr, offset, ld, rows, cols, dtype):
    """Raise unless the row-major ``rows x cols`` matrix at ``offset`` with leading
    dimension ``ld`` lies inside the flat C-contiguous ``arr`` of ``dtype``."""
    if type(arr) is not np.ndarray or arr.dtype != dtype or not arr.flags.c_contiguous:
        raise ValueError("gemm: operands must be C-contiguous numpy arrays of one dtype")
    if rows <= 0 or cols <= 0:
        return
    if offset < 0 or ld < cols or offset + (rows - 1) * ld + cols > arr.size:
        raise ValueError(
            f"gemm: a {rows}x{cols} matrix at offset {offset} with leading dimension {ld} "
            f"does not fit in an array of {arr.size} elements"
        )


_blas = None


def blas() -> Blas:
    """The BLAS library numpy uses (found once, on first call)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            _blas = Blas()
        else:
            controllers = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
            numpy_blas = [c for c in controllers if "numpy" in c.filepath] or controllers
            _blas = Blas(numpy_blas[0] if numpy_blas else None)
    return _blas
