"""The default process group: every process of an MPI job (``mpiexec -n N python ...``),
or a world of one outside ``mpiexec``.  MPI itself comes from ``mpi4py``, imported on
first use."""

from __future__ import annotations

import sys
import time

__all__ = [
    "GroupMember",
    "ProcessGroup",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]

# Backend names a PyTorch script may pass: its CPU backend ("gloo") runs on MPI here.
_CPU_BACKENDS = ("mpi", "gloo", "cpu:gloo", "cpu:mpi")


class ProcessGroup:
    """A set of processes that run collectives together (an MPI communicator)."""

    def __init__(self, comm, backend="mpi"):
        self.comm = comm
        self._backend = backend

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def name(self) -> str:
        return self._backend

    def __repr__(self):
        return f"<ProcessGroup {self._backend}, rank {self.rank()} of {self.size()}>"


class GroupMember:
    """``GroupMember.WORLD`` (also ``group.WORLD``): the default group once initialized."""

    WORLD = None
    NON_GROUP_MEMBER = -100


group = GroupMember


def is_available() -> bool:
    """Whether collectives can run here: ``mpi4py`` is installed."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            "nf.distributed needs MPI through mpi4py: pip install 'numpyflow[distributed]' "
            "(or pip install mpi4py mpich)"
        ) from e
    return MPI


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    store=None,
    group_name: str = "",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the default process group: every process that ``mpiexec`` started (rank and
    world size come from MPI), or a world of one outside it.

    ``backend`` is ``"mpi"`` (the default; ``"gloo"``, PyTorch's CPU backend, names the
    same thing here).  ``world_size`` and ``rank``, when given, must agree with MPI's.
    ``init_method``, ``store`` and ``timeout`` are accepted for PyTorch's scripts: MPI
    finds its peers itself.  Once the group spans several processes, an exception that
    nothing catches in one of them aborts the whole job (``MPI_Abort``) after printing
    its traceback, so the others stop instead of waiting on it forever."""
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name == "nccl" or name.startswith("cuda:"):
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name not in _CPU_BACKENDS:
        raise ValueError(f"Invalid backend: '{backend}'; NumpyFlow's process groups run on MPI ('mpi' or 'gloo')")
    MPI = mpi()
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError(
            f"init_process_group: world_size={world_size}, but MPI started {comm.Get_size()} processes "
            f"(launch with mpiexec -n {world_size})"
        )
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError(f"init_process_group: rank={rank}, but MPI gave this process rank {comm.Get_rank()}")
    GroupMember.WORLD = ProcessGroup(comm, "mpi")
    if comm.Get_size() > 1:
        _abort_on_uncaught_exceptions(comm)


def _abort_on_uncaught_exceptions(comm):
    """An uncaught exception in one rank would leave the others blocked in their next
    collective: print it, then abort the job."""
    previous = sys.excepthook
    if getattr(previous, "_aborts_mpi_job", False):
        return

    def hook(kind, value, tb):
        previous(kind, value, tb)
        if not issubclass(kind, (KeyboardInterrupt, SystemExit)):
            sys.stderr.write(f"rank {comm.Get_rank()}: aborting the MPI job after an uncaught {kind.__name__}\n")
        sys.stderr.flush()
        sys.stdout.flush()
        time.sleep(0.5)  # the launcher forwards output asynchronously: let the traceback reach the user
        comm.Abort(1)

    hook._aborts_mpi_job = True
    sys.excepthook = hook


def destroy_process_group(group=None) -> None:
    """Leave the default process group (MPI itself stays up until the process ends)."""
    resolve_group(group, "destroy_process_group")
    GroupMember.WORLD = None


def resolve_group(group, who="") -> ProcessGroup:
    """The process group to run on (``None``: the default one), initialized."""
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    if group is None or group is GroupMember.WORLD:
        return GroupMember.WORLD
    if isinstance(group, ProcessGroup):
        return group
    raise TypeError(f"{who}: group must be a ProcessGroup or None, got {type(group).__name__}")


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group: 0 .. world size - 1)."""
    return resolve_group(group, "get_rank").rank()


def get_world_size(group=None) -> int:
    """How many processes ``group`` spans."""
    return resolve_group(group, "get_world_size").size()


def get_backend(group=None) -> str:
    return resolve_group(group, "get_backend").name()
