"""nf.distributed, DistributedDataParallel and SyncBatchNorm in real MPI jobs
(``mpiexec -n 2`` and ``-n 3``), each worker checking its own rank's results."""

import socket

import pytest
from mpi import needs_mpi, run
from reference import needs_torch

pytestmark = needs_mpi


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_and_dtype_matches_numpy(n):
    out = run(n, "collectives.py").stdout  # the ranks' lines may interleave
    assert all(out.count(f"rank {r}: ok") == 1 for r in range(n)), out


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode,n", [("plain", 2), ("no_sync", 2), ("syncbn", 2), ("plain", 3), ("syncbn", 3)])
def test_ddp_matches_pytorch_ddp_step_for_step(mode, n, dtype):
    out = run(n, "ddp_vs_torch.py", _free_port(), dtype, mode).stdout
    assert out.count(f"{mode} {dtype}: losses differ by") == n


@pytest.mark.parametrize("n", [2, 3])
def test_ddp_with_syncbatchnorm_equals_one_process_and_its_gradients_are_exact(n):
    out = run(n, "equivalence.py").stdout
    assert out.count(": ok") == n and out.count("match finite differences") == n
