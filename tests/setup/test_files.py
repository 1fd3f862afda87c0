"""Planned file changes are written all or nothing, keeping an existing file's permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stepcommit.setup import files
from stepcommit.setup.files import FileChange


def test_apply_writes_new_and_changed_files_and_skips_unchanged(tmp_path: Path) -> None:
    old = tmp_path / "old.txt"
    old.write_text("a\n")
    old.chmod(0o640)
    same = tmp_path / "same.txt"
    same.write_text("s\n")
    mtime = same.stat().st_mtime_ns
    files.apply(
        [
            FileChange(old, "a\n", "a\nb\n"),
            FileChange(tmp_path / "sub" / "new.txt", None, "n\r\n", mode=0o600),
            FileChange(same, "s\n", "s\n"),
        ]
    )
    assert old.read_text() == "a\nb\n"
    assert old.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "sub" / "new.txt").read_bytes() == b"n\r\n"
    assert (tmp_path / "sub" / "new.txt").stat().st_mode & 0o777 == 0o600
    assert same.stat().st_mtime_ns == mtime
    assert not list(tmp_path.rglob("*.stepcommit-tmp"))


def test_a_failing_write_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text("1\n")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder is needed")
    with pytest.raises(OSError):
        files.apply([FileChange(first, "1\n", "changed\n"), FileChange(blocked / "x.txt", None, "x\n")])
    assert first.read_text() == "1\n"
    assert sorted(os.listdir(tmp_path)) == ["blocked", "first.txt"]


def test_read_text_keeps_line_endings_and_drops_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb\r\n")
    assert files.read_text(path) == "a\r\nb\r\n"
    assert files.read_text(tmp_path / "missing") is None
