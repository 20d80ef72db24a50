"""``repr`` of a tensor's values in PyTorch's style: ``tensor([1.0000, 2.5000])``."""

from __future__ import annotations

import numpy as np

THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
PRECISION = 4


def _float_formatter(values: np.ndarray):
    """PyTorch's choice among integer style (``1.``), fixed (``1.0000``) and scientific
    (``1.0000e+00``) notation, made from the finite values."""
    finite = values[np.isfinite(values)]
    fixed = lambda v: _special(v) or f"{v:.{PRECISION}f}"  # noqa: E731
    if finite.size == 0:
        return fixed, False
    absvals = np.abs(finite)
    nonzero = absvals[absvals != 0]
    sci = lambda v: _special(v) or f"{v:.{PRECISION}e}"  # noqa: E731
    wide = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if np.all(finite == np.round(finite)):
        if wide:
            return sci, False
        return (lambda v: _special(v) or f"{v:.0f}."), True
    if wide or (nonzero.size and nonzero.min() < 1e-4):
        return sci, False
    return fixed, False


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def format_values(array: np.ndarray, prefix: str = "tensor(") -> str:
    """The bracketed values of ``array`` laid out as PyTorch prints them."""
    if array.size == 0:
        return "[]"
    if array.ndim == 0:
        array_1 = array.reshape(1)
    else:
        array_1 = array
    kind = array.dtype.kind
    summarize = array.size > THRESHOLD
    sample = _sample(array_1) if summarize else array_1
    width_from_finite = False
    if kind == "f":
        fmt, width_from_finite = _float_formatter(sample.astype(np.float64).ravel())
    elif kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    elif kind == "c":
        fmt = lambda v: f"{v.real:.{PRECISION}f}{v.imag:+.{PRECISION}f}j"  # noqa: E731
    else:
        fmt = str
    widths = [len(fmt(v)) for v in sample.ravel() if not width_from_finite or np.isfinite(v)]
    width = max(widths, default=0)
    if array.ndim == 0:
        return fmt(array.item())
    pad = lambda v: fmt(v).rjust(width)  # noqa: E731
    text = np.array2string(
        array,
        max_line_width=LINEWIDTH,
        separator=", ",
        prefix=prefix,
        formatter={"all": pad},
        threshold=THRESHOLD,
        edgeitems=EDGEITEMS,
    )
    return text.replace(", ...,", ",  ...,")  # PyTorch's spacing around an elided run


def _sample(array):
    """The elements a summarized print shows (the first and last few along every dim)."""
    idx = []
    for n in array.shape:
        if n > 2 * EDGEITEMS:
            idx.append(np.r_[0:EDGEITEMS, n - EDGEITEMS : n])
        else:
            idx.append(np.arange(n))
    return array[np.ix_(*idx)]
