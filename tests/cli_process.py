"""``amrbook`` in a process of its own, without paying for Python and pandas to start each time.

The tests run ``python -m helpers.cli …`` well over a hundred times to see what a user sees: the exit
status, stdout and stderr of a real process, and no traceback. Starting the interpreter and importing
pandas, nbformat and the package took about half a CPU-second of each run. :func:`amrbook` runs the
command in a child forked from a *prepared* process (one per test process, started at the first run)
that has imported them once, and compiled the page templates once (what a build's first page does), and
nothing else: the child is still a process of its own, with its own
stdin, stdout and stderr, working directory, environment and exit status, and the command runs as
``python -m`` runs it (``runpy``, ``__main__``, the interpreter's own handling of an exception that
escapes, of ``SystemExit`` and of its exit). :func:`amrbook` waits for it (``subprocess.run``);
:func:`start` returns it running (``subprocess.Popen``: signalled, in a session of its own, or beside
another), and the prepared process serves several at once, each answering on a socket of its own.

What a fork cannot give, a fresh interpreter gives: a run whose environment differs from the prepared
process's in anything read as the interpreter or a library starts (``PYTHONIOENCODING``, ``HOME``,
``PYTHONPATH``, the locale …; everything but the ``AMRBOOK_*`` folders and a fake browser's settings)
runs as ``subprocess.run([python, "-m", "helpers.cli", …])``, as before. So does every run when
``AMRBOOK_TEST_FRESH_PROCESS`` is set, to compare the two ways.
"""
from __future__ import annotations

import atexit
import io
import json
import locale
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

#: Variables a run may set differently from the prepared process: none is read before a command runs.
PER_RUN = ("AMRBOOK_", "FAKE_BROWSER_", "PYTEST_")

_PREPARED = r"""
import gc, importlib, io, json, os, pkgutil, select, socket, sys
import helpers
for module in pkgutil.walk_packages(helpers.__path__, "helpers."):     # every stage of the package, and what a
    importlib.import_module(module.name)                                # build imports as it runs
import ipykernel, jupyter_client, matplotlib.pyplot, nbclient, nbconvert, seaborn, zmq
import nbformat
from helpers.publish import render                  # the page exporters, their templates compiled (0.3 s of each
for hide_code in (False, True):                     # build's first page), as a build process's first page leaves them
    render.render_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]),
                       render.Page(hide_code=hide_code), "", "")
del sys.modules["helpers.cli"], helpers.cli     # imported as __main__ alone, as `python -m helpers.cli` imports it
del importlib, pkgutil, module, nbformat, render, hide_code
gc.freeze()     # what the imports made is shared with every command and never copied by a collection's scan


def serve(channel: socket.socket) -> None:
    running = {}                      # pid -> the socket its status goes to
    while True:                       # a request: argv, environment, folder, new session; stdin/out/err, reply
        ready, _, _ = select.select([channel], [], [], 0.02 if running else None)
        for pid in list(running):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                reply = running.pop(pid)
                try:              # a test that stopped waiting (closed its end) must not end the prepared process
                    reply.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                except OSError:
                    pass
                reply.close()
        if not ready:
            continue
        message, fds, _, _ = socket.recv_fds(channel, 1 << 20, 4)
        if not message:
            os._exit(0)
        request = json.loads(message)
        reply = socket.socket(fileno=fds[3])
        started_r, started_w = os.pipe()
        pid = os.fork()
        if pid == 0:                  # the command's process: its session, streams, folder and environment
            channel.close(), reply.close(), os.close(started_r)
            for other in running.values():
                other.close()
            if request["new_session"]:
                os.setsid()
            for number, fd in enumerate(fds[:3]):
                os.dup2(fd, number)
            for fd in fds[:3]:
                os.close(fd)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = ["-m", *request["argv"]]
            for number, name in enumerate(("stdin", "stdout", "stderr")):    # as the interpreter opens them,
                old = getattr(sys, name)                                      # on the command's own files
                buffer = io.open(number, "rb" if number == 0 else "wb", closefd=False)
                stream = io.TextIOWrapper(buffer, old.encoding, old.errors, "\n",
                                          line_buffering=number == 2 or buffer.isatty())
                setattr(sys, name, stream)
                setattr(sys, f"__{name}__", stream)
            os.close(started_w)       # its session is made: a signal to its group reaches it from now on
            return
        os.close(started_w)
        os.read(started_r, 1)
        os.close(started_r)
        for fd in fds[:3]:
            os.close(fd)
        try:
            reply.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        except OSError:
            pass
        running[pid] = reply


def run() -> int:
    # as the interpreter ends `python -m`: the exit status of SystemExit, an escaping exception printed
    # by sys.excepthook (status 1), a KeyboardInterrupt ending the process by SIGINT
    import runpy, signal
    try:
        runpy.run_module("helpers.cli", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        return -signal.SIGINT
    except BaseException:
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


serve(socket.socket(fileno=int(sys.argv[1])))
status = run()
import atexit, threading
threading._shutdown()           # then, as Py_FinalizeEx: wait for the threads, run atexit, flush the streams;
atexit._run_exitfuncs()         # the modules are not torn down one by one (a fresh process's exit does that
for stream in (sys.stdout, sys.stderr):                 # for the modules it imported, here all of the above)
    try:
        stream.flush()
    except Exception:
        status = status if status < 0 else 120
if status < 0:
    os.kill(os.getpid(), -status)
os._exit(status)
"""


def _startup_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(PER_RUN)}


#: The environment of this test process as pytest started it, before any test changed it: the prepared process's.
_BASE = _startup_env(dict(os.environ))


class _Prepared:
    """The prepared process of this test process, and the socket that asks it for a run."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-c", _PREPARED, str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], env=_BASE, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs.close()
        self.channel = ours
        atexit.register(self.close)

    def close(self) -> None:
        self.channel.close()
        self.process.wait(timeout=30)


class Started:
    """A command started from the prepared process, as much of :class:`subprocess.Popen` (stdout and stderr
    piped, text) as the tests use: ``pid``, ``returncode``, ``poll``, ``wait``, ``communicate``, ``send_signal``,
    ``terminate``, ``kill``."""

    def __init__(self, prepared: _Prepared, argv: list[str], env: dict[str, str], cwd: str,
                 input_text: str | None = None, start_new_session: bool = False):
        self.args = [sys.executable, "-m", "helpers.cli", *argv]
        self.returncode: int | None = None
        stdin_r, stdin_w = os.pipe() if input_text is not None else (os.dup(0), None)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ours, theirs = socket.socketpair()
        try:
            message = json.dumps({"argv": argv, "env": env, "cwd": cwd, "new_session": start_new_session}).encode()
            socket.send_fds(prepared.channel, [message], [stdin_r, out_w, err_w, theirs.fileno()])
        finally:
            for fd in (stdin_r, out_w, err_w):
                os.close(fd)
            theirs.close()
        self.replies, self.reply = ours.makefile("rb"), ours
        self.pid: int = json.loads(self.replies.readline())["pid"]
        if stdin_w is not None:
            with open(stdin_w, "w", encoding=locale.getpreferredencoding(False)) as f:
                f.write(input_text)
        self.streams = {out_r: [], err_r: []}
        self.out, self.err = out_r, err_r

    def poll(self) -> int | None:
        return self.wait(0) if self.returncode is None and _readable(self.reply, 0) else self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _readable(self.reply, timeout):
                raise subprocess.TimeoutExpired(self.args, timeout)
            self.returncode = json.loads(self.replies.readline())["status"]
            self.replies.close(), self.reply.close()
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Read stdout and stderr to their end, then wait (as ``Popen.communicate``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in self.streams:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                for key, _ in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        self.streams[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
        for fd in self.streams:
            os.close(fd)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return _text(b"".join(self.streams[self.out])), _text(b"".join(self.streams[self.err]))

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _readable(sock: socket.socket, timeout: float | None) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(timeout))


def _text(data: bytes) -> str:
    """Bytes a process wrote as ``subprocess.run(text=True)`` reads them: the locale's encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


_prepared: list[_Prepared] = []     # this test process's one prepared process, started at the first run


def _fresh(env: dict[str, str]) -> bool:
    """Whether a run in ``env`` needs a fresh interpreter (see the module's docstring)."""
    return bool(os.environ.get("AMRBOOK_TEST_FRESH_PROCESS")) or _startup_env(env) != _BASE


def start(*args: str, env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None,
          start_new_session: bool = False) -> Started | subprocess.Popen:
    """``subprocess.Popen([python, "-m", "helpers.cli", *args], stdout=PIPE, stderr=PIPE, text=True, …)``: the
    command started in a process of its own, forked from the prepared process unless the environment asks
    for a fresh interpreter."""
    env = dict(os.environ if env is None else env)
    argv = [str(a) for a in args]
    folder = str(cwd or os.getcwd())
    if _fresh(env):
        return subprocess.Popen([sys.executable, "-m", "helpers.cli", *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=folder,
                                start_new_session=start_new_session)
    if not _prepared:
        _prepared.append(_Prepared())
    return Started(_prepared[0], argv, env, folder, start_new_session=start_new_session)


def amrbook(*args: str, env: dict[str, str] | None = None, timeout: float | None = None,
            input: str | None = None, cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run([python, "-m", "helpers.cli", *args], capture_output=True, text=True, env=env)``: the
    command in a process of its own (the environment ``os.environ`` when ``env`` is None), its exit status,
    stdout and stderr; past ``timeout`` it is killed and ``TimeoutExpired`` raised."""
    env = dict(os.environ if env is None else env)
    argv = [str(a) for a in args]
    folder = str(cwd or os.getcwd())
    if _fresh(env):
        return subprocess.run([sys.executable, "-m", "helpers.cli", *argv], capture_output=True, text=True,
                              env=env, cwd=folder, input=input, timeout=timeout, check=False)
    if not _prepared:
        _prepared.append(_Prepared())
    run = Started(_prepared[0], argv, env, folder, input_text=input)
    try:
        out, err = run.communicate(timeout)
    except subprocess.TimeoutExpired:
        run.kill()
        run.wait()
        for fd in run.streams:
            os.close(fd)
        raise
    return subprocess.CompletedProcess(run.args, run.returncode, out, err)
