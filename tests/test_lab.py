"""The notebooks in a real JupyterLab, as a headless Chromium sees them (slow: a Lab server and a browser).

The tests share one ``jupyter lab`` of the venv (``shared_lab``), on a free port with a token, each
opening its own temp copy of notebooks in a Lab workspace of its own and ending the kernels it made
start, with a clean Jupyter setup (temp HOME, config, data, runtime and settings folders;
lab extensions still come from the venv's share/jupyter), and drives Chromium through the
DevTools protocol rather than ``--dump-dom``: Chromium's ``--enable-logging=stderr`` log writes
``console.error`` exactly like ``console.log`` (no level), and ``--virtual-time-budget`` does not
wait for a kernel to start, so the widget was still "Loading widget..." when the DOM was dumped.
Over DevTools the test waits (in real time) for what it needs and records every console call
with its level and every uncaught exception.

Lab starts a notebook's kernel when it opens it, as ``make lab`` does; no cell runs in Lab. Opening
without a kernel (``--LabServerApp.notebook_starts_kernel=False``) is not an option: the
ipywidgets manager then throws "TypeError: Cannot read properties of null (reading 'kernel')" for
every notebook (jupyter-widgets/ipywidgets#3970 is the same family), which this test would report.

* Opening a notebook: the Lab shell, the notebook's tab and all its cells, nothing executed,
  no JavaScript error.
* The Explorer widget: it needs a kernel, once, to exist at all. 02 is executed with nbconvert
  (which saves the widget state in the notebook) and trusted; Lab then rebuilds the dropdown and
  the card from the saved state, without running a cell.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from conftest import missing_in_ci_fails
from helpers import paths
from helpers.publish.pdf import NoBrowser, find_browser

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
NOTEBOOK = "02_consumer_protection.ipynb"
WAIT_SECONDS = 120


def _browser() -> Path:
    try:
        return find_browser()
    except NoBrowser as exc:
        missing_in_ci_fails(f"no Chromium/Chrome for the JupyterLab smoke test (install chromium or set "
                            f"AMRBOOK_BROWSER): {exc}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jupyter_env(home: Path) -> dict[str, str]:
    """The environment of a clean Jupyter: every per-user folder under ``home``, none of the caller's
    JUPYTER* settings; the venv's share/jupyter (lab extensions, kernelspec) is searched regardless."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    folders = {"HOME": "", "JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
               "JUPYTERLAB_SETTINGS_DIR": "lab-settings", "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
               "IPYTHONDIR": "ipython"}
    env.update({name: str(home / sub) for name, sub in folders.items()})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(paths.PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")]))
    return env


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    started_in: float = 0.0

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"},
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response) if method == "GET" else None

    def sessions(self) -> list[str]:
        """The notebooks that have a kernel (a session), by path under the server's root."""
        return [s["path"] for s in self.api("/api/sessions")]

    def end_sessions(self) -> None:
        """Shut down every kernel the server started, so the next test finds none."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


@contextlib.contextmanager
def lab_server(root: Path, home: Path):
    """Run ``jupyter lab --no-browser`` on ``root``; stop it by its PID (it shuts its kernels down first)."""
    env = _jupyter_env(home)
    port, token = _free_port(), secrets.token_hex(16)
    command = [str(BIN / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_file = home / "server.log"
    lab, started = Lab(f"http://127.0.0.1:{port}", token), time.monotonic()
    with log_file.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: _answers(lab, server, log_file), "the server to answer /api/status",
                  lambda: log_file.read_text(encoding="utf-8")[-2000:])
            lab.started_in = time.monotonic() - started
            yield lab
        finally:
            _stop(server)


@dataclass
class SharedLab:
    """The module's one JupyterLab server, its root and its home (its trust database among them)."""

    lab: Lab
    root: Path
    home: Path

    def url(self, folder: str, notebook: str) -> str:
        """The notebook ``folder/notebook`` in a Lab workspace of its own: no tab another test opened is restored."""
        return f"{self.lab.url}/lab/workspaces/{folder}/tree/{folder}/{notebook}?token={self.lab.token}"


@pytest.fixture(scope="module")
def shared_lab(tmp_path_factory):
    """One JupyterLab server for the tests of this module (a server costs seconds of CPU to start); each
    test puts its notebooks in a folder of its own under the root and ends the kernels it made start."""
    base = tmp_path_factory.mktemp("lab")
    (base / "root").mkdir()
    (base / "home").mkdir()
    with lab_server(base / "root", base / "home") as lab:
        yield SharedLab(lab, base / "root", base / "home")


def _answers(lab: Lab, server: subprocess.Popen, log_file: Path) -> bool:
    if server.poll() is not None:
        pytest.fail(f"jupyter lab exited with status {server.returncode}:\n"
                    f"{log_file.read_text(encoding='utf-8')[-2000:]}")
    try:
        return "started" in lab.api("/api/status")
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """Stop a process we started, by its PID: SIGTERM (Lab then shuts its kernels down), SIGKILL after 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait(ready, what: str, detail=lambda: ""):
    """Return the first truthy value of ``ready()``, polling for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (value := ready()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT_SECONDS} s for {what}\n{detail()}")
        time.sleep(0.25)
    return value


@dataclass
class Page:
    """What the browser saw: the value of the test expression, console calls and uncaught exceptions."""

    value: object = None
    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [f"console.{kind}: {text}" for kind, text in self.console if kind in ("error", "assert")] + \
               [f"uncaught: {text}" for text in self.exceptions]


class DevTools:
    """A minimal DevTools-protocol client for one page (websocket-client ships with jupyter_server)."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws, self.page, self.next_id = websocket.create_connection(ws_url, timeout=WAIT_SECONDS), Page(), 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})
            self._record(message)

    def _record(self, message: dict) -> None:
        params = message.get("params", {})
        if message.get("method") == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.page.console.append((params.get("type", ""), text))
        elif message.get("method") == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.page.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def open_page(browser: Path, url: str, until: str, profile: Path, settle: float = 2.0) -> Page:
    """Open ``url`` in headless Chromium, wait until the JavaScript expression ``until`` is truthy,
    let the page settle, and return its value with the console calls and exceptions seen meanwhile."""
    port = _free_port()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
             f"--remote-debugging-port={port}", "about:blank"]
    chromium = subprocess.Popen([str(browser), *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tools = DevTools(_wait(lambda: _page_socket(port), "Chromium's DevTools endpoint"))
        tools.call("Runtime.enable")
        started = time.monotonic()
        tools.call("Page.navigate", url=url)
        _wait(lambda: tools.evaluate(f"Boolean({until})"), f"the page to show {until}",
              lambda: f"console: {tools.page.console}\nexceptions: {tools.page.exceptions}")
        tools.page.seconds = time.monotonic() - started
        time.sleep(settle)
        tools.page.value = tools.evaluate(until)
        tools.ws.close()
        return tools.page
    finally:
        _stop(chromium)


def _page_socket(port: int) -> str | None:
    """The DevTools websocket of Chromium's page, once it listens."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
    except OSError:
        return None
    return pages[0]["webSocketDebuggerUrl"] if pages else None


def test_the_probe_sees_console_errors_and_uncaught_exceptions(tmp_path):
    # the check the Lab tests rely on can fail: an error logged and one thrown are both reported
    page = open_page(_browser(), "data:text/html,<p id=done>x</p><script>console.error('probe: logged');"
                     "console.log('probe: fine');setTimeout(() => null.x, 0)</script>",
                     "document.getElementById('done')", tmp_path / "profile", settle=0.5)
    assert page.errors[0] == "console.error: probe: logged"
    assert page.errors[1].startswith("uncaught: TypeError: Cannot read properties of null")
    assert ("log", "probe: fine") in page.console and len(page.errors) == 2


CELLS = "document.querySelectorAll('.jp-NotebookPanel .jp-Notebook-cell').length"
NOTEBOOK_SHOWN = (f"document.querySelector('.jp-LabShell') && {CELLS} >= %d && "
                  f"[...document.querySelectorAll('.lm-TabBar-tabLabel')].some(e => e.textContent === '{NOTEBOOK}')")


def test_lab_opens_a_notebook_with_every_cell_and_no_javascript_error(shared_lab, tmp_path):
    browser = _browser()
    lab, root = shared_lab.lab, shared_lab.root / "opened"
    shutil.copytree(paths.notebooks_dir(), root)
    cells = nbformat.read(root / NOTEBOOK, as_version=4).cells
    prompts = "[...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"
    try:
        page = open_page(browser, shared_lab.url("opened", NOTEBOOK),
                         NOTEBOOK_SHOWN % len(cells) + f" && [{CELLS}, document.querySelector('.jp-NotebookPanel h1')"
                         f".textContent, {prompts}]", tmp_path / "profile")
        sessions = lab.sessions()
    finally:
        lab.end_sessions()                       # the kernel Lab started for it: none left for the next test
    print(f"\nJupyterLab answered in {lab.started_in:.1f} s; the notebook was shown after {page.seconds:.1f} s; "
          f"console: {page.console}")
    shown_cells, heading, code_prompts = page.value
    assert shown_cells == len(cells) and len(code_prompts) == sum(c.cell_type == "code" for c in cells)
    assert heading.rstrip("¶") == cells[0].source.splitlines()[0].lstrip("# ")
    assert set(code_prompts) == {"[ ]:"}                              # nothing ran
    assert sessions == [f"opened/{NOTEBOOK}"]                         # the one kernel Lab starts for it
    assert page.errors == [], page.errors


def test_the_explorer_widget_renders_in_lab(shared_lab, tmp_path):
    from helpers.audit.report import load_report
    from helpers.show.widgets import Explorer, figure_card

    browser = _browser()
    lab, root = shared_lab.lab, shared_lab.root / "widget"
    root.mkdir()
    shutil.copy(paths.notebooks_dir() / NOTEBOOK, root)
    env = _jupyter_env(shared_lab.home)          # the server's: jupyter-trust signs into the database it reads
    started = time.monotonic()
    for tool, *args in (("jupyter-nbconvert", "--to", "notebook", "--execute", "--inplace"), ("jupyter-trust",)):
        run = subprocess.run([str(BIN / tool), *args, str(root / NOTEBOOK)], env=env, capture_output=True, text=True,
                             timeout=600, check=False)
        assert run.returncode == 0, run.stderr
    executed_in = time.monotonic() - started
    explorer = "document.querySelector('.jp-OutputArea-output .widget-dropdown')"
    try:
        page = open_page(browser, shared_lab.url("widget", NOTEBOOK),
                         f"{explorer} && [{explorer}.querySelector('label').textContent, "
                         f"[...{explorer}.querySelectorAll('option')].map(o => o.textContent.replaceAll('\\xa0', ' ')), "
                         f"{explorer}.closest('.jp-OutputArea-output').querySelector('.widget-html-content').innerHTML, "
                         "document.querySelectorAll('details.explorer').length]", tmp_path / "profile")
    finally:
        lab.end_sessions()
    print(f"\nexecuted 02 in {executed_in:.1f} s; JupyterLab answered in {lab.started_in:.1f} s; the widget was "
          f"shown after {page.seconds:.1f} s; console: {page.console}")
    label, options, card, static_copies = page.value
    r = load_report("conghua", 2023)
    expected = Explorer(r, "consumer_protection")
    assert label == "指标" and options == [text for text, _ in expected.options]
    assert card == figure_card(r, expected.ids[0])               # the card of the first indicator
    assert static_copies == 0                                         # the widget, not the HTML fallback
    assert page.errors == [], page.errors
