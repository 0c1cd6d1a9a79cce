"""Print an HTML page to an A4 PDF with a headless Chromium, Chrome or Edge already installed.

Nothing is downloaded: the browser is ``$AMRBOOK_BROWSER`` or the first of the usual names
and install locations on Linux, macOS and Windows. Page size and margins come from the page's
own ``@page`` rule.

The running header and footer (report title; 第 n 页 / 共 N 页 and the build stamp) are the
browser's own header and footer templates, asked for through the DevTools protocol
(``Page.printToPDF`` with ``displayHeaderFooter``): Chromium supports neither CSS paged-media
margin boxes (``@top-center``, ``counter(pages)``) nor header templates on its
``--print-to-pdf`` command line. The protocol is spoken over ``--remote-debugging-pipe``
(NUL-terminated JSON on the browser's file descriptors 3 and 4), which needs no network port,
no websocket library and nothing but the standard library. Where a process cannot be given
those descriptors (Windows), the page is printed with ``--print-to-pdf`` and has no running
header or footer.
"""
from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AmrbookError

NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
         "microsoft-edge", "microsoft-edge-stable", "msedge"]
LOCATIONS = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
]
HOW_TO_GET = ("no Chromium, Chrome or Edge found to print the PDF (the HTML is built). Install one "
              "(Debian/Ubuntu: sudo apt-get install --no-install-recommends chromium; macOS: brew install "
              "--cask chromium) or set AMRBOOK_BROWSER to its path, then run the build again.")
HOW_TO_FIX = "Fix the browser or set AMRBOOK_BROWSER to a working Chromium, Chrome or Edge, then run the build again."
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars")
#: The header and footer are drawn in the page margins, in their own document: no page CSS or
#: embedded font reaches them, so they name the CJK fonts themselves (the build has checked one is installed).
RUNNING_STYLE = ("font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
                 "sans-serif; font-size: 8px; color: #555; width: 100%; box-sizing: border-box; padding: 0 15mm; display: flex; "
                 "justify-content: space-between;")


class NoPdf(AmrbookError):
    """The PDF could not be printed; the message says why. Whatever else was built stands."""


class NoBrowser(NoPdf):
    """No browser to print with; the message says how to get one."""


@dataclass(frozen=True)
class Running:
    """What every printed page carries: the report title at the top, the build stamp at the foot."""

    header: str = ""
    stamp: str = ""

    def templates(self) -> dict:
        """Return the ``Page.printToPDF`` header and footer templates (text escaped, page numbers filled by the browser)."""
        header = f'<div style="{RUNNING_STYLE}"><span>{html.escape(self.header)}</span></div>'
        footer = (f'<div style="{RUNNING_STYLE}"><span>{html.escape(self.stamp)}</span>'
                  '<span>第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</span></div>')
        return {"displayHeaderFooter": True, "headerTemplate": header, "footerTemplate": footer}


def find_browser() -> Path:
    """Return the browser to print with.

    Raises
    ------
    NoBrowser
        If ``$AMRBOOK_BROWSER`` is set but not a file, or no browser is installed.
    """
    override = os.environ.get("AMRBOOK_BROWSER")
    if override:
        if not Path(override).is_file():
            raise NoBrowser(f"AMRBOOK_BROWSER={override}: no such file")
        return Path(override)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for location in LOCATIONS:
        if Path(location).is_file():
            return Path(location)
    raise NoBrowser(HOW_TO_GET)


def print_pdf(html_file: Path, pdf_file: Path, browser: Path | None = None, timeout: int = 120,
              flags: tuple[str, ...] = (), running: Running | None = None) -> Path:
    """Print ``html_file`` to ``pdf_file`` with a headless browser; return the browser used.

    Parameters
    ----------
    html_file, pdf_file : Path
        Messages name only their file names: the build prints in a temporary folder.
    browser : Path, optional
        :func:`find_browser` by default.
    timeout : int
        Seconds the browser may take.
    flags : tuple of str
        More browser flags (the benchmark bounds the wait for a page's network with them).
    running : Running, optional
        The running header and footer of every page; none without it.

    Raises
    ------
    NoBrowser
        If no browser is found.
    NoPdf
        If the browser cannot start, fails, refuses to print, times out or writes no PDF (its
        exit status and last lines on stderr are quoted).
    """
    browser = browser or find_browser()
    run = _run_devtools if hasattr(os, "posix_spawn") else _run_command_line  # Windows: no pipe descriptors
    why = run(browser, Path(html_file), Path(pdf_file), timeout, flags, running or Running())
    if why:
        Path(pdf_file).unlink(missing_ok=True)  # a partial PDF must not pass for the page
        raise NoPdf(f"{why}\n{HOW_TO_FIX}")
    return browser


def _sandbox() -> list[str]:
    return ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # refused as root otherwise


def _run_command_line(browser: Path, html_file: Path, pdf_file: Path, timeout: int, flags: tuple[str, ...],
                      running: Running) -> str | None:  # pragma: no cover - Windows
    """Print with ``--print-to-pdf`` (no running header or footer); return why no PDF came, or None."""
    with tempfile.TemporaryDirectory(prefix="amrbook-browser-") as profile:
        command = [str(browser), *FLAGS, *_sandbox(), f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   *flags, f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri()]
        try:
            result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout,
                                    check=False)
        except subprocess.TimeoutExpired:
            return f"{browser} did not finish printing {html_file.name} within {timeout} s"
        except OSError as exc:
            return f"{browser} could not be started: {exc.strerror or exc}"
    if result.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        return _failure(browser, html_file.name, result.returncode, result.stderr or result.stdout)
    return None


class _Refused(Exception):
    """The browser answered a DevTools command with an error, or closed the pipe."""


class _DevTools:
    """The DevTools protocol over a browser's pipe: send a command, wait for its answer or an event."""

    def __init__(self, send_fd: int, receive_fd: int, deadline: float):
        self.send_fd, self.receive_fd, self.deadline = send_fd, receive_fd, deadline
        self.selector = selectors.DefaultSelector()
        self.selector.register(receive_fd, selectors.EVENT_READ)
        self.buffer, self.next_id, self.session = b"", 0, None

    def call(self, method: str, **params) -> dict:
        """Send a command to the attached page (or the browser before one is attached); return its result."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        try:
            os.write(self.send_fd, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise _Refused("") from None  # the browser has gone: its exit status says how
        answer = self.wait(lambda m: m.get("id") == self.next_id)
        if "error" in answer:
            raise _Refused(f"{method}: {answer['error'].get('message', answer['error'])}")
        return answer.get("result", {})

    def wait(self, wanted) -> dict:
        """Return the first message for which ``wanted`` is true, reading until the deadline."""
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return message
            left = self.deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise TimeoutError
            chunk = os.read(self.receive_fd, 1 << 20)
            if not chunk:
                raise _Refused("")
            self.buffer += chunk


def _print(tools: _DevTools, url: str, running: Running) -> bytes:
    """Open ``url`` in a new page, wait for it and its fonts, and return it printed as PDF bytes."""
    target = tools.call("Target.createTarget", url="about:blank")["targetId"]
    tools.session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tools.call("Page.enable")
    tools.call("Page.navigate", url=url)
    tools.wait(lambda m: m.get("method") == "Page.loadEventFired")
    tools.call("Runtime.evaluate", expression="document.fonts.ready.then(() => true)", awaitPromise=True)
    printed = tools.call("Page.printToPDF", printBackground=True, preferCSSPageSize=True, **running.templates())
    return base64.b64decode(printed["data"])


def _run_devtools(browser: Path, html_file: Path, pdf_file: Path, timeout: int, flags: tuple[str, ...],
                  running: Running) -> str | None:
    """Print through the DevTools protocol on a pipe; return why no PDF came, or None."""
    commands_read, commands_write = map(_above_4, os.pipe())
    answers_read, answers_write = map(_above_4, os.pipe())
    with tempfile.TemporaryDirectory(prefix="amrbook-browser-") as profile:
        log = Path(profile) / "browser.log"
        actions = [(os.POSIX_SPAWN_DUP2, commands_read, 3), (os.POSIX_SPAWN_DUP2, answers_write, 4),
                   (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                   (os.POSIX_SPAWN_DUP2, 1, 2)]
        command = [str(browser), *FLAGS, *_sandbox(), f"--user-data-dir={profile}", "--remote-debugging-pipe",
                   *flags, "about:blank"]
        try:
            pid = os.posix_spawn(str(browser), command, os.environ, file_actions=actions, setpgroup=0)
        except OSError as exc:
            return f"{browser} could not be started: {exc.strerror or exc}"
        finally:
            os.close(commands_read)
            os.close(answers_write)
        tools = _DevTools(commands_write, answers_read, time.monotonic() + timeout)
        refused = timed_out = None
        try:
            pdf_file.write_bytes(_print(tools, html_file.resolve().as_uri(), running))
            tools.call("Browser.close")
        except TimeoutError:
            timed_out = f"{browser} did not finish printing {html_file.name} within {timeout} s"
        except _Refused as exc:
            refused = str(exc)
        finally:
            os.close(commands_write)
            os.close(answers_read)
            status = _wait(pid, tools.deadline)
        said = log.read_text(encoding="utf-8", errors="replace")
    if refused is not None:
        return _failure(browser, html_file.name, status, said, refused)
    return timed_out


def _above_4(fd: int) -> int:
    """Move a descriptor above 4, so that giving the browser its descriptors 3 and 4 overwrites none of ours."""
    import fcntl  # POSIX only, like the pipe

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


def _wait(pid: int, deadline: float) -> int:
    """Wait for the browser to exit (killing it past the deadline); return its status as subprocess does."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, 9)  # the browser and the helper processes it started
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        time.sleep(0.02)


def _failure(browser: Path, page: str, status: int, said: str, refused: str = "") -> str:
    """Say how a browser failed to print ``page``: exit status or refusal, and its last lines of output."""
    if refused:
        how = f"refused {refused}"
    elif status < 0:
        how = f"was killed by signal {-status}"
    else:
        how = f"exited with status {status}" + (" but wrote no PDF" if status == 0 else "")
    lines = said.strip().splitlines()[-5:]
    told = "its last output:\n    " + "\n    ".join(lines) if lines else "it printed nothing"
    return f"{browser} {how} while printing {page}; {told}"
