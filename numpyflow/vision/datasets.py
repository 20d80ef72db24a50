"""Image data sets, as ``torchvision.datasets`` -- read from local files, never downloaded.

Every data set here is a map-style :class:`numpyflow.utils.data.Dataset` whose items are
``(image, label)`` as torchvision's: ``image`` a Pillow image (mode ``L`` for gray, ``RGB``
for colour) that :class:`numpyflow.vision.transforms.ToTensor` turns into a ``C x H x W``
float tensor, and ``label`` a Python int. Where Pillow is not installed, or after
``vision.set_image_backend('numpy')``, the image is instead a uint8 numpy array laid out
like the Pillow image (``H x W`` or ``H x W x C``), which every transform also takes.

``.data`` and ``.targets`` are what torchvision's are: for the MNIST family (and
:class:`Digits`) a uint8 Tensor ``(N, H, W)`` and an int64 Tensor; for :class:`CIFAR10`
a uint8 numpy array ``(N, 32, 32, 3)`` and a list of ints. ``.classes`` names the labels.

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

from .transforms import _functional_pil as F_pil
from .transforms import functional as F

__all__ = [
    "VisionDataset",
    "Digits",
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "FakeData",
    "DatasetFolder",
    "ImageFolder",
    "IMG_EXTENSIONS",
    "has_file_allowed_extension",
    "is_image_file",
    "find_classes",
    "make_dataset",
    "pil_loader",
    "default_loader",
    "get_image_backend",
    "set_image_backend",
]

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


# -- the image backend ---------------------------------------------------------------------

_BACKENDS = ("PIL", "numpy")
_image_backend = None  # decided on first use: PIL where Pillow is installed


def get_image_backend() -> str:
    """What the data sets hand out as images: ``'PIL'`` (Pillow images, torchvision's
    behaviour; the default where Pillow is installed) or ``'numpy'`` (uint8 arrays laid
    out like them; the default without Pillow)."""
    global _image_backend
    if _image_backend is None:
        _image_backend = "PIL" if F_pil.available() else "numpy"
    return _image_backend


def set_image_backend(backend: str) -> None:
    """Choose what the data sets hand out as images: ``'PIL'`` or ``'numpy'`` (see
    :func:`get_image_backend`). A process-wide setting, as torchvision's; DataLoader
    workers started by fork inherit it."""
    global _image_backend
    if backend not in _BACKENDS:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'numpy'")
    if backend == "PIL" and not F_pil.available():
        F_pil.pil("the 'PIL' image backend")  # raises ImportError saying how to install Pillow
    _image_backend = backend


def to_image(pixels):
    """A uint8 ``H x W [x C]`` array as the data sets hand out images: a Pillow image
    (backend 'PIL') or a copy of the array (backend 'numpy', so that changing an item
    never changes the data set)."""
    if get_image_backend() == "PIL":
        return F_pil.fromarray(pixels)
    return np.array(pixels, copy=True)


class VisionDataset(Dataset):
    """Base class: the optional ``transform`` (on the image) and ``target_transform`` (on
    the label), and the repr. Subclasses holding arrays put images in ``self.data`` and
    labels in ``self.targets``; the item is ``(to_image(data[i]), int(targets[i]))``."""

    _repr_indent = 4

    def __init__(self, root=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(os.fspath(root))
        self.root = root
        self.transform = transform
        self.target_transform = target_transform

    def _pixels(self, index):
        return np.asarray(self.data[index])

    def _label(self, index) -> int:
        return int(self.targets[index])

    def __getitem__(self, index):
        img = to_image(self._pixels(index))
        target = self._label(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

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


def _as_numpy(value, dtype=None):
    if isinstance(value, nf.Tensor):
        value = value.detach().numpy(force=True)
    return np.asarray(value, dtype=dtype)


class _TensorDataTargets:
    """``.data`` and ``.targets`` as Tensors sharing memory with the arrays underneath (as
    torchvision's MNIST: uint8 images, int64 labels); assigning a Tensor, array or list
    replaces them (``ds.data = ds.data[:1000]`` subsets, as in torchvision)."""

    @property
    def data(self):
        return nf.as_tensor(self._data)

    @data.setter
    def data(self, value):
        self._data = _as_numpy(value)

    @property
    def targets(self):
        return nf.as_tensor(self._targets)

    @targets.setter
    def targets(self, value):
        self._targets = _as_numpy(value, np.int64)

    def _pixels(self, index):
        return self._data[index]

    def _label(self, index) -> int:
        return int(self._targets[index])

    def __len__(self):
        return len(self._data)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}


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


class Digits(_TensorDataTargets, VisionDataset):
    """The UCI handwritten digits: 1,797 gray 8x8 images of the digits 0-9, shipped with
    numpyflow (about 50 kB), so it works offline and anywhere. Not in torchvision; it
    behaves as torchvision's MNIST does: ``.data`` a uint8 Tensor (N, 8, 8), ``.targets``
    an int64 Tensor, items (Pillow image of mode L, int).

    Each pixel counts the "on" pixels of a 4x4 block of the original 32x32 bitmap, so
    values run 0..16 (not 0..255); ``ToTensor`` scales uint8 by 1/255, which gives
    0..0.063 -- follow it with ``Normalize((0.0192,), (0.0236,))`` (the train part's
    mean and std after ToTensor), or map the values onto 0..1 before ToTensor with
    ``Lambda(lambda img: np.asarray(img, np.float32) / 16)`` (float arrays pass ToTensor
    unscaled).

    The split is fixed: a stratified 80/20 split stored in the file, 1,438 train and
    359 test images (``train=True`` / ``False``), each in the original order.

    Args:
        root: ignored (the data are embedded); accepted for torchvision's signature.
        train: the train part (True) or the test part (False).
        transform: applied to the image (an 8x8 Pillow image, or uint8 array).
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


class MNIST(_TensorDataTargets, VisionDataset):
    """MNIST handwritten digits: 60,000 train and 10,000 test gray 28x28 images, read
    from the four IDX files (gzipped or not) in ``root``.

    The files are the standard ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally ending in
    ``.gz``. They are looked for in ``root``, then in torchvision's layout
    ``root/MNIST/raw``. Nothing is downloaded.

    Args:
        root: the directory holding the files.
        train: the 60,000 train images (True) or the 10,000 test images (False).
        transform: applied to the image (a 28x28 Pillow image of mode L, or uint8 array).
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

    As torchvision's: ``.data`` is a uint8 numpy array ``N x 32 x 32 x 3`` (``H x W x C``)
    and ``.targets`` a list of ints; items are (Pillow image of mode RGB, int).

    Args:
        root: the directory holding ``cifar-10-batches-py`` (or the batches themselves).
        train: the 50,000 train images (True) or the 10,000 test images (False).
        transform: applied to the image (a 32x32 RGB Pillow image, or 32x32x3 uint8 array).
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
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

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

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


# -- FakeData ------------------------------------------------------------------------------


class FakeData(VisionDataset):
    """Random images and labels, as torchvision's FakeData: item ``i`` is the same every
    time (drawn with numpyflow's global generator seeded with ``i + random_offset``, its
    state restored afterwards, so reading items never disturbs other random numbers).

    The image is ``randn(*image_size)`` (``(C, H, W)``) through ``ToPILImage`` -- scaled by
    255 and truncated to uint8, wrapping modulo 256, which makes uniform-looking noise --
    and the label an int in ``0 .. num_classes - 1``. As torchvision's, the label reaches
    ``target_transform`` as a 0-d int64 Tensor and the item's label is its ``.item()``.

    Args:
        size: number of items.
        image_size: (C, H, W) of the images; C of 1, 3 or 4 gives modes L, RGB, RGBA.
        num_classes: number of classes.
        transform, target_transform: applied to the image and to the label.
        random_offset: added to the index to make the seed (another offset, other images).
    """

    def __init__(
        self,
        size=1000,
        image_size=(3, 224, 224),
        num_classes=10,
        transform=None,
        target_transform=None,
        random_offset=0,
    ):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = nf.get_rng_state()
        try:
            nf.manual_seed(index + self.random_offset)
            img = nf.randn(*self.image_size)
            target = nf.randint(0, self.num_classes, (1,), dtype=nf.int64)[0]
        finally:
            nf.set_rng_state(state)
        img = F.to_pil_image(img) if get_image_backend() == "PIL" else F.to_pil_array(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item() if isinstance(target, nf.Tensor) else target

    def __len__(self):
        return self.size


# -- folders of files ----------------------------------------------------------------------

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions) -> bool:
    """Whether ``filename`` ends (case-insensitively) in one of ``extensions``."""
    return str(filename).lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename) -> bool:
    """Whether ``filename`` has one of :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """(classes, class_to_idx): the names of ``directory``'s subfolders, sorted, and their indices."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None, allow_empty=False):
    """``[(path, class_index), ...]``: every file under ``directory/<class>/`` (recursively,
    following links, in sorted order) that has one of ``extensions`` -- or that
    ``is_valid_file(path)`` accepts; exactly one of the two must be given. A class
    without a file is a FileNotFoundError unless ``allow_empty``."""
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:

        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    instances = []
    available = set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available.add(target_class)
    empty = set(class_to_idx) - available
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path):
    """The image file at ``path`` as an RGB Pillow image (needs Pillow)."""
    Image = F_pil.pil("reading an image file")
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def default_loader(path):
    """The image file at ``path`` as the image backend says: an RGB Pillow image, or its
    pixels as an ``H x W x 3`` uint8 array with the 'numpy' backend (decoding needs Pillow)."""
    img = pil_loader(path)
    return img if get_image_backend() == "PIL" else np.asarray(img)


class DatasetFolder(VisionDataset):
    """Samples in class folders, ``root/<class>/.../<file>``, as torchvision's.

    Classes are the subfolders of ``root``, sorted (``find_classes``, which a subclass may
    override); the samples, every file with one of ``extensions`` (or accepted by
    ``is_valid_file(path)``) in sorted order. ``loader(path)`` reads a sample.

    Attributes: ``classes``, ``class_to_idx``, ``samples`` (a list of (path, class_index)),
    ``targets`` (the class index of each sample), ``loader``, ``extensions``.
    """

    def __init__(
        self,
        root,
        loader,
        extensions=None,
        transform=None,
        target_transform=None,
        is_valid_file=None,
        allow_empty=False,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(
            self.root,
            class_to_idx=class_to_idx,
            extensions=extensions,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        """The samples (see :func:`make_dataset`); ``class_to_idx`` is required here."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(
            directory, class_to_idx, extensions=extensions, is_valid_file=is_valid_file, allow_empty=allow_empty
        )

    def find_classes(self, directory):
        """(classes, class_to_idx) of ``directory`` (see :func:`find_classes`)."""
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in class folders, ``root/<class>/.../<image>``, as torchvision's: a
    :class:`DatasetFolder` of the files with an image extension (:data:`IMG_EXTENSIONS`,
    unless ``is_valid_file`` decides), read by ``loader`` -- by default as RGB Pillow images
    (decoding image files needs Pillow). ``imgs`` is ``samples``.
    """

    def __init__(
        self,
        root,
        transform=None,
        target_transform=None,
        loader=default_loader,
        is_valid_file=None,
        allow_empty=False,
    ):
        if loader in (default_loader, pil_loader) and not F_pil.available():
            F_pil.pil(f"{type(self).__name__}'s default loader")  # ImportError: how to install Pillow
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
