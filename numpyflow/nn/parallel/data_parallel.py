"""``nn.DataParallel``: PyTorch's single-process data-parallel wrapper.

Without a GPU it is what PyTorch's is without one: a transparent wrapper.  ``module``
holds the model, ``device_ids`` is empty, ``forward`` calls the model unchanged, and
``state_dict`` keys carry the ``module.`` prefix, so checkpoints move between the two
frameworks (and between wrapped and unwrapped models by stripping the prefix).

With GPUs (CuPy) it keeps PyTorch's attributes (``device_ids``, ``output_device``, ``dim``)
and checks, and runs the whole batch on ``device_ids[0]``, moving the inputs there and the
outputs to ``output_device``: PyTorch's one-GPU behaviour.  NumpyFlow does not replicate the
model over several GPUs; with more than one listed, the result is that of one GPU (batch
norm sees the whole batch rather than one chunk per GPU).
"""

from __future__ import annotations

from ...backend import Device
from ...cuda import device_count, is_available
from ...tensor import Tensor
from ..module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(device, who: str) -> int:
    """A GPU index from an int, a ``'cuda:i'`` string or an ``nf.device``."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = Device(device)
    if d.type != "cuda":
        raise ValueError(f"{who}: expected a cuda device or an index, but got {d}")
    return d.index


def _move(obj, device: Device):
    """``obj`` with every Tensor inside (tuples, lists, dicts) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_move(o, device) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_move(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    return obj


def _check_on(module: Module, device: Device) -> None:
    for t in list(module.parameters()) + list(module.buffers()):
        if t.device != device:
            raise RuntimeError(
                "module must have its parameters and buffers "
                f"on device {device} (device_ids[0]) but found one of "
                f"them on device: {t.device}"
            )


class DataParallel(Module):
    """Wraps ``module`` to run it data-parallel over ``device_ids`` (all GPUs by default);
    without a GPU, a transparent wrapper (see the module's docstring)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not is_available():  # PyTorch's path without an accelerator
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(device_count()))
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(d, "DataParallel") for d in device_ids]
        self.output_device = _device_index(output_device, "DataParallel")
        self.src_device_obj = Device("cuda", self.device_ids[0])
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        _check_on(self.module, self.src_device_obj)
        out = self.module(*_move(inputs, self.src_device_obj), **_move(kwargs, self.src_device_obj))
        return _move(out, Device("cuda", self.output_device))


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """The functional form of ``DataParallel``: ``module(*inputs)`` evaluated on the GPUs
    (on ``device_ids[0]`` in NumpyFlow), the result on ``output_device``.  Like PyTorch's, it
    needs a GPU."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not is_available():
        raise RuntimeError(
            "data_parallel: device type could not be determined: it needs a GPU (CuPy), and there is none here; "
            "call module(*inputs) directly on the CPU"
        )
    if device_ids is None:
        device_ids = list(range(device_count()))
    if output_device is None:
        output_device = device_ids[0]
    src = Device("cuda", _device_index(device_ids[0], "data_parallel"))
    _check_on(module, src)
    out = module(*_move(inputs, src), **_move(module_kwargs or {}, src))
    return _move(out, Device("cuda", _device_index(output_device, "data_parallel")))
