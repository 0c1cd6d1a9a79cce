"""Fakes the reliability tests share: a browser that hangs, one that prints, and whether a process still lives."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def script(path: Path, text: str, mode: int = 0o755) -> Path:
    """``path`` written with ``text`` (a ``#!`` line first) and made executable (unless ``mode`` says otherwise)."""
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def hung_browser(folder: Path) -> Path:
    """A browser that starts a helper process, says where it is (``helper.pid``), marks ``printing``
    and never answers nor exits."""
    return script(folder / "hung-chromium",
                  f"#!/bin/sh\nsleep 600 &\necho $! > {folder / 'helper.pid'}\ntouch {folder / 'printing'}\nwait\n")


def alive(pid: int) -> bool:
    """True while the process ``pid`` runs (a zombie is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
        return stat.read().split(") ")[1][0] != "Z"


#: The start of every fake browser that speaks the DevTools pipe (``--remote-debugging-pipe``): ``messages()`` yields
#: each message Chromium would read on fd 3 (JSON, each ended by a NUL byte) and ends the browser when the pipe closes.
DEVTOOLS_PIPE = r'''
import json, os, sys


def messages():
    buffer = b""
    while True:
        chunk = os.read(3, 65536)
        if not chunk:
            sys.exit(0)
        buffer += chunk
        while b"\0" in buffer:
            raw, buffer = buffer.split(b"\0", 1)
            yield json.loads(raw)
'''


#: A browser that speaks the DevTools pipe as Chromium does and writes a small whole PDF for each print. It logs
#: ``start`` when started, ``open page`` for each page (target) it is asked to open and ``print`` for each print to
#: ``$FAKE_BROWSER_LOG`` (its process id in that file's name + ``.pid``), and answers garbage to the ``$FAKE_BROWSER_GARBAGE_AT``-th page it is asked to load (``Page.navigate``).
PRINTING_BROWSER = DEVTOOLS_PIPE + r'''
import base64
log_file, garbage_at = os.environ["FAKE_BROWSER_LOG"], int(os.environ.get("FAKE_BROWSER_GARBAGE_AT", "0"))
def log(word):
    with open(log_file, "a") as log:
        log.write(word + "\n")
log("start")
with open(log_file + ".pid", "w") as pid:
    pid.write(str(os.getpid()))
pdf = base64.b64encode(b"%PDF-1.4\n%fake page\n%%EOF\n").decode()
out, pages, loads, sessions = os.fdopen(4, "wb"), 0, 0, set()
for message in messages():
    method, params, result = message["method"], message["params"], {}
    if method == "Target.createTarget":
        pages += 1
        log("open page")
        result = {"targetId": f"T{pages}"}
    if method == "Page.navigate":
        loads += 1
        if loads == garbage_at:
            out.write(b"garbage{{{\0"); out.flush(); continue
    if method == "Target.attachToTarget":
        result = {"sessionId": "S" + params["targetId"][1:]}
        sessions.add(result["sessionId"])
    if method == "Target.closeTarget":
        sessions.discard("S" + params["targetId"][1:])
    if method == "Page.printToPDF":
        log("print")
        result = {"data": pdf}
    out.write(json.dumps({"id": message["id"], "result": result}).encode() + b"\0")
    if method == "Page.navigate":
        event = {"method": "Page.loadEventFired", "params": {}, "sessionId": message["sessionId"]}
        out.write(json.dumps(event).encode() + b"\0")
    out.flush()
    if method == "Browser.close":
        log(f"close with {len(sessions)} page(s) open")
        sys.exit(0)
'''


def printing_browser(folder: Path) -> Path:
    """The browser of :data:`PRINTING_BROWSER`, as a script in ``folder``."""
    return script(folder / "printing-chromium", f"#!{sys.executable}\n{PRINTING_BROWSER}")
