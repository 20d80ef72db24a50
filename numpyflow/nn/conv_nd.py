"""``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``, ``ConvTranspose2d`` and
``ConvTranspose3d``, with PyTorch's constructor signatures, attributes, ``extra_repr`` and
``state_dict`` keys, on one base parameterised by the number of spatial dims."""

from __future__ import annotations

from .. import creation
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n):
    """PyTorch's ``_single``/``_pair``/``_triple``: a sequence as a tuple, a number repeated."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _ConvNdBase(Module):
    """What every convolution layer shares (PyTorch's ``_ConvNd``): checks, attributes,
    the weight ``(out, in/groups, *k)`` (transposed: ``(in, out/groups, *k)``) and bias,
    their initialisation and the repr."""

    _dims = 0

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed,
        output_padding,
        groups,
        bias,
        padding_mode,
        device=None,
        dtype=None,
    ):
        super().__init__()
        n = self._dims
        kernel_size, stride, dilation = _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(dilation, n)
        self._check_arguments(in_channels, out_channels, groups, padding, stride, padding_mode)
        if not isinstance(padding, str):
            padding = _ntuple(padding, n)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's widths for the non-zero padding modes, last dim first: (before, after) each
        if isinstance(padding, str):
            pads = [0, 0] * n
            if padding == "same":
                for i, d in enumerate(range(n - 1, -1, -1)):
                    total = dilation[d] * (kernel_size[d] - 1)
                    pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
        else:
            pads = tuple(p for p in reversed(padding) for _ in range(2))
        self._reversed_padding_repeated_twice = pads
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(creation.empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_arguments(self, in_channels, out_channels, groups, padding, stride, padding_mode):
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got padding_mode='{padding_mode}'"
            )

    def _padding_repr(self):
        return f"{self.padding}"

    def reset_parameters(self):
        init.reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self):
        n = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self._padding_repr()}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _ConvForward(_ConvNdBase):
    _function = ""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _conv_forward(self, input, weight, bias):
        conv = getattr(F, self._function)
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvForward):
    """1-D convolution over an (N, C, L) input."""

    _dims = 1
    _function = "conv1d"


class _Conv2dChecks:
    """The 2-D layers' own argument messages (naming the layer and the values) and
    quoted string padding in the repr."""

    def _check_arguments(self, in_channels, out_channels, groups, padding, stride, padding_mode):
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(
                    f"{type(self).__name__}: {name} must be divisible by groups, but got "
                    f"{name}={channels}, groups={groups}"
                )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', "
                f"but got padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")

    def _padding_repr(self):
        return repr(self.padding) if isinstance(self.padding, str) else f"{self.padding}"


class Conv2d(_Conv2dChecks, _ConvForward):
    """2-D convolution over an (N, C, H, W) input (or an unbatched (C, H, W) one), as
    ``torch.nn.Conv2d``.

    ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True, padding_mode="zeros", device=None, dtype=None)``: ``kernel_size``,
    ``stride``, ``padding`` and ``dilation`` are an int or an (h, w) pair; ``padding`` may
    also be ``"valid"`` or ``"same"`` (stride 1); ``padding_mode`` is ``"zeros"``,
    ``"reflect"``, ``"replicate"`` or ``"circular"``; ``groups`` splits the channels into
    independent groups (``groups == in_channels`` is a depthwise convolution).

    Parameters: ``weight`` of shape (out_channels, in_channels / groups, kh, kw) and
    ``bias`` of shape (out_channels,), both uniform in ``+-1/sqrt(fan_in)`` as PyTorch
    initialises them. The output is (N, out_channels, H_out, W_out) with
    ``H_out = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1`` (and the same for W).

    On the CPU the convolution runs as BLAS GEMMs chosen by the layer's shape (tap sums
    over a padded layout, im2col, or per-image products for few channels), split over
    ``nf.get_num_threads()`` threads.

    Example::

        conv = nf.nn.Conv2d(3, 16, 3, padding=1)
        y = conv(nf.randn(8, 3, 32, 32))   # (8, 16, 32, 32)
    """

    _dims = 2
    _function = "conv2d"


class Conv3d(_ConvForward):
    """3-D convolution over an (N, C, D, H, W) input."""

    _dims = 3
    _function = "conv3d"


class _ConvTransposeNd(_ConvNdBase):
    _function = ""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            self._transposed_padding(padding),
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _transposed_padding(self, padding):
        """The padding as the layer keeps it: a string, too, becomes a tuple."""
        return _ntuple(padding, self._dims)

    def _output_padding(self, input, output_size):
        """PyTorch's ``_output_padding``: ``output_padding``, or the one that gives
        ``output_size`` (``n`` or ``n`` + non-spatial sizes)."""
        n = self._dims
        if output_size is None:
            return self.output_padding
        non_spatial = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} "
                f"or {non_spatial + n} elements (got {len(output_size)})"
            )
        min_sizes = [
            (input.shape[d + non_spatial] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(n)
        ]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {min_sizes} to "
                    f"{max_sizes} (for an input of {tuple(input.shape[non_spatial:])})"
                )
        return tuple(s - m for s, m in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return getattr(F, self._function)(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the adjoint of Conv1d) over an (N, C, L) input."""

    _dims = 1
    _function = "conv_transpose1d"


class ConvTranspose2d(_Conv2dChecks, _ConvTransposeNd):
    """2-D transposed convolution (the adjoint of Conv2d) over an (N, C, H, W) input."""

    _dims = 2
    _function = "conv_transpose2d"

    def _transposed_padding(self, padding):
        return padding  # a string is checked (and kept) as Conv2d's is

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        size = list(output_size)[-2:]
        pads = []
        for d in range(2):
            minimum = (
                (input.shape[-2 + d] - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            extra = size[d] - minimum
            if not 0 <= extra < max(self.stride[d], self.dilation[d]):
                raise ValueError(
                    f"ConvTranspose2d: requested output size {tuple(size)} is not reachable "
                    f"from input size {tuple(input.shape[-2:])}"
                )
            pads.append(extra)
        return tuple(pads)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (the adjoint of Conv3d) over an (N, C, D, H, W) input."""

    _dims = 3
    _function = "conv_transpose3d"
