"""safe_text and list_folder: any file name becomes one readable line; listing never fails on a name."""

import os
from pathlib import Path

import pytest

from dhf_assets.lib.text import safe_text as safe_text_module
from dhf_assets.lib.text.safe_text import list_folder, printable_line, safe_text


@pytest.mark.parametrize(("raw", "text"), [
    (b"bad\xff.jpg", "bad\\xff.jpg"),
    (b"ctl\x07new\nline.jpg", "ctl\\x07new\\nline.jpg"),
    (b"tab\there\r.xml", "tab\\there\\r.xml"),
    (b"back\\slash.jpg", "back\\\\slash.jpg"),
    ("壁画_01.jpg".encode(), "壁画_01.jpg"),
    (b"x'; drop table faces; --.jpg", "x'; drop table faces; --.jpg"),
    (b"\xe2\x80\xa8sep.jpg", "\\u2028sep.jpg"),
    (b"-rf.jpg", "-rf.jpg"),
])
def test_safe_text_is_one_printable_unambiguous_line(raw, text):
    assert safe_text(raw) == text
    assert safe_text(os.fsdecode(raw)) == text  # the str Python lists for that name gives the same text
    assert safe_text(Path(os.fsdecode(raw))) == text
    assert text.isprintable() and "\n" not in text
    text.encode("utf-8")  # storable in DuckDB, JSON and log lines


def test_printable_line_leaves_safe_text_alone_and_escapes_the_rest():
    assert printable_line("unsafe mural id 'bad\\xff'") == "unsafe mural id 'bad\\xff'"
    assert printable_line(os.fsdecode(b"bad\xff\n")) == "bad\\xff\\n"


def test_list_folder_names_every_kind_and_survives_strange_names(tmp_path):
    folder = tmp_path / "cave"
    folder.mkdir()
    (folder / "sub").mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.jpg"), "wb") as handle:
        handle.write(b"x")
    (folder / "link.jpg").symlink_to(folder / "sub")
    os.mkfifo(folder / "pipe.jpg")
    (folder / ("a" * 251 + ".jpg")).write_bytes(b"y")
    kinds = {entry.text: entry.kind for entry in list_folder(folder)}
    assert kinds == {"bad\\xff.jpg": "file", "link.jpg": "symlink", "pipe.jpg": "other", "sub": "dir",
                     "a" * 251 + ".jpg": "file"}


def test_a_file_that_vanishes_after_the_listing_is_gone(tmp_path, monkeypatch):
    real = os.listdir
    monkeypatch.setattr(safe_text_module.os, "listdir", lambda path: [*real(path), "vanished.jpg"])
    (tmp_path / "kept.jpg").write_bytes(b"x")
    assert [(e.text, e.kind) for e in list_folder(tmp_path)] == [("kept.jpg", "file"), ("vanished.jpg", "gone")]
