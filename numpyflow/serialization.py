"""``nf.save`` / ``nf.load``: tensors, state dicts and whole checkpoints.

The file is a small header (magic bytes, format version, payload length and CRC-32)
followed by a pickle.  Writes go to a temporary file in the same folder that is
flushed, synced and then renamed over the target, so an interrupted save leaves the old
file intact and the new one complete or absent.  Loading checks the header, so a
truncated or foreign file is a clear error, and by default only unpickles tensors,
numpy arrays and plain containers (``weights_only=False`` lifts that).

``nf.load`` also reads what ``torch.save`` writes (its zip archive and its legacy
format) without PyTorch installed; see ``numpyflow/_torch_format.py``.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import tempfile
import zlib

from . import _torch_format

MAGIC = b"NUMPYFLOW"
VERSION = 1
_HEADER = struct.Struct("<9sHQI")  # magic, version, payload length, crc32


def save(obj, f, pickle_protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """Write ``obj`` (tensors, state dicts, nested containers, numbers, ...) to the path or
    binary file ``f``.  Saving to a path is atomic."""
    payload = pickle.dumps(obj, protocol=pickle_protocol)
    write_bytes(_HEADER.pack(MAGIC, VERSION, len(payload), zlib.crc32(payload)) + payload, f)


def write_bytes(data: bytes, f) -> None:
    """Write ``data`` to the binary file ``f`` or, atomically, to the path ``f``: into a
    synced temporary file in the same folder, then renamed over the target, so an
    interruption leaves the old file whole and the new one complete or absent."""
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

    _ALLOWED = _torch_format.PLAIN_GLOBALS | {
        ("numpyflow.tensor", "_rebuild"),
        ("numpyflow.nn.parameter", "_rebuild_parameter"),
        ("numpyflow.dtypes", "_by_name"),
        ("numpy.dtypes", None),
        ("numpy.random._pickle", None),
        ("numpy.random._pcg64", "PCG64"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED or (module, None) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"nf.load: refusing to unpickle {module}.{name} with weights_only=True; load with "
            "weights_only=False only if you trust the file"
        )


def load(f, map_location=None, weights_only: bool = True):
    """Read an object written by ``nf.save`` or by ``torch.save`` from the path or binary
    file ``f`` (a file object is read from its current position).

    Files from ``torch.save`` (the zip format of PyTorch >= 1.6 and the legacy format)
    load without PyTorch: their tensors come back as NumpyFlow tensors, ``nn.Parameter``
    as ``nn.Parameter``, and tensors that shared memory in PyTorch share it here.

    ``weights_only=True`` unpickles only tensors, numbers, strings, numpy arrays and plain
    containers (and, from PyTorch files, storages, dtypes, devices and ``torch.Size``); any
    other global is refused with ``pickle.UnpicklingError``.  ``weights_only=False`` loads
    any Python object, which can run arbitrary code: use it only for files you trust.
    PyTorch objects other than the ones above (a pickled ``nn.Module``) need PyTorch.

    ``map_location`` follows ``torch.load``: None keeps each tensor's saved device; a
    string (``'cpu'``) or ``nf.device`` puts every tensor there; a dict maps saved
    locations to new ones (``{'cuda:0': 'cpu'}``); a callable ``fn(storage, location)``
    returns the storage moved (``storage``, ``storage.cpu()``, ``storage.cuda(1)``) or
    None to keep ``location``.  For NumpyFlow's own files the callable gets each tensor.
    """
    if hasattr(f, "read"):
        where = getattr(f, "name", None) or f"the {type(f).__name__} given"
        try:
            seekable = f.seekable()
        except (AttributeError, OSError):
            seekable = False
        return _load_file(f if seekable else io.BytesIO(f.read()), str(where), map_location, weights_only)
    where = os.fspath(f)
    with open(where, "rb") as fh:
        return _load_file(fh, where, map_location, weights_only)


def _load_file(fh, where, map_location, weights_only):
    start = fh.tell()
    head = fh.read(len(MAGIC))
    fh.seek(start)
    if head != MAGIC and _torch_format.sniff(fh) is not None:
        return _torch_format.load(fh, where, map_location, weights_only)
    data = fh.read()
    if len(data) < _HEADER.size or data[: len(MAGIC)] != MAGIC:
        raise RuntimeError(
            f"nf.load: {where} is not a NumpyFlow file (no '{MAGIC.decode()}' header) nor a PyTorch file "
            "(torch.save's zip archive or legacy format); it was not written by nf.save or torch.save"
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
        obj = _move(obj, map_location, where)
    return obj


def _move(obj, location, where):
    """``obj`` with each tensor on the device ``location`` maps its own device to."""
    from .tensor import Tensor

    if isinstance(obj, Tensor):
        device = _torch_format.target_device(location, str(obj.device), obj, where)
        if device == obj.device or (obj.requires_grad and not obj.is_leaf):
            return obj
        return obj.to(device)
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, _move(v, location, where)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _move(v, location, where) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, location, where) for v in obj)
    return obj


__all__ = ["save", "load", "write_bytes"]
