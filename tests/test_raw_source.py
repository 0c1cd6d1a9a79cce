"""The raw report is byte-identical to what was received and described in sources.yml."""
from __future__ import annotations

import hashlib

import pytest

from conftest import missing_in_ci_fails
from helpers.errors import DataError
from helpers import paths
from helpers.report.sources import raw_text
from helpers.report.sources import source_for, sources

SEED = paths.PROJECT_ROOT.parent / "shared" / "seeds" / "000_76d045c27592ca67.txt"
# sha256 of the seed as received (sha256sum shared/seeds/000_76d045c27592ca67.txt)
RECEIVED_SHA256 = "8b380462efa36833e0f71a75de89a114e8a6a10d41e9582b560d3ac9a9c8ac9d"


def test_raw_file_is_byte_identical_to_what_was_received():
    data = (paths.raw_dir() / "conghua" / "2023_conghua_amr.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == RECEIVED_SHA256


def test_raw_file_is_the_seed_shared_with_the_company():
    # beside a checkout that has shared/ (developers, CI); a clone elsewhere has no seed to compare with
    if not SEED.exists():
        # named from the checkout, not by an absolute path outside it (the message is for this reader)
        missing_in_ci_fails(f"the seed {SEED.name} is not in ../shared/seeds/ beside this checkout: the raw file "
                            "cannot be compared with the seed it was copied from")
    assert (paths.raw_dir() / "conghua" / "2023_conghua_amr.txt").read_bytes() == SEED.read_bytes()


def test_sources_yml_describes_the_2023_report():
    src = source_for("conghua", 2023)
    assert src.publisher == "广州市从化区市场监督管理局"
    assert src.sha256 == RECEIVED_SHA256
    assert src.encoding == "utf-8"
    assert {s.file for s in sources()} == set(paths.raw_dir().glob("*/*.txt"))


def test_a_changed_raw_file_is_refused(data_copy):
    raw = data_copy / "raw" / "conghua" / "2023_conghua_amr.txt"
    raw.write_bytes(raw.read_bytes().replace("439宗".encode(), "493宗".encode()))
    with pytest.raises(DataError, match=r"2023_conghua_amr.txt: sha256 is .* sources.yml records"):
        raw_text("conghua", 2023)


def test_text_is_decoded_so_offsets_are_characters():
    text = raw_text("conghua", 2023)
    # 6136 characters (len of the decoded file), far fewer than its 16875 bytes
    assert len(text) == 6136
    assert text.endswith("返回顶部")
