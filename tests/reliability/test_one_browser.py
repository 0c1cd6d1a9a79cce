"""`amrbook build --all` prints every report's briefing with one browser (issue 21): a :class:`Printer` starts
it at the first print, opens one page (DevTools target) in it and loads each page to print there in turn. A
print that fails ends the browser as a lone print did, and the next print starts a fresh one. Counted: the
browser's starts and prints, as the fake browser logs them (never a time).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.publish.pdf import NoPdf, Printer
from reliability.fakes import alive, printing_browser

pytestmark = pytest.mark.skipif(not hasattr(os, "posix_spawn"),
                                reason="the DevTools pipe needs posix_spawn (not Windows)")


def _pages(folder: Path, count: int) -> list[Path]:
    pages = []
    for number in range(1, count + 1):
        page = folder / f"page{number}.html"
        page.write_text(f"<p>第{number}页</p>", encoding="utf-8")
        pages.append(page)
    return pages


def _log(folder: Path) -> list[str]:
    return (folder / "browser.log").read_text(encoding="utf-8").splitlines()


def test_one_browser_prints_every_page_in_the_one_page_it_opened(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))
    browser = printing_browser(tmp_path)
    with Printer(browser) as printer:
        for page in _pages(tmp_path, 3):
            assert printer.print(page, page.with_suffix(".pdf"), timeout=60) == browser
    # 3 pages: 1 start, 1 page opened, 3 prints in it (each a load of the page to print), that page open at the
    # close (the browser closes it): no renderer started per print
    assert _log(tmp_path) == ["start", "open page", "print", "print", "print", "close with 1 page(s) open"]
    assert printer.starts == 1
    for number in (1, 2, 3):
        assert (tmp_path / f"page{number}.pdf").read_bytes().startswith(b"%PDF-")


def test_a_failed_print_ends_the_browser_and_the_next_print_starts_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))
    monkeypatch.setenv("FAKE_BROWSER_GARBAGE_AT", "2")   # the first browser answers garbage to its 2nd load
    browser = printing_browser(tmp_path)
    first, second, third = _pages(tmp_path, 3)
    with Printer(browser) as printer:
        printer.print(first, first.with_suffix(".pdf"), timeout=60)
        with pytest.raises(NoPdf) as caught:
            printer.print(second, second.with_suffix(".pdf"), timeout=60)
        assert str(caught.value).startswith(f"{browser} answered with something that is not JSON: 'garbage{{{{{{' "
                                            "while printing page2.html")
        printer.print(third, third.with_suffix(".pdf"), timeout=60)   # a fresh browser: its 1st page
    # page 1 printed; page 2 refused, its browser ended; page 3 by a 2nd browser (in a page of its own), closed at
    # the end
    assert _log(tmp_path) == ["start", "open page", "print", "start", "open page", "print",
                              "close with 1 page(s) open"]
    assert printer.starts == 2
    assert not second.with_suffix(".pdf").exists() and third.with_suffix(".pdf").is_file()


def test_a_printer_never_used_starts_no_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))
    with Printer(printing_browser(tmp_path)) as printer:
        pass
    assert printer.starts == 0 and not (tmp_path / "browser.log").exists()


def test_killing_the_printer_kills_its_idle_browser_without_asking_it_to_close(tmp_path, monkeypatch):
    # as a failed or interrupted `build --all` does with the browser left from an earlier report's print
    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))
    (page,) = _pages(tmp_path, 1)
    printer = Printer(printing_browser(tmp_path))
    printer.print(page, page.with_suffix(".pdf"), timeout=60)
    browser = int((tmp_path / "browser.log.pid").read_text(encoding="utf-8"))
    assert alive(browser)                       # idle between two reports' prints
    printer.kill()
    assert not alive(browser)                   # killed and reaped at once (os.killpg, then waitpid)
    assert _log(tmp_path) == ["start", "open page", "print"]  # not asked to close: no "close with …" line
    printer.close()                             # nothing left to close
    assert _log(tmp_path) == ["start", "open page", "print"]


def test_a_browser_that_died_while_idle_is_replaced_before_the_next_print(tmp_path, monkeypatch):
    # found by review: a browser killed between two reports (the OOM killer, a user) cost the next report its PDF
    # ("… was killed by signal 9 while printing …", though it died before that print); a fresh one prints it
    import signal

    monkeypatch.setenv("FAKE_BROWSER_LOG", str(tmp_path / "browser.log"))
    browser = printing_browser(tmp_path)
    first, second = _pages(tmp_path, 2)
    with Printer(browser) as printer:
        printer.print(first, first.with_suffix(".pdf"), timeout=60)
        pid = int((tmp_path / "browser.log.pid").read_text())
        os.killpg(pid, signal.SIGKILL)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)     # until it is dead, left unreaped (the printer reaps it)
        printer.print(second, second.with_suffix(".pdf"), timeout=60)
    # page 1 by the first browser (killed idle, so no close); page 2 by a second browser, closed at the end
    assert _log(tmp_path) == ["start", "open page", "print", "start", "open page", "print",
                              "close with 1 page(s) open"]
    assert printer.starts == 2 and second.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
