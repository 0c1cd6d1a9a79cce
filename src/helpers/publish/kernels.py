"""A pool of warm Jupyter kernels that executes notebooks in background threads.

Each worker starts one kernel (importing ``helpers`` and the plotting libraries once) and runs
notebooks from a queue, each after ``%reset -f``, so a build of eight notebooks pays for two
kernel starts, not eight. The executed notebook is tidied to look as a fresh kernel would have
left it (the reset cell removed, cells numbered from 1).
"""
from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from .. import paths
from ..errors import AmrbookError

RESET_TAG = "amrbook-reset"


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

    Several reports share one pool (``amrbook build --all``): ``Runner([], …, start=False)``, then
    :meth:`submit` each report's notebooks with the queue its results go to, then :meth:`start`.
    """

    def __init__(self, todo: list[tuple[str, object]], jobs: int, timeout: int, log_file: Path,
                 start: bool = True):
        self.todo: queue.Queue = queue.Queue()
        self.results: queue.Queue = queue.Queue()
        self.routes: list[queue.Queue] = []
        self.jobs, self.timeout = jobs, timeout
        self.stopping = threading.Event()
        self.log = open(log_file, "a", encoding="utf-8")  # the kernels' own stderr
        self.threads: list[threading.Thread] = []
        self.submit(todo, self.results)
        if start:
            self.start()

    def submit(self, todo: list[tuple[str, object]], results: queue.Queue) -> None:
        """Queue notebooks whose results (and a kernel's failure) go to ``results``; before :meth:`start`."""
        self.routes.append(results)
        for name, nb in todo:
            self.todo.put((name, nb, results))

    def start(self) -> None:
        """Start the workers: ``jobs`` kernels at most, none for no work."""
        work = self.todo.qsize()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(min(self.jobs, work))]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        from .execute import KERNEL, NotebookError, _failing_cell, refuse_stderr

        km = KernelManager(kernel_name=KERNEL)
        try:
            km.start_kernel(cwd=str(paths.notebooks_dir()), env={**os.environ}, stderr=self.log)
            while not self.stopping.is_set():
                try:
                    name, nb, results = self.todo.get_nowait()
                except queue.Empty:
                    return
                nb = _with_reset(nb)
                client = NotebookClient(nb, km=km, timeout=self.timeout, kernel_name=KERNEL,
                                        resources={"metadata": {"path": str(paths.notebooks_dir())}})
                try:
                    client.execute()
                    refuse_stderr(_tidy(nb), f"{name}.ipynb")
                    results.put((name, nb))
                except NotebookError as exc:
                    results.put((name, exc))
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                    detail = f"{exc.ename}: {exc.evalue}" if isinstance(exc, CellExecutionError) else str(exc)
                    results.put((name, NotebookError(f"{name}.ipynb: {_failing_cell(_tidy(nb))}: {detail}")))
                    if not self.stopping.is_set():
                        km.restart_kernel(now=True)
                finally:
                    if client.kc is not None:  # nbclient leaves a client of a kernel it does not own open
                        client.kc.stop_channels()
                        client.kc = None
        except Exception as exc:  # a kernel that cannot start must not leave the build waiting
            for route in self.routes:
                route.put(("kernel", AmrbookError(f"kernel failed: {exc}")))
        finally:
            km.shutdown_kernel(now=True)

    def stop(self) -> None:
        """Take no new notebooks, wait for the running ones, release the kernels."""
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        self.log.close()
