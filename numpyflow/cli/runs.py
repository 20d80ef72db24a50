"""What the training commands share about a run: usage errors, stopping on Ctrl-C or
SIGTERM between steps, reading a checkpoint back and resuming from it."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from ..serialization import load


class UsageError(ValueError):
    """A command line that cannot work as given: a command prints it on one line and exits
    with status 2, as argparse does for its own usage errors."""


class StopRequest:
    """Turns Ctrl-C / SIGTERM into a flag checked between batches (a second Ctrl-C aborts)."""

    def __init__(self, quiet=False):
        self.signal = None
        self.quiet = quiet
        self._previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signum
        if self.quiet:
            return
        name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        print(
            f"\n{name}: finishing this batch, then saving a checkpoint (Ctrl-C again to abort)",
            file=sys.stderr,
            flush=True,
        )

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    """``--resume [CHECKPOINT]``: continue from ``--out/last.pt`` or the checkpoint given."""
    parser.add_argument(
        "--resume",
        nargs="?",
        const="last",
        default=None,
        help="continue from --out/last.pt (or from the checkpoint path given)",
    )


def exit_status(signum) -> int:
    """The status a run stopped by ``signum`` exits with, as a shell reports a process
    killed by it: 130 for Ctrl-C, 143 for SIGTERM."""
    return 130 if signum == signal.SIGINT else 143


def read_checkpoint(path: str, checkpoint_format: str, who: str, what: str) -> dict:
    """The checkpoint at ``path``, which must be of ``checkpoint_format``; ``who`` names the
    command or option in errors, ``what`` the kind of file it needs."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{who}: no checkpoint at {path}")
    checkpoint = load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != checkpoint_format:
        raise RuntimeError(f"{who}: {path} is not {what}")
    return checkpoint


def resume_path(args) -> str:
    """The checkpoint ``--resume`` names: ``--out``/last.pt unless a path was given."""
    if args.resume in (None, "last"):
        return os.path.join(args.out, "last.pt")
    return args.resume


def resume_arguments(args, checkpoint: dict, path: str, explicit, fixed, keep) -> argparse.Namespace:
    """The run's arguments saved in ``checkpoint`` with the options named in ``keep`` as
    given now; an option of ``fixed`` given on the command line (named in ``explicit``)
    must match the saved run's."""
    saved = checkpoint["args"]
    for key in fixed:
        if key in explicit and getattr(args, key) != saved[key]:
            raise ValueError(
                f"--resume: the checkpoint at {path} is for --{key.replace('_', '-')} {saved[key]}, "
                f"not {getattr(args, key)}"
            )
    return argparse.Namespace(**{**saved, **{key: getattr(args, key) for key in keep}})
