"""The terminal boundary: text from files and processes reaches the terminal without escapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit import output
from stepcommit.cli import main
from tests.conftest import commit_all, git, write

HOSTILE = "\x1b]0;pwned\x07Title \x1b[2Jcleared\x9b31m \x1b[31mred\x1b[0m\r\x08\x00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x1b]0;pwned\x07b", "ab"),
        ("x\x1b[2Jy", "xy"),
        ("c1\x9b2Jz", "c1z"),
        ("link \x1b]8;;http://x\x1b\\here\x1b]8;;\x1b\\ end", "link here end"),
        ("unterminated \x1b]0;title\nnext line", "unterminated \nnext line"),
        ("bell\x07 cr\r del\x7f keep\n\ttabs", "bell cr del keep\n\ttabs"),
        ("Ünïcödé ✅ [bold]not markup[/]", "Ünïcödé ✅ [bold]not markup[/]"),
    ],
)
def test_clean_removes_escapes_and_controls_but_newlines_and_tabs(text: str, expected: str) -> None:
    assert output.clean(text) == expected


def test_every_printer_cleans(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    output.say(HOSTILE)
    output.note(HOSTILE)
    output.error(HOSTILE, HOSTILE)
    output.table(["name", HOSTILE], [[HOSTILE, "1"]], title=HOSTILE)
    output.emit_json({"title": HOSTILE})
    # The rich paths (a terminal) too, where the text must not be read as markup either.
    monkeypatch.setattr(output, "_tty", lambda stream: True)
    output.error("[bold]" + HOSTILE, "[/]" + HOSTILE)
    output.table(["name"], [["[red]" + HOSTILE]], title=HOSTILE)
    out, err = capsys.readouterr()
    for stream in (out, err):
        assert "\x1b]" not in stream and "\x1b[2J" not in stream and "\x9b" not in stream
        assert "\x07" not in stream and "\r" not in stream and "\x00" not in stream
    assert "Title cleared" in out and "[bold]" in err and "[red]" in out
    data = json.loads(out.split("\n{", 1)[1].split("\n}", 1)[0].join(["{", "}"]))
    assert data == {"title": HOSTILE}  # JSON keeps the text, escaped


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out + err


def test_plan_start_check_and_status_print_no_escape_from_the_repository(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = (project / "PLAN.md").read_text(encoding="utf-8")
    write(project, {"PLAN.md": plan.replace("Subtraction", "Subtraction \x1b]0;pwned\x07 and \x1b[2J wipe")})
    commit_all(project, "docs: hostile title")
    monkeypatch.chdir(project)
    shown = []
    code, text = run(["plan"], capsys)
    assert code == 0 and "Subtraction" in text
    shown.append(text)
    code, text = run(["start"], capsys)
    assert code == 0
    shown.append(text)
    failing = (
        "def test_hostile():\n"
        "    print('\\x1b]0;pwned\\x07 captured \\x1b[2J')\n"
        "    assert False, 'boom \\x1b]0;pwned\\x07 \\x1b[2J\\x1b[31m'\n"
    )
    write(project, {"tests/test_hostile.py": failing, "notes \x1b[2J.txt": "x\n"})
    git(project, "add", "-A")
    for argv in (["check"], ["check", "--prompt"], ["status"]):
        code, text = run(argv, capsys)
        shown.append(text)
    assert code == 0
    assert any("test_hostile" in text for text in shown[2:])
    assert any("boom" in text for text in shown[2:])
    for text in shown:
        assert "\x1b" not in text and "\x07" not in text
