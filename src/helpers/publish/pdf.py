"""Print an HTML page to an A4 PDF with a headless Chromium, Chrome or Edge already installed.

Nothing is downloaded: the browser is ``$AMRBOOK_BROWSER`` or the first of the usual names
and install locations on Linux, macOS and Windows. Page size and margins come from the page's
own ``@page`` rule; the browser's header and footer are turned off.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
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


class NoPdf(AmrbookError):
    """The PDF could not be printed; the message says why. Whatever else was built stands."""


class NoBrowser(NoPdf):
    """No browser to print with; the message says how to get one."""


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
              flags: tuple[str, ...] = ()) -> Path:
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

    Raises
    ------
    NoBrowser
        If no browser is found.
    NoPdf
        If the browser cannot start, fails, times out or writes no PDF (its exit status and
        last lines on stderr are quoted).
    """
    browser = browser or find_browser()
    why = _run(browser, Path(html_file), Path(pdf_file), timeout, flags)
    if why:
        Path(pdf_file).unlink(missing_ok=True)  # a partial PDF must not pass for the page
        raise NoPdf(f"{why}\n{HOW_TO_FIX}")
    return browser


def _run(browser: Path, html_file: Path, pdf_file: Path, timeout: int, flags: tuple[str, ...]) -> str | None:
    """Run the browser; return why it printed no PDF, or None if it did."""
    with tempfile.TemporaryDirectory(prefix="amrbook-browser-") as profile:
        command = [str(browser), "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", "--print-to-pdf-no-header", *flags,
                   f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout,
                                    check=False)
        except subprocess.TimeoutExpired:
            return f"{browser} did not finish printing {html_file.name} within {timeout} s"
        except OSError as exc:
            return f"{browser} could not be started: {exc.strerror or exc}"
    if result.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        return _failure(browser, html_file.name, result)
    return None


def _failure(browser: Path, page: str, result: subprocess.CompletedProcess) -> str:
    """Say how a browser failed to print ``page``: exit status, and its last lines on stderr (else stdout)."""
    if result.returncode < 0:
        how = f"was killed by signal {-result.returncode}"
    else:
        how = f"exited with status {result.returncode}" + (" but wrote no PDF" if result.returncode == 0 else "")
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
    said = "its last output:\n    " + "\n    ".join(lines) if lines else "it printed nothing"
    return f"{browser} {how} while printing {page}; {said}"
