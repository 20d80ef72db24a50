"""``nn.parallel``: PyTorch's data-parallel wrappers.

``DataParallel`` (and its functional form ``data_parallel``) live in ``data_parallel.py``.
``DistributedDataParallel`` belongs in ``distributed.py`` beside it, exported here, when
NumpyFlow gets process groups (``nf.distributed``).
"""

from .data_parallel import DataParallel, data_parallel  # noqa: F401

__all__ = ["DataParallel", "data_parallel"]
