"""Kernels forked from the fork server (helpers.publish.forkserver): the kernel a usual start would give, or a
usual start when the fork cannot give it, and nothing left running after its requester or the server ends."""
from __future__ import annotations

import json
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers.publish import kernels
from helpers.publish.forkserver import SERVER_ENV, Server, fork_kernel
from reliability.fakes import alive

pytestmark = pytest.mark.slow

#: Seconds any wait here may take before the test fails (a guard against a hang, not a measurement).
BOUND = 60


@pytest.fixture
def server(kernel_server, monkeypatch):
    """The session's fork server (the conftest starts one for a session that runs slow tests), named in this
    process's environment."""
    assert kernel_server is not None
    monkeypatch.setenv(SERVER_ENV, kernel_server.path)
    return kernel_server


def _start(env: dict[str, str] | None = None, cwd: str = "/"):
    km = kernels._kernel_manager()
    km.start_kernel(cwd=cwd, env=env or dict(os.environ), stderr=subprocess.DEVNULL)
    kc = km.blocking_client()
    kc.start_channels()
    kc.wait_for_ready(timeout=BOUND)
    return km, kc


def _ask(kc, code: str) -> dict:
    """Run ``code`` (which prints one JSON line) in the kernel; what it printed."""
    printed: list[str] = []
    kc.execute_interactive(code, timeout=BOUND, output_hook=lambda msg: printed.append(
        msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    return json.loads("".join(printed))


PROBE = """import json, os, sys, threading, matplotlib, numpy
from ipykernel.kernelapp import IPKernelApp
print(json.dumps({"ppid": os.getppid(), "pid": os.getpid(), "pgid": os.getpgid(0), "cwd": os.getcwd(),
                  "watches": [t.name for t in threading.enumerate() if t.name == "requester-watch"],
                  "marker": os.environ.get("AMRBOOK_PROBE"), "argv0": sys.argv[0], "backend": matplotlib.get_backend(),
                  "parent_handle": IPKernelApp.instance().parent_handle, "random": numpy.random.rand(),
                  "report_imported_before": "helpers.audit.report" in sys.modules}))"""


def _stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_forked_kernel_is_the_kernel_a_usual_start_gives(server, tmp_path):
    env = {**os.environ, "AMRBOOK_PROBE": "第一"}
    started = [_start(env, str(tmp_path)) for _ in range(2)]
    try:
        seen = [_ask(kc, PROBE) for _, kc in started]
    finally:
        for km, kc in started:
            _stop(km, kc)
    for (km, _), each in zip(started, seen):
        assert each["ppid"] == server.process.pid          # forked by the server, not started by this process
        assert each["pid"] == each["pgid"] == km.provisioner.pid   # its own process group, which a build kills
        assert each["report_imported_before"]               # the imports came with the fork (PROBE imports neither)
        # what a kernel of its own would see: the requester's folder and environment, ipykernel's launcher as its
        # program, the inline backend, the requester as the parent it watches
        assert (each["cwd"], each["marker"]) == (str(tmp_path), "第一")
        assert Path(each["argv0"]).name == "ipykernel_launcher.py"
        assert each["backend"] == "module://matplotlib_inline.backend_inline"
        assert each["parent_handle"] == os.getpid() and each["watches"] == ["requester-watch"]
    assert seen[0]["random"] != seen[1]["random"]           # numpy's random state is drawn anew in each
    assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600     # only this user may ask for a kernel


def test_an_environment_read_at_import_gets_a_usual_start(server, tmp_path):
    # HOME decides where matplotlib and IPython keep their settings, read as they are imported: the server's
    # imports were made under another HOME, so the kernel is started as usual, by this process
    km, kc = _start({**os.environ, "HOME": str(tmp_path)})
    try:
        seen = _ask(kc, PROBE)
    finally:
        _stop(km, kc)
    assert seen["ppid"] == os.getpid() and not seen["report_imported_before"]


def test_what_the_server_cannot_fork_is_refused_and_it_serves_on(server, tmp_path):
    null = os.open(os.devnull, os.O_RDWR)
    try:
        # another program, another Python, no server at all: no kernel (the caller starts it as usual)
        assert fork_kernel(server.path, ["sh", "-c", "true"], dict(os.environ), "/", null, null) is None
        assert fork_kernel(server.path, ["/usr/bin/python3", "-m", "ipykernel_launcher"], dict(os.environ), "/",
                           null, null) is None
        assert fork_kernel(str(tmp_path / "no.sock"), [sys.executable, "-m", "ipykernel_launcher"],
                           dict(os.environ), "/", null, null) is None
        deep = b"[" * 100_000   # json.loads raises RecursionError (not a ValueError): it ended the server
        for garbage in (b"\x00\x00\x00\x05{{{{{", b"\xff\xff\xff\xffx", b"not even a length",
                        struct.pack("!I", len(deep)) + deep):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                raw.settimeout(BOUND)
                raw.connect(server.path)
                raw.sendall(garbage)
                raw.shutdown(socket.SHUT_WR)
                assert b"refused" in raw.recv(4096)
    finally:
        os.close(null)
    assert server.process.poll() is None
    km, kc = _start()           # and it still forks kernels
    try:
        assert _ask(kc, PROBE)["ppid"] == server.process.pid
    finally:
        _stop(km, kc)


def test_a_requester_gone_before_reading_its_answer_takes_its_kernel_and_the_server_serves_on(server, tmp_path):
    # found by the suite (SIGTERM at a random point of a build): a requester ended with the server's answer unread,
    # its connection was reset, and the server died of the ConnectionResetError; every later kernel was started
    # as usual, and the tests of this file failed
    body = json.dumps({"cmd": [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")],
                       "env": dict(os.environ), "cwd": str(tmp_path)}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw, open(os.devnull, "rb") as null:
        raw.settimeout(BOUND)
        raw.connect(server.path)
        socket.send_fds(raw, [struct.pack("!I", len(body)) + body], [null.fileno()] * 3)
        kernel = json.loads(raw.recv(4096, socket.MSG_PEEK))["pid"]    # read, but left unread: the close resets
    assert _gone(kernel)
    assert server.process.poll() is None
    km, kc = _start()
    try:
        assert _ask(kc, PROBE)["ppid"] == server.process.pid
    finally:
        _stop(km, kc)


@pytest.mark.parametrize(("code", "status"), [("import os; os._exit(3)", 3),
                                              ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", -9)])
def test_a_forked_kernel_s_exit_status_is_reported_as_popen_does(server, code, status):
    km, kc = _start()
    process = km.provisioner.process
    try:
        kc.execute(code)
        process.wait(BOUND)
    finally:
        kc.stop_channels()
    assert (process.poll(), process.returncode) == (status, status)
    km.shutdown_kernel(now=True)


REQUESTER = """import os, sys, time
from helpers.publish import kernels
km = kernels._kernel_manager()
km.start_kernel(cwd="/", stderr=open(os.devnull, "w"))
print(km.provisioner.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    """Whether process ``pid`` ended, looked at until :data:`BOUND` seconds have passed (a guard, not a measure)."""
    deadline = time.monotonic() + BOUND
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_a_requester_killed_takes_its_kernels_with_it(server):
    requester = subprocess.Popen([sys.executable, "-c", REQUESTER], stdout=subprocess.PIPE, text=True)
    try:
        kernel = int(requester.stdout.readline())
        assert alive(kernel)
    finally:
        requester.kill()        # SIGKILL: nothing of the requester runs; the server sees its connection close
        requester.wait()
    assert _gone(kernel)
    assert server.process.poll() is None


def test_a_server_whose_owner_ends_ends_with_its_kernels(monkeypatch):
    with tempfile.TemporaryDirectory(prefix="amrbook-kernels-") as folder:
        own = Server(Path(folder))
        monkeypatch.setenv(SERVER_ENV, own.path)
        km, kc = _start()
        kernel = km.provisioner.pid
        kc.stop_channels()
        own.close()             # its stdin closes, as when the process that started it ends
        assert own.process.returncode == 0
        assert _gone(kernel) and not Path(own.path).exists()
        km.provisioner.process.wait(BOUND)
        assert km.provisioner.process.returncode == -signal.SIGKILL

