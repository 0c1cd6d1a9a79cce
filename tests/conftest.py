"""Shared fixtures: a scratch copy of data/ so tests can break files without touching the real ones."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import paths

# Property tests: `dev` for the edit loop, `ci` (what `make test` and CI run) with many more
# examples, because 100-150 random examples missed real crashes of the loader. Choose with
# HYPOTHESIS_PROFILE; the seed is printed in the header (`--hypothesis-seed=N` replays a run).
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REAL_DATA = paths.PROJECT_ROOT / "data"


def pytest_report_header(config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    return (f"hypothesis profile {settings.get_current_profile_name()}: {settings().max_examples} examples per property; "
            f"seed {seed if seed is not None else 'random (pass --hypothesis-seed=N to fix it)'}")


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy data/ to a temp dir and point the workbook at it (AMRBOOK_DATA)."""
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    monkeypatch.setenv("AMRBOOK_DATA", str(target))
    return target


@contextlib.contextmanager
def private_build(root: Path, pdf: bool = True):
    """Point outputs and notebooks at ``root`` (with a copy of the notebooks) and do one cold build.

    Yields the :class:`helpers.publish.build.BuildResult` of that build.
    """
    from helpers.publish.build import build

    shutil.copytree(paths.notebooks_dir(), root / "notebooks")
    mp = pytest.MonkeyPatch()
    mp.setenv("AMRBOOK_OUTPUTS", str(root / "outputs"))
    mp.setenv("AMRBOOK_NOTEBOOKS", str(root / "notebooks"))
    try:
        yield build(2023, jobs=2, pdf=pdf)
    finally:
        mp.undo()


def rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a text file, failing loudly if ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def change_figure(data: Path, year: int, old: str, new: str) -> None:
    """Change one figure of a year's report in a data copy, keeping everything consistent.

    Edits the raw text (``old`` and ``new`` must have the same length, so other spans stay
    valid), records the new sha256 in sources.yml and updates ``as_written`` and ``value`` of
    the row whose ``as_written`` is ``old`` (the first such row).
    """
    import csv
    import hashlib

    from helpers.report.numbers import parse_figure

    assert len(old) == len(new)
    raw = next((data / "raw").glob(f"{year}_*.txt"))
    text = raw.read_text(encoding="utf-8")
    table = data / "indicators" / f"{year}.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    row = next(r for r in rows if r["as_written"] == old)
    start = int(row["start"])
    assert text[start:start + len(old)] == old
    text = text[:start] + new + text[start + len(old):]
    raw.write_text(text, encoding="utf-8")
    old_sha = None
    sources = data / "raw" / "sources.yml"
    for line in sources.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("sha256:"):
            old_sha = line.split(":", 1)[1].strip()
    rewrite(sources, old_sha, hashlib.sha256(raw.read_bytes()).hexdigest())
    row["as_written"] = new
    value = parse_figure(new, before=text[start - 1:start]).value
    row["value"] = format(value.normalize(), "f")
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def add_synthetic_year(data: Path, year: int, figures: dict[str, str]) -> None:
    """Add a clearly synthetic report year to a data copy (never to the real data/).

    ``figures`` maps indicator ids to figures as written (``{"admin_penalty_cases": "400宗"}``);
    each becomes a sentence of a made-up report, with its span recorded in ``<year>.csv``.
    """
    import csv
    import hashlib

    from helpers.report.numbers import parse_figure

    catalog_units = {}
    import yaml
    for key, entry in yaml.safe_load((data / "catalog.yml").read_text(encoding="utf-8")).items():
        catalog_units[key] = entry["unit"]
    text, rows = f"合成测试数据({year}年),并非真实报告。\n", []
    for ident, written in figures.items():
        prefix = f"{ident}为"
        start = len(text) + len(prefix)
        text += f"{prefix}{written}。\n"
        figure = parse_figure(written)
        rows.append({"year": year, "id": ident, "value": format(figure.value.normalize(), "f"),
                     "unit": catalog_units[ident], "as_written": written, "start": start,
                     "end": start + len(written), "qualifier": "approx" if figure.approx else "exact",
                     "period": str(year), "section": "合成", "note": "synthetic"})
    raw = data / "raw" / f"{year}_synthetic.txt"
    raw.write_text(text, encoding="utf-8")
    with (data / "raw" / "sources.yml").open("a", encoding="utf-8") as f:
        f.write(f"  - file: {raw.name}\n    year: {year}\n    publisher: 合成\n    title: synthetic test report\n"
                f"    encoding: utf-8\n    sha256: {hashlib.sha256(raw.read_bytes()).hexdigest()}\n")
    with (data / "indicators" / f"{year}.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def line_no(path: Path, text: str) -> int:
    """Return the 1-based line of ``path`` where ``text`` first occurs (to name a line without typing it)."""
    content = path.read_text(encoding="utf-8")
    assert text in content, f"{text!r} not in {path}"
    return content[:content.index(text)].count("\n") + 1


def drop_indicator(data: Path, year: int, ident: str) -> None:
    """Remove one indicator's row from a year's table in a data copy (a year whose report lacks the figure)."""
    table = data / "indicators" / f"{year}.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if f",{ident}," not in line]
    assert len(kept) == len(lines) - 1, f"{ident} is not on exactly one line of {table}"
    table.write_text("".join(kept), encoding="utf-8")
