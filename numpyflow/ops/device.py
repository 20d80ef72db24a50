"""Moving a tensor between devices (recorded: the gradient moves back)."""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import Device, device_of, to_device


class Move(Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.source = device_of(a)
        return to_device(a, device, "to")

    @staticmethod
    def backward(ctx, grad):
        return move(grad, ctx.source), None


def move(input, device: Device):
    """``input`` on ``device`` (itself when it is already there)."""
    if input.device == device:
        return input
    return Move.apply(input, device)
