"""Launching test workers under ``mpiexec``: the tests here start their own MPI jobs and
skip cleanly where mpi4py (or its ``mpiexec``) is missing."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"
ROOT = Path(__file__).resolve().parents[2]


def mpiexec():
    """The ``mpiexec`` beside this Python (the ``mpich`` wheel's), or on the PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or mpiexec() is None, reason="mpi4py and mpiexec are not installed"
)


def environment(**more):
    """The environment of a test job: the repository and workers importable, one thread
    per process, Hypothesis' CI profile off."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(WORKERS)]), OMP_NUM_THREADS="1")
    env.pop("CI", None)
    env.update(NUMPYFLOW_NUM_THREADS="1", **more)
    return env


def finish(job, timeout):
    """``(stdout, stderr)`` of the running ``job``; one that overruns ``timeout`` (a hang)
    is stopped (mpiexec passes SIGTERM on, then a kill) and the timeout raised."""
    try:
        return job.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        job.terminate()
        try:
            job.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            job.kill()
        raise


def run(n, worker, *args, timeout=120, check=True, env=None):
    """Run ``workers/<worker>`` on ``n`` processes; the finished process (stdout and
    stderr as text)."""
    command = [mpiexec(), "-n", str(n), sys.executable, str(WORKERS / worker), *map(str, args)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(**(env or {})),
        stdin=subprocess.DEVNULL,
    ) as job:
        stdout, stderr = finish(job, timeout)
    if check and job.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {job.returncode}\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(command, job.returncode, stdout, stderr)
