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
import binascii
import contextlib
import html
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AmrbookError

NAMES = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
]
LOCATIONS = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
]
HOW_TO_GET = (
    "no Chromium, Chrome or Edge found to print the PDF (the HTML is built). Install one "
    "(Debian/Ubuntu: sudo apt-get install --no-install-recommends chromium; macOS: brew install "
    "--cask chromium) or set AMRBOOK_BROWSER to its path, then run the build again."
)
NO_CJK_FONT = (
    "the browser would find no Chinese font: fontconfig, through which Chromium finds fonts on this system, "
    "lists none (`fc-list :lang=zh` is empty), and the print would wait out its deadline. Install one "
    "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: sudo dnf install google-noto-sans-cjk-fonts) "
    "or add the folder of a Chinese font to fontconfig (a <dir> in ~/.config/fontconfig/fonts.conf, then "
    "fc-cache), then run the build again. The HTML is built."
)
HOW_TO_FIX = "Fix the browser or set AMRBOOK_BROWSER to a working Chromium, Chrome or Edge, then run the build again."
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)
#: The header and footer are drawn in the page margins, in their own document: no page CSS or
#: embedded font reaches them, so they name the CJK fonts themselves (the build has checked one is installed).
RUNNING_STYLE = (
    "font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
    "sans-serif; font-size: 8px; color: #555; width: 100%; box-sizing: border-box; padding: 0 15mm; display: flex; "
    "justify-content: space-between;"
)


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
        """Return the ``Page.printToPDF`` header and footer templates.

        The text is escaped; the browser fills in the page numbers.
        """
        header = f'<div style="{RUNNING_STYLE}"><span>{html.escape(self.header)}</span></div>'
        footer = (
            f'<div style="{RUNNING_STYLE}"><span>{html.escape(self.stamp)}</span>'
            '<span>第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</span></div>'
        )
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


def print_pdf(
    html_file: Path,
    pdf_file: Path,
    browser: Path | None = None,
    timeout: int = 120,
    flags: tuple[str, ...] = (),
    running: Running | None = None,
    stop: threading.Event | None = None,
    printer: Printer | None = None,
) -> Path:
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
    stop : threading.Event, optional
        Set by another thread (the build, failing or interrupted, while this prints in a thread of
        its own): the browser is killed within :data:`STOP_POLL` seconds and :class:`PrintStopped` raised.
    printer : Printer, optional
        The browser already running for earlier pages (``amrbook build --all``: one start for every
        report), which ``browser`` and ``flags`` then do not change; without it a browser is started
        for this page and closed after it.

    Raises
    ------
    NoBrowser
        If no browser is found.
    NoPdf
        If fontconfig lists no Chinese font (:func:`_check_fontconfig`, before the browser starts), or
        the browser cannot start, fails, refuses to print, times out or writes no PDF (its
        exit status and last lines on stderr are quoted).
    """
    if printer is not None:
        return printer.print(Path(html_file), Path(pdf_file), timeout, running or Running(), stop)
    with Printer(browser, flags) as alone:
        return alone.print(Path(html_file), Path(pdf_file), timeout, running or Running(), stop)


def _check_fontconfig() -> None:
    """Fail at once when fontconfig lists no Chinese font, where the browser finds its fonts through it.

    That is Linux and the BSDs (macOS and Windows browsers use the system's own font lists). Chromium
    with no font visible to fontconfig waited out the whole print deadline (120 s). ``fc-list`` ships
    with fontconfig itself; a system without it has no fontconfig tools to ask, and is not checked.

    Raises
    ------
    NoPdf
        If ``fc-list :lang=zh`` runs and lists no font.
    """
    if sys.platform in ("darwin", "win32", "cygwin"):
        return
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return  # fontconfig could not be asked: the print itself says what goes wrong
    if listed.returncode == 0 and not listed.stdout.strip():
        raise NoPdf(NO_CJK_FONT)


def _not_a_pdf(browser: Path, page: str, pdf_file: Path) -> str | None:
    """Why the file the browser wrote is not a whole PDF (empty, no ``%PDF-`` header, no ``%%EOF``), or None."""
    try:
        size = pdf_file.stat().st_size
        with open(pdf_file, "rb") as handle:
            head = handle.read(5)
            handle.seek(max(0, size - 1024))
            tail = handle.read()
    except FileNotFoundError:
        return f"{browser} wrote no PDF while printing {page}"
    if head != b"%PDF-":
        return f"{browser} wrote {size:,} bytes that are not a PDF (no %PDF- header) while printing {page}"
    if b"%%EOF" not in tail:
        return f"{browser} wrote a PDF cut short ({size:,} bytes, no %%EOF at its end) while printing {page}"
    return None


def _sandbox() -> list[str]:
    return (
        ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    )  # refused as root otherwise


def _run_command_line(
    browser: Path,
    html_file: Path,
    pdf_file: Path,
    timeout: int,
    flags: tuple[str, ...],
    running: Running,
    stop: threading.Event,
) -> str | None:  # pragma: no cover - Windows
    """Print with ``--print-to-pdf`` (no running header or footer); return why no PDF came, or None."""
    with tempfile.TemporaryDirectory(prefix="amrbook-browser-") as profile:
        command = [
            str(browser),
            *FLAGS,
            *_sandbox(),
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            *flags,
            f"--print-to-pdf={pdf_file}",
            html_file.resolve().as_uri(),
        ]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"{browser} did not finish printing {html_file.name} within {timeout} s"
        except OSError as exc:
            return f"{browser} could not be started: {exc.strerror or exc}"
    if result.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        return _failure(browser, html_file.name, result.returncode, result.stderr or result.stdout)
    return None


class PrintStopped(Exception):
    """The print was stopped from another thread (``stop`` of :func:`print_pdf`); the browser is killed."""


#: Seconds between two looks at ``stop`` while waiting for the browser.
STOP_POLL = 0.1


class _Refused(Exception):
    """The browser answered a DevTools command with an error or with something else than the protocol
    says, or closed the pipe; the message says how (``refused …``, ``answered … with …``)."""


#: Seconds a browser may take to exit when asked to, after its last print.
CLOSE_WAIT = 10

#: The most a browser may send in one DevTools message (a printed briefing is a few MB in base64).
MAX_MESSAGE = 256 << 20


class _DevTools:
    """The DevTools protocol over a browser's pipe: send a command, wait for its answer or an event."""

    def __init__(self, send_fd: int, receive_fd: int, deadline: float, stop: threading.Event):
        self.send_fd, self.receive_fd, self.deadline, self.stop = (
            send_fd,
            receive_fd,
            deadline,
            stop,
        )
        self.selector = selectors.DefaultSelector()
        self.selector.register(receive_fd, selectors.EVENT_READ)
        self.buffer, self.next_id = b"", 0
        self.session: str | None = None

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
            error = answer["error"]
            raise _Refused(
                f"refused {method}: {error.get('message', error) if isinstance(error, dict) else error}"[
                    :300
                ]
            )
        result = answer.get("result", {})
        if not isinstance(result, dict):
            raise _Refused(
                f"answered {method} with a result that is not an object: {_shown(result)}"
            )
        return result

    def field(self, result: dict, method: str, name: str) -> str:
        """The text field ``name`` of the ``result`` of ``method``, refused if missing or not text."""
        value = result.get(name)
        if not isinstance(value, str):
            raise _Refused(f"answered {method} without {name}: {_shown(result)}")
        return value

    def wait(self, wanted) -> dict:
        """Return the first message for which ``wanted`` is true, reading until the deadline."""
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                try:
                    message = json.loads(raw)
                except (ValueError, RecursionError):
                    raise _Refused(
                        f"answered with something that is not JSON: {_shown(raw)}"
                    ) from None
                if not isinstance(message, dict):
                    raise _Refused(
                        f"answered with JSON that is not a DevTools message: {_shown(message)}"
                    )
                if wanted(message):
                    return message
            if len(self.buffer) > MAX_MESSAGE:
                raise _Refused(f"sent a message of more than {MAX_MESSAGE >> 20} MB")
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if self.stop.is_set():
                raise PrintStopped
            if not self.selector.select(min(left, STOP_POLL)):
                continue
            chunk = os.read(self.receive_fd, 1 << 20)
            if not chunk:
                raise _Refused("")
            self.buffer += chunk


def _shown(value) -> str:
    """At most 60 characters of what a browser sent, for a message."""
    text = (
        value.decode("utf-8", "replace")
        if isinstance(value, bytes)
        else json.dumps(value, ensure_ascii=False)
    )
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def _open_page(tools: _DevTools) -> None:
    """Open the page (DevTools target) in which a browser loads and prints every page it is given, and attach
    to it: the commands that follow go to that page. One page for all spares each print a renderer process of
    its own (a quarter of a print's CPU); each print is a fresh document all the same.

    Every answer is checked: a missing or wrong field is :class:`_Refused`, never a KeyError.
    """
    method = "Target.createTarget"
    target = tools.field(tools.call(method, url="about:blank"), method, "targetId")
    method = "Target.attachToTarget"
    tools.session = tools.field(
        tools.call(method, targetId=target, flatten=True), method, "sessionId"
    )
    tools.call("Page.enable")


def _print(tools: _DevTools, url: str, running: Running) -> bytes:
    """Load ``url`` in the page :func:`_open_page` opened, wait for it and its fonts, and return it printed as
    PDF bytes.

    Every answer is checked: a missing or wrong field is :class:`_Refused`, never a KeyError.
    """
    tools.call("Page.navigate", url=url)
    session = tools.session
    tools.wait(
        lambda m: (
            m.get("method") == "Page.loadEventFired" and m.get("sessionId", session) == session
        )
    )
    tools.call(
        "Runtime.evaluate", expression="document.fonts.ready.then(() => true)", awaitPromise=True
    )
    method = "Page.printToPDF"
    data = tools.field(
        tools.call(method, printBackground=True, preferCSSPageSize=True, **running.templates()),
        method,
        "data",
    )
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _Refused(f"answered {method} with data that is not base64: {_shown(data)}") from None


@dataclass
class _Live:
    """A browser started by a :class:`Printer`: its process, its DevTools pipe and its profile folder."""

    pid: int
    tools: _DevTools
    profile: str


def _exited(pid: int) -> bool:
    """Whether the child process ``pid`` has ended (it is left for :func:`_wait` to reap)."""
    if not hasattr(
        os, "waitid"
    ):  # pragma: no cover - no waitid: found when its pipe fails, as before
        return False
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


class Printer:
    """One headless browser that prints page after page, each loaded in turn in the one page (DevTools target) it
    opens at its first print.

    The browser starts at the first print and stays for the next (``amrbook build --all`` starts it once
    for every report); ``starts`` counts its starts. A print that fails (times out, is refused, is stopped,
    is interrupted) ends the browser as a lone print did: killed at once when stopped or interrupted,
    else waited for until the print's deadline; the next print starts a fresh one. Use it as a context
    manager, or end it with :meth:`close` (the browser asked to exit) or :meth:`kill`. Where a process
    cannot be given the pipe's descriptors (Windows), each page is printed with ``--print-to-pdf`` alone.
    """

    def __init__(self, browser: Path | None = None, flags: tuple[str, ...] = ()):
        self.browser, self.flags = browser, flags
        self.starts = 0
        self._live: _Live | None = None
        self._ending = (
            threading.Lock()
        )  # a stopped print and the build's own thread may both end the browser

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None or issubclass(kind, NoPdf):
            self.close()
        else:  # Ctrl-C, SIGTERM, a stop, a bug: the browser is killed at once, not waited for
            self.kill()

    def print(
        self,
        html_file: Path,
        pdf_file: Path,
        timeout: int = 120,
        running: Running | None = None,
        stop: threading.Event | None = None,
    ) -> Path:
        """Print ``html_file`` to ``pdf_file``; return the browser used. Parameters and errors as :func:`print_pdf`."""
        browser = self.browser = self.browser or find_browser()
        running, stop = running or Running(), stop or threading.Event()
        if hasattr(os, "posix_spawn"):
            why = self._print(browser, html_file, pdf_file, timeout, running, stop)
        else:  # pragma: no cover - Windows: no pipe descriptors (nor fontconfig to ask)
            why = _run_command_line(
                browser, html_file, pdf_file, timeout, self.flags, running, stop
            )
        why = why or _not_a_pdf(browser, html_file.name, pdf_file)
        if why:
            pdf_file.unlink(missing_ok=True)  # a partial PDF must not pass for the page
            raise NoPdf(f"{why}\n{HOW_TO_FIX}")
        return browser

    def close(self, stop: threading.Event | None = None) -> None:
        """Ask the browser to exit and wait for it (killing it after a while, or when ``stop`` is set)."""
        live = self._live
        if live is None:
            return
        live.tools.deadline, live.tools.stop = (
            time.monotonic() + CLOSE_WAIT,
            stop or threading.Event(),
        )
        live.tools.session = None  # a command to the browser, not to its page
        try:
            live.tools.call("Browser.close")
        except (TimeoutError, _Refused, PrintStopped, OSError):
            pass  # it is killed below
        except BaseException:  # Ctrl-C or SIGTERM while it closes
            self.kill()
            raise
        self._end(live.tools.deadline)

    def kill(self) -> None:
        """Kill the browser and its helper processes at once, if one runs."""
        self._end(time.monotonic())

    def _print(
        self,
        browser: Path,
        html_file: Path,
        pdf_file: Path,
        timeout: int,
        running: Running,
        stop: threading.Event,
    ) -> str | None:
        """Print through the DevTools protocol on a pipe, starting the browser if none runs; return why
        no PDF came, or None."""
        if self._live is not None and _exited(self._live.pid):
            self.kill()  # the browser left from an earlier page died while idle: a fresh one prints this page
        if self._live is None:
            _check_fontconfig()
            why = self._start(browser)
            if why:
                return why
        live = self._live
        assert live is not None
        tools = live.tools
        tools.deadline, tools.stop = time.monotonic() + timeout, stop
        try:
            if tools.session is None:  # the browser's first print
                _open_page(tools)
            pdf_file.write_bytes(_print(tools, html_file.resolve().as_uri(), running))
        except TimeoutError:
            self._end(tools.deadline)
            return f"{browser} did not finish printing {html_file.name} within {timeout} s"
        except _Refused as exc:
            status, said = self._end(tools.deadline)
            return _failure(browser, html_file.name, status, said, str(exc))
        except (
            BaseException
        ):  # Ctrl-C, SIGTERM, a stop: the browser is killed at once, not waited for
            self.kill()
            raise
        return None

    def _start(self, browser: Path) -> str | None:
        """Start the browser on a DevTools pipe; return why it could not be started, or None."""
        commands_read, commands_write = map(_above_4, os.pipe())
        answers_read, answers_write = map(_above_4, os.pipe())
        profile = tempfile.mkdtemp(prefix="amrbook-browser-")
        actions = [
            (os.POSIX_SPAWN_DUP2, commands_read, 3),
            (os.POSIX_SPAWN_DUP2, answers_write, 4),
            (
                os.POSIX_SPAWN_OPEN,
                1,
                str(Path(profile) / "browser.log"),
                os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                0o600,
            ),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        command = [
            str(browser),
            *FLAGS,
            *_sandbox(),
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            *self.flags,
            "about:blank",
        ]
        try:
            pid = os.posix_spawn(
                str(browser), command, os.environ, file_actions=actions, setpgroup=0
            )
        except OSError as exc:
            os.close(commands_write)
            os.close(answers_read)
            shutil.rmtree(profile, ignore_errors=True)
            return f"{browser} could not be started: {exc.strerror or exc}"
        finally:
            os.close(commands_read)
            os.close(answers_write)
        self.starts += 1
        self._live = _Live(
            pid,
            _DevTools(commands_write, answers_read, time.monotonic(), threading.Event()),
            profile,
        )
        return None

    def _end(self, deadline: float) -> tuple[int, str]:
        """End the browser: close its pipe, wait for it to exit until ``deadline`` (then kill it); return its
        exit status and what it wrote on stdout and stderr."""
        with self._ending:
            live, self._live = self._live, None
        if live is None:
            return 0, ""
        try:
            os.close(live.tools.send_fd)
            os.close(live.tools.receive_fd)
            status = _wait(live.pid, deadline, live.tools.stop)
            return status, (Path(live.profile) / "browser.log").read_text(
                encoding="utf-8", errors="replace"
            )
        finally:
            shutil.rmtree(live.profile, ignore_errors=True)


def _above_4(fd: int) -> int:
    """Move a descriptor above 4, so that giving the browser its descriptors 3 and 4 overwrites none of ours."""
    import fcntl  # POSIX only, like the pipe

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


def _wait(pid: int, deadline: float, stop: threading.Event) -> int:
    """Wait for the browser to exit (killing it past the deadline, or when interrupted); return its
    status as subprocess does."""
    try:
        while time.monotonic() <= deadline and not stop.is_set():
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
    except BaseException:  # Ctrl-C or SIGTERM while waiting
        _kill(pid)
        raise
    return _kill(pid)


def _kill(pid: int) -> int:
    """Kill the browser and the helper processes it started (its process group); return its status."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, 9)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _failure(browser: Path, page: str, status: int, said: str, refused: str = "") -> str:
    """Say how a browser failed to print ``page``: exit status or refusal, and its last lines of output."""
    if refused:
        how = refused
    elif status < 0:
        how = f"was killed by signal {-status}"
    else:
        how = f"exited with status {status}" + (" but wrote no PDF" if status == 0 else "")
    lines = said.strip().splitlines()[-5:]
    told = "its last output:\n    " + "\n    ".join(lines) if lines else "it printed nothing"
    return f"{browser} {how} while printing {page}; {told}"
