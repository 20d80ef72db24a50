"""Array kernels of the special functions numpy lacks: ``lgamma``, ``digamma``,
``polygamma`` and ``erfinv``, elementwise, to double precision.

``scipy.special`` computes them when it is importable (an optional accelerator; the core
needs numpy only) and ``cupyx.scipy.special`` does on CuPy arrays.  Otherwise the numpy
code below does, in float64, with the input's floating dtype on the way out:

* the gamma family by recurrence up to a threshold and the asymptotic (Stirling) series
  beyond it, with the reflection formula for negative arguments.  The series'
  coefficients are Bernoulli numbers, computed exactly once from their recurrence, so no
  magic constants live here;
* ``erfinv`` by Chebyshev interpolation, in ``y**2`` in the centre and in
  ``sqrt(-log(1 - |y|))`` in the tails, of values solved once from the standard library's
  ``math.erf`` and ``math.erfc``.

Special values follow PyTorch: ``lgamma`` is +inf at the poles and at +-inf;
``digamma(+0) = -inf``, ``digamma(-0) = +inf`` and NaN at the negative integers;
``polygamma(n, pole) = (-1)**(n+1) * inf``; ``erfinv(+-1) = +-inf``, NaN beyond.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

try:  # an optional accelerator: never required, and never different beyond rounding
    from scipy import special as scipy_special
except ImportError:  # pragma: no cover - depends on the machine
    scipy_special = None

_THRESHOLD = 10.0  # arguments below it are shifted up by the recurrence first
_TERMS = 10  # asymptotic-series terms: the last, B_20 / z**19 at z = 10, is below 1e-17 of the sum
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_WINITZKI_A = 0.147  # Winitzki (2008), "A handy approximation for the error function and its inverse"


def _bernoulli_even(count: int) -> list:
    """``[B_2, B_4, ..., B_2count]`` as exact fractions, from the recurrence
    ``sum_{k<=m} C(m+1, k) B_k = 0``."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return [b[2 * k] for k in range(1, count + 1)]


_B2K = _bernoulli_even(_TERMS)
# lgamma: sum_k B_2k / (2k (2k-1) z^(2k-1)); digamma: -sum_k B_2k / (2k z^2k).
_LGAMMA_COEFFS = [float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_B2K, 1)]
_DIGAMMA_COEFFS = [float(b / (2 * k)) for k, b in enumerate(_B2K, 1)]


def _horner(coeffs, t):
    """``coeffs[0] + coeffs[1] t + coeffs[2] t**2 + ...``."""
    out = np.full_like(t, coeffs[-1])
    for c in coeffs[-2::-1]:
        out *= t
        out += c
    return out


def _out_dtype(x):
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)


def _cupy_special():  # pragma: no cover - needs CuPy
    import cupyx.scipy.special

    return cupyx.scipy.special


def _is_numpy(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def _shift_up(x, threshold):
    """``(z, steps)``: ``z = x + steps >= threshold`` elementwise, ``steps`` the whole
    number of unit steps taken (0 where ``x`` is already there).  ``x`` finite, positive."""
    steps = np.maximum(np.ceil(threshold - x), 0.0)
    return x + steps, steps


def _frac_part_pi(x):
    """``pi * r`` with ``r = x - round(x)`` in [-1/2, 1/2] (exact for finite ``x``): the
    argument that gives sin(pi x) and tan(pi x) up to sign without losing digits."""
    return np.pi * (x - np.round(x))


# -- lgamma -------------------------------------------------------------------------------


_TAYLOR_TERMS = 30  # |z| <= 1/2: the terms fall as 4**-k, the 30th below 1e-19
_taylor_at_2: list | None = None


def _lgamma_small(x):
    """log Gamma(x) for x in (0, threshold], to full relative accuracy at its roots 1 and
    2: the Taylor series at 2, ``sum_k psi^(k-1)(2) / k! z**k`` (|z| <= 1/2), after the
    whole number of steps of the recurrence ``log Gamma(x + 1) = log Gamma(x) + log(x)``
    that brings x into [3/2, 5/2] (every term then adds with the same sign, so nothing
    cancels).  The coefficients are computed once from digamma and polygamma below."""
    global _taylor_at_2
    if _taylor_at_2 is None:
        two = np.array([2.0])
        _taylor_at_2 = [float(_digamma_positive(two)[0])] + [
            float(_polygamma_positive(k - 1, two)[0]) / math.factorial(k) for k in range(2, _TAYLOR_TERMS + 1)
        ]
    up = np.where(x < 0.5, 2.0, np.where(x < 1.5, 1.0, 0.0))
    down = np.maximum(np.ceil(x - 2.5), 0.0)
    z = x + (up - down - 2.0)  # exact
    out = z * _horner(_taylor_at_2, z)
    # log Gamma(x) = log Gamma(x - down) + log((x - 1) ... (x - down))
    prod = np.ones_like(x)
    for j in range(1, int(down.max()) + 1 if down.size else 1):
        np.multiply(prod, x - j, out=prod, where=down >= j)
    out += np.log(prod)
    # log Gamma(x) = log Gamma(x + up) - log(x) [- log(x + 1)]
    with np.errstate(divide="ignore"):
        return out - np.where(up >= 1, np.log(x), 0.0) - np.where(up == 2, np.log1p(x), 0.0)


def _lgamma_positive(x):
    """log Gamma(x) for finite x > 0 (float64): the Taylor series up to the threshold,
    Stirling's series beyond."""
    small = x <= _THRESHOLD
    out = np.empty_like(x)
    out[small] = _lgamma_small(x[small])
    z = x[~small]
    inv = 1.0 / z
    out[~small] = (z - 0.5) * np.log(z) - z + _LOG_SQRT_2PI + inv * _horner(_LGAMMA_COEFFS, inv * inv)
    return out


def lgamma(x):
    """``log|Gamma(x)|`` elementwise."""
    if not _is_numpy(x):  # pragma: no cover - needs CuPy
        return _cupy_special().gammaln(x)
    x = np.asarray(x)
    dtype = _out_dtype(x)
    if scipy_special is not None:  # pragma: no cover - depends on the machine
        return scipy_special.gammaln(x).astype(dtype, copy=False)
    v = x.astype(np.float64).reshape(-1)
    out = np.full(v.shape, np.inf)
    with np.errstate(all="ignore"):
        finite = np.isfinite(v)
        pos = finite & (v > 0)
        out[pos] = _lgamma_positive(v[pos])
        neg = finite & (v <= 0) & (v != np.floor(v))
        if neg.any():
            n = v[neg]
            out[neg] = np.log(np.pi / np.abs(np.sin(_frac_part_pi(n)))) - _lgamma_positive(1.0 - n)
    out[np.isnan(v)] = np.nan
    return out.reshape(x.shape).astype(dtype, copy=False)


# -- digamma and polygamma -------------------------------------------------------------------


def _digamma_positive(x):
    """psi(x) for finite x > 0 (float64)."""
    z, steps = _shift_up(x, _THRESHOLD)
    acc = np.zeros_like(x)
    for k in range(int(steps.max()) if steps.size else 0):  # psi(x) = psi(x + 1) - 1/x
        np.add(acc, 1.0 / (x + k), out=acc, where=steps > k)
    inv2 = 1.0 / (z * z)
    return np.log(z) - 0.5 / z - inv2 * _horner(_DIGAMMA_COEFFS, inv2) - acc


def digamma(x):
    """``psi(x) = d/dx log Gamma(x)`` elementwise."""
    if not _is_numpy(x):  # pragma: no cover - needs CuPy
        return _cupy_special().digamma(x)
    x = np.asarray(x)
    dtype = _out_dtype(x)
    v = x.astype(np.float64).reshape(-1)
    if scipy_special is not None:  # pragma: no cover - depends on the machine
        out = scipy_special.digamma(v)
    else:
        out = np.full(v.shape, np.nan)
        with np.errstate(all="ignore"):
            finite = np.isfinite(v)
            pos = finite & (v > 0)
            out[pos] = _digamma_positive(v[pos])
            neg = finite & (v < 0) & (v != np.floor(v))
            if neg.any():
                n = v[neg]
                out[neg] = _digamma_positive(1.0 - n) - np.pi / np.tan(_frac_part_pi(n))
        out[v == np.inf] = np.inf
    zero = v == 0  # PyTorch: -1/x at zero, so -inf at +0 and +inf at -0
    out[zero] = -np.copysign(np.inf, v[zero])
    return out.reshape(x.shape).astype(dtype, copy=False)


_COT_DERIVATIVES: dict = {}


def _cot_derivative(n: int):
    """Coefficients of ``P_n`` with ``d^n/dx^n cot(pi x) = pi**n P_n(cot(pi x))``:
    ``P_0(c) = c`` and ``P_{k+1}(c) = -(1 + c**2) P_k'(c)``."""
    if n not in _COT_DERIVATIVES:
        p = np.polynomial.Polynomial([0.0, 1.0])
        for _ in range(n):
            p = -np.polynomial.Polynomial([1.0, 0.0, 1.0]) * p.deriv()
        _COT_DERIVATIVES[n] = p
    return _COT_DERIVATIVES[n]


def _polygamma_positive(n: int, x):
    """psi^(n)(x) for n >= 1 and finite x > 0 (float64): the recurrence up to a threshold
    that grows with n, then the asymptotic series of n! zeta(n + 1, z)."""
    z, steps = _shift_up(x, _THRESHOLD + n)
    acc = np.zeros_like(x)
    for k in range(int(steps.max()) if steps.size else 0):
        np.add(acc, (x + k) ** -(n + 1.0), out=acc, where=steps > k)
    inv = 1.0 / z
    # (n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! z^(2k+n))
    coeffs = [float(b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)) for k, b in enumerate(_B2K, 1)]
    tail = inv**n * (math.factorial(n - 1) + 0.5 * math.factorial(n) * inv + inv * inv * _horner(coeffs, inv * inv))
    sign = 1.0 if n % 2 else -1.0
    return sign * (math.factorial(n) * acc + tail)


def polygamma(n: int, x):
    """The n-th derivative of digamma, elementwise (``n >= 0``)."""
    if n == 0:
        return digamma(x)
    if not _is_numpy(x):  # pragma: no cover - needs CuPy
        return _cupy_special().polygamma(n, x)
    x = np.asarray(x)
    dtype = _out_dtype(x)
    v = x.astype(np.float64).reshape(-1)
    sign = 1.0 if n % 2 else -1.0
    if scipy_special is not None:  # pragma: no cover - depends on the machine
        out = scipy_special.polygamma(n, v)
    else:
        out = np.full(v.shape, np.nan)
        with np.errstate(all="ignore"):
            finite = np.isfinite(v)
            pos = finite & (v > 0)
            out[pos] = _polygamma_positive(n, v[pos])
            neg = finite & (v < 0) & (v != np.floor(v))
            if neg.any():
                m = v[neg]
                # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x))
                cot = 1.0 / np.tan(_frac_part_pi(m))
                reflected = (-1.0) ** n * _polygamma_positive(n, 1.0 - m)
                out[neg] = reflected - np.pi ** (n + 1) * _cot_derivative(n)(cot)
        out[v == np.inf] = 0.0
    out[np.isfinite(v) & (v <= 0) & (v == np.floor(v))] = sign * np.inf
    return out.reshape(x.shape).astype(dtype, copy=False)


# -- erfinv -------------------------------------------------------------------------------

# erfinv is interpolated by Chebyshev series: erfinv(y) = y P(y**2) for |y| <= 3/4, and
# erfinv(y) = Q(u) with u = sqrt(-log(1 - |y|)) beyond (1 - |y| is exact there, so the tails
# keep their digits up to |y| = 1 - 2**-53).  The values at the nodes are solved once, on
# first use, by Newton steps on the standard library's math.erf (centre) and log(math.erfc)
# (tails).
_ERFINV_CENTRAL = 0.75
_ERFINV_PIECES = ((math.sqrt(math.log(4.0)), 1.8), (1.8, 2.6), (2.6, 4.0), (4.0, 6.1))  # in u; 6.07 at 1 - 2**-53
_ERFINV_DEGREE = (24, 20)  # centre, tail pieces: the series' last terms fall below 1e-16
_erfinv_coefficients: list | None = None


def _erfinv_scalar(y: float, log_one_minus: float | None = None) -> float:
    """erfinv(y) for 0 <= y < 1 to the last bit or so (slow: for the interpolation nodes).
    In the tail, ``log_one_minus = log(1 - y)`` may be given exactly instead of ``y``."""
    if log_one_minus is not None:
        y = -math.expm1(log_one_minus)
    else:
        log_one_minus = math.log1p(-y)
    log_term = log_one_minus + math.log1p(y)  # log(1 - y**2)
    t = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * log_term
    x = math.sqrt(math.sqrt(t * t - log_term / _WINITZKI_A) - t)
    for _ in range(100):
        if y <= 0.5:  # Newton on erf(x) = y
            step = (math.erf(x) - y) / (_TWO_OVER_SQRT_PI * math.exp(-x * x))
        else:  # Newton on log(erfc(x)) = log(1 - y), relative in the tail
            c = math.erfc(x)
            step = (math.log(c) - log_one_minus) * c / (-_TWO_OVER_SQRT_PI * math.exp(-x * x))
        x -= step
        if abs(step) <= 1e-17 * x:
            break
    return x


def _chebyshev_fit(fn, lo, hi, degree):
    nodes = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
    values = [fn(lo + (t + 1) / 2 * (hi - lo)) for t in nodes]
    return np.polynomial.chebyshev.chebfit(nodes, values, degree)


def _clenshaw(coeffs, t):
    """``sum_k coeffs[k] T_k(t)`` (numpy's chebval, with fewer temporaries)."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    two_t = 2.0 * t
    for c in coeffs[:0:-1]:
        b0 = two_t * b1
        b0 -= b2
        b0 += c
        b1, b2 = b0, b1
    out = t * b1
    out -= b2
    out += coeffs[0]
    return out


def _erfinv_fits():
    """The Chebyshev coefficients ``[centre, [tail pieces]]``, computed on first use."""
    global _erfinv_coefficients
    if _erfinv_coefficients is None:
        s_max = _ERFINV_CENTRAL**2
        centre = _chebyshev_fit(lambda s: _erfinv_scalar(math.sqrt(s)) / math.sqrt(s), 0.0, s_max, _ERFINV_DEGREE[0])
        tails = [
            _chebyshev_fit(lambda u: _erfinv_scalar(0.0, log_one_minus=-u * u), lo, hi, _ERFINV_DEGREE[1])
            for lo, hi in _ERFINV_PIECES
        ]
        _erfinv_coefficients = [centre, tails]
    return _erfinv_coefficients


def erfinv(y):
    """The inverse of ``erf`` on [-1, 1], elementwise."""
    if not _is_numpy(y):  # pragma: no cover - needs CuPy
        return _cupy_special().erfinv(y)
    y = np.asarray(y)
    dtype = _out_dtype(y)
    v = y.astype(np.float64).reshape(-1)
    if scipy_special is not None:  # pragma: no cover - depends on the machine
        return scipy_special.erfinv(v).reshape(y.shape).astype(dtype, copy=False)
    centre, tails = _erfinv_fits()
    a = np.abs(v)
    out = np.full(v.shape, np.nan)
    inner = a <= _ERFINV_CENTRAL
    if inner.any():
        yi = v[inner]
        s = yi * yi
        out[inner] = yi * _clenshaw(centre, s * (2.0 / _ERFINV_CENTRAL**2) - 1.0)
    outer = (a > _ERFINV_CENTRAL) & (a < 1.0)
    if outer.any():
        u = np.sqrt(-np.log1p(-a[outer]))
        x = np.empty_like(u)
        for (lo, hi), c in zip(_ERFINV_PIECES, tails):
            piece = (u >= lo) & (u < hi) if hi < _ERFINV_PIECES[-1][1] else u >= lo
            if piece.any():
                x[piece] = _clenshaw(c, (u[piece] - lo) * (2.0 / (hi - lo)) - 1.0)
        out[outer] = np.copysign(x, v[outer])
    ones = a == 1.0
    out[ones] = np.copysign(np.inf, v[ones])
    return out.reshape(y.shape).astype(dtype, copy=False)
