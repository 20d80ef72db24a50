"""Data sets: the embedded Digits, the real Fashion-MNIST (when installed), and the MNIST
and CIFAR-10 readers on small synthetic files written in the real formats -- including
every kind of damage, which must be a clear error when the data set is opened; FakeData,
and ImageFolder / DatasetFolder over temporary folders of PNG files.

What torchvision hands out, per data set (its source, torchvision 0.2x; torchvision is not
installed here): MNIST-family ``.data`` a uint8 Tensor (N, 28, 28) and ``.targets`` an
int64 Tensor, items ``(PIL image of mode L, int)``; CIFAR10 ``.data`` a uint8 numpy array
(N, 32, 32, 3) and ``.targets`` a list of ints, items ``(PIL image of mode RGB, int)``.
"""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

import numpyflow as nf
from numpyflow import vision
from numpyflow.utils.data import DataLoader
from numpyflow.vision import datasets
from numpyflow.vision import transforms as T

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the machine
    Image = None

needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(params=["PIL", "numpy"])
def backend(request):
    """Each image backend in turn (PIL skipped without Pillow), restored afterwards."""
    if request.param == "PIL" and Image is None:
        pytest.skip("Pillow is not installed")
    before = vision.get_image_backend()
    vision.set_image_backend(request.param)
    yield request.param
    vision.set_image_backend(before)


@pytest.fixture
def numpy_backend():
    before = vision.get_image_backend()
    vision.set_image_backend("numpy")
    yield
    vision.set_image_backend(before)


def pixels(img):
    """The pixels of an item's image, whichever backend made it."""
    return np.asarray(img)


# -- Digits ----------------------------------------------------------------------------------


def test_digits_has_a_fixed_stratified_split_of_all_1797_images():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert (len(train), len(test)) == (1438, 359)
    assert train.data.shape == (1438, 8, 8) and test.data.shape == (359, 8, 8)
    assert isinstance(train.data, nf.Tensor) and train.data.dtype == nf.uint8
    assert np.asarray(train.data).max() == 16 and np.asarray(train.data).min() == 0
    assert isinstance(train.targets, nf.Tensor) and train.targets.dtype == nf.int64
    assert np.bincount(train.targets.numpy()).tolist() == [142, 146, 142, 146, 145, 146, 145, 143, 139, 144]
    assert np.bincount(test.targets.numpy()).tolist() == [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]
    with np.load(datasets.Digits.file) as z:
        both = np.concatenate([z["train_indices"], z["test_indices"]])
    assert sorted(both.tolist()) == list(range(1797))


def test_digits_images_have_known_checksums():
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert int(np.asarray(train.data).sum(dtype=np.int64)) == 449992
    assert int(np.asarray(test.data).sum(dtype=np.int64)) == 111726
    assert int(np.asarray(train.data[0]).sum()) == 294 and int(np.asarray(test.data[0]).sum()) == 267
    assert train.targets[:5].tolist() == [0, 1, 2, 4, 5]


def test_digits_items_are_images_and_int_labels_through_the_transforms(backend):
    ds = datasets.Digits(transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[3]
    assert isinstance(y, int) and y == 104
    assert x.dtype == nf.float32 and tuple(x.shape) == (1, 8, 8)
    np.testing.assert_array_equal(x.numpy()[0], np.asarray(ds.data[3]) / np.float32(255))
    raw, label = datasets.Digits()[3]
    if backend == "PIL":
        assert isinstance(raw, Image.Image) and raw.mode == "L" and raw.size == (8, 8)
    else:
        assert isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.shape == (8, 8)
    np.testing.assert_array_equal(pixels(raw), np.asarray(ds.data[3]))
    assert type(label) is int
    assert ds.classes[label] == "4 - four" and ds.class_to_idx["4 - four"] == 4


def test_changing_an_item_does_not_change_the_data_set(numpy_backend):
    ds = datasets.Digits()
    x, _ = ds[0]
    x[:] = 99
    assert np.asarray(ds.data[0]).max() <= 16


def test_digits_data_can_be_subset_like_torchvisions_mnist():
    ds = datasets.Digits()
    ds.data, ds.targets = ds.data[:10], ds.targets[:10]
    assert len(ds) == 10 and ds.data.dtype == nf.uint8 and ds.targets.dtype == nf.int64
    assert [ds[i][1] for i in range(3)] == [0, 1, 2]


def test_digits_batches_through_a_dataloader():
    loader = DataLoader(datasets.Digits(train=False, transform=T.ToTensor()), batch_size=100)
    sizes = [(tuple(x.shape), tuple(y.shape)) for x, y in loader]
    assert sizes == [((100, 1, 8, 8), (100,))] * 3 + [((59, 1, 8, 8), (59,))]


def test_digits_carries_its_attribution_and_licence():
    text = open(os.path.join(os.path.dirname(datasets.Digits.file), "digits_LICENSE.txt")).read()
    for needle in ("Alpaydin", "Kaynak", "CC BY 4.0", "UCI Machine Learning Repository"):
        assert needle in text and needle in datasets.Digits.__doc__


# -- the real Fashion-MNIST -------------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion():
    if not os.path.isdir(FASHION_DIR):
        pytest.skip(f"Fashion-MNIST is not installed in {FASHION_DIR} (apt-get install dataset-fashion-mnist)")
    return datasets.FashionMNIST(train=True), datasets.FashionMNIST(train=False)


def test_real_fashion_mnist_has_the_right_shapes_dtypes_and_labels(fashion):
    train, test = fashion
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == nf.uint8 and train.targets.dtype == nf.int64
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    assert train.classes[9] == "Ankle boot" and train.root == FASHION_DIR


def test_real_fashion_mnist_images_have_known_checksums(fashion):
    train, test = fashion
    assert [int(np.asarray(train.data[i]).sum()) for i in range(3)] == [76247, 84598, 28662]
    assert [train[i][1] for i in range(3)] == [9, 0, 0]
    assert [int(np.asarray(test.data[i]).sum()) for i in range(3)] == [33456, 100994, 51520]
    assert [test[i][1] for i in range(3)] == [9, 2, 1]
    assert int(np.asarray(train.data).sum(dtype=np.int64)) == 3431114169
    assert int(np.asarray(test.data).sum(dtype=np.int64)) == 573469082


# -- MNIST-format files -----------------------------------------------------------------------


def idx_bytes(arr, magic=None, dims=None):
    arr = np.asarray(arr, np.uint8)
    magic = 0x0800 + arr.ndim if magic is None else magic
    dims = arr.shape if dims is None else dims
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + arr.tobytes()


def write(path, data, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        data = gzip.compress(data)
        path = path.with_name(path.name + ".gz")
    path.write_bytes(data)
    return path


def synthetic_mnist(root, n=5, gz=False, split="train", images=None, labels=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) if images is None else images
    labels = (np.arange(n) % 10).astype(np.uint8) if labels is None else labels
    prefix = "train" if split == "train" else "t10k"
    write(root / f"{prefix}-images-idx3-ubyte", images if isinstance(images, bytes) else idx_bytes(images), gz)
    write(root / f"{prefix}-labels-idx1-ubyte", labels if isinstance(labels, bytes) else idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files_gzipped_or_not(tmp_path, gz):
    images, labels = synthetic_mnist(tmp_path, n=7, gz=gz)
    ds = datasets.MNIST(tmp_path, train=True)
    assert len(ds) == 7 and ds.data.dtype == nf.uint8
    np.testing.assert_array_equal(np.asarray(ds.data), images)
    assert ds.targets.tolist() == labels.tolist()
    x, y = ds[4]
    np.testing.assert_array_equal(pixels(x), images[4])
    assert y == 4 and type(y) is int


def test_mnist_data_and_targets_are_tensors_as_torchvisions(tmp_path):
    images, _ = synthetic_mnist(tmp_path, n=3)
    ds = datasets.MNIST(tmp_path)
    assert isinstance(ds.data, nf.Tensor) and ds.data.dtype == nf.uint8 and tuple(ds.data.shape) == (3, 28, 28)
    assert isinstance(ds.targets, nf.Tensor) and ds.targets.dtype == nf.int64 and tuple(ds.targets.shape) == (3,)
    ds.data[1] = 0  # the Tensor shares memory with the data set, as torchvision's does
    assert pixels(ds[1][0]).max() == 0 and pixels(ds[0][0]).tolist() == images[0].tolist()


@needs_pil
def test_mnist_items_are_pil_images_of_mode_l_that_to_tensor_scales(tmp_path):
    images, _ = synthetic_mnist(tmp_path, n=2)
    img, _ = datasets.MNIST(tmp_path)[1]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    x = T.ToTensor()(img)
    assert x.dtype == nf.float32 and tuple(x.shape) == (1, 28, 28)
    np.testing.assert_array_equal(x.numpy()[0], images[1] / np.float32(255))


def test_both_backends_give_the_same_tensors_through_a_pil_style_pipeline(tmp_path):
    """RandomCrop(padding) -> RandomHorizontalFlip -> ToTensor -> Normalize: the same
    draws, the same pixels, whether the items are Pillow images or arrays."""
    synthetic_mnist(tmp_path, n=4)
    pipeline = T.Compose(
        [T.RandomCrop(24, padding=2), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.5,), (0.25,))]
    )
    ds = datasets.MNIST(tmp_path, transform=pipeline)
    results = {}
    for name in ["numpy"] + (["PIL"] if Image is not None else []):
        before = vision.get_image_backend()
        vision.set_image_backend(name)
        try:
            nf.manual_seed(3)
            results[name] = [ds[i][0].numpy() for i in range(4)]
        finally:
            vision.set_image_backend(before)
    for got in results.values():
        for a, b in zip(got, results["numpy"]):
            assert a.shape == (1, 24, 24) and a.dtype == np.float32
            np.testing.assert_array_equal(a, b)


def test_mnist_reads_the_test_split_and_torchvisions_raw_folder_layout(tmp_path):
    images, _ = synthetic_mnist(tmp_path / "MNIST" / "raw", n=3, split="test")
    ds = datasets.MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(np.asarray(ds.data), images)


def test_fashion_mnist_reads_a_given_root_and_has_clothing_classes(tmp_path):
    synthetic_mnist(tmp_path, n=2, gz=True)
    ds = datasets.FashionMNIST(root=tmp_path)
    assert len(ds) == 2 and ds.classes[0] == "T-shirt/top"


def test_mnist_targets_can_be_replaced_or_edited_in_place(tmp_path):
    synthetic_mnist(tmp_path, n=3)
    ds = datasets.MNIST(tmp_path)
    ds.targets = [7, 7, 7]
    assert ds[1][1] == 7 and ds.targets.dtype == nf.int64
    ds.targets[0] = 2
    assert ds[0][1] == 2


def test_missing_mnist_files_say_where_they_were_looked_for_and_how_to_get_them(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"(?s)train-images-idx3-ubyte\[\.gz\] not found.*"
        f"{tmp_path}.*ossci-datasets.s3.amazonaws.com/mnist",
    ):
        datasets.MNIST(tmp_path)


def test_missing_fashion_mnist_names_the_debian_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.FashionMNIST(root=tmp_path)


def good_images(n=4):
    return np.zeros((n, 28, 28), np.uint8)


CORRUPT_MNIST = {
    "bad magic number": dict(images=idx_bytes(good_images(), magic=0x0801, dims=(4, 28, 28))),
    "labels file with an images magic": dict(labels=idx_bytes(np.zeros(4), magic=0x0803, dims=(4,))),
    "not an IDX file": dict(images=b"\x00\x00"),
    "truncated header": dict(images=idx_bytes(good_images())[:10]),
    "truncated image data": dict(images=idx_bytes(good_images())[:-100]),
    "extra bytes after the data": dict(images=idx_bytes(good_images()) + b"\x00" * 5),
    "wrong image size": dict(images=idx_bytes(np.zeros((4, 32, 32)))),
    "image count differs from label count": dict(labels=idx_bytes(np.zeros(3))),
    "label out of range": dict(labels=idx_bytes(np.array([0, 1, 10, 2]))),
}
CORRUPT_MESSAGES = {
    "bad magic number": "bad magic number 0x00000801, expected 0x00000803",
    "labels file with an images magic": "bad magic number 0x00000803, expected 0x00000801",
    "not an IDX file": "not an IDX file",
    "truncated header": "truncated IDX header",
    "truncated image data": "size mismatch.*file is truncated",
    "extra bytes after the data": "size mismatch.*longer than its header says",
    "wrong image size": "images are 32x32, expected 28x28",
    "image count differs from label count": "holds 4 images but .* holds 3 labels",
    "label out of range": "label 10 is out of range 0..9",
}


@pytest.mark.parametrize("case", list(CORRUPT_MNIST))
@pytest.mark.parametrize("gz", [False, True])
def test_corrupt_mnist_files_are_an_error_at_construction(tmp_path, case, gz):
    kwargs = {"images": good_images(), "labels": np.zeros(4, np.uint8), **CORRUPT_MNIST[case]}
    synthetic_mnist(tmp_path, gz=gz, **kwargs)
    with pytest.raises(RuntimeError, match=CORRUPT_MESSAGES[case]) as excinfo:
        datasets.MNIST(tmp_path)
    assert str(tmp_path) in str(excinfo.value)  # names the file


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b[:12] + b"\xff" * 20 + b[32:]])
def test_damaged_gzip_is_an_error_at_construction(tmp_path, damage):
    synthetic_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(RuntimeError, match="corrupt gzip data"):
        datasets.MNIST(tmp_path)


# -- CIFAR-10 ---------------------------------------------------------------------------------


def cifar_batch(n, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    return {
        "batch_label": "synthetic",
        "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        "labels": list(rng.integers(0, 10, n).tolist()) if labels is None else labels,
        "filenames": [f"img{i}.png" for i in range(n)],
    }


def write_cifar(folder, n=2, batches=None, meta=True):
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        entries[name] = cifar_batch(n, seed=k)
        if batches and name in batches:
            entries[name] = batches[name]
        if entries[name] is not None:
            data = entries[name] if isinstance(entries[name], bytes) else pickle.dumps(entries[name])
            (folder / name).write_bytes(data)
    if meta:
        names = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names, "num_vis": 3072}))
    return entries


def test_cifar10_reads_the_train_batches_in_order_as_hwc_images(tmp_path):
    entries = write_cifar(tmp_path / "cifar-10-batches-py", n=3)
    ds = datasets.CIFAR10(tmp_path, train=True)
    assert len(ds) == 15 and ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    flat = np.concatenate([entries[f"data_batch_{i}"]["data"] for i in range(1, 6)])
    # Row layout: 1024 red, then 1024 green, then 1024 blue values, each row-major 32x32.
    assert ds.data[4, 5, 6, 2] == flat[4, 2 * 1024 + 5 * 32 + 6]
    np.testing.assert_array_equal(ds.data, flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert ds.targets == sum((entries[f"data_batch_{i}"]["labels"] for i in range(1, 6)), [])
    assert ds.classes[1] == "car" and ds.class_to_idx["car"] == 1  # from batches.meta
    x, y = ds[4]
    assert pixels(x).shape == (32, 32, 3) and type(y) is int
    np.testing.assert_array_equal(pixels(x), ds.data[4])
    assert tuple(T.ToTensor()(x).shape) == (3, 32, 32)


def test_cifar10_keeps_numpy_data_and_list_targets_as_torchvision(tmp_path, backend):
    write_cifar(tmp_path, n=2)
    ds = datasets.CIFAR10(tmp_path, train=False)
    assert isinstance(ds.data, np.ndarray) and ds.data.dtype == np.uint8 and ds.data.shape == (2, 32, 32, 3)
    assert isinstance(ds.targets, list) and all(type(t) is int for t in ds.targets)
    img, _ = ds[0]
    if backend == "PIL":
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    else:
        assert isinstance(img, np.ndarray) and img.shape == (32, 32, 3)
        img[:] = 0  # a copy
        assert ds.data[0].any()
    x = T.ToTensor()(img if backend == "PIL" else ds[0][0])
    np.testing.assert_array_equal(x.numpy(), ds.data[0].transpose(2, 0, 1) / np.float32(255))


def test_cifar10_test_split_and_root_pointing_at_the_batches_folder(tmp_path):
    entries = write_cifar(tmp_path, n=4, meta=False)
    ds = datasets.CIFAR10(tmp_path, train=False)
    assert len(ds) == 4 and ds.targets == entries["test_batch"]["labels"]
    assert ds.classes[0] == "airplane"  # torchvision's names without batches.meta


def py2_batch_pickle(data, labels):
    """A batch pickled the way the real CIFAR-10 files are: Python 2 protocol 2, str
    keys, the array as numpy.core.multiarray._reconstruct with its bytes as a str."""

    def s(b):
        return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<I", len(b)) + b)

    def i(v):
        return b"K" + bytes([v]) if 0 <= v < 256 else b"J" + struct.pack("<i", v)

    dtype = (
        b"cnumpy\ndtype\n" + s(b"u1") + b"\x89\x88\x87R" + b"(" + i(3) + s(b"|") + b"NNN" + i(-1) + i(-1) + i(0) + b"tb"
    )
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + b"cnumpy\nndarray\n"
        + i(0)
        + b"\x85"
        + s(b"b")
        + b"\x87R"
        + b"("
        + i(1)
        + i(data.shape[0])
        + i(data.shape[1])
        + b"\x86"
        + dtype
        + b"\x89"
        + s(data.tobytes())
        + b"tb"
    )
    return (
        b"\x80\x02}("
        + s(b"data")
        + array
        + s(b"labels")
        + b"]("
        + b"".join(i(v) for v in labels)
        + b"e"
        + s(b"batch_label")
        + s(b"training batch 1 of 5")
        + b"u."
    )


def test_cifar10_reads_python2_pickles_like_the_real_files(tmp_path):
    data = np.random.default_rng(5).integers(0, 256, (3, 3072), dtype=np.uint8)
    write_cifar(tmp_path, n=2, batches={"test_batch": py2_batch_pickle(data, [3, 0, 9])})
    ds = datasets.CIFAR10(tmp_path, train=False)
    assert ds.targets == [3, 0, 9]
    np.testing.assert_array_equal(ds.data, data.reshape(3, 3, 32, 32).transpose(0, 2, 3, 1))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


CORRUPT_CIFAR = {
    "truncated pickle": (lambda: pickle.dumps(cifar_batch(2))[:-50], "not a valid pickle"),
    "not a pickle": (lambda: b"garbage bytes", "not a valid pickle"),
    "a pickle that would run code": (lambda: pickle.dumps({"data": Evil(), "labels": []}), "is not allowed"),
    "not a dict": (lambda: pickle.dumps([1, 2]), "not a CIFAR-10 batch"),
    "wrong image size": (
        lambda: pickle.dumps({"data": np.zeros((2, 1024), np.uint8), "labels": [0, 1]}),
        r"'data' should be a uint8 array of shape \(N, 3072\)",
    ),
    "float data": (lambda: pickle.dumps({"data": np.zeros((2, 3072)), "labels": [0, 1]}), "'data' should be a uint8"),
    "fewer labels than images": (lambda: pickle.dumps(cifar_batch(2, labels=[1])), "holds 2 images but 1 labels"),
    "label out of range": (lambda: pickle.dumps(cifar_batch(2, labels=[1, 10])), "label 10 is out of range"),
    "labels not ints": (lambda: pickle.dumps(cifar_batch(2, labels=["a", "b"])), "'labels' should be a list of ints"),
}


@pytest.mark.parametrize("case", list(CORRUPT_CIFAR))
def test_corrupt_cifar10_batches_are_an_error_at_construction(tmp_path, case):
    make, message = CORRUPT_CIFAR[case]
    write_cifar(tmp_path, batches={"data_batch_3": make()})
    with pytest.raises(RuntimeError, match=message) as excinfo:
        datasets.CIFAR10(tmp_path, train=True)
    assert "data_batch_3" in str(excinfo.value)


def test_missing_cifar10_batch_is_named(tmp_path):
    write_cifar(tmp_path, batches={"data_batch_4": None})
    with pytest.raises(FileNotFoundError, match="data_batch_4 not found"):
        datasets.CIFAR10(tmp_path)


def test_missing_cifar10_says_where_it_looked_and_how_to_get_it(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"(?s)no CIFAR-10 batches.*cifar-10-batches-py.*"
        r"https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ):
        datasets.CIFAR10(tmp_path)


# -- the image backend ------------------------------------------------------------------------


def test_image_backend_is_pil_where_pillow_is_installed_and_rejects_unknown_names():
    assert vision.get_image_backend() == ("PIL" if Image is not None else "numpy")
    with pytest.raises(ValueError, match="Invalid backend 'accimage'. Options are 'PIL' and 'numpy'"):
        vision.set_image_backend("accimage")
    assert vision.get_image_backend() == ("PIL" if Image is not None else "numpy")


# -- FakeData ---------------------------------------------------------------------------------


def test_fake_data_items_are_the_same_every_time_and_depend_on_the_offset(backend):
    ds = datasets.FakeData(size=6, image_size=(3, 5, 7), num_classes=4)
    first = [(pixels(img).copy(), y) for img, y in (ds[i] for i in range(6))]
    again = [(pixels(img), y) for img, y in (ds[i] for i in reversed(range(6)))][::-1]
    for (a, ya), (b, yb) in zip(first, again):
        np.testing.assert_array_equal(a, b)
        assert ya == yb and type(ya) is int and 0 <= ya < 4
    assert first[0][0].shape == (5, 7, 3) and first[0][0].dtype == np.uint8
    assert not np.array_equal(first[0][0], first[1][0])
    shifted = datasets.FakeData(size=6, image_size=(3, 5, 7), num_classes=4, random_offset=2)
    np.testing.assert_array_equal(pixels(shifted[0][0]), first[2][0])
    assert len(ds) == 6
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[6]


def test_fake_data_item_i_is_randn_and_randint_seeded_with_i_plus_offset_through_to_pil_image():
    """torchvision: manual_seed(index + random_offset); img = randn(*image_size); target =
    randint(0, num_classes, (1,))[0]; img = ToPILImage()(img) -- here with numpyflow's generator."""
    ds = datasets.FakeData(size=10, image_size=(1, 4, 6), num_classes=7, random_offset=3)
    nf.manual_seed(5 + 3)
    expected = T.functional.to_pil_array(nf.randn(1, 4, 6))
    label = int(nf.randint(0, 7, (1,))[0])
    img, y = ds[5]
    np.testing.assert_array_equal(pixels(img), expected)
    assert y == label
    if isinstance(img, np.ndarray):
        assert img.shape == (4, 6)
    else:
        assert img.mode == "L" and img.size == (6, 4)


def test_reading_fake_data_leaves_the_global_generator_where_it_was():
    nf.manual_seed(0)
    expected = nf.rand(3).tolist()
    nf.manual_seed(0)
    ds = datasets.FakeData(size=4, image_size=(3, 2, 2))
    ds[1], ds[3]
    assert nf.rand(3).tolist() == expected


def test_fake_data_hands_its_target_transform_a_tensor_and_returns_the_item():
    seen = []
    ds = datasets.FakeData(
        size=2, image_size=(3, 2, 2), num_classes=5, target_transform=lambda t: seen.append(t) or t + 10
    )
    _, y = ds[0]
    assert isinstance(seen[0], nf.Tensor) and seen[0].dtype == nf.int64 and seen[0].dim() == 0
    assert y == seen[0].item() + 10 and type(y) is int


def test_fake_data_batches_through_to_tensor_and_a_dataloader():
    ds = datasets.FakeData(size=10, image_size=(3, 8, 8), transform=T.ToTensor())
    x, y = next(iter(DataLoader(ds, batch_size=10)))
    assert tuple(x.shape) == (10, 3, 8, 8) and x.dtype == nf.float32 and y.dtype == nf.int64
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


# -- ImageFolder / DatasetFolder ------------------------------------------------------------------


def write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def image_tree(tmp_path):
    """root/cat/{b.png, a.PNG, notes.txt, deep/c.png}, root/dog/z.png (gray), root/empty_file"""
    if Image is None:
        pytest.skip("Pillow is not installed")
    rng = np.random.default_rng(0)
    pics = {
        "cat/b.png": rng.integers(0, 256, (4, 5, 3), dtype=np.uint8),
        "cat/a.PNG": rng.integers(0, 256, (6, 3, 3), dtype=np.uint8),
        "cat/deep/c.png": rng.integers(0, 256, (2, 2, 3), dtype=np.uint8),
        "dog/z.png": rng.integers(0, 256, (3, 3), dtype=np.uint8),
    }
    for name, arr in pics.items():
        write_png(tmp_path / name, arr)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "loose.png").write_bytes(b"")  # a file beside the class folders is no class
    return tmp_path, pics


def test_image_folder_finds_sorted_classes_and_samples_with_image_extensions(image_tree):
    root, _ = image_tree
    ds = datasets.ImageFolder(root)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    expected = [
        (str(root / "cat" / "a.PNG"), 0),
        (str(root / "cat" / "b.png"), 0),
        (str(root / "cat" / "deep" / "c.png"), 0),
        (str(root / "dog" / "z.png"), 1),
    ]
    assert ds.samples == expected and ds.imgs == expected and ds.targets == [0, 0, 0, 1]
    assert len(ds) == 4 and ds.extensions == datasets.IMG_EXTENSIONS


def test_image_folder_items_are_rgb_images_with_the_files_pixels(image_tree, backend):
    root, pics = image_tree
    ds = datasets.ImageFolder(root, transform=None, target_transform=lambda y: -y)
    img, y = ds[1]
    if backend == "PIL":
        assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (5, 4)
    else:
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8
    np.testing.assert_array_equal(pixels(img), pics["cat/b.png"])
    gray, label = ds[3]
    assert label == -1
    np.testing.assert_array_equal(pixels(gray), np.repeat(pics["dog/z.png"][:, :, None], 3, axis=2))


def test_image_folder_through_transforms_and_a_dataloader(image_tree):
    root, pics = image_tree
    ds = datasets.ImageFolder(root, transform=T.Compose([T.Resize((4, 4)), T.ToTensor()]))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 3, 4, 4) and x.dtype == nf.float32 and y.tolist() == [0, 0, 0, 1]
    x1, _ = datasets.ImageFolder(root, transform=T.ToTensor())[1]
    np.testing.assert_array_equal(x1.numpy(), pics["cat/b.png"].transpose(2, 0, 1) / np.float32(255))


def test_image_folder_is_valid_file_replaces_the_extensions(image_tree):
    root, _ = image_tree
    ds = datasets.ImageFolder(root, is_valid_file=lambda p: p.endswith("c.png") or p.endswith("z.png"))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["c.png", "z.png"]
    assert ds.extensions is None


def test_dataset_folder_with_its_own_loader_and_extensions(tmp_path):
    for cls, values in (("neg", [-1.0, -2.0]), ("pos", [1.0])):
        (tmp_path / cls).mkdir()
        for k, v in enumerate(values):
            np.save(tmp_path / cls / f"{k}.npy", np.full(3, v, np.float32))
    ds = datasets.DatasetFolder(tmp_path, loader=np.load, extensions=(".npy",), transform=nf.from_numpy)
    assert ds.classes == ["neg", "pos"] and ds.targets == [0, 0, 1]
    x, y = ds[1]
    assert isinstance(x, nf.Tensor) and x.tolist() == [-2.0] * 3 and y == 0


def test_folder_errors_are_torchvisions(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.DatasetFolder(tmp_path, loader=np.load, extensions=".npy")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    np.save(tmp_path / "a" / "x.npy", np.zeros(1))
    with pytest.raises(
        FileNotFoundError, match="Found no valid file for the classes b. Supported extensions are: .npy"
    ):
        datasets.DatasetFolder(tmp_path, loader=np.load, extensions=".npy")
    ds = datasets.DatasetFolder(tmp_path, loader=np.load, extensions=".npy", allow_empty=True)
    assert ds.classes == ["a", "b"] and ds.targets == [0]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(tmp_path, loader=np.load)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(tmp_path, loader=np.load, extensions=".npy", is_valid_file=lambda p: True)
    with pytest.raises(FileNotFoundError):
        datasets.DatasetFolder(tmp_path / "missing", loader=np.load, extensions=".npy")


def test_extension_helpers_ignore_case():
    assert datasets.is_image_file("x/y.JPeG") and not datasets.is_image_file("x/y.txt")
    assert datasets.has_file_allowed_extension("a.NPY", ".npy")
    assert datasets.has_file_allowed_extension("a.npz", (".npy", ".npz"))


def test_without_pillow_items_are_arrays_and_pillow_only_features_say_how_to_get_it(tmp_path):
    """Pillow is optional: in a process where importing PIL fails, the backend is 'numpy',
    the data sets hand out uint8 arrays that the transforms take, and what needs Pillow
    (ImageFolder's default loader, ToPILImage, save_image) raises an ImportError naming it."""
    import subprocess
    import sys

    fake = tmp_path / "nopil" / "PIL"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('Pillow is not installed (simulated)')\n")
    script = """
import numpy as np
import numpyflow as nf
from numpyflow import vision
from numpyflow.vision import transforms as T
assert vision.get_image_backend() == "numpy"
img, y = vision.datasets.Digits()[0]
assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (8, 8)
nf.manual_seed(0)
x = T.Compose([T.RandomCrop(8, padding=1), T.RandomRotation(10), T.ToTensor()])(img)
assert tuple(x.shape) == (1, 8, 8)
for make in (lambda: vision.datasets.ImageFolder("."), lambda: T.ToPILImage()(x),
             lambda: vision.utils.save_image(x, "x.png"), lambda: vision.set_image_backend("PIL")):
    try:
        make()
    except ImportError as e:
        assert "needs Pillow" in str(e) and "pip install" in str(e), e
    else:
        raise AssertionError("no ImportError")
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
