"""Shared fixtures: a scratch copy of data/ so tests can break files without touching the real ones."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import paths

REAL_DATA = paths.PROJECT_ROOT / "data"


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy data/ to a temp dir and point the workbook at it (AMRBOOK_DATA)."""
    target = tmp_path / "data"
    shutil.copytree(REAL_DATA, target)
    monkeypatch.setenv("AMRBOOK_DATA", str(target))
    return target


def rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a text file, failing loudly if ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
