"""Notebooks: thin, parameterised, stored without outputs, and every one runs top to bottom."""
from __future__ import annotations

import ast
import re

import nbformat
import pytest

from helpers import compute_metrics, indicator_table, paths

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))
EXPECTED = ["00_overview", "01_enforcement", "02_consumer_protection", "03_business_environment",
            "04_market_safety", "05_ip_and_standards", "06_capacity"]


def test_the_thematic_notebooks_exist():
    assert EXPECTED == [p.stem for p in NOTEBOOKS if p.stem != "briefing"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_with_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "clear outputs before committing"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and re.search(r"^year = \d{4}$", params[0].source, re.M)


def _figures() -> set[str]:
    table = indicator_table(2023)
    numbers = {re.sub(r"\.0+$", "", f"{v:.4f}".rstrip("0")) for v in table["value"]}
    numbers |= {m for w in table["as_written"] for m in re.findall(r"\d+(?:\.\d+)?", w)}
    numbers |= {f"{v:.2f}" for v in compute_metrics(2023)["value"]}
    return {n for n in numbers if n not in {"0", "1"}}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_figure_is_typed_and_no_logic_lives_in_notebooks(path):
    figures = _figures()
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.metadata.get("tags", []):
            continue
        typed = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", cell.source)) & figures
        assert not typed, f"cell {i} types figures {typed}: fill them from data with hb.say"
        if cell.cell_type == "code":
            banned = (ast.FunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.While, ast.Import)
            nodes = [type(n).__name__ for n in ast.walk(ast.parse(cell.source)) if isinstance(n, banned)
                     and not (isinstance(n, ast.Import) and [a.name for a in n.names] == ["helpers"])]
            assert not nodes, f"cell {i} has {nodes}: move logic into helpers"


@pytest.fixture
def executed(built):
    """Each notebook as the session's build executed it (each is executed once per session)."""
    return built.executed


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_without_errors_or_glyph_warnings(executed, name):
    outputs = _outputs(executed[name])
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "Glyph" not in stderr and "missing from font" not in stderr
    assert stderr == ""
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "every thematic notebook draws at least one chart"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_ends_with_takeaways_that_cite_their_sources(executed, name):
    last = _outputs(executed[name])[-1]
    html = last["data"]["text/html"]
    assert 'class="narrative"' in html and 'class="sources"' in html and "<mark>" in html


@pytest.mark.slow
def test_explorer_has_a_static_fallback(executed):
    bundles = [o["data"] for o in _outputs(executed["02_consumer_protection"]) if "data" in o]
    explorer = next(b for b in bundles if "application/vnd.jupyter.widget-view+json" in b)
    assert "逐项查看指标原文" in explorer["text/html"]
