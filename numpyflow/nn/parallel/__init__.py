"""``nn.parallel``: PyTorch's data-parallel wrappers.

``DataParallel`` (and its functional form ``data_parallel``) live in ``data_parallel.py``,
``DistributedDataParallel`` (over the processes of ``nf.distributed``) in ``distributed.py``.
"""

from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
