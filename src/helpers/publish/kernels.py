"""A pool of warm Jupyter kernels that executes notebooks in background threads.

Each worker starts one kernel (importing ``helpers`` and the plotting libraries once) and runs
notebooks from a queue, each after ``%reset -f``, so a build of eight notebooks pays for two
kernel starts, not eight. The executed notebook is tidied to look as a fresh kernel would have
left it (the reset cell removed, cells numbered from 1). Kernels inherit the CJK font face this
process found (:func:`helpers.show.fonts.face_env`) instead of each searching the font folders
and parsing the .ttc files again. :attr:`Runner.timings` holds each kernel's start, its imports
and each notebook's execution, in seconds, for the build's profile.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path

from .. import paths
from ..errors import AmrbookError

RESET_TAG = "amrbook-reset"
#: What every notebook imports (``hb.setup()``, ``hb.load_year``), imported once per kernel before its notebooks.
IMPORTS = "import helpers.show.notebook, helpers.audit.year"


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


class Runner:
    """Execute notebooks on ``jobs`` warm kernels in background threads.

    ``todo`` holds ``(name, notebook)`` pairs, parameters already injected. Each worker starts
    one kernel and runs notebooks from a queue, each after ``%reset -f``; finished notebooks
    arrive on :attr:`results` as ``(name, notebook)`` and failures as ``(name, NotebookError)``.
    :meth:`stop` lets workers finish their notebook and shut down.
    """

    def __init__(self, todo: list[tuple[str, object]], jobs: int, timeout: int, log_file: Path):
        self.todo: queue.Queue = queue.Queue()
        for item in todo:
            self.todo.put(item)
        self.results: queue.Queue = queue.Queue()
        self.timeout = timeout
        self.stopping = threading.Event()
        #: Seconds by step: ``kernel N start``, ``kernel N imports``, ``kernel N <notebook>``.
        self.timings: dict[str, float] = {}
        self.log = open(log_file, "a", encoding="utf-8")  # the kernels' own stderr
        self.env = {**os.environ, **_font_env()} if todo else {}
        self.threads = [threading.Thread(target=self._work, args=(number, _kernel_manager()), daemon=True)
                        for number in range(1, max(1, min(jobs, len(todo))) + 1)] if todo else []
        for thread in self.threads:
            thread.start()

    def _work(self, number: int, km) -> None:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        from .execute import KERNEL, NotebookError, _failing_cell, refuse_stderr

        try:
            started = time.perf_counter()
            km.start_kernel(cwd=str(paths.notebooks_dir()), env=self.env, stderr=self.log)
            self._import(km, number, started)
            while not self.stopping.is_set():
                try:
                    name, nb = self.todo.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                nb = _with_reset(nb)
                client = NotebookClient(nb, km=km, timeout=self.timeout, kernel_name=KERNEL,
                                        resources={"metadata": {"path": str(paths.notebooks_dir())}})
                try:
                    client.execute()
                    refuse_stderr(_tidy(nb), f"{name}.ipynb")
                    self.results.put((name, nb))
                except NotebookError as exc:
                    self.results.put((name, exc))
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                    detail = f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError) else str(exc)
                    self.results.put((name, NotebookError(f"{name}.ipynb: {_failing_cell(_tidy(nb))}: {detail}")))
                    if not self.stopping.is_set():
                        km.restart_kernel(now=True)
                finally:
                    self.timings[f"kernel {number} {name}"] = time.perf_counter() - started
                    if client.kc is not None:  # nbclient leaves a client of a kernel it does not own open
                        client.kc.stop_channels()
                        client.kc = None
        except Exception as exc:  # a kernel that cannot start must not leave the build waiting
            self.results.put(("kernel", AmrbookError(f"kernel failed: {exc}")))
        finally:
            km.shutdown_kernel(now=True)

    def _import(self, km, number: int, started: float) -> None:
        """Wait for the kernel and import what every notebook needs, timing both."""
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.timeout)
            ready = time.perf_counter()
            self.timings[f"kernel {number} start"] = ready - started
            stderr: list[str] = []
            # a failing import is left to the notebook's own cell, which names it; a warning is refused here
            kc.execute_interactive(IMPORTS, store_history=False, timeout=self.timeout, output_hook=lambda msg: (
                stderr.append(msg["content"]["text"]) if msg["msg_type"] == "stream"
                and msg["content"].get("name") == "stderr" else None))
            self.timings[f"kernel {number} imports"] = time.perf_counter() - ready
            if "".join(stderr).strip():
                raise AmrbookError(f"`{IMPORTS}` wrote to stderr (fix the cause): {''.join(stderr).strip()[:300]}")
        finally:
            kc.stop_channels()

    def stop(self) -> None:
        """Take no new notebooks, wait for the running ones, release the kernels."""
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        self.log.close()


def _kernel_manager():
    """A manager of a ``python3`` kernel, its spec looked up in the calling thread.

    The lookup imports IPython, which the build's own thread imports at the same time for its
    pages; the same circular imports in two threads at once fail ("partially initialized module").
    """
    from jupyter_client.manager import KernelManager

    from .execute import KERNEL

    km = KernelManager(kernel_name=KERNEL)
    try:
        km.kernel_spec  # noqa: B018 - looked up (and cached by the manager) here, not in a worker thread
    except Exception as exc:  # no such kernel: said as a worker would have said it
        raise AmrbookError(f"kernel failed: {exc}") from None
    return km


def _font_env() -> dict[str, str]:
    """The CJK font face for the kernels to inherit; none when there is none (each notebook then says so)."""
    from ..show.fonts import face_env, find_cjk_font

    try:
        return face_env(find_cjk_font())
    except AmrbookError:
        return {}
