"""safetensors files with NumpyFlow tensors: the API of ``safetensors.torch``.

``save_file``, ``load_file``, ``save``, ``load``, ``save_model`` and ``load_model`` take
and return NumpyFlow tensors and behave as their ``safetensors.torch`` namesakes: files
written here load in PyTorch and the other way round.  The work is done by
``safetensors.numpy`` and the ``safetensors`` package, which is optional: it is imported
on first use, and missing it is an ImportError that says how to install it.

As in ``safetensors.torch``, ``save_file`` refuses tensors that share memory and
non-contiguous tensors, while ``save_model`` keeps one name of each group of tied
weights (recording the others in the metadata) and ``load_model`` restores them.
Entries whose dtype NumpyFlow lacks, as PyTorch writes them, load converted exactly with a
warning naming them: bfloat16 and float8 as float32, uint16 as int32, uint32 as int64,
uint64 as int64 when every value fits; float4 and float6 entries are an error.
"""

from __future__ import annotations

import collections
import json
import os
import struct
import warnings

import numpy as np

from .. import _torch_format
from ..backend import CPU, Device
from ..creation import from_numpy
from ..tensor import Tensor

try:
    from numpy.lib.array_utils import byte_bounds
except ImportError:  # numpy < 2
    from numpy import byte_bounds

# safetensors' dtype names that NumpyFlow reads as they are, and the PyTorch names of the
# ones it reads converted
_NUMPY = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
    "C64": np.complex64,
}
_CONVERTED = {
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E4M3FNUZ": "float8_e4m3fnuz",
    "F8_E5M2": "float8_e5m2",
    "F8_E5M2FNUZ": "float8_e5m2fnuz",
    "F8_E8M0": "float8_e8m0fnu",
    "U16": "uint16",
    "U32": "uint32",
    "U64": "uint64",
}
_SAVABLE = {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64"}


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "numpyflow.utils.safetensors needs the safetensors package, which is not installed: pip install safetensors"
        ) from None
    return safetensors


# -- saving ------------------------------------------------------------------------------


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors file of ``tensors`` (a dict of names to contiguous tensors that
    share no memory) as bytes; ``metadata`` is a dict of strings stored in the header."""
    lib = _safetensors()
    return lib.numpy.save(_arrays(tensors), metadata=metadata)


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` (a dict of names to contiguous tensors that share no memory) to
    the safetensors file ``filename``; ``metadata`` is a dict of strings for the header."""
    lib = _safetensors()
    lib.numpy.save_file(_arrays(tensors), filename, metadata=metadata)


def save_model(model, filename, metadata: dict | None = None, force_contiguous: bool = True) -> None:
    """Write ``model.state_dict()`` to ``filename``, keeping one name of each group of
    tensors that share memory (tied weights): each dropped name is recorded in the
    metadata as ``{dropped: kept}``.  ``force_contiguous`` saves contiguous copies of
    non-contiguous tensors instead of refusing them."""
    state_dict = model.state_dict()
    for kept, removed in _remove_duplicate_names(state_dict).items():
        for name in removed:
            metadata = {} if metadata is None else metadata
            metadata.setdefault(name, kept)
            del state_dict[name]
    if force_contiguous:
        state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    try:
        save_file(state_dict, filename, metadata=metadata)
    except ValueError as e:
        raise ValueError(
            f"{e} Or use save_model(..., force_contiguous=True), read the docs for potential caveats."
        ) from None


def _arrays(tensors) -> dict:
    """numpy arrays for ``tensors``, with ``safetensors.torch``'s checks and errors."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, numpyflow.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected numpyflow.Tensor but received {type(v)}")
    arrays = {k: v.detach().numpy() for k, v in tensors.items()}
    failing = [names for names in _find_shared(arrays) if len(names) > 1]
    if failing:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and potential differences "
            f"when loading them again: {failing}. A potential way to correctly save your model is to use "
            "`save_model`. More information at https://huggingface.co/docs/safetensors/torch_shared_tensors"
        )
    for k, a in arrays.items():
        if not a.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It either means you "
                "are trying to save tensors which are reference of each other in which case it's recommended to "
                "save only the full tensors, and reslice at load time, or simply call `.contiguous()` on your "
                "tensor to pack it before saving."
            )
        if a.dtype.name not in _SAVABLE:
            raise ValueError(
                f"Key `{k}` has dtype {a.dtype.name}, which safetensors cannot store (it stores "
                f"{', '.join(sorted(_SAVABLE))}); convert it first, e.g. .to(numpyflow.complex64)"
            )
    return arrays


# -- shared memory ---------------------------------------------------------------------


def _root(a: np.ndarray) -> np.ndarray:
    """The array owning the memory that ``a`` views (PyTorch's storage)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _find_shared(arrays: dict) -> list:
    """Groups of names whose arrays overlap in memory (``safetensors.torch``'s
    ``_find_shared_tensors``: same storage, then overlapping byte ranges)."""
    by_storage = collections.defaultdict(set)
    for k, a in arrays.items():
        root = _root(a)
        if root.nbytes:
            by_storage[(root.ctypes.data, root.nbytes)].add(k)
    groups = []
    for names in sorted(by_storage.values(), key=sorted):
        areas = sorted((*_bounds(arrays[n]), n) for n in names)
        _, last_stop, first = areas[0]
        groups.append({first})
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                groups.append({name})
            else:
                groups[-1].add(name)
            last_stop = max(last_stop, stop)
    return groups


def _bounds(a: np.ndarray):
    if a.size == 0:
        return a.ctypes.data, a.ctypes.data
    return byte_bounds(a)


def _is_complete(a: np.ndarray) -> bool:
    root = _root(a)
    return a.ctypes.data == root.ctypes.data and a.nbytes == root.nbytes


def _remove_duplicate_names(state_dict, preferred_names=()) -> dict:
    """``{kept name: [names dropped]}`` for each group of tensors sharing memory; the
    kept name covers its whole storage (preferring ``preferred_names``)."""
    arrays = {k: v.detach().numpy() for k, v in state_dict.items()}
    preferred_names = set(preferred_names)
    to_remove = {}
    for shared in _find_shared(arrays):
        if len(shared) < 2:
            continue
        complete = {name for name in shared if _is_complete(arrays[name])}
        if not complete:
            raise RuntimeError(
                "Error while trying to find names to remove to save state dict, but found no suitable name to keep "
                f"for saving amongst: {shared}. None is covering the entire storage. Refusing to save/load the "
                "model since you could be storing much more memory than needed. Please refer to "
                "https://huggingface.co/docs/safetensors/torch_shared_tensors for more information."
            )
        keep = sorted(preferred_names & complete or complete)[0]
        to_remove[keep] = [name for name in sorted(shared) if name != keep]
    return to_remove


# -- loading -----------------------------------------------------------------------------


def load(data: bytes) -> dict:
    """The tensors of the safetensors file ``data`` (bytes), by name."""
    lib = _safetensors()
    arrays, converted = {}, []
    for name, entry in lib.deserialize(data):
        raw = np.frombuffer(entry["data"], np.uint8)
        if not raw.flags.writeable:  # older safetensors hand out bytes
            raw = raw.copy()
        arrays[name] = _array(name, entry["dtype"], entry["shape"], raw, converted)
    _warn_converted("load", converted)
    return {k: from_numpy(a) for k, a in arrays.items()}


def load_file(filename, device="cpu") -> dict:
    """The tensors of the safetensors file ``filename``, by name, on ``device``."""
    lib = _safetensors()
    device = Device(device)
    tensors, converted, header = {}, [], None
    with lib.safe_open(filename, framework="np") as f:
        for name in f.keys():
            view = f.get_slice(name)
            kind = view.get_dtype()
            if kind in _NUMPY:
                array = f.get_tensor(name)
            else:
                header = header or _header(filename)
                begin, end = header[name]["data_offsets"]
                raw = _read_range(filename, header["__start__"] + begin, end - begin)
                array = _array(name, kind, view.get_shape(), raw, converted)
            if not array.flags.writeable:
                array = array.copy()
            t = from_numpy(array)
            tensors[name] = t if device == CPU else t.to(device)
    _warn_converted("load_file", converted)
    return tensors


def load_model(model, filename, strict: bool = True, device="cpu"):
    """Load the safetensors file ``filename`` into ``model`` (tied weights saved once by
    ``save_model`` are restored).  Returns ``(missing, unexpected)`` as
    ``safetensors.torch.load_model`` does; with ``strict`` either being non-empty is a
    RuntimeError."""
    state_dict = load_file(filename, device=device)
    to_removes = _remove_duplicate_names(model.state_dict(), preferred_names=state_dict.keys())
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = set(missing)
    for group in to_removes.values():
        for name in group:
            if name not in missing:
                unexpected.append(name)
            else:
                missing.remove(name)
    if strict and (missing or unexpected):
        error = f"Error(s) in loading state_dict for {model.__class__.__name__}:"
        if missing:
            error += "\n    Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(missing))
        if unexpected:
            error += "\n    Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in sorted(unexpected))
        raise RuntimeError(error)
    return missing, unexpected


def _array(name, kind, shape, raw, converted) -> np.ndarray:
    """The values of one entry from its raw bytes (little-endian, as safetensors stores them)."""
    if kind in _NUMPY:
        dtype = np.dtype(_NUMPY[kind])
        return raw.view(dtype.newbyteorder("<")).astype(dtype, copy=False).reshape(shape)
    if kind not in _CONVERTED:
        raise RuntimeError(f"safetensors: `{name}` has dtype {kind}, which NumpyFlow cannot represent")
    torch_name = _CONVERTED[kind]
    converted.append((name, torch_name))
    return _torch_format.decode(raw, torch_name).reshape(shape)


def _header(filename) -> dict:
    """The JSON header of a safetensors file, with ``__start__``: where its data begins."""
    with open(filename, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    header["__start__"] = 8 + length
    return header


def _read_range(filename, offset: int, count: int) -> np.ndarray:
    if count < 0 or offset + count > os.path.getsize(filename):
        raise RuntimeError(f"safetensors: {filename} is truncated or corrupt (an entry lies past its end)")
    out = np.empty(count, np.uint8)
    with open(filename, "rb") as f:
        f.seek(offset)
        if f.readinto(memoryview(out)) != count:
            raise RuntimeError(f"safetensors: {filename} is truncated")
    return out


def _warn_converted(who, converted):
    by_dtype = collections.defaultdict(list)
    for name, torch_name in converted:
        by_dtype[torch_name].append(name)
    for torch_name, names in by_dtype.items():
        listed = ", ".join(repr(n) for n in names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        warnings.warn(
            f"numpyflow.utils.safetensors.{who}: NumpyFlow has no {torch_name}; converted {listed} to "
            f"{_torch_format.converted_name(torch_name)} (exactly: every value is kept)",
            UserWarning,
            stacklevel=3,
        )


__all__ = ["save", "save_file", "save_model", "load", "load_file", "load_model"]
