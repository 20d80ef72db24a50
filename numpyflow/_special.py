"""Special functions numpy lacks, to double precision.

``erf`` is evaluated piecewise by Chebyshev interpolants.  Their coefficients are
computed once, on first use, from the standard library's correctly rounded
``math.erf`` at Chebyshev nodes, so no magic constants live here and the accuracy is
whatever the interpolation degree gives (checked in the tests against ``math.erf``).
"""

from __future__ import annotations

import math

import numpy as np

# Pieces of [0, 6]; beyond 6, erf(x) == 1 in double precision.  On the first piece the
# interpolated function is erf(x) / x in the variable x**2, which keeps full relative
# accuracy near zero.
_PIECES = ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.5), (4.5, 6.0))
_DEGREE = 24
_coefficients: list | None = None


def _fit():
    nodes = np.cos(np.pi * (np.arange(_DEGREE + 1) + 0.5) / (_DEGREE + 1))
    fits = []
    for i, (lo, hi) in enumerate(_PIECES):
        if i == 0:  # variable s = x**2 in [0, 1]
            s = (nodes + 1) / 2 * hi * hi
            values = [math.erf(math.sqrt(v)) / math.sqrt(v) if v > 0 else 2 / math.sqrt(math.pi) for v in s]
        else:
            x = lo + (nodes + 1) / 2 * (hi - lo)
            values = [math.erf(v) for v in x]
        fits.append(np.polynomial.chebyshev.chebfit(nodes, values, _DEGREE))
    return fits


def erf(x: np.ndarray) -> np.ndarray:
    """The error function of ``x``, elementwise, keeping ``x``'s floating dtype."""
    global _coefficients
    if _coefficients is None:
        _coefficients = _fit()
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    ax = np.abs(x.astype(np.float64, copy=False))
    out = np.ones_like(ax)
    for i, ((lo, hi), c) in enumerate(zip(_PIECES, _coefficients)):
        mask = (ax >= lo) & (ax < hi)
        if not mask.any():
            continue
        v = ax[mask]
        if i == 0:
            t = 2 * (v * v) / (hi * hi) - 1
            out[mask] = v * np.polynomial.chebyshev.chebval(t, c)
        else:
            t = 2 * (v - lo) / (hi - lo) - 1
            out[mask] = np.polynomial.chebyshev.chebval(t, c)
    out[np.isnan(ax)] = np.nan
    return np.copysign(out, x).astype(out_dtype, copy=False)
