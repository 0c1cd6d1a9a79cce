"""The PDF prints in a thread of its own beside the notebooks (issue 21), and every wait of the build
is bounded and stopped by a signal (issue 20): when the build fails or is interrupted in its own
thread, it sets ``stop`` and the print thread kills the browser instead of waiting out its deadline.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from helpers.publish.pdf import PrintStopped, print_pdf
from reliability.fakes import alive, hung_browser

#: Guards against a hang (never a speed assertion): the browser's own deadline is far beyond it.
HANG = 60


@pytest.mark.skipif(not hasattr(os, "posix_spawn"), reason="the DevTools pipe needs posix_spawn (not Windows)")
def test_a_stopped_print_kills_a_hung_browser_and_its_helpers(tmp_path: Path):
    browser = hung_browser(tmp_path)   # starts a helper, says so, and never answers nor exits
    page = tmp_path / "page.html"
    page.write_text("<p>页</p>", encoding="utf-8")
    stop, raised = threading.Event(), []

    def work() -> None:
        try:
            print_pdf(page, tmp_path / "page.pdf", browser=browser, timeout=HANG * 10, stop=stop)
        except BaseException as exc:  # noqa: BLE001 - what the print thread ended with is the result
            raised.append(exc)

    printer = threading.Thread(target=work, daemon=True)
    printer.start()
    while not (tmp_path / "printing").exists() and printer.is_alive():
        time.sleep(0.02)
    helper = int((tmp_path / "helper.pid").read_text())
    assert alive(helper)
    stop.set()
    printer.join(HANG)
    assert not printer.is_alive()                       # it did not wait out the 600 s deadline
    assert [type(exc) for exc in raised] == [PrintStopped]
    for _ in range(HANG * 50):                          # SIGKILL is delivered asynchronously
        if not alive(helper):
            break
        time.sleep(0.02)
    assert not alive(helper)                           # the browser's process group is gone
    assert not (tmp_path / "page.pdf").exists()
