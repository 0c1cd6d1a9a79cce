"""Execute a notebook with parameters, the papermill way, using nbclient.

The cell tagged ``parameters`` keeps its defaults; a cell tagged ``injected-parameters`` is
inserted after it with the values given, so the executed notebook shows what it ran with. A
notebook without a ``parameters`` cell is refused: the injected values would come first and the
notebook's own ``year = …`` would silently override them. Errors name the notebook and the cell
(its number and first line), or the line and column of broken JSON.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from pathlib import Path

from . import import_jsonschema

import_jsonschema()  # before nbformat imports it (see helpers.publish)

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .. import paths
from ..datafile import MAX_NOTEBOOK_BYTES, read_limited, schema_problem
from ..errors import AmrbookError

KERNEL = "python3"
#: What a kernel is started with, when it is ipykernel's (a ``python3`` kernel spec may run anything): no input
#: history. IPython writes each cell to its history database (SQLite, a commit per cell, in the user's own IPython
#: folder): 10 of a cell's 13 ms here, and the build's cells would fill the analyst's history.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]


def kernel_arguments(argv: list[str]) -> list[str]:
    """:data:`KERNEL_ARGUMENTS` for a kernel spec whose command (``argv``) runs ipykernel, none for any other: they
    are added at the end of its command, where another launcher may refuse them or pass them on as something else.

    >>> kernel_arguments(["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    ['--HistoryManager.enabled=False']
    >>> kernel_arguments(["sh", "-c", "exec python -m ipykernel_launcher -f {connection_file}"])
    []
    """
    launcher = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    return KERNEL_ARGUMENTS if launcher.split(".")[0] in ("ipykernel", "ipykernel_launcher") else []


class NotebookError(AmrbookError):
    """A notebook failed: the message names the notebook, the cell and the error."""


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a version-4 notebook, refusing a file that is not one.

    Raises
    ------
    NotebookError
        If the file is not UTF-8 (byte position), not JSON (line and column), or not a valid
        notebook (the part at fault); the message names the notebook.
    """
    try:
        text = read_limited(path, MAX_NOTEBOOK_BYTES, "MAX_NOTEBOOK_BYTES", "a notebook").decode(
            "utf-8"
        )
        raw = json.loads(text)
    except UnicodeDecodeError as exc:
        raise NotebookError(
            f"{path.name}: byte {exc.start}: not UTF-8; save the notebook again from Jupyter"
        ) from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise NotebookError(
            f"{path.name}: not a Jupyter notebook: its JSON is nested too deeply to read"
        ) from None
    if not isinstance(raw, dict):  # "top level: text, not an object"
        raise NotebookError(
            f"{path.name}: {schema_problem(raw, {'type': 'object'})}: not a notebook"
        )
    version = raw.get("nbformat")
    if version != 4:
        found = f'"nbformat": {json.dumps(version)}' if version is not None else 'no "nbformat"'
        raise NotebookError(
            f"{path.name}: top level: not a Jupyter notebook of version 4 (it has {found})"
        )
    problem = _schema_problem(raw)
    if problem:
        raise NotebookError(f"{path.name}: {problem}")
    return nbformat.reads(text, as_version=4)


def _schema_problem(raw: dict) -> str | None:
    """Where and why ``raw`` breaks the notebook format (version 4), or None if it does not."""
    from jsonschema.exceptions import best_match
    from nbformat.validator import get_validator

    minor = raw.get("nbformat_minor")
    known = (
        isinstance(minor, int) and minor >= 0
    )  # otherwise the latest schema says what is wrong with it
    version_minor = minor if known else None
    # nbformat's compiled validator (fastjsonschema, a dependency of nbformat) says whether; jsonschema, 25 times
    # slower, only says where and why (its best match): every build reads each notebook and each cached copy
    with contextlib.suppress(Exception):  # anything it raises: jsonschema decides, and words it
        get_validator(version=4, version_minor=version_minor, name="fastjsonschema").validate(raw)
        return None
    validator = get_validator(version=4, version_minor=version_minor, name="jsonschema")
    error = best_match(validator.iter_errors(raw))
    if error is None:
        return None
    where = "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
    ).lstrip(".")
    cause = (
        error.message
        if error.validator not in ("oneOf", "anyOf")
        else "has none of the forms the format allows"
    )
    return f"{where or 'top level'}: not a valid notebook: {cause}"


def inject_parameters(
    nb: nbformat.NotebookNode, parameters: dict, name: str
) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with a cell setting ``parameters`` after its ``parameters`` cell.

    Raises
    ------
    NotebookError
        If no cell of ``nb`` (the notebook ``name``) is tagged ``parameters``.
    """
    at = next(
        (i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None
    )
    if at is None:
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        setting = next(
            (
                f"code cell {number}, which sets year"
                for number, cell in enumerate(code_cells, start=1)
                if re.search(r"^\s*year\s*=", cell.source, flags=re.M)
            ),
            "the cell that sets year",
        )  # named when there is one, so the message says where
        raise NotebookError(
            f"{name}: no cell tagged `parameters`; tag {setting} (JupyterLab: the "
            "gear icon of the right sidebar → Common Tools → Cell Tags; classic Notebook: "
            "View → Cell Toolbar → Tags)"
        )
    nb = copy.deepcopy(nb)
    source = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells = [*nb.cells[:at], cell, *nb.cells[at:]]
    return nb


def prepare(path: Path, parameters: dict) -> nbformat.NotebookNode:
    """Read the notebook at ``path`` and inject ``parameters``; see :func:`read_notebook`."""
    return inject_parameters(read_notebook(path), parameters, path.name)


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
        If the notebook is broken or has no ``parameters`` cell (refused before a kernel
        starts), or a cell raises, times out or the kernel dies; the message names notebook and cell.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    nb = prepare(path, parameters)
    running: dict = {}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        extra_arguments=kernel_arguments(KernelSpecManager().get_kernel_spec(KERNEL).argv),
        on_cell_execute=lambda cell, cell_index: running.update(cell=cell),
        resources={"metadata": {"path": str(paths.notebooks_dir())}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        raise failure(path.name, nb, exc, timeout, running.get("cell")) from None
    refuse_stderr(nb, path.name)
    return nb


def failure(
    name: str,
    nb: nbformat.NotebookNode,
    exc: Exception,
    timeout: int,
    running=None,
    status: int | None = None,
) -> NotebookError:
    """Say how the notebook ``name`` failed, naming the cell: an error it raised, the per-cell
    time limit it ran past, or its kernel dying (``status``: the kernel's exit status, if known)."""
    if isinstance(exc, CellExecutionError):
        return NotebookError(f"{name}: {_failing_cell(nb)}: {exc.ename}: {exc.evalue}")
    cell = _running_cell(nb, running)
    if isinstance(exc, CellTimeoutError):
        return NotebookError(
            f"{name}: {cell}: still running after {timeout} s, the limit for one cell; it was "
            "stopped (amrbook build --cell-timeout SECONDS allows more)"
        )
    return NotebookError(f"{name}: {cell}: the kernel died while running it ({exit_words(status)})")


def exit_words(status: int | None) -> str:
    """How a kernel's process ended, from its exit status (negative: the signal that killed it)."""
    if status is not None and status < 0:
        return f"killed by signal {-status}" + (" (out of memory?)" if status == -9 else "")
    return f"exited with status {status}" if status is not None else "exit status unknown"


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
        text = "".join(
            o.get("text", "")
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"
        )
        if text.strip():
            shown = " | ".join(text.strip().splitlines()[:3])
            raise NotebookError(
                f"{name}: {_cell_label(number, cell)} wrote to stderr (kept out of every page; "
                f"fix the cause): {shown[:300]}"
            )


def _failing_cell(nb: nbformat.NotebookNode) -> str:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return _cell_label(number, cell)
    return "a cell"


def _running_cell(nb: nbformat.NotebookNode, running) -> str:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    number = next((n for n, c in enumerate(code_cells, start=1) if c is running), None)
    return _cell_label(number, running) if number else "a cell"


def _cell_label(number: int, cell: nbformat.NotebookNode) -> str:
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return f"code cell {number} ({first[:60]})"
