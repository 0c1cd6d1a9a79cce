"""The package is laid out by stage, and imports run one way: report -> tables -> audit -> show -> publish.

A module may import its own stage, an earlier stage, and the root modules every stage shares
(``errors``, ``paths``, ``datafile``); ``cli`` sits on top and may import anything. Imports inside
functions count too: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

from helpers import paths

STAGES = ["report", "tables", "audit", "show", "publish"]
SHARED = {"errors", "paths", "datafile"}
TOP = {"cli", "__init__"}


def _rank(parts: tuple[str, ...]) -> int:
    """0 for the shared root modules, 1.. for the stages in pipeline order, 99 for the command."""
    head = parts[0]
    if head in STAGES:
        return STAGES.index(head) + 1
    if head in SHARED:
        return 0
    assert head in TOP, f"helpers/{'/'.join(parts)}: a module outside the stages ({', '.join(STAGES)})"
    return 99


def _module_parts(path: Path) -> tuple[str, ...]:
    rel = path.relative_to(paths.PACKAGE_DIR).with_suffix("")
    return rel.parts


def _imports(path: Path):
    """Yield (line, imported module parts below helpers) for every intra-package import of a file."""
    parts = _module_parts(path)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = (*base, *(node.module.split(".") if node.module else ()))
                if node.module is None:  # from . import x, y
                    for alias in node.names:
                        yield node.lineno, (*base, alias.name)
                    continue
                yield node.lineno, target
            elif node.module and node.module.split(".")[0] == "helpers":
                yield node.lineno, tuple(node.module.split(".")[1:])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "helpers":
                    yield node.lineno, tuple(alias.name.split(".")[1:])


def _all_modules() -> list[Path]:
    return sorted(paths.PACKAGE_DIR.rglob("*.py"))


def test_every_module_belongs_to_a_stage_or_the_shared_root():
    for path in _all_modules():
        _rank(_module_parts(path))  # asserts with the module's name


def test_imports_run_one_way_from_report_to_publish():
    wrong = []
    for path in _all_modules():
        parts = _module_parts(path)
        for line, target in _imports(path):
            if target and _rank(target) > _rank(parts):
                wrong.append(f"helpers/{'/'.join(parts)}.py:{line} imports helpers.{'.'.join(target)}")
    assert not wrong, "imports against the pipeline:\n" + "\n".join(wrong)


def test_the_direction_test_catches_a_backward_import(tmp_path, monkeypatch):
    # the test above can fail: an audit module importing from show is reported
    package = tmp_path / "helpers"
    (package / "audit").mkdir(parents=True)
    (package / "audit" / "checks.py").write_text("from ..show.narrative import fill\n", encoding="utf-8")
    monkeypatch.setattr(paths, "PACKAGE_DIR", package)
    lines = [(line, t) for p in _all_modules() for line, t in _imports(p) if _rank(t) > _rank(_module_parts(p))]
    assert lines == [(1, ("show", "narrative"))]
