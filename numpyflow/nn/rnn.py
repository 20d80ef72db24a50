"""``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``: stacked, optionally bidirectional recurrent
layers with PyTorch's parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``,
``weight_hr_l0`` ...), registration order, initialisation, shapes, errors and
``PackedSequence`` inputs.

Each layer and direction is one GEMM for the input projection of every time step and one
:class:`~numpyflow.ops.recurrent.RecurrentScan` for the recurrence (a fused step and a
hand-written backward through time)."""

from __future__ import annotations

import numbers
import warnings

from .. import creation
from ..ops.recurrent import RecurrentScan, Scan
from ..ops.shape import cat, stack
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter
from .rnn_cells import uniform_by_hidden_size
from .utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "RNNBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What the three layers share: parameters, checks and the layer-by-layer run."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) else dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                UserWarning,
                stacklevel=2,
            )
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        factory = dict(device=device, dtype=dtype)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l{}{}", (gate_size, layer_input)), ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(creation.empty(*shape, **factory)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters per layer and direction, in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do: the weights are never copied into one buffer here."""

    def reset_parameters(self):
        uniform_by_hidden_size(self)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # -- checks, as PyTorch words them ----------------------------------------------------

    def check_input(self, input, batch_sizes):
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert input: "
                f"input.to({weight.dtype}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )

    def _state_shape(self, batch, size):
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    def get_expected_hidden_size(self, input, batch_sizes):
        batch = self._batch(input, batch_sizes)
        return self._state_shape(batch, self.proj_size if self.proj_size > 0 else self.hidden_size)

    def _batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.shape[0] if self.batch_first else input.shape[1]

    @staticmethod
    def check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else hx.index_select(1, permutation)

    # -- the run ---------------------------------------------------------------------------

    def _unpack(self, input, hx, name):
        """``(data, batch_sizes, sorted, unsorted, batched, hx)``: ``data`` time-major
        ``(T, B, I)`` or packed ``(N, I)``; ``hx`` as given (a tensor or a pair), with a
        batch dim added for unbatched input."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            return data, batch_sizes, sorted_indices, unsorted_indices, True, hx
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, not {type(input).__name__}")
        if input.dim() not in (2, 3):
            what = "instead" if name != "RNN" else "tensor instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D {what}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        hx = self._check_state_dims(hx, batched)
        return input, None, None, None, batched, hx

    def _check_state_dims(self, hx, batched):
        if hx is None:
            return None
        want = 3 if batched else 2
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")
        return hx if batched else hx.unsqueeze(1)

    def _layers(self, data, batch_sizes, h0, c0):
        """Every layer and direction over ``data`` (``(N, I)``, packed layout): the last
        layer's output ``(N, D * P)`` and the final states ``(L * D, B, *)``."""
        directions = 2 if self.bidirectional else 1
        sizes = tuple(int(s) for s in batch_sizes)
        lstm = self.mode == "LSTM"
        h_n, c_n = [], []
        x = data
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                get = {name.split("_l")[0]: getattr(self, name) for name in self._all_weights[k]}.get
                out, h, c = RecurrentScan.apply(
                    F.linear(x, get("weight_ih")),
                    h0[k],
                    c0[k] if lstm else None,
                    get("weight_hh"),
                    get("bias_hh"),
                    get("weight_hr"),
                    get("bias_ih"),
                    Scan(self.mode, sizes, direction == 1),
                )
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if directions == 1 else cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(h_n), (stack(c_n) if lstm else None)

    def _forward(self, input, hx, name):
        """``(output, h_n, c_n)`` in the layout of ``input``; ``hx`` None, a tensor, or
        an LSTM's pair."""
        data, batch_sizes, sorted_indices, unsorted_indices, batched, hx = self._unpack(input, hx, name)
        packed = batch_sizes is not None
        self.check_input(data, batch_sizes)
        batch = self._batch(data, batch_sizes)
        hidden_shape = self.get_expected_hidden_size(data, batch_sizes)
        zeros = dict(dtype=data.dtype, device=data.device)
        if self.mode == "LSTM":
            if hx is None:
                h0 = creation.zeros(*hidden_shape, **zeros)
                c0 = creation.zeros(*self._state_shape(batch, self.hidden_size), **zeros)
            else:
                h0, c0 = (self.permute_hidden(s, sorted_indices) for s in hx)
            self.check_hidden_size(h0, hidden_shape, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, self._state_shape(batch, self.hidden_size), "Expected hidden[1] size {}, got {}")
        else:
            h0 = creation.zeros(*hidden_shape, **zeros) if hx is None else self.permute_hidden(hx, sorted_indices)
            self.check_hidden_size(h0, hidden_shape)
            c0 = None
        if packed:
            flat, sizes = data, batch_sizes.tolist()
        else:
            steps = data.transpose(0, 1) if self.batch_first else data
            flat, sizes = steps.reshape(-1, steps.shape[-1]), [steps.shape[1]] * steps.shape[0]
        out, h_n, c_n = self._layers(flat, sizes, h0, c0)
        if packed:
            output = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            h_n = self.permute_hidden(h_n, unsorted_indices)
            c_n = None if c_n is None else self.permute_hidden(c_n, unsorted_indices)
            return output, h_n, c_n
        output = out.reshape(len(sizes), batch, out.shape[-1])
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return output, h_n, c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ``relu``)
    per layer.  ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input,
    hx=None)`` returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        output, h_n, _ = self._forward(input, hx, "RNN")
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory: gates ``i, f, g, o`` (stacked in that order in the
    weights' rows), ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)``, projected by
    ``weight_hr`` when ``proj_size > 0``.  ``forward(input, (h_0, c_0)=None)`` returns
    ``(output, (h_n, c_n))``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        return self._state_shape(self._batch(input, batch_sizes), self.hidden_size)

    def _check_state_dims(self, hx, batched):
        if hx is None:
            return None
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise RuntimeError("LSTM: Expected hx to be a tuple of (h_0, c_0)")
        want = 3 if batched else 2
        if hx[0].dim() != want or hx[1].dim() != want:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(
                f"For {kind} input, hx and cx should also be {want}-D but got "
                f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
            )
        return tuple(hx) if batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))

    def forward(self, input, hx=None):
        output, h_n, c_n = self._forward(input, hx, "LSTM")
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit: gates ``r, z, n`` (stacked in that order),
    ``n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``.
    ``forward(input, hx=None)`` returns ``(output, h_n)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        output, h_n, _ = self._forward(input, hx, "GRU")
        return output, h_n
