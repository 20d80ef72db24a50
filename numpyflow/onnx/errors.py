"""The ONNX exporter's errors, named as ``torch.onnx.errors`` names them."""

from __future__ import annotations

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """Raised when a model cannot be exported: the base class of the exporter's errors."""


class UnsupportedOperatorError(OnnxExporterError):
    """Raised when an op that ran in the model's forward has no ONNX mapping (at the
    opset asked for).

    ``name`` is the op's name, ``version`` the opset asked for, ``supported_version``
    the first opset that has the op (None when no opset has it); ``where`` says in which
    module of the model it ran, and ``reason`` why it cannot be exported, when known.
    """

    def __init__(
        self, name: str, version: int, supported_version: int | None, *, where: str = "", reason: str = ""
    ) -> None:
        self.name = name
        self.version = version
        self.supported_version = supported_version
        self.where = where
        if supported_version is not None:
            msg = (
                f"Exporting the operator '{name}' to ONNX opset version {version} is not supported. "
                f"Support for this operator was added in version {supported_version}, try exporting "
                "with this version"
            )
        else:
            msg = f"Exporting the operator '{name}' to ONNX opset version {version} is not supported"
        if reason:
            msg += f": {reason}"
        if where:
            msg += f" (it ran in {where})"
        super().__init__(msg)
