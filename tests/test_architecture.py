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


def _package_map() -> dict[str, set[str]]:
    """The package map of README.md: each folder of src/helpers/ with the files it lists."""
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```\nsrc/helpers/\n", 1)[1].split("```", 1)[0]
    listed = {}
    for line in block.splitlines():
        words = line.split()
        folder, names = (words[0].rstrip("/"), words[1:]) if words[0].endswith("/") else ("", words)
        listed[folder] = set(names)
    return listed


def _tree() -> dict[str, set[str]]:
    """The files of src/helpers/ by folder, as the package map lists them (a stage's templates/ as one entry)."""
    tree: dict[str, set[str]] = {"": {p.name for p in paths.PACKAGE_DIR.iterdir() if p.is_file()}}
    for stage in (p for p in paths.PACKAGE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"):
        tree[stage.name] = {p.name + ("/" if p.is_dir() else "") for p in stage.iterdir()
                            if p.name not in ("__init__.py", "__pycache__")}
    return tree


def test_the_readme_package_map_is_the_tree():
    assert _package_map() == _tree()


def test_the_public_api_is_explicit_and_each_name_is_used_by_a_notebook():
    import helpers

    source = (paths.PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    checked = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen_by_type_checkers = {a.asname or a.name for n in ast.walk(checked) if isinstance(n, ast.ImportFrom)
                             for a in n.names}
    assert seen_by_type_checkers == set(helpers.__all__)      # editors and type checkers see every public name
    notebooks = "".join(p.read_text(encoding="utf-8") for p in paths.notebooks_dir().glob("*.ipynb"))
    unused = {name for name in helpers.__all__ if f"hb.{name}" not in notebooks}
    assert not unused, f"exported but no notebook uses them: {sorted(unused)}"
    for name in helpers.__all__:
        assert getattr(helpers, name) is not None
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    api = readme.split("### The notebook API", 1)[1].split("\n#", 1)[0]
    assert {name for name in helpers.__all__ if f"`hb.{name}" not in api} == set()   # each listed in README


def test_audit_reads_no_manifest_and_writes_no_file():
    # the comparison is pure: files (manifests, outputs) are read and written in publish
    for path in (paths.PACKAGE_DIR / "audit").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("open(", "read_text", "write_text", "json.load(", "outputs_dir"):
            assert word not in text, f"{path.name} uses {word}"


def test_no_module_level_mutable_state_in_show():
    # citations live in objects a page creates (Footnotes, Appendix), never in a module
    for path in (paths.PACKAGE_DIR / "show").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], f"{path.name} rebinds a global"


def test_the_word_tables_sit_below_format():
    # format words numbers with the tables of show/words, so words imports nothing of show (not even
    # inside a function, to dodge a loop); show/readable, above format and exhibits, words whole tables
    words = paths.PACKAGE_DIR / "show" / "words.py"
    assert [t for _, t in _imports(words) if t[:1] == ("show",)] == []
    assert ("show", "words") in {t for _, t in _imports(paths.PACKAGE_DIR / "show" / "format.py")}
    import helpers

    assert callable(helpers.chinese)  # the function, not a module of the same name
