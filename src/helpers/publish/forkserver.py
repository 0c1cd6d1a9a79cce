"""Kernels forked from a process that has already imported what every kernel imports.

A kernel's start is mostly imports: ipykernel, then (:data:`helpers.publish.kernels.IMPORTS`) pandas, matplotlib,
seaborn and ``helpers``, about 2.4 s of CPU each time. A fork server pays for them once: ``python -m
helpers.publish.forkserver SOCKET`` imports them, says ``ready`` on its stdout and forks a kernel for each request on
the Unix socket ``SOCKET``. A process that sets :data:`SERVER_ENV` to that socket has its build's kernels forked
there (:class:`ForkedProvisioner`, which :class:`helpers.publish.kernels.Runner` uses); the test suite runs one per
worker, for its many builds.

A forked kernel is the kernel ``python -m ipykernel_launcher …`` would have been: the same arguments, the
requester's environment, working folder, stdout and stderr (passed over the socket), its own session and process
group (which the build kills as one), numpy's random state drawn anew. So the server refuses (and the kernel is
started as usual) a command that is not ipykernel's launcher on the server's own Python, and an environment that
differs from the server's in a variable read at import (any but :data:`READ_WHEN_USED`): ``PYTHONPATH``, ``HOME``
or ``MPLCONFIGDIR`` changed the imports the fork would inherit. Anything that goes wrong before the fork (no server,
a refusal, no answer within :data:`ANSWER_WAIT`) starts the kernel as usual.

Only this user is served: the socket is made readable and writable by its owner alone, and on Linux each
request's process must run as the same user (``SO_PEERCRED``): a forked kernel runs any code its requester sends.
Nothing outlives its owner: when a requester's connection closes (it ended, or was killed), the server kills the
process groups of the kernels it forked for it; when its own stdin closes (its owner ended), it kills them all and
exits. The server reports each kernel's exit status on its connection (:class:`Forked`), as ``Popen`` would.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

#: Names the fork server's socket, for the kernels of every build started in this environment.
SERVER_ENV = "AMRBOOK_KERNEL_SERVER"
#: Variables no import reads (``helpers`` reads its own when it uses them; jupyter_client's and pytest's change per
#: kernel and per test; a terminal's size is read when text is laid out): a request's environment may differ from
#: the server's in these, and only these.
READ_WHEN_USED = ("AMRBOOK_", "JPY_", "PYTEST_CURRENT_TEST", "COLUMNS", "LINES")
#: Seconds a requester waits for the server's answer before it starts its kernel as usual.
ANSWER_WAIT = 10.0
#: Seconds the server waits for a request's bytes, once connected.
REQUEST_WAIT = 5.0
#: Seconds an owner waits for the server to import and say ``ready``.
READY_WAIT = 120.0
#: The largest request (a command and an environment, as JSON).
MAX_REQUEST = 1 << 20
_LENGTH = struct.Struct("!I")
#: ipykernel's settings whose defaults it reads from the environment as it is imported, by variable.
_READ_AT_IMPORT = {"parent_handle": "JPY_PARENT_PID", "interrupt": "JPY_INTERRUPT_EVENT"}
LAUNCHER = "ipykernel_launcher"


def compatible(request: dict[str, str], own: dict[str, str]) -> str:
    """Why a kernel with environment ``request`` cannot be forked from a server started with ``own`` ('' if it can).

    >>> compatible({"HOME": "/h", "AMRBOOK_DATA": "/d"}, {"HOME": "/h"})
    ''
    >>> compatible({"HOME": "/other"}, {"HOME": "/h"})
    'HOME differs'
    """
    differing = sorted(
        name
        for name in set(request) | set(own)
        if request.get(name) != own.get(name) and not name.startswith(READ_WHEN_USED)
    )
    return f"{', '.join(differing)} differ{'s' if len(differing) == 1 else ''}" if differing else ""


def launcher_arguments(cmd: list[str], executable: str) -> list[str] | None:
    """The arguments of ipykernel's launcher in kernel command ``cmd`` run by ``executable``; None for another command.

    >>> launcher_arguments(["/v/python", "-m", "ipykernel_launcher", "-f", "k.json"], "/v/python")
    ['-f', 'k.json']
    >>> launcher_arguments(["/other/python", "-m", "ipykernel_launcher", "-f", "k.json"], "/v/python") is None
    True
    """
    if len(cmd) < 3 or cmd[1:3] != ["-m", LAUNCHER]:
        return None
    return cmd[3:] if os.path.abspath(cmd[0]) == os.path.abspath(executable) else None


# --- the requester's side --------------------------------------------------------------------------


class Forked:
    """A kernel the server forked, as ``subprocess.Popen`` shows a child: ``pid``, ``returncode``, :meth:`poll`,
    :meth:`wait`, :meth:`send_signal`, :meth:`kill`, :meth:`terminate`. Its exit status comes over ``connection``;
    closing the connection (:meth:`close`, or this process's end) makes the server kill the kernel. Safe to use from
    several threads, as a ``Popen`` is (the pool's worker and :meth:`helpers.publish.kernels.Runner.stop`)."""

    stdin = stdout = stderr = None  # the kernel's streams are not pipes of this process

    def __init__(self, connection: socket.socket, pid: int, received: bytes = b""):
        self.connection, self.pid = connection, pid
        self.returncode: int | None = None
        # what came after the pid (the exit of a kernel that ended at once)
        self._received = received
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                self._receive(0.0)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            # a tenth of a second at a time: another thread's poll() waits no longer
            with self._lock:
                if self.returncode is None:
                    self._receive(0.1 if left is None else max(0.0, min(left, 0.1)))
                if self.returncode is not None:
                    return self.returncode
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(LAUNCHER, timeout or 0.0)

    def send_signal(self, number: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def close(self) -> None:
        """Close the connection: the server kills the kernel if it still runs."""
        with self._lock:
            self.connection.close()

    def _receive(self, timeout: float) -> None:
        """Read the server's word on the kernel's end, waiting at most ``timeout`` seconds (the lock held)."""
        if b"\n" not in self._received and self.connection.fileno() >= 0:
            ready, _, _ = select.select([self.connection], [], [], timeout)
            if not ready:
                return
            try:
                chunk = self.connection.recv(4096)
            except OSError:
                chunk = b""
            self._received += chunk
            if not chunk:  # the server is gone (it kills its kernels as it ends)
                self.connection.close()
        if b"\n" in self._received:
            self.returncode = int(json.loads(self._received.split(b"\n", 1)[0])["exit"])
            self.connection.close()
        elif self.connection.fileno() < 0:  # no word will come: killed, once its process is gone
            if not _alive(self.pid):
                self.returncode = -signal.SIGKILL
            else:
                time.sleep(timeout)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fork_kernel(
    server: str, cmd: list[str], env: dict[str, str], cwd: str, stdout: int, stderr: int
) -> Forked | None:
    """Ask the server at socket ``server`` for kernel ``cmd``; the kernel, or None if the server cannot fork it."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(ANSWER_WAIT)
        connection.connect(server)
        body = json.dumps({"cmd": cmd, "env": env, "cwd": cwd}).encode()
        with open(os.devnull, "rb") as stdin:
            socket.send_fds(
                connection, [_LENGTH.pack(len(body)) + body], [stdin.fileno(), stdout, stderr]
            )
        answer = b""
        while b"\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        # a kernel that ended at once: its exit follows its pid
        first, _, rest = answer.partition(b"\n")
        pid = json.loads(first or b"{}").get("pid")
    except (OSError, ValueError):
        connection.close()
        return None
    if not isinstance(pid, int):  # refused: the answer says why
        connection.close()
        return None
    connection.settimeout(None)
    return Forked(connection, pid, rest)


class ForkedProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, its kernel forked by the server named by :data:`SERVER_ENV` when it can
    be (:func:`fork_kernel`), started as usual otherwise."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        server = os.environ.get(SERVER_ENV)
        # as jupyter_client's launcher gives it: the kernel ends when its requester does (ipykernel's parent poller)
        env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        cwd = str(kwargs.get("cwd") or Path.cwd())
        forked = None
        with _streams(kwargs.get("stdout"), kwargs.get("stderr")) as streams:
            if server and streams:
                forked = fork_kernel(server, cmd, env, cwd, *streams)
        if not forked:
            return await super().launch_kernel(cmd, **kwargs)
        self.forked = forked
        self.process = forked  # type: ignore[assignment]  # all of Popen the provisioner uses
        self.pid, self.pgid, self.cwd = forked.pid, forked.pid, cwd
        return self.connection_info

    async def cleanup(self, restart: bool = False) -> None:
        forked = getattr(self, "forked", None)
        if forked is not None:  # wait() has let go of it: its connection is closed here
            forked.close()
        await super().cleanup(restart)


@contextlib.contextmanager
def _streams(stdout, stderr):
    """The file descriptors of the kernel's stdout and stderr as ``Popen`` takes them (None: this process's, a file,
    a descriptor, ``DEVNULL``, ``STDOUT`` for stderr); None for a pipe, which only a process of our own can give."""
    with open(os.devnull, "wb") as null:
        fds: list[int] = []
        for stream, inherited in ((stdout, 1), (stderr, 2)):
            if stream is None:
                fds.append(inherited)
            elif stream == subprocess.DEVNULL:
                fds.append(null.fileno())
            elif stream == subprocess.STDOUT and fds:
                fds.append(fds[0])
            elif isinstance(stream, int) and stream >= 0:
                fds.append(stream)
            elif hasattr(stream, "fileno"):
                fds.append(stream.fileno())
            else:
                yield None
                return
        yield fds


# --- the server's side -----------------------------------------------------------------------------


def serve(path: str) -> None:
    """Import what every kernel imports, then fork kernels for the requests on socket ``path`` until stdin closes."""
    own = dict(os.environ)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        # as ipykernel's launcher does: the kernel's own folder comes back in the kernel's start
        del sys.path[0]
    # as the kernel sets it before any import of matplotlib (which reads it as it is imported)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import ipykernel.ipkernel
    import ipykernel.kernelapp  # noqa: F401
    import numpy  # noqa: F401

    from .kernels import FREEZE, IMPORTS

    # constants of this package; a kernel's own run of them then imports nothing
    exec(f"{IMPORTS}\n{FREEZE}", {})
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # the socket is this user's alone from its first moment (a kernel runs code as us)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(mask)
    listener.listen(16)
    print("ready", flush=True)
    # pid -> its requester's connection (None once it closed)
    kernels: dict[int, socket.socket | None] = {}
    try:
        _loop(listener, kernels, own)
    finally:
        for pid in kernels:
            _kill_group(pid)
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)


def _loop(
    listener: socket.socket, kernels: dict[int, socket.socket | None], own: dict[str, str]
) -> None:
    stdin = sys.stdin.buffer
    while True:
        watched = [listener, stdin, *filter(None, kernels.values())]
        readable, _, _ = select.select(watched, [], [], 0.2)
        for ready in readable:
            if ready is stdin:
                if not os.read(stdin.fileno(), 4096):
                    return  # the owner ended
            elif ready is listener:
                try:
                    connection, _ = listener.accept()
                except OSError:  # the requester gave up, or no descriptor is left: usual start
                    continue
                if _answer(connection, listener, kernels, own) is None:
                    connection.close()
            else:  # a requester closed its connection (or wrote, which it never does): its kernel goes
                pid, requester = next((p, c) for p, c in kernels.items() if c is ready)
                if requester is not None and not _still_open(requester):
                    requester.close()
                    kernels[pid] = None
                    _kill_group(pid)
        _reap(kernels)


def _same_user(connection: socket.socket) -> bool:
    """Whether the process at the other end of ``connection`` runs as this user (Linux says so, ``SO_PEERCRED``;
    elsewhere the socket's mode, this user's alone, is the check)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    _, uid, _ = struct.unpack(
        "3i", connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    )
    return uid == os.getuid()


def _still_open(connection: socket.socket) -> bool:
    """Whether a requester's readable connection is still open: closed (b"") or reset (a requester killed
    while a reply was unread) is its end."""
    try:
        return bool(connection.recv(1))
    except OSError:
        return False


def _answer(
    connection: socket.socket,
    listener: socket.socket,
    kernels: dict[int, socket.socket | None],
    own: dict[str, str],
) -> int | None:
    """Read one request; fork its kernel and say its pid, or say why not. The kernel's pid, or None.

    The kernel is in ``kernels`` from the moment it is forked, so that a requester gone before it read the answer
    (the answer's write fails, or its connection closes later) takes its kernel with it. Whatever a request holds
    (nested a million deep, a length of 4 GB), it is refused, never the end of the server and its kernels."""
    fds: list[int] = []
    try:
        connection.settimeout(REQUEST_WAIT)
        deadline = time.monotonic() + REQUEST_WAIT  # for the whole request, however it is cut
        data, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST + _LENGTH.size, 3)
        (length,) = _LENGTH.unpack(data[: _LENGTH.size])
        if length > MAX_REQUEST:
            _refuse(connection, f"a request of {length:,} bytes (at most {MAX_REQUEST:,})")
            return None
        body = data[_LENGTH.size :]
        while len(body) < length and time.monotonic() < deadline:
            chunk = connection.recv(length - len(body))
            if not chunk:
                break
            body += chunk
        request = json.loads(body)
        arguments = launcher_arguments(request["cmd"], sys.executable)
        why = "not this user's request" if not _same_user(connection) else ""
        why = why or ("not ipykernel's launcher on this Python" if arguments is None else "")
        why = why or (
            "not three streams" if len(fds) != 3 else compatible(dict(request["env"]), own)
        )
    # anything a request's bytes may raise (RecursionError from deep JSON too)
    except Exception as exc:
        _refuse(connection, f"a request it could not read ({type(exc).__name__})")
        _close_all(fds)
        return None
    if why:
        _refuse(connection, why)
        _close_all(fds)
        return None
    started_r, started_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(started_r)
        _kernel(
            arguments,
            request,
            fds,
            [listener, connection, *filter(None, kernels.values())],
            started_w,
        )
    os.close(started_w)
    kernels[pid] = connection
    _close_all(fds)
    # answered once the kernel leads its own session and process group (a signal to the group reaches it), as
    # Popen(start_new_session=True) returns; bounded: the child closes its end first thing, or dies
    select.select([started_r], [], [], REQUEST_WAIT)
    os.close(started_r)
    try:
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:  # the requester is gone: its kernel goes with it
        connection.close()
        kernels[pid] = None
        _kill_group(pid)
        return pid
    _say(f"forked kernel {pid}")
    return pid


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _kernel(
    arguments, request: dict, fds: list[int], sockets: list[socket.socket], started: int
) -> None:
    """In the forked child: become the kernel ``python -m ipykernel_launcher *arguments`` would have been."""
    status = 1
    try:
        os.setsid()
        os.close(started)  # the server answers now: the kernel leads its own process group
        _die_with_server()
        for each in sockets:
            each.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _watch_requester(int(os.environ.get("JPY_PARENT_PID") or 0))
        import importlib.util

        import numpy
        from ipykernel import kernelapp

        sys.argv = [str(importlib.util.find_spec(LAUNCHER).origin), *arguments]  # type: ignore[union-attr]
        numpy.random.seed()  # drawn anew, as in a kernel of its own (Python's random reseeds itself at a fork)
        # the settings whose defaults ipykernel read from the server's environment, as the kernel's gives them
        given = {
            trait: int(os.environ[name])
            for trait, name in _READ_AT_IMPORT.items()
            if os.environ.get(name)
        }
        kernelapp.IPKernelApp.launch_instance(argv=arguments, **given)
        status = 0
    # as the interpreter ends: a status, or a message said on stderr and status 1
    except SystemExit as end:
        if end.code is None or isinstance(end.code, int):
            status = end.code or 0
        else:
            print(end.code, file=sys.stderr)
    except BaseException:  # said on the kernel's stderr, as Python would, then the kernel ends
        import traceback

        traceback.print_exc()
    finally:
        import atexit

        atexit._run_exitfuncs()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def _refuse(connection: socket.socket, why: str) -> None:
    """Answer a request the server will not fork (its kernel is then started as usual); say so on the stderr."""
    _say(f"refused: {why}")
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"refused": why}).encode() + b"\n")


def _say(line: str) -> None:
    """A line of the server's log (its stderr); a log that cannot be written does not end the server."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _die_with_server() -> None:
    """Linux: the kernel is killed when the server ends, however it ends (``PR_SET_PDEATHSIG``); elsewhere the
    server kills its kernels as it ends, and ipykernel's own watch ends a kernel whose parent became init."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def _watch_requester(requester: int) -> None:
    """End the kernel when its requester ends, as ipykernel's parent poller ends a kernel whose parent ends (a
    forked kernel's parent is the server, so that poller cannot): a thread waits on the requester's pidfd (Linux),
    else looks every second."""
    if requester <= 0:
        return

    def watch() -> None:
        try:
            handle = os.pidfd_open(requester)
        except (AttributeError, OSError):
            handle = None
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _alive(requester):
                time.sleep(1.0)
        os._exit(1)  # as ipykernel's poller does

    threading.Thread(target=watch, name="requester-watch", daemon=True).start()


def _reap(kernels: dict[int, socket.socket | None]) -> None:
    """Collect the kernels that ended and tell each one's requester its exit status."""
    while kernels:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = kernels.pop(pid, None)
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.sendall(
                    json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n"
                )
            connection.close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


class Server:
    """A fork server owned by this process (a context manager), its socket in ``folder``: started, ``ready``
    awaited (at most :data:`READY_WAIT` seconds), and ended (with its kernels) when the block ends or this process
    does. Its stderr (``log``, else this process's) has a line for each kernel forked and each request refused."""

    def __init__(self, folder: Path, log: Path | None = None):
        self.path = str(folder / "kernels.sock")
        with open(log or os.devnull, "ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, self.path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr if log else None,
                cwd=folder,
            )
        said = self.process.stdout
        assert said is not None  # a pipe, as asked
        ready, _, _ = select.select([said], [], [], READY_WAIT)
        line = said.readline() if ready else b""
        if line.strip() != b"ready":
            self.close()
            raise RuntimeError(f"the kernel fork server did not start (said {line!r})")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(READY_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    serve(sys.argv[1])
