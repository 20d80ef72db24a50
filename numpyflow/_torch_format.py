"""Reading files written by ``torch.save``, without PyTorch.

PyTorch writes two formats, and ``nf.load`` reads both:

* the zip archive of PyTorch >= 1.6: ``<prefix>/data.pkl`` (the object, pickled with each
  storage as a persistent id ``('storage', storage_type, key, location, numel)``), one
  ``<prefix>/data/<key>`` record of raw bytes per storage, and small records such as
  ``byteorder`` and ``version``;
* the legacy stream (``_use_new_zipfile_serialization=False``): pickles of a magic number,
  a protocol version and system information, then the object's pickle, a pickled list of
  storage keys, and each storage's bytes after its element count (int64).

Each tensor is a numpy view of its storage (offset, shape and strides as saved), so
tensors that shared a storage in PyTorch share memory here too; ``nn.Parameter`` becomes
NumpyFlow's ``Parameter``.  Dtypes NumpyFlow lacks are converted exactly where they fit a
wider type (bfloat16, float8 and complex32 to float32/complex64, uint16 and uint32 to
int32/int64, uint64 to int64 when every value fits), with a warning naming the converted
entries; quantized, sparse and nested tensors are a clear error.

The unpickler admits only what a checkpoint needs (tensors, storages, dtypes, devices,
``torch.Size``, numbers, strings, containers, numpy arrays), as ``torch.load`` does with
``weights_only=True``.  With ``weights_only=False`` other Python objects load too, but
PyTorch objects beyond those (a whole pickled ``nn.Module``, an optimizer object) need
PyTorch itself and are refused with an error that says so.
"""

from __future__ import annotations

import _compat_pickle
import collections
import copy
import io
import math
import pickle
import struct
import warnings
import zipfile
import zlib

import numpy as np

from . import dtypes
from .backend import CPU, Device, cuda_available
from .creation import from_numpy
from .tensor import Size

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first object of a legacy torch.save stream
PROTOCOL_VERSION = 1001
ZIP_MAGIC = b"PK\x03\x04"

# -- dtypes ----------------------------------------------------------------------------


def _float8_table(mantissa_bits: int, bias: int, nan_codes) -> np.ndarray:
    """float32 value of each of the 256 codes of a float8 format without infinities."""
    codes = np.arange(256)
    exponent = (codes & 0x7F) >> mantissa_bits
    fraction = (codes & ((1 << mantissa_bits) - 1)) / (1 << mantissa_bits)
    magnitude = np.where(exponent == 0, fraction * 2.0 ** (1 - bias), (1 + fraction) * 2.0 ** (exponent - bias))
    table = np.where(codes & 0x80, -magnitude, magnitude).astype(np.float32)
    table[list(nan_codes)] = np.nan
    return table


def _e8m0_table() -> np.ndarray:
    return np.append(2.0 ** (np.arange(255) - 127), np.nan).astype(np.float32)  # code 255 is NaN


def _lookup(table):
    return lambda codes: table[codes]


def _uint64_to_int64(values):
    if values.size and values.max() > np.iinfo(np.int64).max:
        raise RuntimeError(
            f"a uint64 tensor holds {values.max()}, more than int64 (NumpyFlow's widest integer) can hold"
        )
    return values.astype(np.int64)


# torch dtype name -> (numpy dtype of one stored component, components per element, a
# function from the stored components to a dtype NumpyFlow has, or None when it has this one)
_DTYPES = {
    name: (np.dtype(name), 1, None)
    for name in ("float64", "float32", "float16", "complex64", "complex128", "int64", "int32", "int16", "int8")
}
_DTYPES.update(
    {
        "uint8": (np.dtype(np.uint8), 1, None),
        "bool": (np.dtype(np.bool_), 1, None),
        # bfloat16 is the upper half of a float32
        "bfloat16": (np.dtype(np.uint16), 1, lambda bits: (bits.astype(np.uint32) << 16).view(np.float32)),
        # float8_e5m2 is the upper byte of a float16
        "float8_e5m2": (
            np.dtype(np.uint8),
            1,
            lambda bits: (bits.astype(np.uint16) << 8).view(np.float16).astype(np.float32),
        ),
        "float8_e4m3fn": (np.dtype(np.uint8), 1, _lookup(_float8_table(3, 7, (0x7F, 0xFF)))),
        "float8_e4m3fnuz": (np.dtype(np.uint8), 1, _lookup(_float8_table(3, 8, (0x80,)))),
        "float8_e5m2fnuz": (np.dtype(np.uint8), 1, _lookup(_float8_table(2, 16, (0x80,)))),
        "float8_e8m0fnu": (np.dtype(np.uint8), 1, _lookup(_e8m0_table())),
        "complex32": (np.dtype(np.float16), 2, lambda parts: parts.astype(np.float32).view(np.complex64)),
        "uint16": (np.dtype(np.uint16), 1, lambda values: values.astype(np.int32)),
        "uint32": (np.dtype(np.uint32), 1, lambda values: values.astype(np.int64)),
        "uint64": (np.dtype(np.uint64), 1, _uint64_to_int64),
    }
)
_NO_EQUIVALENT = {
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "bits8",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "float4_e2m1fn_x2",
}
_STORAGE_DTYPES = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8",
    "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",  # bytes; the tensor's own dtype says how to read them
}


def _element_size(name: str) -> int:
    if name in _DTYPES:
        component, count, _ = _DTYPES[name]
        return component.itemsize * count
    return {"qint32": 4, "bits16": 2}.get(name, 1)


def converted_name(name: str) -> str:
    """The NumpyFlow dtype that values of the PyTorch dtype ``name`` are read as."""
    component, count, convert = _DTYPES[name]
    return name if convert is None else convert(np.zeros(count, component)).dtype.name


def decode(raw: np.ndarray, name: str, byteorder: str = "little") -> np.ndarray:
    """The uint8 array ``raw`` read as a flat native array of PyTorch's dtype ``name``,
    converted exactly to a wider NumpyFlow dtype where NumpyFlow lacks ``name``; the
    result views ``raw`` when no conversion or byte swap is needed."""
    if name not in _DTYPES:
        raise RuntimeError(f"NumpyFlow has no dtype {name} and no exact conversion of it")
    component, count, convert = _DTYPES[name]
    if raw.nbytes % (component.itemsize * count):
        raise RuntimeError(f"the file is corrupt: {raw.nbytes} bytes are not a whole number of {name} elements")
    flat = raw.view(component.newbyteorder("<" if byteorder == "little" else ">"))
    if not flat.dtype.isnative:
        flat = flat.astype(component)
    return flat if convert is None else convert(flat)


class _TorchDtype:
    """A PyTorch dtype NumpyFlow lacks, as it appears in a checkpoint (``torch.bfloat16``)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


def _dtype_global(name: str):
    """NumpyFlow's dtype for ``torch.<name>`` where it has one, else a named marker."""
    try:
        return dtypes.from_numpy(dtypes.to_numpy(name))
    except TypeError:
        return _TorchDtype(name)


class _StorageType:
    def __init__(self, dtype: str):
        self.dtype = dtype


class _TensorType:
    def __init__(self, name: str):
        self.name = name


_TENSOR = _TensorType("torch.Tensor")
_PARAMETER = _TensorType("torch.nn.Parameter")

# -- storages --------------------------------------------------------------------------


class Storage:
    """One storage read from a PyTorch file: its bytes, the dtype it was saved with, and
    the device its tensors go to.

    A ``map_location`` callable is called as ``fn(storage, location)`` with one of these,
    as PyTorch calls it with its storages; ``storage``, ``storage.cpu()``,
    ``storage.cuda(index)`` and ``storage.to(device)`` are what it may return.
    """

    def __init__(self, raw: np.ndarray, dtype: str, byteorder: str = "little", device: Device = CPU):
        self.raw = raw  # uint8, writable: tensors are views of (decodings of) these bytes
        self.dtype = dtype
        self.byteorder = byteorder
        self.device = device
        self._elements = {}

    def __repr__(self):
        return f"Storage(dtype={self.dtype}, nbytes={self.nbytes()}, device='{self.device}')"

    def nbytes(self) -> int:
        return self.raw.nbytes

    def to(self, device, non_blocking: bool = False) -> "Storage":
        moved = copy.copy(self)
        moved.device = Device(str(device)) if not isinstance(device, int) else Device("cuda", device)
        moved._elements = {}
        return moved

    def cpu(self) -> "Storage":
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> "Storage":
        return self.to("cuda" if device is None else device)

    def elements(self, dtype: str) -> np.ndarray:
        """The bytes as a flat native array of ``dtype`` (converted where NumpyFlow lacks
        it); one array per dtype, so every tensor of this storage views the same memory."""
        flat = self._elements.get(dtype)
        if flat is None:
            flat = self._elements[dtype] = decode(self.raw, dtype, self.byteorder)
        return flat


def _strided(flat: np.ndarray, offset: int, size, stride) -> np.ndarray:
    """The view of ``flat`` that PyTorch's ``set_(storage, offset, size, stride)`` makes,
    after checking that it stays inside the storage."""
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    offset = int(offset)
    if len(size) != len(stride) or offset < 0 or min(size + stride, default=0) < 0:
        raise RuntimeError(
            f"the file is corrupt: a tensor has an invalid layout (offset {offset}, size {size}, stride {stride})"
        )
    if math.prod(size) == 0:
        return np.empty(size, flat.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise RuntimeError(
            f"the file is corrupt: a tensor of size {size}, stride {stride} at offset {offset} reaches element "
            f"{last} of a storage of {flat.size} elements"
        )
    item = flat.itemsize
    return np.ndarray(size, flat.dtype, buffer=flat, offset=offset * item, strides=tuple(s * item for s in stride))


def _decode_ascii(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


def target_device(map_location, location: str, storage, where: str) -> Device:
    """Where a storage saved on ``location`` goes under ``map_location``, with
    ``torch.load``'s rules: None keeps the saved device; a string or device sends every
    storage there; a dict maps saved locations (missing ones stay); a callable gets
    ``(storage, location)`` and returns the storage moved, or None to keep ``location``."""
    if map_location is None:
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif isinstance(map_location, (str, bytes, Device)) or not callable(map_location):
        target = map_location
    else:
        result = map_location(storage, location)
        if result is None:
            target = location
        elif hasattr(result, "device"):
            target = result.device
        else:
            raise TypeError(
                f"nf.load: map_location returned {type(result).__name__}; it should return the storage it was "
                "given (moved with .cpu() or .cuda()) or None"
            )
    target = _decode_ascii(target)
    try:
        device = Device(str(target))
    except (RuntimeError, TypeError):
        raise RuntimeError(
            f"nf.load: {where} holds tensors for device {str(target)!r}, which NumpyFlow does not have (it has "
            "'cpu' and 'cuda'); pass map_location='cpu' to load them onto the CPU"
        ) from None
    if device.type == "cuda" and not cuda_available():
        raise RuntimeError(
            f"nf.load: {where} holds tensors saved on {location} (mapped to {device}), but CUDA is not available "
            "(NumpyFlow reaches GPUs through CuPy). On a CPU-only machine, pass map_location='cpu' (or "
            "nf.device('cpu')) to map them to the CPU."
        )
    return device


# -- unpickling ------------------------------------------------------------------------

# What torch.load(weights_only=True) admits beyond tensors: plain values and containers,
# plus the numpy arrays and scalars that nf.load's own format admits.
PLAIN_GLOBALS = {
    ("collections", "OrderedDict"),
    ("collections", "Counter"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "slice"),
    ("builtins", "range"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
}
_PLAIN = PLAIN_GLOBALS | {
    ("builtins", "bytearray"),
    ("_codecs", "encode"),  # how protocol 2 pickles bytes
}
_PLAIN_MODULES = {"numpy.dtypes"}

_REBUILDERS = {
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._tensor", "_rebuild_from_type_v2"),
}
_UNSUPPORTED_TENSORS = {
    "_rebuild_qtensor": "quantized tensors (dequantize them before saving)",
    "_rebuild_sparse_tensor": "sparse tensors (save t.to_dense())",
    "_rebuild_nested_tensor": "nested tensors (save t.unbind())",
    "_rebuild_meta_tensor_no_storage": "tensors on the meta device, which have no values",
    "_rebuild_wrapper_subclass": "tensor subclasses (save plain tensors)",
    "_rebuild_device_tensor_from_numpy": "tensors of accelerator back ends (move them to the CPU before saving)",
    "_rebuild_device_tensor_from_cpu_tensor": "tensors of accelerator back ends (move them to the CPU before saving)",
}
_TORCH_OBJECTS = "tensors, Parameters, storages, dtypes, devices and torch.Size"


def _modern(module: str, name: str):
    """The Python 3 spelling of a global from a protocol 0-2 pickle (``__builtin__.set``)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class _Refused(pickle.UnpicklingError):
    """What the allow list refuses (other unpickling errors mean a damaged file)."""


class _Unpickler(pickle.Unpickler):
    """Unpickles one PyTorch pickle for a :class:`_Reader`; globals go through its allow list."""

    def __init__(self, file, reader):
        super().__init__(file, encoding="utf-8")
        self._reader = reader

    def find_class(self, module, name):
        return self._reader.find_class(self, module, name)

    def persistent_load(self, pid):
        return self._reader.persistent_load(pid)


class _NoGlobals(pickle.Unpickler):
    """For the legacy stream's header objects: numbers, strings and containers only."""

    def find_class(self, module, name):
        raise _Refused(f"unexpected global {module}.{name} in a PyTorch file header")


class _Reader:
    """The state of one load: where storages come from, where they go, what was converted."""

    def __init__(self, where, map_location, weights_only, fetch, byteorder="little"):
        self.where = where
        self.map_location = map_location
        self.weights_only = weights_only
        self.fetch = fetch  # fetch(key, dtype, numel) -> uint8 array of the storage's bytes
        self.byteorder = byteorder
        self.storages = {}
        self.converted = {}  # id(tensor) -> (tensor, torch dtype name)
        self.dry_run = None  # a dict while the legacy format's first pass lists the storages

    # -- globals -----------------------------------------------------------------------

    def find_class(self, unpickler, module, name):
        modern = _modern(module, name)
        mod, attr = modern
        if modern in _REBUILDERS:
            return getattr(self, attr)
        if mod == "torch._utils" and attr in _UNSUPPORTED_TENSORS:
            raise RuntimeError(
                f"nf.load: {self.where} holds {_UNSUPPORTED_TENSORS[attr]}; NumpyFlow reads dense tensors only"
            )
        if mod in ("torch", "torch.cuda", "torch.storage") and attr in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[attr])
        if mod == "torch":
            if attr in _DTYPES or attr in _NO_EQUIVALENT:
                return _dtype_global(attr)
            if attr == "Size":
                return Size
            if attr == "device":
                return Device
            if attr == "Tensor":
                return _TENSOR
        if modern == ("torch.nn.parameter", "Parameter"):
            return _PARAMETER
        if mod == "torch" or mod.startswith("torch."):
            raise _Refused(
                f"nf.load: {self.where} holds {mod}.{attr}, a PyTorch object that only PyTorch can rebuild "
                f"(NumpyFlow reads {_TORCH_OBJECTS} from PyTorch files); load it with torch.load, or save a "
                "state_dict() instead of the whole object"
            )
        if not self.weights_only:
            return pickle.Unpickler.find_class(unpickler, module, name)
        if modern in _PLAIN or mod in _PLAIN_MODULES:
            return pickle.Unpickler.find_class(unpickler, mod, attr)
        raise _Refused(
            f"nf.load: refusing to unpickle {mod}.{attr} from {self.where}: with weights_only=True only "
            f"{_TORCH_OBJECTS}, numbers, strings, numpy arrays and plain containers are loaded, as torch.load "
            "does. Load with weights_only=False only if you trust the file's source: unpickling it can run "
            "arbitrary code."
        )

    # -- storages ----------------------------------------------------------------------

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) not in (5, 6) or _decode_ascii(pid[0]) != "storage":
            raise _Refused(f"nf.load: {self.where} references {pid!r}; PyTorch files reference only storages")
        storage_type, key, location, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if not isinstance(storage_type, _StorageType):
            raise _Refused(f"nf.load: {self.where} has a storage of unknown type {storage_type!r}")
        dtype, key, location, numel = storage_type.dtype, str(key), _decode_ascii(location), int(numel)
        if self.dry_run is not None:
            self.dry_run[key] = (dtype, numel, location)
            return None
        storage = self.storages.get(key)
        if storage is None:
            raw = self.fetch(key, dtype, numel)
            storage = Storage(raw, dtype, self.byteorder)
            storage.device = target_device(self.map_location, location, storage, self.where)
            self.storages[key] = storage
        if view is not None:  # a storage view of legacy files: (key, offset, numel) inside the root
            view_key, offset, view_numel = str(view[0]), int(view[1]), int(view[2])
            if view_key not in self.storages:
                size = _element_size(dtype)
                sub = copy.copy(storage)
                sub.raw, sub._elements = storage.raw[offset * size : (offset + view_numel) * size], {}
                self.storages[view_key] = sub
            storage = self.storages[view_key]
        return storage

    # -- tensors -------------------------------------------------------------------------

    def _tensor(self, storage, offset, size, stride, dtype=None, requires_grad=False, metadata=None):
        if self.dry_run is not None:
            return None
        if not isinstance(storage, Storage):
            raise _Refused(f"nf.load: {self.where} rebuilds a tensor from {type(storage).__name__}")
        name = dtype.name if dtype is not None else storage.dtype
        if name not in _DTYPES:
            raise RuntimeError(
                f"nf.load: {self.where} holds a tensor of dtype torch.{name} (size {tuple(size)}), which NumpyFlow "
                "has no equivalent for; convert it to a float or integer dtype in PyTorch before saving"
            )
        try:
            array = _strided(storage.elements(name), offset, size, stride)
        except RuntimeError as e:
            raise RuntimeError(f"nf.load: {self.where}: {e}") from None
        if metadata and metadata.get("conj"):  # a lazily conjugated view in PyTorch
            array = np.conj(array)
        if metadata and metadata.get("neg"):
            array = np.negative(array)
        t = from_numpy(array)
        if storage.device != CPU:
            t = t.to(storage.device)
        if requires_grad:
            t.requires_grad_(True)
        if _DTYPES[name][2] is not None:
            self.converted[id(t)] = (t, name)
        return t

    def _rebuild_tensor(self, storage, storage_offset, size, stride):
        return self._tensor(storage, storage_offset, size, stride)

    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
        return self._tensor(storage, storage_offset, size, stride, None, requires_grad, metadata)

    def _rebuild_tensor_v3(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
    ):
        return self._tensor(storage, storage_offset, size, stride, dtype, requires_grad, metadata)

    def _rebuild_parameter(self, data, requires_grad, backward_hooks):
        if self.dry_run is not None:
            return None
        from .nn.parameter import Parameter

        param = Parameter(data, requires_grad)
        if id(data) in self.converted:
            self.converted[id(param)] = (param, self.converted.pop(id(data))[1])
        return param

    def _rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        return self._set_state(self._rebuild_parameter(data, requires_grad, backward_hooks), state)

    def _rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in (self._rebuild_tensor, self._rebuild_tensor_v2, self._rebuild_tensor_v3):
            func = getattr(func, "__name__", func)
            raise _Refused(f"nf.load: {self.where} rebuilds a tensor with {func}")
        if new_type is _PARAMETER:
            return self._set_state(self._rebuild_parameter(func(*args), False, None), state)
        if new_type is not _TENSOR:
            raise _Refused(
                f"nf.load: {self.where} holds a tensor subclass {getattr(new_type, '__name__', new_type)}; "
                "NumpyFlow reads plain tensors and Parameters"
            )
        return self._set_state(func(*args), state)

    def _set_state(self, t, state):
        """Python attributes saved with a tensor (``t.note = ...``) are set again; PyTorch's
        private ones (a leading underscore) would clash with NumpyFlow's and are dropped."""
        if t is None:
            return None
        if isinstance(state, tuple) and len(state) == 2:
            items = [*(state[0] or {}).items(), *(state[1] or {}).items()]
        else:
            items = list((state or {}).items())
        dropped = [k for k, _ in items if not isinstance(k, str) or k.startswith("_")]
        for k, v in items:
            if k not in dropped:
                setattr(t, k, v)
        if dropped:
            warnings.warn(
                f"nf.load: {self.where}: ignored the private tensor attributes {dropped}", UserWarning, stacklevel=2
            )
        return t


# -- the two formats -------------------------------------------------------------------


def sniff(f) -> str | None:
    """``'zip'`` or ``'legacy'`` for the two ``torch.save`` formats, else None.  ``f`` is a
    seekable binary file; its position is left where it was."""
    start = f.tell()
    head = f.read(64)
    f.seek(start)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    try:
        is_legacy = _NoGlobals(io.BytesIO(head)).load() == MAGIC_NUMBER
    except Exception:  # not a pickle, or not one of plain values
        return None
    return "legacy" if is_legacy else None


def load(f, where: str, map_location=None, weights_only: bool = True):
    """The object ``torch.save`` wrote to the seekable binary file ``f``, with NumpyFlow
    tensors in place of PyTorch's (see the module's docstring)."""
    kind = sniff(f)
    try:
        if kind == "zip":
            reader, obj = _load_zip(f, where, map_location, weights_only)
        elif kind == "legacy":
            reader, obj = _load_legacy(f, where, map_location, weights_only)
        else:
            raise RuntimeError(f"nf.load: {where} is not a file written by torch.save")
    except _Refused:
        raise
    except (
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        EOFError,
        struct.error,
        zlib.error,
        KeyError,
        IndexError,
        ValueError,
    ) as e:
        # damage: a record with a bad CRC, a pickle cut short, a storage shorter than its header
        raise RuntimeError(f"nf.load: {where} is truncated or corrupt ({type(e).__name__}: {e})") from None
    _warn_converted(obj, reader.converted, where)
    return obj


def _read_exactly(f, count: int, where: str) -> np.ndarray:
    out = np.empty(count, np.uint8)
    view = memoryview(out)
    got = 0
    while got < count:
        n = f.readinto(view[got:])
        if not n:
            raise RuntimeError(f"nf.load: {where} is truncated: a storage has {got} of its {count} bytes")
        got += n
    return out


def _load_zip(f, where, map_location, weights_only):
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"nf.load: {where} is a truncated or corrupt zip archive ({e})") from None
    with archive:
        names = archive.namelist()
        if any(n.endswith("/constants.pkl") for n in names):
            raise RuntimeError(
                f"nf.load: {where} is a TorchScript archive (torch.jit.save); NumpyFlow reads torch.save files: "
                "save the model's state_dict() with torch.save"
            )
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise RuntimeError(f"nf.load: {where} is a zip archive but not a torch.save file (no <name>/data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise RuntimeError(f"nf.load: {where} has an unknown byte order {byteorder!r}")

        def fetch(key, dtype, numel):
            record = f"{prefix}data/{key}"
            nbytes = numel * _element_size(dtype)
            try:
                info = archive.getinfo(record)
            except KeyError:
                raise RuntimeError(f"nf.load: {where} is corrupt: the record {record} is missing") from None
            if info.file_size != nbytes:
                raise RuntimeError(
                    f"nf.load: {where} is corrupt: {record} has {info.file_size} bytes, the tensors need {nbytes}"
                )
            with archive.open(info) as record_file:
                return _read_exactly(record_file, nbytes, where)

        reader = _Reader(where, map_location, weights_only, fetch, byteorder)
        return reader, _Unpickler(io.BytesIO(archive.read(pickles[0])), reader).load()


def _load_legacy(f, where, map_location, weights_only):
    _NoGlobals(f).load()  # the magic number, checked by sniff()
    version = _NoGlobals(f).load()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(
            f"nf.load: {where} has PyTorch protocol version {version!r}; NumpyFlow reads {PROTOCOL_VERSION}"
        )
    _NoGlobals(f).load()  # system information (type sizes, byte order of the writer)
    start = f.tell()

    # The storages' bytes follow the object's pickle, so a first pass over it lists the
    # storages (dtype and size), the bytes are read, and a second pass builds the tensors.
    reader = _Reader(where, map_location, weights_only, None)
    reader.dry_run = {}
    _Unpickler(f, reader).load()
    keys = _NoGlobals(f).load()
    raw = {}
    for key in keys:
        if key not in reader.dry_run:
            raise RuntimeError(f"nf.load: {where} is corrupt: storage {key} is not used by the pickle")
        dtype, numel, _ = reader.dry_run[key]
        (count,) = struct.unpack("<q", f.read(8))
        if count != numel:
            raise RuntimeError(f"nf.load: {where} is corrupt: storage {key} has {count} elements, expected {numel}")
        raw[key] = _read_exactly(f, numel * _element_size(dtype), where)
    missing = set(reader.dry_run) - set(raw)
    if missing:
        raise RuntimeError(f"nf.load: {where} is truncated or corrupt: storages {sorted(missing)} are missing")

    reader.dry_run = None
    reader.fetch = lambda key, dtype, numel: raw[key]
    f.seek(start)
    return reader, _Unpickler(f, reader).load()


def _warn_converted(obj, converted, where):
    """A warning per converted dtype, naming the tensors that had it (by their path in ``obj``)."""
    if not converted:
        return
    paths = {}
    stack, seen = [("", obj)], set()
    while stack:
        path, value = stack.pop()
        if id(value) in converted:
            paths.setdefault(id(value), path or "<the loaded tensor>")
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in reversed(list(enumerate(value))))
    groups = collections.defaultdict(list)
    for key, (_, name) in converted.items():
        groups[name].append(paths.get(key))
    for name, found in groups.items():
        listed = [repr(p) for p in sorted(p for p in found if p is not None)[:8]]
        rest = len(found) - len(listed)
        text = ", ".join(listed) + (f" and {rest} more" if listed and rest else f"{rest} tensor(s)" if rest else "")
        warnings.warn(
            f"nf.load: {where}: NumpyFlow has no {name}; converted {text} to {converted_name(name)} "
            "(exactly: every value is kept)",
            UserWarning,
            stacklevel=5,  # the caller of nf.load
        )
