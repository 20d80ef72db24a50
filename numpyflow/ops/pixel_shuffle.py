"""``pixel_shuffle`` and ``pixel_unshuffle``, with ``torch.nn.functional``'s signatures:
a reshape, a permutation and a reshape, so their gradients are those of the shape ops."""

from __future__ import annotations

from ._window_args import as_int, as_tensor, shape_of

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _args(op, input, factor, name):
    x = as_tensor(input, "input", op)
    if x._data.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with {x._data.ndim} dimension(s)"
        )
    r = as_int(factor, name, op)
    if r <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {r}")
    return x, r


def pixel_shuffle(input, upscale_factor):
    """``(*, C*r*r, H, W) -> (*, C, H*r, W*r)``: each group of ``r*r`` channels becomes an
    ``r x r`` block of pixels, as ``torch.nn.functional.pixel_shuffle``."""
    op = "pixel_shuffle"
    x, r = _args(op, input, upscale_factor, "upscale_factor")
    *lead, C, H, W = shape_of(x)
    if C % (r * r):
        raise RuntimeError(
            f"{op} expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={C} is not divisible by {r * r}"
        )
    n = len(lead)
    y = x.reshape(*lead, C // (r * r), r, r, H, W)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H*r, W*r) -> (*, C*r*r, H, W)``: the inverse of ``pixel_shuffle``, as
    ``torch.nn.functional.pixel_unshuffle``."""
    op = "pixel_unshuffle"
    x, r = _args(op, input, downscale_factor, "downscale_factor")
    *lead, C, H, W = shape_of(x)
    for name, size, dim in (("height", H, -2), ("width", W, -1)):
        if size % r:
            raise RuntimeError(
                f"{op} expects {name} to be divisible by downscale_factor, but input.size({dim})={size} is not "
                f"divisible by {r}"
            )
    n = len(lead)
    y = x.reshape(*lead, C, H // r, r, W // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, C * r * r, H // r, W // r)
