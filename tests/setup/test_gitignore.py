"""Entries are added once, under one header, after the user's lines; other spellings count as present."""

from __future__ import annotations

from stepcommit.setup import gitignore


def test_other_spellings_already_cover_an_entry() -> None:
    text = "/.venv\n**/__pycache__\n.coverage*\n*.pyc\n.testmondata*\n# .env is a comment, not an entry\n"
    missing = gitignore.missing(text)
    assert ".venv/" not in missing and "__pycache__/" not in missing and "*.py[cod]" not in missing
    assert ".coverage" not in missing and ".coverage.*" not in missing and ".testmondata" not in missing
    assert ".env" in missing


def test_lines_are_appended_without_reordering_and_then_nothing_is_missing() -> None:
    text = "zeta\nalpha"
    new = gitignore.with_entries(text, gitignore.missing(text))
    assert new.startswith("zeta\nalpha\n\n" + gitignore.HEADER + "\n.env\n")
    assert gitignore.missing(new) == []
    assert gitignore.with_entries(new, gitignore.missing(new)) == new


def test_crlf_is_kept_and_an_empty_file_gets_no_blank_first_line() -> None:
    assert gitignore.with_entries("a\r\n", [".env"]) == "a\r\n\r\n" + gitignore.HEADER + "\r\n.env\r\n"
    assert gitignore.with_entries(None, [".env"]) == gitignore.HEADER + "\n.env\n"
