"""CPU seconds of everything a benchmark starts, however deep: orphaned helpers included.

``getrusage(RUSAGE_CHILDREN)`` counts a process's CPU time only once its parent has waited for it. A browser's
helper processes (its zygotes) outlive the parents that would wait for them: they are handed to init, and their
CPU time was counted for nobody (measured here: 2.8 of the 4.0 CPU-s of three prints). :func:`adopt_orphans` makes
this process their reaper (Linux's ``PR_SET_CHILD_SUBREAPER``), and :func:`children_cpu` waits for them before it
reads the count.
"""
from __future__ import annotations

import ctypes
import os
import resource
import sys
import time

#: Seconds to wait for orphans still running when a command has ended (a browser's helpers exit just after it).
ORPHAN_WAIT = 5.0


def adopt_orphans() -> None:
    """Make this process the reaper of the processes its children leave behind (Linux; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def children_cpu() -> float:
    """User + system CPU seconds of every child and descendant that has ended, orphans adopted included.

    Call it only when this process has no child of its own running (a command it started has been waited for):
    every child left is an orphan, and is waited for here, at most :data:`ORPHAN_WAIT` seconds.
    """
    deadline = time.monotonic() + ORPHAN_WAIT
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left
        if pid == 0:  # one still runs
            if time.monotonic() > deadline:
                print("benchmark: a process a command left behind still runs; its CPU time is not counted",
                      file=sys.stderr)
                break
            time.sleep(0.01)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
