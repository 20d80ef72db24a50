"""vision.utils: make_grid against hand-computed grids and torchvision's documented layout
(``min(nrow, B)`` columns, ``ceil(B / nrow)`` rows, ``padding`` around and between the cells,
gray images made three-channel, one image returned unpadded); save_image through Pillow
(values ``* 255 + 0.5`` clamped and truncated, as torchvision's). torchvision is not
installed here; its behaviour is read from its source (torchvision/utils.py, 0.2x)."""

import io

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.vision import utils

try:
    from PIL import Image
except ImportError:  # pragma: no cover - depends on the machine
    Image = None

needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed")


def test_make_grid_of_three_gray_images_by_hand():
    images = nf.tensor([[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]], [[[9.0, 10.0], [11.0, 12.0]]]])
    grid = utils.make_grid(images, nrow=2, padding=1, pad_value=0.5)
    p = 0.5
    expected = np.array(
        [
            [p, p, p, p, p, p, p],
            [p, 1, 2, p, 5, 6, p],
            [p, 3, 4, p, 7, 8, p],
            [p, p, p, p, p, p, p],
            [p, 9, 10, p, p, p, p],
            [p, 11, 12, p, p, p, p],
            [p, p, p, p, p, p, p],
        ],
        np.float32,
    )
    assert grid.dtype == nf.float32 and tuple(grid.shape) == (3, 7, 7)
    for channel in grid.numpy():  # gray images become three identical channels
        np.testing.assert_array_equal(channel, expected)


@pytest.mark.parametrize(
    "batch, nrow, padding, shape",
    [(10, 4, 2, (3, 23, 34)), (10, 8, 2, (3, 16, 66)), (3, 8, 0, (3, 5, 18)), (64, 8, 2, (3, 58, 66))],
)
def test_make_grid_layout_is_torchvisions(batch, nrow, padding, shape):
    """(C, rows * (H + padding) + padding, cols * (W + padding) + padding) with
    cols = min(nrow, B), rows = ceil(B / cols); image k at row k // cols, column k % cols."""
    x = nf.from_numpy(np.random.default_rng(0).random((batch, 3, 5, 6)).astype(np.float32))
    grid = utils.make_grid(x, nrow=nrow, padding=padding).numpy()
    assert grid.shape == shape
    cols = min(nrow, batch)
    for k in range(batch):
        top, left = (k // cols) * (5 + padding) + padding, (k % cols) * (6 + padding) + padding
        np.testing.assert_array_equal(grid[:, top : top + 5, left : left + 6], x.numpy()[k])


def test_make_grid_of_one_image_returns_it_unpadded_and_gray_2d_as_three_channels():
    x = nf.rand(3, 4, 5)
    np.testing.assert_array_equal(utils.make_grid(x, padding=4).numpy(), x.numpy())
    np.testing.assert_array_equal(utils.make_grid(x[None]).numpy(), x.numpy())
    g = utils.make_grid(nf.rand(4, 5))
    assert tuple(g.shape) == (3, 4, 5) and np.array_equal(g.numpy()[0], g.numpy()[2])


def test_make_grid_takes_a_list_of_tensors_and_keeps_the_dtype():
    images = [nf.full((3, 2, 2), k, dtype=nf.uint8) for k in range(1, 4)]
    grid = utils.make_grid(images, nrow=3, padding=1, pad_value=255)
    assert grid.dtype == nf.uint8 and tuple(grid.shape) == (3, 4, 10)
    assert grid.numpy()[0, 1].tolist() == [255, 1, 1, 255, 2, 2, 255, 3, 3, 255]
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="got a list containing"):
        utils.make_grid([nf.zeros(3, 2, 2), np.zeros((3, 2, 2))])


def test_make_grid_normalize_maps_the_batch_range_onto_0_1():
    x = nf.tensor([[[[-1.0, 0.0]]], [[[1.0, 3.0]]]])  # (2, 1, 1, 2)
    grid = utils.make_grid(x, padding=0, normalize=True).numpy()
    np.testing.assert_allclose(grid[0], [[0.0, 0.25, 0.5, 1.0]])
    assert x.numpy().min() == -1.0  # the input is left alone
    each = utils.make_grid(x, padding=0, normalize=True, scale_each=True).numpy()
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 1.0]])
    ranged = utils.make_grid(x, padding=0, normalize=True, value_range=(0.0, 2.0)).numpy()
    np.testing.assert_allclose(ranged[0], [[0.0, 0.0, 0.5, 1.0]])  # clamped to the range first
    flat = utils.make_grid(nf.full((2, 1, 1, 1), 0.3), padding=0, normalize=True).numpy()
    np.testing.assert_allclose(flat[0], [[0.0, 0.0]])  # a constant batch: divided by 1e-5, not 0
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(x, normalize=True, value_range=[0, 1])


@needs_pil
def test_save_image_writes_a_png_of_the_rounded_pixels(tmp_path):
    x = nf.tensor([[[0.0, 0.5, 1.0, 1.2, -0.1, 0.2]]]).expand(3, 1, 6)
    path = tmp_path / "img.png"
    utils.save_image(x, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(path)
    assert img.mode == "RGB" and img.size == (6, 1)
    # 0.5 * 255 + 0.5 = 128, 0.2 * 255 + 0.5 = 51.5 -> 51; clamped at both ends
    assert np.asarray(img)[0, :, 0].tolist() == [0, 128, 255, 255, 0, 51]


@needs_pil
def test_save_image_of_a_batch_saves_its_grid_to_a_file_object():
    x = nf.rand(5, 3, 4, 4)
    buf = io.BytesIO()
    utils.save_image(x, buf, format="png", nrow=3, padding=1, pad_value=1.0)
    img = Image.open(io.BytesIO(buf.getvalue()))
    assert img.size == (3 * 5 + 1, 2 * 5 + 1)
    grid = utils.make_grid(x, nrow=3, padding=1, pad_value=1.0).numpy()
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.asarray(img), expected)
