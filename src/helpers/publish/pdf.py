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


class NoBrowser(AmrbookError):
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


def print_pdf(html_file: Path, pdf_file: Path, browser: Path | None = None, timeout: int = 120) -> Path:
    """Print ``html_file`` to ``pdf_file`` with a headless browser; return the browser used.

    Raises
    ------
    NoBrowser
        If no browser is found.
    AmrbookError
        If the browser fails or writes no PDF (its last output lines are quoted).
    """
    browser = browser or find_browser()
    with tempfile.TemporaryDirectory(prefix="amrbook-browser-") as profile:
        command = [str(browser), "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   f"--print-to-pdf={pdf_file}", Path(html_file).resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise AmrbookError(f"{browser} did not finish printing {html_file} within {timeout} s") from None
    if result.returncode != 0 or not Path(pdf_file).is_file() or Path(pdf_file).stat().st_size == 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise AmrbookError(f"{browser} could not print {html_file} (exit {result.returncode}):\n{tail}")
    return browser
