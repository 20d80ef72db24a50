"""Vision: datasets, transforms, models and utilities (``make_grid``, ``save_image``), as
``torchvision``. ``get_image_backend`` / ``set_image_backend`` choose what the data sets hand
out as images: Pillow images (``'PIL'``, torchvision's behaviour, the default where Pillow is
installed) or uint8 numpy arrays (``'numpy'``)."""

from . import datasets, models, transforms, utils  # noqa: F401
from .datasets import get_image_backend, set_image_backend  # noqa: F401
