"""Where the workbook's files live.

Every path is anchored on the installed package (``src/helpers`` sits two levels below the
project root), never on the current working directory, so notebooks and the CLI work from
anywhere. ``AMRBOOK_DATA`` and ``AMRBOOK_OUTPUTS`` override the two folders (tests use them to
run against temporary copies), and ``AMRBOOK_NOTEBOOKS`` the notebooks folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[1]


def _chosen_folder(variable: str, default: Path, made: bool = False) -> Path:
    """The folder ``$variable`` names, or ``default`` when it is unset or empty.

    A folder the environment names is checked where it is read, so a wrong one is named with its
    variable: it must be a folder (``/dev/null`` or a file is not), and must exist unless the
    workbook makes it (``made``: outputs). Was the OS's bare ``/dev/null: File exists`` or
    ``…/raw/sources.yml: Not a directory``, naming neither the variable nor the cause.
    """
    value = os.environ.get(variable)
    if not value:
        return default
    folder = Path(value)
    if folder.is_dir() or (made and not folder.exists() and not folder.is_symlink()):
        return folder
    from .errors import AmrbookError

    why = (
        "is not a folder"
        if folder.exists()
        else "is a link to nothing"
        if folder.is_symlink()
        else "does not exist"
    )
    raise AmrbookError(f"{variable} is {value!r}, which {why}: name a folder, or unset {variable}")


def data_dir() -> Path:
    """Return the data folder (``data/`` or ``$AMRBOOK_DATA``, which must be a folder)."""
    return _chosen_folder("AMRBOOK_DATA", PROJECT_ROOT / "data")


def outputs_dir() -> Path:
    """Return the folder generated outputs go to (``outputs/`` or ``$AMRBOOK_OUTPUTS``: a folder,
    or a path where the build makes one)."""
    return _chosen_folder("AMRBOOK_OUTPUTS", PROJECT_ROOT / "outputs", made=True)


def raw_dir() -> Path:
    """Return the folder of immutable source texts."""
    return data_dir() / "raw"


def sources_file() -> Path:
    """Return ``raw/sources.yml``: the bureaus, and publisher, title, year, encoding and sha256 of each raw report."""
    return raw_dir() / "sources.yml"


def bureau_raw_dir(bureau: str) -> Path:
    """Return the folder of one bureau's raw reports (``raw/<bureau>/``)."""
    return raw_dir() / bureau


def raw_report(bureau: str, year: int, suffix: str = ".txt") -> Path:
    """Return where ``amrbook add`` keeps a bureau's report of ``year`` (``raw/<bureau>/<year>_<bureau>.txt``)."""
    return bureau_raw_dir(bureau) / f"{year}_{bureau}{suffix or '.txt'}"


def indicators_dir(bureau: str) -> Path:
    """Return one bureau's folder of indicator tables (``<year>.csv`` curated, ``<year>.draft.csv`` drafts)."""
    return data_dir() / "indicators" / bureau


def indicators_file(bureau: str, year: int) -> Path:
    """Return the curated indicator table of one report (bureau and year)."""
    return indicators_dir(bureau) / f"{year}.csv"


def draft_file(bureau: str, year: int) -> Path:
    """Return where ``amrbook draft`` writes a new report's table for review."""
    return indicators_dir(bureau) / f"{year}.draft.csv"


def indicator_years(bureau: str) -> list[int]:
    """Return the years a bureau has a curated indicator table for, in order (drafts do not count)."""
    return sorted(int(p.stem) for p in indicators_dir(bureau).glob("[0-9][0-9][0-9][0-9].csv"))


def curated_reports() -> list[tuple[str, int]]:
    """Return every (bureau, year) with a curated indicator table, in order."""
    return sorted(
        (p.parent.name, int(p.stem))
        for p in (data_dir() / "indicators").glob("*/[0-9][0-9][0-9][0-9].csv")
    )


def report_outputs_dir(bureau: str, year: int) -> Path:
    """Return the outputs of one report's build (``outputs/<bureau>/<year>/``)."""
    return outputs_dir() / bureau / str(year)


def catalog_file() -> Path:
    """Return the indicator catalog."""
    return data_dir() / "catalog.yml"


def matching_file() -> Path:
    """Return what drafting needs to say what a figure is: counter words, bodies, counting basis, topics."""
    return data_dir() / "matching.yml"


def proposals_file(bureau: str, year: int) -> Path:
    """Return the proposed catalog entries written beside a report's draft."""
    return indicators_dir(bureau) / f"{year}.proposals.yml"


def metrics_file() -> Path:
    """Return the derived metrics (``metrics.yml``)."""
    return data_dir() / "metrics.yml"


def checks_file() -> Path:
    """Return the consistency rules (``checks.yml``)."""
    return data_dir() / "checks.yml"


def charts_file() -> Path:
    """Return the chart declarations (``charts.yml``)."""
    return data_dir() / "charts.yml"


def narrative_file() -> Path:
    """Return the narration templates (``narrative.yml``)."""
    return data_dir() / "narrative.yml"


#: Names the folder where a build hands the reports it loaded to its kernels (helpers.audit.report.hand_over).
HANDOVER_ENV = "AMRBOOK_REPORTS"


def build_cache_dir() -> Path:
    """Return the build's cache of executed notebooks, font subsets and kernel logs."""
    return outputs_dir() / ".cache"


def notebooks_dir() -> Path:
    """Return the folder of analysis notebooks (``notebooks/`` or ``$AMRBOOK_NOTEBOOKS``)."""
    return _chosen_folder("AMRBOOK_NOTEBOOKS", PROJECT_ROOT / "notebooks")


def built_notebooks() -> list[Path]:
    """The notebooks a build executes: every notebook of ``notebooks/`` but those whose metadata
    declares ``"amrbook": {"build": false}`` (``review.ipynb``, a tool run by hand on a draft)."""
    from .datafile import MAX_NOTEBOOK_BYTES, read_json  # (datafile imports this module)
    from .errors import DataError

    def built(path: Path) -> bool:
        try:  # bounded, a regular file, strict JSON: as every JSON file is read
            notebook = read_json(path, MAX_NOTEBOOK_BYTES)
        except DataError:
            return True  # a broken notebook is the build's to report, with its name
        metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
        amrbook = metadata.get("amrbook") if isinstance(metadata, dict) else None
        return not isinstance(amrbook, dict) or bool(amrbook.get("build", True))

    return [p for p in sorted(notebooks_dir().glob("*.ipynb")) if built(p)]


#: The lock file of the data folder (:func:`helpers.datafile.data_lock`): not data, so not in its version.
DATA_LOCK = ".amrbook.lock"


def data_version() -> tuple:
    """Return a key that changes whenever a file under the data folder changes.

    It walks the data folder: :func:`helpers.audit.report.load_report` computes it once per call
    to key its cache; helpers below it key theirs on :func:`file_version` of the one file they read.
    """
    root = data_dir()
    return (
        str(root),
        *sorted(
            (str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size) for p in data_files()
        ),
    )


def data_files() -> list[Path]:
    """Every file of the data folder, which is what the data are: all but the lock ``add`` and ``accept`` take."""
    return [p for p in data_dir().rglob("*") if p.is_file() and p.name != DATA_LOCK]


def named_output_problem(out: Path, allowed: Path) -> str | None:
    """Why the workbook must not write a file the user named (``amrbook share --out``), or None.

    It must be a regular file or nothing yet, in a folder that exists, and outside the data folder
    (which only ``add``, ``draft`` and ``accept`` write), the outputs folder (the build's own; only
    ``allowed``, the file the command writes by default, may be named there) and the notebooks
    folder. A symbolic link is refused: it could lead into any of them. Was: `--out` of the raw
    report, a curated table or a build's ``index.html`` replaced it with a zip, exit 0, and
    ``--out /dev/null`` replaced the device with a file.
    """
    if out.is_symlink():
        return "is a symbolic link; name the file itself"
    if out.exists() and not out.is_file():
        return (
            "exists and is not a regular file (a folder, a device or a pipe); name a new .zip file"
        )
    if not out.parent.is_dir():
        return f"{out.parent} is not a folder; name a file in a folder that exists"
    where = out.resolve()
    for folder, what in (
        (data_dir(), "the data folder"),
        (outputs_dir(), "the outputs folder"),
        (notebooks_dir(), "the notebooks folder"),
    ):
        if where.is_relative_to(folder.resolve()) and where != allowed.resolve():
            return f"is inside {what} ({folder}): a zip never replaces a file there; name a file outside it"
    return None


def data_changes(before: tuple, after: tuple) -> list[str]:
    """The files of the data folder (relative paths) added, removed or changed between two
    :func:`data_version` keys of the same folder, in order."""
    was, now = (dict((name, rest) for name, *rest in version[1:]) for version in (before, after))
    return sorted(name for name in {*was, *now} if was.get(name) != now.get(name))


def file_version(path: Path) -> tuple:
    """Return a key that changes when one file changes (its path, modification time and size; one ``stat``)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), None, None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def sha256_of(path: Path) -> str:
    """Return the sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
