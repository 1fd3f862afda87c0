"""One cleaning for all agent and process text: terminal output and one-line entries share the escape rules."""

from __future__ import annotations

import pytest

from stepcommit import output, progress, sanitize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An 8-bit CSI is a whole escape sequence, not a control character followed by text.
        ("red\x9b31m text", "red text"),
        # An unterminated OSC (a window title) takes the rest of the line with it.
        ("title \x1b]0;pwned by the agent", "title"),
        # A DCS string is an escape too.
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
        ("\x1b[31mred\x1b[0m text\x07 with\x00 nul \x1b]0;title\x07and\ttab", "red text with nul and tab"),
        ("two\nlines\r\nfolded", "two lines folded"),
    ],
)
def test_one_line_cleaning_removes_every_escape_the_terminal_boundary_does(text: str, expected: str) -> None:
    assert sanitize.clean_line(text) == expected
    # Whatever the one-line cleaning keeps, the terminal boundary keeps too: the same rules.
    assert output.clean(sanitize.clean_line(text)) == sanitize.clean_line(text)


def test_progress_entries_use_the_same_cleaning(tmp_path: object) -> None:
    assert progress.parse_entries("Progress Updates\n1 Built \x9b2Jthe \x1b]0;x parser.\n") == ["Built the"]


def test_a_redacted_line_is_cleaned_first_then_has_its_secrets_masked() -> None:
    line = sanitize.redacted_line("token\x1b[0m ghp_" + "a1B2" * 6 + "\tdone")
    assert line == "token [REDACTED] done"
