"""The zip to share: every file of the build as it is, files compressed already stored rather than deflated again."""
from __future__ import annotations

import io
import zipfile

from helpers.publish.index import share


def test_the_zip_holds_every_file_as_it_is_and_stores_what_is_compressed_already(tmp_path):
    folder = tmp_path / "2023"
    (folder / "notebooks").mkdir(parents=True)
    inner = io.BytesIO()   # a .docx is a zip itself
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("word/document.xml", "<w:document>" + "文字" * 5000 + "</w:document>")
    files = {
        "index.html": ("<p>从化区</p>" * 2000).encode(),
        "notebooks/00_overview.html": ("<td>96</td>" * 3000).encode(),
        "briefing.docx": inner.getvalue(),
        "indicators.xlsx": inner.getvalue(),
        "csv/表1.csv": "指标,数值\n查办案件,439\n".encode(),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    out = share(folder)
    assert out == tmp_path / "2023.zip"
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert {i.filename: archive.read(i) for i in archive.infolist()} == {
            f"2023/{name}": data for name, data in files.items()}
        kinds = {i.filename.removeprefix("2023/"): i.compress_type for i in archive.infolist()}
    assert kinds["briefing.docx"] == kinds["indicators.xlsx"] == zipfile.ZIP_STORED
    assert {kinds[n] for n in ("index.html", "notebooks/00_overview.html", "csv/表1.csv")} == {zipfile.ZIP_DEFLATED}
    # the pages repeat themselves: deflated, the zip is much smaller than the files together
    assert out.stat().st_size < sum(map(len, files.values())) / 2
