"""Fakes the reliability tests share: a browser that hangs, and whether a process still lives."""
from __future__ import annotations

import os
from pathlib import Path


def hung_browser(folder: Path) -> Path:
    """A browser that starts a helper process, says where it is (``helper.pid``), marks ``printing``
    and never answers nor exits."""
    script = folder / "hung-chromium"
    script.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {folder / 'helper.pid'}\ntouch {folder / 'printing'}\n"
                      "wait\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def alive(pid: int) -> bool:
    """True while the process ``pid`` runs (a zombie is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        return stat.read().split(") ")[1][0] != "Z"
