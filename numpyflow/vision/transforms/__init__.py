"""Image transforms, as ``torchvision.transforms`` (v1).

Transforms take the images torchvision takes -- Pillow images and Tensors laid out
``(..., C, H, W)`` -- and, where Pillow is not installed, numpy arrays laid out like Pillow
images (``H x W`` or ``H x W x C``, what the data sets then return); each returns the kind
it got. :class:`ToTensor` turns a Pillow image or an array into a ``C x H x W`` float tensor.
Random transforms draw from numpyflow's global generator, so ``nf.manual_seed`` repeats
them, also inside DataLoader workers.

:class:`BatchRandomCrop` and :class:`BatchRandomHorizontalFlip` work on a whole batch
``(N, C, H, W)`` at once, drawing one set of parameters per image (a per-image transform
applied to each sample, vectorised): use them on collated batches, e.g. in a DataLoader's
``collate_fn``, where per-sample transforms would cost a Python call per image.

The functions behind the classes are in ``transforms.functional`` (``F.pad``, ``F.crop``,
``F.resize``, ``F.rotate``, ``F.adjust_hue``, ...), as in torchvision.
"""

from . import functional  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
