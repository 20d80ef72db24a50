"""Bare DLPack capsules (``torch.utils.dlpack.to_dlpack``'s legacy hand-over) read into
writable numpy arrays that share their memory.

numpy's own ``from_dlpack`` takes producers (objects with ``__dlpack__``) and marks what
an unversioned capsule gives it read-only, where PyTorch hands out a writable tensor.
So the capsule's ``DLManagedTensor`` is read here (``dlpack.h``), the array is built on
its memory through ``__array_interface__``, the capsule is renamed ``used_dltensor`` as
the protocol asks of a consumer, and the producer's deleter runs when the array (its
last view) is freed.
"""

from __future__ import annotations

import ctypes

import numpy as np


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    pass


_DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _DELETER)]

_NAME, _USED = b"dltensor", b"used_dltensor"
_KINDS = {0: "i", 1: "u", 2: "f", 5: "c", 6: "b"}  # DLDataTypeCode: int, uint, float, complex, bool

_api = ctypes.pythonapi
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]


def is_capsule(obj) -> bool:
    return type(obj).__name__ == "PyCapsule"


def _managed(capsule):
    if not _api.PyCapsule_IsValid(capsule, _NAME):
        raise RuntimeError(
            "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
            "so you might have already constructed a tensor from it once."
        )
    return ctypes.cast(_api.PyCapsule_GetPointer(capsule, _NAME), ctypes.POINTER(_DLManagedTensor))


def capsule_device(capsule):
    """``(DLPack device type, index)`` of the capsule's tensor."""
    device = _managed(capsule).contents.dl_tensor.device
    return device.device_type, device.device_id


class _Owner:
    """Holds the producer's tensor for as long as an array uses its memory."""

    def __init__(self, managed, interface):
        self._managed = managed
        self.__array_interface__ = interface

    def __del__(self):
        deleter = self._managed.contents.deleter
        if deleter:
            deleter(self._managed)


def capsule_to_numpy(capsule) -> np.ndarray:
    """The CPU tensor of an unconsumed capsule as a writable array on its memory."""
    managed = _managed(capsule)
    t = managed.contents.dl_tensor
    kind = _KINDS.get(t.dtype.code)
    if kind is None or t.dtype.lanes != 1 or t.dtype.bits % 8:
        name = "bfloat16" if (t.dtype.code, t.dtype.bits) == (4, 16) else f"code {t.dtype.code}, {t.dtype.bits} bits"
        raise TypeError(
            f"from_dlpack: the DLPack dtype ({name}, {t.dtype.lanes} lanes) has no numpy equivalent; "
            "convert it on the producer's side first (e.g. .float())"
        )
    dtype = np.dtype(f"{kind}{t.dtype.bits // 8}" if kind != "b" else "?")
    shape = tuple(t.shape[i] for i in range(t.ndim))
    strides = None if not t.strides else tuple(t.strides[i] * dtype.itemsize for i in range(t.ndim))
    interface = {
        "data": ((t.data or 0) + t.byte_offset, False),
        "shape": shape,
        "strides": strides,
        "typestr": dtype.str,
        "version": 3,
    }
    if _api.PyCapsule_SetName(capsule, _USED):
        raise RuntimeError("from_dlpack: could not mark the capsule as consumed")
    return np.asarray(_Owner(managed, interface))
