"""Execute a notebook with parameters, the papermill way, using nbclient.

The cell tagged ``parameters`` keeps its defaults; a cell tagged ``injected-parameters`` is
inserted after it with the values given, so the executed notebook shows what it ran with.
Errors name the notebook and the cell (its number and first line).
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .. import paths
from ..errors import AmrbookError

KERNEL = "python3"


class NotebookError(AmrbookError):
    """A notebook failed: the message names the notebook, the cell and the error."""


def inject_parameters(nb: nbformat.NotebookNode, parameters: dict) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with a cell setting ``parameters`` after its ``parameters`` cell."""
    nb = copy.deepcopy(nb)
    source = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    cells = nb.cells
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells = [*cells[:at], cell, *cells[at:]]
    return nb


def execute(path: Path, parameters: dict, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook and return it with outputs.

    Parameters
    ----------
    path : Path
        The notebook; it runs in the ``notebooks/`` folder with kernel ``python3``.
    parameters : dict
        Values injected after the ``parameters`` cell (e.g. ``{"year": 2023}``).
    timeout : int
        Seconds allowed per cell.

    Raises
    ------
    NotebookError
        If a cell raises, times out or the kernel dies; the message names notebook and cell.
    """
    nb = inject_parameters(nbformat.read(path, as_version=4), parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(paths.notebooks_dir())}})
    try:
        client.execute()
    except CellExecutionError as exc:
        cell = _failing_cell(nb)
        raise NotebookError(f"{path.name}: {cell}: {exc.ename}: {exc.evalue}") from None
    except (CellTimeoutError, DeadKernelError) as exc:
        raise NotebookError(f"{path.name}: {_failing_cell(nb)}: {type(exc).__name__}: {exc}") from None
    refuse_stderr(nb, path.name)
    return nb


def refuse_stderr(nb: nbformat.NotebookNode, name: str) -> None:
    """Refuse an executed notebook that wrote to stderr: a warning must never reach a reader.

    A warning in a notebook (a missing glyph, a font fallback, a deprecation) means a page would
    show it, or a chart is drawn wrong. The build fails instead, naming the notebook and cell.

    Raises
    ------
    NotebookError
        Naming the notebook, the code cell (number and first line) and the first lines written.
    """
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stderr")
        if text.strip():
            shown = " | ".join(text.strip().splitlines()[:3])
            raise NotebookError(f"{name}: {_cell_label(number, cell)} wrote to stderr (kept out of every page; "
                                f"fix the cause): {shown[:300]}")


def _failing_cell(nb: nbformat.NotebookNode) -> str:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return _cell_label(number, cell)
    return "a cell"


def _cell_label(number: int, cell: nbformat.NotebookNode) -> str:
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return f"code cell {number} ({first[:60]})"
