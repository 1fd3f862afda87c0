from __future__ import annotations

from pathlib import Path

from stepcommit import progress, sanitize

PASTED = """\
Thought for 21s
Progress Updates
1
Creating docker-compose.yml for SurrealDB.

Files Edited
docker-compose.yml
.env
2
Updating .env and adding surrealdb dependency.
Thought for 4s
3 Implementing SurrealDB client in src/db/session.py.
Files Edited
session.py
"""


def test_block_with_number_on_its_own_line_and_inline_items_skips_the_noise() -> None:
    assert progress.parse_entries(PASTED) == [
        "Creating docker-compose.yml for SurrealDB.",
        "Updating .env and adding surrealdb dependency.",
        "Implementing SurrealDB client in src/db/session.py.",
    ]


def test_several_blocks_are_appended_in_order() -> None:
    text = "Progress Updates\n1 First.\n2 Second.\nsome chat\nProgress Updates\n1\nThird.\n2 Fourth.\n"
    assert progress.parse_entries(text) == ["First.", "Second.", "Third.", "Fourth."]


def test_without_a_block_every_non_empty_line_is_an_entry() -> None:
    assert progress.parse_entries("Did one thing.\n\n  Did another.  \n") == [
        "Did one thing.",
        "Did another.",
    ]


def test_numbers_out_of_sequence_are_noise() -> None:
    text = "Progress Updates\n1 One.\n3 files changed\n2 Two.\n"
    assert progress.parse_entries(text) == ["One.", "Two."]


def test_clean_text_strips_terminal_escapes_and_control_characters() -> None:
    dirty = "\x1b[31mred\x1b[0m text\x07 with\x00 nul \x1b]0;title\x07and\ttab"
    assert sanitize.clean_line(dirty) == "red text with nul and tab"


def test_entries_are_stored_with_time_and_source_in_the_git_dir(project: Path) -> None:
    git_dir = project / ".git"
    added = progress.append(git_dir, ["One.", "  ", "Two."], "cli")
    assert [e.text for e in added] == ["One.", "Two."]
    stored = progress.read(git_dir)
    assert [(e.text, e.source) for e in stored] == [("One.", "cli"), ("Two.", "cli")]
    assert all(e.time.endswith("+00:00") for e in stored)
    assert (git_dir / "stepcommit" / "progress.jsonl").exists()
    progress.clear(git_dir)
    assert progress.read(git_dir) == []


def test_a_torn_line_is_skipped(project: Path) -> None:
    git_dir = project / ".git"
    progress.append(git_dir, ["Kept."], "cli")
    with (git_dir / "stepcommit" / "progress.jsonl").open("a") as handle:
        handle.write('{"text": "torn')
    assert [e.text for e in progress.read(git_dir)] == ["Kept."]
