"""``nf.save`` / ``nf.load``: tensors, state dicts and whole checkpoints.

The file is a small header (magic bytes, format version, payload length and CRC-32)
followed by a pickle.  Writes go to a temporary file in the same folder that is
flushed, synced and then renamed over the target, so an interrupted save leaves the old
file intact and the new one complete or absent.  Loading checks the header, so a
truncated or foreign file is a clear error, and by default only unpickles tensors,
numpy arrays and plain containers (``weights_only=False`` lifts that).
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import tempfile
import zlib

MAGIC = b"NUMPYFLOW"
VERSION = 1
_HEADER = struct.Struct("<9sHQI")  # magic, version, payload length, crc32


def save(obj, f, pickle_protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """Write ``obj`` (tensors, state dicts, nested containers, numbers, ...) to the path or
    binary file ``f``.  Saving to a path is atomic."""
    payload = pickle.dumps(obj, protocol=pickle_protocol)
    data = _HEADER.pack(MAGIC, VERSION, len(payload), zlib.crc32(payload)) + payload
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        _fsync_folder(folder)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles only what checkpoints contain: tensors, arrays, numbers and containers."""

    _ALLOWED = {
        ("numpyflow.tensor", "_rebuild"),
        ("numpyflow.nn.parameter", "_rebuild_parameter"),
        ("numpyflow.dtypes", "_by_name"),
        ("collections", "OrderedDict"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "slice"),
        ("builtins", "complex"),
        ("builtins", "range"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy.dtypes", None),
        ("numpy.random._pickle", None),
        ("numpy.random._pcg64", "PCG64"),
        ("collections", "Counter"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED or (module, None) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"nf.load: refusing to unpickle {module}.{name} with weights_only=True; load with "
            "weights_only=False only if you trust the file"
        )


def load(f, map_location=None, weights_only: bool = True):
    """Read an object written by ``nf.save`` from the path or binary file ``f``.

    ``map_location`` may name a device (``'cpu'``) to put every tensor on.
    """
    where = getattr(f, "name", None) if hasattr(f, "read") else os.fspath(f)
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(where, "rb") as fh:
            data = fh.read()
    if len(data) < _HEADER.size or data[: len(MAGIC)] != MAGIC:
        raise RuntimeError(
            f"nf.load: {where} is not a NumpyFlow file (no '{MAGIC.decode()}' header); it was not written by nf.save"
        )
    magic, version, length, crc = _HEADER.unpack_from(data)
    if version > VERSION:
        raise RuntimeError(f"nf.load: {where} has format version {version}; this NumpyFlow reads up to {VERSION}")
    payload = data[_HEADER.size :]
    if len(payload) != length:
        raise RuntimeError(
            f"nf.load: {where} is truncated or corrupt: expected {length} bytes of data, found {len(payload)}"
        )
    if zlib.crc32(payload) != crc:
        raise RuntimeError(f"nf.load: {where} is corrupt (checksum mismatch)")
    unpickler = (_SafeUnpickler if weights_only else pickle.Unpickler)(io.BytesIO(payload))
    try:
        obj = unpickler.load()
    except pickle.UnpicklingError:  # a refused class: the message says what to do
        raise
    except Exception as e:  # pragma: no cover - header and checksum catch damage first
        raise RuntimeError(f"nf.load: could not read {where}: {e}") from None
    if map_location is not None:
        obj = _move(obj, map_location)
    return obj


def _move(obj, location):
    from .tensor import Tensor

    if callable(location) and not isinstance(location, str):
        return obj
    if isinstance(obj, Tensor):
        return obj.to(location) if not obj.requires_grad or obj.is_leaf else obj
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, _move(v, location)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _move(v, location) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, location) for v in obj)
    return obj


__all__ = ["save", "load"]
