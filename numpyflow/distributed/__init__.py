"""``nf.distributed``: processes that train together, with ``torch.distributed``'s
names, on MPI (``mpi4py``; ``pip install 'numpyflow[distributed]'``).

Launch every process with ``mpiexec``, then join the default group::

    # mpiexec -n 4 python train.py
    import numpyflow.distributed as dist
    dist.init_process_group("mpi")          # rank and world size come from MPI
    t = nf.ones(3) * dist.get_rank()
    dist.all_reduce(t)                      # in place, as in PyTorch

Outside ``mpiexec`` the same script runs as a world of one.  See
``nf.nn.parallel.DistributedDataParallel``, ``nf.nn.SyncBatchNorm`` and
``nf.utils.data.distributed.DistributedSampler`` for training.
"""

from .collectives import (  # noqa: F401
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    gather_object,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .process_group import (  # noqa: F401
    GroupMember,
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)
