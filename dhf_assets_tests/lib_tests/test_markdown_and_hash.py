"""The one markdown-table writer and the one file-hash helper."""

from __future__ import annotations

import hashlib

import pytest

from dhf_assets.lib.storage.files import file_sha256
from dhf_assets.lib.text.markdown import markdown_table, preview_cell


@pytest.mark.parametrize(("value", "cell", "text"), [
    (None, preview_cell, "NULL"),
    (1 / 3, preview_cell, "0.333333"),
    ("a|b", str, "a\\|b"),
    ("two\nlines", str, "two lines"),
    (7, str, "7"),
])
def test_cells_are_formatted_then_escaped(value, cell, text):
    assert markdown_table(["v"], [[value]], cell).splitlines() == ["| v |", "|---|", f"| {text} |"]


def test_a_table_without_rows_is_its_header():
    assert markdown_table(["a", "b"], []) == "| a | b |\n|---|---|"


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 3])
def test_file_sha256_reads_every_block(tmp_path, size):
    path = tmp_path / "f.bin"
    data = bytes(i % 251 for i in range(size))
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
