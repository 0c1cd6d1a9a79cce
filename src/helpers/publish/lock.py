"""One build at a time: the build lock, and cleaning up after builds that were killed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..datafile import exclusive


def build_lock(root: Path, wait: float = 600):
    """Hold an exclusive lock on ``root/.build.lock`` so two builds never write at once.

    The wait is bounded: after ``wait`` seconds the build gives up with an :class:`AmrbookError`
    naming the lock file (Ctrl-C and SIGTERM end the wait at once).
    """
    root.mkdir(parents=True, exist_ok=True)
    return exclusive(
        root / ".build.lock",
        wait,
        f"another build has held the lock for {wait:g} s; wait for it to end (or stop it), then run "
        "the build again",
        "another build is running; waiting for it to finish",
    )


def clear_leftovers(root: Path) -> None:
    """Remove what killed builds left in ``root``: staging folders ``.tmp-*`` and retired outputs ``.old-*``.

    Call it holding the build lock. Only the lock holder creates these folders, so any that
    exist then belong to a build that no longer runs; this holds whatever the process ids in
    the names say (they are reused, and mean nothing across containers or machines sharing the
    folder). Retired outputs whose year has no folder (the build was killed between the two
    renames of :func:`_swap`) are the last good outputs and are put back instead.
    """
    for retired in sorted(root.glob(".old-*")):
        outputs = root / retired.name.removeprefix(".old-").rpartition("-")[0]
        if outputs != root and not outputs.exists():
            os.replace(retired, outputs)
        else:
            shutil.rmtree(retired, ignore_errors=True)
    for staging in root.glob(".tmp-*"):
        shutil.rmtree(staging, ignore_errors=True)
