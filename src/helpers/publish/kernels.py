"""A pool of warm Jupyter kernels that executes notebooks in background threads.

Each worker starts one kernel (importing ``helpers`` and the plotting libraries once) and runs
notebooks from a queue, each after ``%reset -f``, so a build of eight notebooks pays for two
kernel starts, not eight. The executed notebook is tidied to look as a fresh kernel would have
left it (the reset cell removed, cells numbered from 1). Kernels inherit the CJK font face this
process found (:func:`helpers.show.fonts.face_env`) instead of each searching the font folders
and parsing the .ttc files again. :attr:`Runner.timings` holds each kernel's start, its imports
and each notebook's execution, in seconds, for the build's profile.

Every wait is bounded. The kernels are spoken to with jupyter_client's asynchronous client:
nbclient handed a kernel manager with the (default) blocking client blocks its event loop on
the kernel's output and never applies its per-cell ``timeout`` nor notices a dead kernel. A
cell running past the timeout, or a kernel that dies (``os._exit``, the OOM killer), fails its
notebook naming the cell; :meth:`Runner.stop` kills every kernel's process group at once, so
an error elsewhere, Ctrl-C or SIGTERM never waits for a cell to end.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from .. import paths
from ..errors import AmrbookError

RESET_TAG = "amrbook-reset"
#: What every notebook imports (``hb.setup()``, ``hb.load_report``), imported once per kernel before its notebooks.
IMPORTS = "import helpers.show.notebook, helpers.audit.report"
#: Run after :data:`IMPORTS`: what they loaded is left out of every later collection of the garbage collector
#: (``gc.freeze``). ``%reset -f`` before each notebook makes two full collections, and a notebook's own work
#: triggers more: they scan only the objects the notebooks made, not the libraries' (a reset: 0.17 -> 0.06 s CPU).
#: And the youngest generation is collected every :data:`GC_THRESHOLD` allocations, not Python's 700: pandas and
#: matplotlib allocate objects by the million, and collecting that often took a tenth of a kernel's CPU (the nine
#: notebooks of one report, kernel CPU, three runs each on a loaded machine: 5.2, 5.0, 5.7 s -> 4.9, 4.4, 4.3 s).
GC_THRESHOLD = (20_000, 20, 20)
FREEZE = f"import gc; gc.freeze(); gc.set_threshold{GC_THRESHOLD}; del gc"
#: jupyter_client's asynchronous client: with it nbclient applies the cell timeout and sees a dead kernel.
CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"
#: Seconds :meth:`Runner.stop` waits for its threads after killing their kernels.
STOP_WAIT = 3.0
#: Seconds a kernel may take to start and import :data:`IMPORTS` (nbclient's startup_timeout) when the cell
#: timeout is shorter: starting is not running a cell, and on a loaded machine it takes seconds.
START_WAIT = 60.0
#: Seconds between two looks at a kernel's process while it imports and says nothing.
POLL = 0.5


def _with_reset(nb):
    import nbformat

    cell = nbformat.v4.new_code_cell("%reset -f")
    cell.metadata["tags"] = [RESET_TAG]
    nb.cells.insert(0, cell)
    return nb


def _tidy(nb):
    """Remove the reset cell and number cells from 1, as a fresh kernel would."""
    nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
    number = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            number += 1
            cell.execution_count = number
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = number
    return nb


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (made if missing); root ignores modes, so try."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def kernel_env(config_dir: Path) -> dict[str, str]:
    """The kernels' environment: this one, with IPython's and matplotlib's folders moved under
    ``config_dir`` when their usual place (under HOME) cannot be written.

    Otherwise a kernel warns on its stderr (``Matplotlib created a temporary cache directory``)
    and the build would blame the first notebook cell importing matplotlib.
    """
    env = dict(os.environ)
    home = Path(env.get("HOME") or Path.home())
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    for variable, usual in (
        ("MPLCONFIGDIR", config / "matplotlib"),
        ("IPYTHONDIR", home / ".ipython"),
    ):
        if not env.get(variable) and not _writable(usual):
            env[variable] = str(config_dir / variable.lower())
    return env


class Runner:
    """Execute notebooks on ``jobs`` warm kernels in background threads.

    ``todo`` holds ``(name, notebook)`` pairs, parameters already injected. Each worker starts
    one kernel and runs notebooks from a queue, each after ``%reset -f``; finished notebooks
    arrive on :attr:`results` as ``(name, notebook)`` and failures as ``(name, NotebookError)``.
    A cell may run ``timeout`` seconds. :meth:`stop` kills the kernels and releases them.

    Several reports share one pool (``amrbook build --all``): ``Runner([], …, start=False)``, then
    :meth:`start` with the number of notebooks expected as soon as it is known (the kernels start and
    import while the build loads its data), :meth:`submit` each report's notebooks with the queue its
    results go to, then :meth:`close`.
    """

    def __init__(
        self,
        todo: list[tuple[str, object]],
        jobs: int,
        timeout: int,
        log_file: Path,
        start: bool = True,
        env: dict[str, str] | None = None,
    ):
        self.todo: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.routes: list[queue.Queue] = []
        self.jobs, self.timeout = jobs, timeout
        self.stopping = threading.Event()
        #: Seconds by step: ``kernel N start``, ``kernel N imports``, ``kernel N <notebook>``.
        self.timings: dict[str, float] = {}
        self.failures: queue.Queue = (
            queue.Queue()
        )  # the first failure, for check() while results wait
        self.kernels: list = []  # the managers of started kernels, for stop() to kill
        #: The kernels' environment, read by the first :meth:`start` that starts one (:meth:`_kernel_env`): a
        #: build that finds everything up to date neither looks for the CJK face nor imports fontTools.
        self.env: dict[str, str] | None = None
        self.extra_env, self.config_dir = env or {}, log_file.parent / "kernel-config"
        # the kernels' own stderr, open for the pool's life: stop() closes it
        self.log = open(log_file, "a", encoding="utf-8")  # noqa: SIM115
        self.threads: list[threading.Thread] = []
        self.expected = 0  # notebooks announced to start()
        #: A worker's failure to start its kernel, for notebooks submitted after it (none else runs them).
        self.dead: Exception | None = None
        self.lock = threading.Lock()
        self.submit(todo, self.results)
        if start:
            self.start()
            self.close()

    def submit(self, todo: Sequence[tuple[str, object]], results: queue.Queue) -> None:
        """Queue notebooks whose results (and a kernel's failure) go to ``results``; before :meth:`close`."""
        with self.lock:
            self.routes.append(results)
            if todo and self.dead is not None:
                results.put(("kernel", self.dead))
        for name, nb in todo:
            self.todo.put((name, nb, results))

    def start(self, expected: int | None = None, face: str = "") -> None:
        """Start workers for ``expected`` more notebooks (those queued when None): ``jobs`` kernels at most in
        all, none for no work. Each call adds workers up to ``jobs``; they start their kernels at once and
        wait for notebooks until :meth:`close`. ``face`` is the CJK face the build found (as
        :func:`helpers.show.fonts.face_env` records it), checked rather than the fonts searched again."""
        self.expected += self.todo.qsize() if expected is None else expected
        if self.env is None and min(self.jobs, self.expected) > len(self.threads):
            # read now: the environment the build was called in, and the CJK face for the kernels to inherit
            self.env = {**kernel_env(self.config_dir), **_font_env(face), **self.extra_env}
        added = [
            threading.Thread(target=self._work, args=(number, _kernel_manager()), daemon=True)
            for number in range(len(self.threads) + 1, min(self.jobs, self.expected) + 1)
        ]
        self.threads += added
        for thread in added:
            thread.start()

    def close(self) -> None:
        """No more notebooks: each worker ends when the queue is empty."""
        for _ in self.threads:
            self.todo.put(None)

    def _work(self, number: int, km) -> None:
        from .execute import kernel_arguments

        try:
            started = time.perf_counter()
            km.start_kernel(
                cwd=str(paths.notebooks_dir()),
                env=self.env,
                stderr=self.log,
                extra_arguments=kernel_arguments(km.kernel_spec.argv),
            )
            self.kernels.append(km)
            self._import(km, number, started)
            while (
                not self.stopping.is_set()
            ):  # read after the append: stop() kills this kernel or we see it
                item = self.todo.get()
                if item is None:  # close() or stop()
                    return
                name, nb, results = item
                started = time.perf_counter()
                outcome = self._run(km, name, nb)
                self.timings[f"kernel {number} {name}"] = time.perf_counter() - started
                results.put((name, outcome))
                if isinstance(
                    outcome, Exception
                ):  # the build fails with it; a timed-out cell may still run
                    self.failures.put(outcome)
                    return
        except Exception as exc:  # a kernel that cannot start must not leave the build waiting
            if not self.stopping.is_set():
                failed = AmrbookError(f"kernel failed: {exc}")
                with self.lock:
                    self.dead = failed
                    for route in self.routes:
                        route.put(("kernel", failed))
                self.failures.put(failed)
        finally:
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=True)
            _close_thread_loop()

    def _run(self, km, name: str, nb):
        """Execute one notebook on the kernel of ``km``; return it executed, or the NotebookError."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        from .execute import KERNEL, NotebookError, exit_words, failure, refuse_stderr

        nb = _with_reset(nb)
        running: dict = {}
        client = NotebookClient(
            nb,
            km=km,
            timeout=self.timeout,
            kernel_name=KERNEL,
            on_cell_execute=lambda cell, cell_index: running.update(cell=cell),
            resources={"metadata": {"path": str(paths.notebooks_dir())}},
        )
        # nbclient registers this with atexit for the kernels it owns; when the kernel dies before the notebook's
        # first cell it leaves it registered, and the build's exit printed its AssertionError (km is None). The
        # kernels are ours: stop() and the worker end them.
        client._cleanup_kernel = _nothing  # type: ignore[method-assign]
        try:
            client.execute()
            refuse_stderr(_tidy(nb), f"{name}.ipynb")
            return nb
        except NotebookError as exc:
            return exc
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            return failure(
                f"{name}.ipynb", _tidy(nb), exc, self.timeout, running.get("cell"), _status(km)
            )
        except RuntimeError:  # jupyter_client: "Kernel died before replying to kernel_info"
            if _status(km) is None:
                raise
            return NotebookError(
                f"{name}.ipynb: the kernel died before the notebook's first cell ({exit_words(_status(km))})"
            )
        finally:
            if client.kc is not None:  # nbclient leaves a client of a kernel it does not own open
                client.kc.stop_channels()
                client.kc = None

    def check(self) -> None:
        """Raise the first failure of a notebook or kernel so far, if any (without waiting)."""
        try:
            raise self.failures.get_nowait()
        except queue.Empty:
            return

    def _import(self, km, number: int, started: float) -> None:
        """Wait for the kernel and import what every notebook needs, timing both (each wait bounded by
        the cell timeout, at least :data:`START_WAIT`; a kernel that dies before it is ready, or while it
        imports, is seen at once)."""
        kc = km.blocking_client()  # km.client() is the asynchronous one, for nbclient
        kc.start_channels()
        wait = max(self.timeout, START_WAIT)
        try:
            kc.wait_for_ready(timeout=wait)
            ready = time.perf_counter()
            self.timings[f"kernel {number} start"] = ready - started
            # a failing import is left to the notebook's own cell, which names it; a warning is refused here
            stderr = _imported(km, kc, wait)
            self.timings[f"kernel {number} imports"] = time.perf_counter() - ready
            if "".join(stderr).strip():
                raise AmrbookError(
                    f"`{IMPORTS}` wrote to stderr (fix the cause): {''.join(stderr).strip()[:300]}"
                )
        finally:
            kc.stop_channels()

    def stop(self) -> None:
        """Take no new notebooks, kill the kernels (and whatever they started) and release them.

        Bounded: a cell that runs on, or a kernel that hangs, is killed, not waited for.
        """
        self.stopping.set()
        self._kill()
        self.close()  # a worker waiting for notebooks ends
        for thread in self.threads:
            thread.join(STOP_WAIT)
        self._kill()  # a kernel a worker was still starting
        self.log.close()

    def _kill(self) -> None:
        for km in list(self.kernels):
            process = getattr(km.provisioner, "process", None)
            if process is not None and process.poll() is None:
                with contextlib.suppress(OSError):  # the kernel leads its own process group
                    os.killpg(process.pid, signal.SIGKILL)


def _nothing() -> None:
    """Stands in for nbclient's atexit clean-up of a kernel it does not own."""


def _status(km) -> int | None:
    """The exit status of the kernel of ``km`` (negative: the signal that ended it); None while it runs."""
    process = getattr(km.provisioner, "process", None)
    return process.poll() if process is not None else None


def _close_thread_loop() -> None:
    """Close the event loop jupyter_client's ``run_sync`` made for this worker thread, as the thread ends.

    Left to the garbage collector, a loop can be finalised after its own sockets, and Python prints
    ``Exception ignored in: <function BaseEventLoop.__del__> … Invalid file descriptor: -1`` on the
    build's stderr (seen at exit, once the build froze what its planning loaded).
    """
    import asyncio

    with contextlib.suppress(Exception):  # no loop was made in this thread: nothing to close
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running():
            loop.close()


def _imported(km, kc, wait: float) -> list[str]:
    """Run :data:`IMPORTS` (then :data:`FREEZE`) on the ready kernel of ``km`` and wait until it is done; return what it
    wrote to stderr.

    Bounded twice: by ``wait`` seconds, and by the kernel's life. The kernel's process is looked at
    every :data:`POLL` seconds while no message comes, so a kernel that dies while importing (before
    any notebook's first cell) fails the build at once, as one dying in a cell does, not at the
    timeout.
    """
    from .execute import exit_words

    msg_id = kc.execute(f"{IMPORTS}\n{FREEZE}", store_history=False)
    deadline, stderr = time.monotonic() + wait, []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=POLL)
        except queue.Empty:
            status = _status(km)
            if status is not None:
                raise AmrbookError(
                    f"the kernel died while importing what every notebook imports (`{IMPORTS}`), "
                    f"before any notebook ran ({exit_words(status)})"
                ) from None
            if time.monotonic() > deadline:
                raise AmrbookError(f"`{IMPORTS}` still running after {wait:.0f} s") from None
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        content = msg["content"]
        if msg["msg_type"] == "stream" and content.get("name") == "stderr":
            stderr.append(content["text"])
        elif msg["msg_type"] == "status" and content.get("execution_state") == "idle":
            return stderr


def _kernel_manager():
    """A manager of a ``python3`` kernel, its spec looked up in the calling thread.

    The lookup imports IPython, which the build's own thread imports at the same time for its
    pages; the same circular imports in two threads at once fail ("partially initialized module").
    """
    from jupyter_client.manager import KernelManager

    from .execute import KERNEL
    from .forkserver import SERVER_ENV, ForkedProvisioner

    km = KernelManager(kernel_name=KERNEL, client_class=CLIENT)
    try:
        km.kernel_spec  # noqa: B018 - looked up (and cached by the manager) here, not in a worker thread
    except Exception as exc:  # no such kernel: said as a worker would have said it
        raise AmrbookError(f"kernel failed: {exc}") from None
    # forked from a server that has imported what kernels import, when it can be
    if os.environ.get(SERVER_ENV):
        km.kernel_id = str(uuid.uuid4())
        km.provisioner = ForkedProvisioner(
            kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
        )
    return km


def _font_env(known: str = "") -> dict[str, str]:
    """The CJK font face for the kernels to inherit; none when there is none (each notebook then says so)."""
    from ..show.fonts import FACE_ENV, recorded_face

    face = recorded_face(known)
    return {FACE_ENV: face} if face else {}
