"""Take a new report in (``amrbook add``) and promote its reviewed draft (``amrbook accept``).

:func:`add` copies the report byte for byte into ``data/raw/<bureau>/``, records it in
``data/raw/sources.yml`` (sha256, detected encoding, the bureau with its name and level, the
year and report type read from its title line when not given) and writes the draft and the
proposals (:func:`helpers.tables.draft.write_draft`). It never writes a curated table and never
replaces another report: the same bytes again change nothing.

:func:`accept` turns the reviewed draft and the accepted proposals into catalog entries and the
curated ``<year>.csv``. Both files are written in a temporary copy of ``data/`` first and
validated there with the normal loaders (the caller's ``validate``, e.g. ``load_report``); only
then are both renamed into place. On any problem nothing changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..datafile import LINE, data_lock, read_yaml, shown
from ..errors import AmrbookError, listing
from ..report.encoding import read_report
from ..report.sources import BUREAU_FIELDS, LEVELS, SOURCE_FIELDS, load_sources, slug_problem
from .draft import DRAFT_NOTE, REVIEW_COLUMNS, write_draft
from .load import CATALOG_FIELDS, COLUMNS, load_catalog

#: A report's title: its year and type (法治政府建设情况报告, 行政执法工作报告, 工作总结).
TITLE = re.compile(
    r"(\d{4})年度?[^\n。，,]{0,12}?"
    r"(法治政府建设(?:情况|工作)?的?(?:年度)?报告|行政执法(?:工作)?的?报告|工作总结)"
)


@dataclass(frozen=True)
class Added:
    """What :func:`add` did: the raw file, whether it was new, the draft and whether it was new."""

    raw: Path
    copied: bool
    recorded: bool
    draft: Path
    frame: pd.DataFrame | None


def read_title(text: str) -> tuple[int, str, str] | None:
    """The year, report type and title line of a report, read from its first title-like line
    (``…关于2023年度法治政府建设情况的报告`` -> ``(2023, "法治政府建设情况报告", line)``), or None.

    A title in book-title marks is the report's own, not the line around it: a notice
    ``…关于印发《嘉定区市场监督管理局2023年工作总结》的通知`` gives ``嘉定区市场监督管理局2023年工作总结``.
    """
    found = TITLE.search(text)
    if found is None:
        return None
    line_start = text.rfind("\n", 0, found.start()) + 1
    line_end = text.find("\n", found.end())
    opened = text.rfind("《", line_start, found.start())
    closed = text.find("》", found.end(), line_end if line_end >= 0 else len(text))
    if opened >= 0 and closed >= 0 and "》" not in text[opened : found.start()]:
        line_start, line_end = opened + 1, closed
    line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
    return int(found.group(1)), found.group(2).replace("的", ""), line


def level_of(name: str) -> str | None:
    """The level of a bureau read from its name: the character before 市场监督管理局/市场监管局
    (广州市从化区… -> 区, 石柱土家族自治县… -> 县, 广东省… -> 省, 绍兴市… -> 市)."""
    found = re.search(r"(.)市场监(?:督管理|管)局", name)
    return found.group(1) if found and found.group(1) in LEVELS else None


def _insert_in_section(text: str, key: str, block: str) -> str:
    """Insert ``block`` at the end of the top-level section ``key:`` of a YAML text, keeping every
    comment (appended as a new section when absent)."""
    found = re.search(rf"(?m)^{re.escape(key)}:[ \t]*\n", text)
    if found is None:
        return text.rstrip("\n") + f"\n{key}:\n{block}"
    following = re.compile(r"(?m)^[^\s#-]").search(text, found.end())
    at = following.start() if following else len(text)
    before = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    return before + block + text[at:]


def _quoted(value) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
        .strip()
        .removesuffix("\n...")
        .removesuffix("...")
        .strip()
    )


def _write_beside(target: Path, content: bytes) -> Path:
    """Write ``content`` to a new temporary file beside ``target``; return it."""
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staged.parent.mkdir(parents=True, exist_ok=True)
    with open(staged, "xb") as f:
        f.write(content)
    return staged


@data_lock()
def add(
    report: Path,
    slug: str,
    name: str | None = None,
    level: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> Added:
    """Take a report in: copy it, record it in ``sources.yml``, write its draft and proposals.

    Raises
    ------
    AmrbookError
        For a slug that is not lowercase ASCII, a new bureau without a name (or a level that cannot
        be read from it), a year or type neither given nor found in the text, or a raw file or
        ``sources.yml`` entry of that bureau and year holding a different report.
    """
    report = Path(report)
    text, encoding = read_report(report)
    data = report.read_bytes()
    bad_slug = slug_problem(slug)
    if bad_slug:
        raise AmrbookError(f"--bureau {slug!r}: {bad_slug}")
    declared = load_sources()
    known = declared.bureaus.get(slug)
    if known is not None and name and name != known.name:
        raise AmrbookError(f"bureau {slug!r} is {known.name} in {paths.sources_file()}, not {name}")
    name = known.name if known else name
    if not name:
        raise AmrbookError(
            f"bureau {slug!r} is new: give its full name with --name (e.g. 广州市天河区市场监督管理局)"
        )
    level = known.level if known else (level or level_of(name))
    if level not in LEVELS:
        raise AmrbookError(
            f"the level of {name} cannot be read from its name: give --level ({'、'.join(LEVELS)})"
        )
    title = read_title(text)
    year = year or (title[0] if title else None)
    kind = kind or (title[1] if title else None)
    if not year or not kind:
        missing = " and ".join(w for w, v in (("--year", year), ("--type", kind)) if not v)
        raise AmrbookError(
            f"{report}: no title line states the report's year and type (e.g. "
            f"…2023年度法治政府建设情况报告, …2023年工作总结): give {missing}"
        )
    title_line = (  # a title the data cannot hold (too long, a hidden character) is written anew
        title[2]
        if title and title[0] == year and len(title[2]) <= 60 and LINE.accepts(title[2])
        else f"{name}{year}年{kind}"
    )
    sha = hashlib.sha256(data).hexdigest()
    raw = paths.raw_report(slug, year, report.suffix)
    same = [s for s in declared.reports if s.bureau == slug and s.year == year]
    if same and same[0].sha256 != sha:
        raise AmrbookError(
            f"{paths.sources_file()} already records a different report of {slug} {year} "
            f"({same[0].file.name}, sha256 {same[0].sha256[:12]}…); nothing was changed"
        )
    if raw.exists() and raw.read_bytes() != data:
        raise AmrbookError(
            f"{raw} exists and holds another text; a raw report is never overwritten"
        )
    entry = {
        "file": raw.name,
        "bureau": slug,
        "year": year,
        "type": kind,
        "publisher": name,
        "title": title_line,
        "language": "zh-Hans",
        "encoding": encoding,
        "sha256": sha,
        "obtained": f"amrbook add {report.name}: copied byte for byte",
    }
    _check_entry({"name": name, "level": level, **entry})
    copied = not raw.exists()
    draft = paths.draft_file(slug, year)
    drafted = not draft.exists()
    # what this add may make, folders first: each taken back, in reverse, if the add does not finish
    made = [
        p
        for p in (raw.parent, draft.parent, raw, draft, paths.proposals_file(slug, year))
        if not p.exists()
    ]
    sources = paths.sources_file().read_bytes()
    # all or nothing: a draft that fails or is interrupted (Ctrl-C, SIGTERM) takes back the copy and the entry,
    # and data/ is as it was (was: the report copied and recorded, no draft, and another text of that year refused)
    try:
        if copied:
            os.replace(_write_beside(raw, data), raw)
        if not same:
            _record(slug, name, level, known is None, entry, raw if copied else None)
        frame = write_draft(slug, year, raw)[1] if drafted else None
    except BaseException:
        if paths.sources_file().read_bytes() != sources:
            os.replace(_write_beside(paths.sources_file(), sources), paths.sources_file())
        for path in reversed(made):  # files, then the folder made for them
            if path.is_dir():
                with contextlib.suppress(OSError):  # not empty: it holds what this add did not make
                    path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise
    return Added(raw, copied, not same, draft, frame)


def _check_entry(fields: dict) -> None:
    """Refuse, before anything is written, a value ``sources.yml`` would then refuse (the kinds of
    its fields: a name or a type on one line), so that add never leaves a file that does not
    validate. Was: ``--name`` with a line break was recorded, and every command then failed on it."""
    kinds = {**BUREAU_FIELDS, **SOURCE_FIELDS, "type": LINE}
    for field, value in fields.items():
        if field in kinds and not kinds[field].accepts(value):
            option = {
                "name": "--name",
                "publisher": "--name",
                "type": "--type",
                "title": "the title line",
            }
            raise AmrbookError(
                f"{field} ({option.get(field, 'read from the report')}) must be {kinds[field].name}, "
                f"not {shown(value)}; nothing was changed"
            )


def _record(
    slug: str, name: str, level: str, new_bureau: bool, entry: dict, copied: Path | None
) -> None:
    """Add a bureau (when new) and a source entry to ``sources.yml``, keeping its comments, atomically."""
    path = paths.sources_file()
    text = path.read_text(encoding="utf-8")
    if new_bureau:
        text = _insert_in_section(
            text, "bureaus", f"  {slug}:\n    name: {_quoted(name)}\n    level: {level}\n"
        )
    lines = [
        f"  - {k}: {_quoted(v)}" if i == 0 else f"    {k}: {_quoted(v)}"
        for i, (k, v) in enumerate(entry.items())
    ]
    text = _insert_in_section(text, "sources", "\n".join(lines) + "\n")
    staged = _write_beside(path, text.encode("utf-8"))
    try:
        read_yaml(staged)  # a parse error here leaves sources.yml as it was
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        if copied is not None:
            copied.unlink(missing_ok=True)
        raise


@contextmanager
def _data_folder(folder: Path):
    before = os.environ.get("AMRBOOK_DATA")
    os.environ["AMRBOOK_DATA"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AMRBOOK_DATA", None)
        else:
            os.environ["AMRBOOK_DATA"] = before


@data_lock()
def accept(
    slug: str, year: int, ids: Iterable[str] | None, validate: Callable[[str, int], object]
) -> tuple[Path, list[str], list[int]]:
    """Promote the reviewed draft and the accepted proposals (all when ``ids`` is None).

    Returns the curated table's path, the ids added to the catalog and the CSV lines of the
    draft's rows left out (no id and no accepted proposal).

    Raises
    ------
    AmrbookError
        When the draft is missing, the curated table exists, an id to accept is not proposed, a
        row's id is neither in the catalog nor accepted, or the result does not validate
        (``validate`` raises); nothing is written then.
    """
    draft_path, proposals_path = paths.draft_file(slug, year), paths.proposals_file(slug, year)
    target = paths.indicators_file(slug, year)
    if not draft_path.is_file():
        raise AmrbookError(f"{draft_path}: no draft to accept; `amrbook add` writes it")
    if target.exists():
        raise AmrbookError(
            f"{target} exists; accept never replaces a curated table (move it away to accept again)"
        )
    doc = read_yaml(proposals_path) if proposals_path.exists() else {}
    proposed = {p["id"]: p for p in doc.get("proposals") or []}
    wanted = list(proposed) if ids is None else list(ids)
    unknown = [i for i in wanted if i not in proposed]
    if unknown:
        raise AmrbookError(
            f"{proposals_path}: no proposal {listing(unknown)} (proposed: {listing(proposed)})"
        )
    catalog = load_catalog()
    frame = pd.read_csv(draft_path, dtype=str, keep_default_na=False)
    if "proposal" in frame:
        take = (frame["id"] == "") & frame["proposal"].isin(wanted)
        frame.loc[take, "id"] = frame.loc[take, "proposal"]
    kept = frame["id"] != ""
    left_out = [int(i) + 2 for i in frame.index[~kept]]
    frame = frame[kept]
    strangers = [
        (int(i) + 2, ident)
        for i, ident in frame["id"].items()
        if ident not in catalog.index and ident not in wanted
    ]
    if strangers:
        raise AmrbookError(
            "; ".join(
                f"{draft_path} line {line}: id {ident!r} is neither in the catalog nor an "
                "accepted proposal"
                for line, ident in strangers
            )
        )
    used = set(frame["id"])
    added = [i for i in wanted if i in used and i not in catalog.index]
    frame = frame.drop(columns=[c for c in REVIEW_COLUMNS if c in frame])[COLUMNS]
    frame["note"] = frame["note"].where(~frame["note"].str.startswith(DRAFT_NOTE), "")
    blocks = "".join(_catalog_block(proposed[i]) for i in added)
    catalog_text = paths.catalog_file().read_text(encoding="utf-8").rstrip("\n") + "\n" + blocks
    table = frame.to_csv(index=False, lineterminator="\n")
    with tempfile.TemporaryDirectory(prefix="amrbook-accept-") as scratch:
        copy = Path(scratch) / "data"
        shutil.copytree(paths.data_dir(), copy, symlinks=True)
        with _data_folder(copy):
            paths.catalog_file().write_text(catalog_text, encoding="utf-8")
            paths.indicators_file(slug, year).write_text(table, encoding="utf-8")
            validate(slug, year)
    staged = [
        _write_beside(paths.catalog_file(), catalog_text.encode("utf-8")),
        _write_beside(target, table.encode("utf-8")),
    ]
    try:
        os.replace(staged[1], target)
        os.replace(staged[0], paths.catalog_file())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        for each in staged:
            each.unlink(missing_ok=True)
    return target, added, left_out


def under_review(slug: str, year: int) -> pd.DataFrame:
    """The draft of a report joined with its proposals, one row per figure, for review:
    the draft's columns, and ``label_zh``, ``topic``, ``description`` of the proposed entry."""
    if not paths.draft_file(slug, year).is_file():
        raise AmrbookError(
            f"{paths.draft_file(slug, year)}: no draft to review; `amrbook add` writes it"
        )
    frame = pd.read_csv(paths.draft_file(slug, year), dtype=str, keep_default_na=False)
    doc = (
        read_yaml(paths.proposals_file(slug, year))
        if paths.proposals_file(slug, year).exists()
        else {}
    )
    proposed = pd.DataFrame(
        doc.get("proposals") or [], columns=["id", "label_zh", "topic", "description"]
    )
    frame = frame.merge(
        proposed.rename(columns={"id": "proposal"}), on="proposal", how="left"
    ).fillna("")
    frame[["start", "end"]] = frame[["start", "end"]].astype(int)
    return frame


def _catalog_block(entry: dict) -> str:
    fields = [*CATALOG_FIELDS, "body"]
    lines = [f"\n{entry['id']}:"] + [f"  {f}: {_quoted(entry[f])}" for f in fields if entry.get(f)]
    return "\n".join(lines) + "\n"
