"""The processes a training run spans: one, or every process ``mpiexec`` started
(``mpiexec -n 4 python -m numpyflow train ...``), joined into ``nf.distributed``'s
default group.  Rank 0 is the main process: it alone prints and writes files."""

from __future__ import annotations

import importlib.util
import os

import numpy as np

# Variables the common MPI launchers set in every process they start (MPICH/Hydra and
# Intel MPI: PMI_*; Open MPI: OMPI_*; PMIx-based launchers: PMIX_*).
_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")


def launched_by_mpi() -> bool:
    return any(v in os.environ for v in _LAUNCHER_VARIABLES)


class World:
    """This process's rank among ``size`` processes, and what they agree on together."""

    def __init__(self, dist=None):
        self.dist = dist
        self.rank = dist.get_rank() if dist else 0
        self.size = dist.get_world_size() if dist else 1
        self.main = self.rank == 0

    def sum(self, values) -> np.ndarray:
        """``values`` (numbers) summed over the processes, in float64."""
        array = np.asarray(values, np.float64)
        if self.size == 1:
            return array
        from mpi4py import MPI

        out = np.empty_like(array)
        self.dist.group.WORLD.comm.Allreduce(array, out, op=MPI.SUM)
        return out

    def barrier(self):
        if self.size > 1:
            self.dist.barrier()


def join() -> World:
    """The world of this run: every process of an MPI job when launched by ``mpiexec``
    (and mpi4py is installed), else this process alone."""
    if not launched_by_mpi() or importlib.util.find_spec("mpi4py") is None:
        return World()
    import numpyflow.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("mpi")
    return World(dist) if dist.get_world_size() > 1 else World()
