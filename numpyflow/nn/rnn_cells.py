"""``nn.RNNCell``, ``nn.LSTMCell`` and ``nn.GRUCell``: one time step of a recurrent layer,
with PyTorch's parameter names (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``),
shapes (gates stacked in PyTorch's order: LSTM ``i, f, g, o``; GRU ``r, z, n``),
initialisation (uniform in ``+-1/sqrt(hidden_size)``) and unbatched inputs."""

from __future__ import annotations

import math

from .. import creation
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]


def uniform_by_hidden_size(module):
    """PyTorch's initialisation of recurrent layers and cells: every parameter uniform in
    ``+-1/sqrt(hidden_size)``."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = self._gates * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        uniform_by_hidden_size(self)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _batched(self, input, hx):
        """``(input, hx, batched)`` with a batch dim, checked as PyTorch checks them;
        ``hx`` a state tensor (or None)."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.dim() == 2
        if hx is not None and hx.dim() != input.dim():
            raise RuntimeError(
                f"{name}: Expected hidden to be {input.dim()}D and input to be {input.dim()}D, "
                f"got {hx.dim()}D and {input.dim()}D instead"
            )
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
        if hx is not None:
            if hx.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch size {hx.shape[0]}")
            if hx.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden0 has inconsistent hidden_size: got {hx.shape[1]}, expected {self.hidden_size}"
                )
        return input, hx, batched

    def _zeros(self, input):
        return creation.zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)

    def _gate_inputs(self, input, hx):
        """``x @ W_ih^T + b_ih`` and ``h @ W_hh^T + b_hh``: every gate's pre-activations."""
        return F.linear(input, self.weight_ih, self.bias_ih), F.linear(hx, self.weight_hh, self.bias_hh)


class RNNCell(_CellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, hx, batched = self._batched(input, hx)
        hx = self._zeros(input) if hx is None else hx
        gi, gh = self._gate_inputs(input, hx)
        h = (gi + gh).tanh() if self.nonlinearity == "tanh" else F.relu(gi + gh)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """``(h', c')`` from ``(h, c)``: gates ``i, f, g, o`` stacked in the weights' rows;
    ``c' = f c + i g``, ``h' = o tanh(c')``."""

    _gates = 4

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTMCell: Expected hx to be a tuple of (h_0, c_0)")
        input, h, batched = self._batched(input, None if hx is None else hx[0])
        c = None
        if hx is not None:
            _, c, _ = self._batched(input if batched else input.squeeze(0), hx[1])
        h = self._zeros(input) if h is None else h
        c = self._zeros(input) if c is None else c
        gi, gh = self._gate_inputs(input, h)
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """``h' = (1 - z) n + z h`` with ``r = sigmoid(.)``, ``z = sigmoid(.)`` and
    ``n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))``: gates ``r, z, n`` stacked."""

    _gates = 3

    def forward(self, input, hx=None):
        input, hx, batched = self._batched(input, hx)
        hx = self._zeros(input) if hx is None else hx
        gi, gh = self._gate_inputs(input, hx)
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = (i_r + h_r).sigmoid()
        z = (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        h = n + z * (hx - n)
        return h if batched else h.squeeze(0)
