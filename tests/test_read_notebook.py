"""Reading a notebook: a valid one is checked by the compiled schema alone; a broken one is worded by jsonschema."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import paths
from helpers.publish.execute import NotebookError, read_notebook


def test_a_valid_notebook_is_read_without_jsonschema_looking_for_its_errors(monkeypatch):
    """Every build reads each notebook and each cached executed copy; jsonschema's search for the best error
    (0.28 s of CPU for 20 executed notebooks, against 0.01 s for the compiled check) runs only for a broken one."""
    import jsonschema.exceptions

    searched = []
    monkeypatch.setattr(jsonschema.exceptions, "best_match", lambda errors: searched.append(1))
    notebooks = sorted(paths.notebooks_dir().glob("*.ipynb"))
    assert len(notebooks) >= 10                 # the workbook's notebooks, review.ipynb included
    for path in notebooks:
        assert read_notebook(path).nbformat == 4
    assert searched == []


@pytest.mark.parametrize(("breaks", "message"), [
    # the notebook's metadata must be an object
    (lambda nb: nb.__setitem__("metadata", []), "metadata: not a valid notebook: [] is not of type 'object'"),
    # cell 1 of 06_capacity (counted from 0) is a code cell: a source that is a number fits no form of cell
    (lambda nb: nb["cells"][1].__setitem__("source", 5),
     "cells[1]: not a valid notebook: has none of the forms the format allows"),
    (lambda nb: nb.__setitem__("nbformat_minor", "x"),
     "nbformat_minor: not a valid notebook: 'x' is not of type 'integer'"),
])
def test_a_broken_notebook_is_still_named_with_the_part_at_fault(tmp_path, breaks, message):
    nb = json.loads((paths.notebooks_dir() / "06_capacity.ipynb").read_text(encoding="utf-8"))
    assert nb["cells"][1]["cell_type"] == "code"
    breaks(nb)
    path: Path = tmp_path / "06_capacity.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(NotebookError) as caught:
        read_notebook(path)
    assert str(caught.value) == f"06_capacity.ipynb: {message}"
