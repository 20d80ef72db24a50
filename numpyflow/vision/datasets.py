"""Image data sets, as ``torchvision.datasets`` -- read from local files, never downloaded.

Every data set here is a map-style :class:`numpyflow.utils.data.Dataset` whose items are
``(image, label)``: ``image`` a uint8 numpy array, ``H x W`` (gray) or ``H x W x C``
(colour), laid out like a PIL image so that :class:`numpyflow.vision.transforms.ToTensor`
turns it into a ``C x H x W`` float tensor; ``label`` a Python int. Each exposes
``.data`` (all images, one uint8 array), ``.targets`` and ``.classes``.

Files are checked when the data set is opened: a missing file raises FileNotFoundError
saying where it was looked for and how to get it; a corrupt one (bad magic number,
truncated, wrong sizes, labels out of range, unequal image and label counts, a bad
pickle) raises RuntimeError naming the file -- never a half-read data set.
"""

from __future__ import annotations

import gzip
import importlib
import os
import pickle
import zlib

import numpy as np

import numpyflow as nf
from numpyflow.utils.data import Dataset

__all__ = ["VisionDataset", "Digits", "MNIST", "FashionMNIST", "CIFAR10"]

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class VisionDataset(Dataset):
    """Base class: images in ``self.data``, labels in ``self.targets``, and the
    optional ``transform`` (on the image) and ``target_transform`` (on the label)."""

    _repr_indent = 4

    def __init__(self, root=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(os.fspath(root))
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _label(self, index) -> int:
        return int(self._targets[index])

    def __getitem__(self, index):
        # A copy, so a transform that writes into its input cannot change the data set.
        img = self.data[index].copy()
        target = self._label(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n" + " " * self._repr_indent))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in lines])


class _TensorTargets:
    """``.targets`` as an int64 Tensor sharing memory with the labels (as torchvision's
    MNIST); assigning a Tensor, array or list replaces them."""

    @property
    def targets(self):
        return nf.from_numpy(self._targets)

    @targets.setter
    def targets(self, value):
        if isinstance(value, nf.Tensor):
            value = value.detach().numpy()
        self._targets = np.asarray(value, dtype=np.int64)


def _check_labels(labels, n_classes, where):
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)]
        raise RuntimeError(
            f"{where}: label {int(bad[0])} is out of range 0..{n_classes - 1} "
            f"({bad.size} such labels); the file is corrupt"
        )


# -- Digits ------------------------------------------------------------------------------

_DIGIT_NAMES = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
]


class Digits(_TensorTargets, VisionDataset):
    """The UCI handwritten digits: 1,797 gray 8x8 images of the digits 0-9, shipped with
    numpyflow (about 50 kB), so it works offline and anywhere.

    Each pixel counts the "on" pixels of a 4x4 block of the original 32x32 bitmap, so
    values run 0..16 (not 0..255); ``ToTensor`` scales uint8 by 1/255, which gives
    0..0.063 -- follow it with ``Normalize((0.0192,), (0.0236,))`` (the train part's
    mean and std after ToTensor), or map the values onto 0..1 before ToTensor with
    ``Lambda(lambda x: x / np.float32(16))`` (float arrays pass ToTensor unscaled).

    The split is fixed: a stratified 80/20 split stored in the file, 1,438 train and
    359 test images (``train=True`` / ``False``), each in the original order.

    Args:
        root: ignored (the data are embedded); accepted for torchvision's signature.
        train: the train part (True) or the test part (False).
        transform: applied to the image (an 8x8 uint8 array).
        target_transform: applied to the label (an int).

    Attribution and licence: Alpaydin, E. and Kaynak, C. (1998). Optical Recognition of
    Handwritten Digits [Dataset]. UCI Machine Learning Repository.
    https://doi.org/10.24432/C50P49 -- licensed under Creative Commons Attribution 4.0
    International (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/). The copy
    here is scikit-learn's (``load_digits``), values unchanged, stored as uint8 and
    split as described in ``numpyflow/vision/data/digits_LICENSE.txt``.
    """

    classes = _DIGIT_NAMES
    file = os.path.join(_DATA_DIR, "digits.npz")

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        part = "train" if train else "test"
        try:
            with np.load(self.file, allow_pickle=False) as z:
                data, labels = z[f"{part}_images"], z[f"{part}_labels"]
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Digits: the embedded data file {self.file} is missing; reinstall "
                "numpyflow (the package data was not installed)"
            ) from None
        except (OSError, ValueError, KeyError, zlib.error) as e:
            raise RuntimeError(
                f"Digits: the embedded data file {self.file} is corrupt ({e}); reinstall numpyflow"
            ) from None
        if data.dtype != np.uint8 or data.ndim != 3 or data.shape[1:] != (8, 8) or len(labels) != len(data):
            raise RuntimeError(
                f"Digits: the embedded data file {self.file} has unexpected contents "
                f"(images {data.shape} {data.dtype}, {len(labels)} labels); reinstall numpyflow"
            )
        _check_labels(labels, 10, f"Digits: {self.file}")
        self.data = data
        self.targets = labels

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


# -- MNIST-format (IDX) files --------------------------------------------------------------


def _read_bytes(path):
    """The file's bytes, gunzipped if it is gzip data (whatever its name)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
            raise RuntimeError(
                f"{path}: corrupt gzip data ({e}); the file is damaged or truncated -- download it again"
            ) from None
    return raw


def read_idx(path, ndim):
    """An IDX file of unsigned bytes (MNIST's format) with ``ndim`` dimensions, as a
    uint8 array, after checking its magic number and that its size matches its header."""
    raw = _read_bytes(path)
    expected_magic = 0x0800 + ndim
    if len(raw) < 4:
        raise RuntimeError(f"{path}: not an IDX file (only {len(raw)} bytes); the file is corrupt or truncated")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise RuntimeError(
            f"{path}: bad magic number 0x{magic:08x}, expected 0x{expected_magic:08x} (an IDX "
            f"file of unsigned bytes with {ndim} dimension{'s' if ndim > 1 else ''}); the file is "
            "corrupt or not the file its name says"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    size = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != size:
        state = "truncated" if len(raw) - header < size else "longer than its header says"
        raise RuntimeError(
            f"{path}: size mismatch: the header says shape {dims} ({size} bytes of data) but the "
            f"file holds {len(raw) - header} bytes after the header; the file is {state}"
        )
    return np.frombuffer(raw, np.uint8, size, header).reshape(dims).copy()


class MNIST(_TensorTargets, VisionDataset):
    """MNIST handwritten digits: 60,000 train and 10,000 test gray 28x28 images, read
    from the four IDX files (gzipped or not) in ``root``.

    The files are the standard ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally ending in
    ``.gz``. They are looked for in ``root``, then in torchvision's layout
    ``root/MNIST/raw``. Nothing is downloaded.

    Args:
        root: the directory holding the files.
        train: the 60,000 train images (True) or the 10,000 test images (False).
        transform: applied to the image (a 28x28 uint8 array).
        target_transform: applied to the label (an int).
        download: accepted for torchvision's signature; numpyflow never downloads, and
            a missing file is an error that says how to get it.
    """

    classes = _DIGIT_NAMES
    image_shape = (28, 28)
    files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    how_to_get = (
        "Download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz "
        "and t10k-labels-idx1-ubyte.gz from https://ossci-datasets.s3.amazonaws.com/mnist/ (the "
        "mirror torchvision uses; the original is http://yann.lecun.com/exdb/mnist/) into one "
        "directory and pass it as root."
    )

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(
            root if root is not None else self._default_root(), transform=transform, target_transform=target_transform
        )
        if self.root is None:
            raise TypeError(
                f"{type(self).__name__}: root (the directory with the IDX files) is required. " + self.how_to_get
            )
        self.train = train
        images_name, labels_name = self.files[bool(train)]
        images_path = self._find(images_name)
        labels_path = self._find(labels_name)
        images = read_idx(images_path, 3)
        labels = read_idx(labels_path, 1)
        if images.shape[1:] != self.image_shape:
            raise RuntimeError(
                f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, expected "
                f"{self.image_shape[0]}x{self.image_shape[1]} for {type(self).__name__}"
            )
        if len(images) != len(labels):
            raise RuntimeError(
                f"{type(self).__name__}: {images_path} holds {len(images)} images but "
                f"{labels_path} holds {len(labels)} labels; one of the files is wrong or corrupt"
            )
        _check_labels(labels, len(self.classes), labels_path)
        self.data = images
        self.targets = labels

    @staticmethod
    def _default_root():
        return None

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _search_dirs(self):
        return [self.root, self.raw_folder, os.path.join(self.root, type(self).__name__)]

    def _find(self, name):
        dirs = self._search_dirs()
        for d in dirs:
            for candidate in (name, name + ".gz"):
                path = os.path.join(d, candidate)
                if os.path.isfile(path):
                    return path
        raise FileNotFoundError(
            f"{type(self).__name__}: {name}[.gz] not found; looked in "
            f"{', '.join(repr(d) for d in dirs)}. {self.how_to_get}"
        )

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 60,000 train and 10,000 test gray 28x28 images of 10
    kinds of clothing, in MNIST's IDX format (see :class:`MNIST` for the file names).

    With ``root=None`` the files are read from ``/usr/share/datasets/fashion-mnist``,
    where the Debian/Ubuntu package installs them: ``apt-get install dataset-fashion-mnist``.
    Fashion-MNIST is by Zalando SE under the MIT licence (Xiao, Rasul and Vollgraf, 2017).
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    debian_root = "/usr/share/datasets/fashion-mnist"
    how_to_get = (
        "Install the Debian/Ubuntu package (apt-get install dataset-fashion-mnist, which puts the "
        "files in /usr/share/datasets/fashion-mnist, the default root), or download the four .gz "
        "files from https://github.com/zalandoresearch/fashion-mnist (data/fashion) into one "
        "directory and pass it as root."
    )

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, train=train, transform=transform, target_transform=target_transform, download=download)

    @classmethod
    def _default_root(cls):
        return cls.debian_root


# -- CIFAR-10 ------------------------------------------------------------------------------


def _numpy_core(sub):
    """numpy's core module ``sub`` (``numpy._core`` since numpy 2, ``numpy.core`` before)."""
    try:
        return importlib.import_module(f"numpy._core.{sub}")
    except ImportError:  # numpy < 2
        return importlib.import_module(f"numpy.core.{sub}")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain data and numpy arrays only, so a data file cannot run code."""

    _allowed = {("multiarray", "_reconstruct"), ("multiarray", "scalar"), ("numeric", "_frombuffer")}

    def find_class(self, module, name):
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if module == "numpy.dtypes" and name.endswith("DType"):
            return getattr(importlib.import_module("numpy.dtypes"), name)
        for prefix in ("numpy.core.", "numpy._core."):
            if module.startswith(prefix) and (module[len(prefix) :], name) in self._allowed:
                return getattr(_numpy_core(module[len(prefix) :]), name)
        raise pickle.UnpicklingError(
            f"global '{module}.{name}' is not allowed in a data file (only numpy arrays and plain Python data are read)"
        )


def _load_pickle(path):
    try:
        with open(path, "rb") as f:
            return _ArrayUnpickler(f, encoding="latin1").load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        MemoryError,
        UnicodeDecodeError,
        ImportError,
    ) as e:
        raise RuntimeError(
            f"{path}: not a valid pickle ({type(e).__name__}: {e}); the file is corrupt or "
            "truncated -- extract cifar-10-python.tar.gz again"
        ) from None


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 train and 10,000 test colour 32x32 images of 10 classes, read
    from the python-pickle batches of ``cifar-10-python.tar.gz`` (extracted).

    The batches (``data_batch_1`` .. ``data_batch_5``, ``test_batch``, and
    ``batches.meta`` for the class names) are looked for in ``root/cifar-10-batches-py``
    (torchvision's layout), then in ``root`` itself. Nothing is downloaded. The pickles
    are read with an unpickler that only builds numpy arrays and plain data.

    Images are 32x32x3 uint8 arrays (``H x W x C``); ``.data`` is ``N x 32 x 32 x 3``
    and ``.targets`` a list of ints, as torchvision's.

    Args:
        root: the directory holding ``cifar-10-batches-py`` (or the batches themselves).
        train: the 50,000 train images (True) or the 10,000 test images (False).
        transform: applied to the image (a 32x32x3 uint8 array).
        target_transform: applied to the label (an int).
        download: accepted for torchvision's signature; numpyflow never downloads.
    """

    base_folder = "cifar-10-batches-py"
    train_list = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    test_list = ["test_batch"]
    meta_file = "batches.meta"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    how_to_get = (
        "Download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, extract it "
        "(tar xzf cifar-10-python.tar.gz, which makes cifar-10-batches-py/) and pass the directory "
        "that holds cifar-10-batches-py as root."
    )

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        if self.root is None:
            raise TypeError(
                f"{type(self).__name__}: root (the directory with cifar-10-batches-py) is required. " + self.how_to_get
            )
        self.train = train
        folder = self._folder()
        names = self.train_list if train else self.test_list
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise FileNotFoundError(
                f"{type(self).__name__}: {', '.join(missing)} not found in {folder!r}. " + self.how_to_get
            )
        data, targets = [], []
        for name in names:
            d, t = self._read_batch(os.path.join(folder, name))
            data.append(d)
            targets.extend(t)
        data = np.concatenate(data) if len(data) > 1 else data[0]
        self.data = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        self.targets = targets
        meta = os.path.join(folder, self.meta_file)
        if os.path.isfile(meta):
            self.classes = self._read_meta(meta)

    def _folder(self):
        candidates = [os.path.join(self.root, self.base_folder), self.root]
        for c in candidates:
            if any(os.path.isfile(os.path.join(c, n)) for n in self.train_list + self.test_list):
                return c
        raise FileNotFoundError(
            f"{type(self).__name__}: no CIFAR-10 batches (data_batch_1..5, test_batch) found; "
            f"looked in {', '.join(repr(c) for c in candidates)}. {self.how_to_get}"
        )

    def _read_batch(self, path):
        entry = _load_pickle(path)
        if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
            keys = sorted(map(str, entry)) if isinstance(entry, dict) else type(entry).__name__
            raise RuntimeError(f"{path}: not a CIFAR-10 batch (expected a dict with 'data' and 'labels', got {keys})")
        data, labels = entry["data"], entry["labels"]
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            desc = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
            raise RuntimeError(
                f"{path}: 'data' should be a uint8 array of shape (N, 3072) (N images of 3x32x32), got a {desc}"
            )
        try:
            labels_arr = np.asarray(labels)
        except Exception:
            labels_arr = np.asarray([], dtype=object)
        if labels_arr.ndim != 1 or labels_arr.dtype.kind not in "iu":
            raise RuntimeError(f"{path}: 'labels' should be a list of ints, got {type(labels).__name__}")
        if len(labels_arr) != len(data):
            raise RuntimeError(f"{path}: holds {len(data)} images but {len(labels_arr)} labels; the file is corrupt")
        _check_labels(labels_arr, 10, path)
        return data, [int(x) for x in labels_arr]

    def _read_meta(self, path):
        meta = _load_pickle(path)
        names = meta.get("label_names") if isinstance(meta, dict) else None
        if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, str) for n in names):
            raise RuntimeError(f"{path}: expected a dict with 'label_names', a list of 10 class names")
        return names

    def _label(self, index):
        return int(self.targets[index])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"
