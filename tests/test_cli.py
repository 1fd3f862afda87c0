"""The CLI wiring: each command reachable, errors mapped to exit codes with a message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.cli import main
from tests.conftest import write


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project)
    return project


def test_the_step_loop_through_the_cli(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["start", "--json"], capsys)
    assert code == 0 and json.loads(out)["branch"] == "step/1.2-subtraction"
    code, out, _ = run(["log", "Added", "subtract()."], capsys)
    assert code == 0 and out.strip() == "1 Added subtract()."
    write(
        in_project,
        {"tests/test_more.py": "from calc import unused\n\n\ndef test_u():\n    assert unused(1) == 2\n"},
    )
    code, out, _ = run(["status", "--json"], capsys)
    status = json.loads(out)
    assert status["step"]["id"] == "1.2"
    assert status["progress"][0]["text"] == "Added subtract()."
    assert status["progress"][0]["source"] == "cli"
    assert {"status": "A", "path": "tests/test_more.py", "old_path": None} in status["changed_files"]
    code, out, err = run(["check"], capsys)
    assert code == 0, err
    assert "Coverage: 100.00%" in out
    code, out, _ = run(["status"], capsys)
    assert "Last gate" in out and "passed" in out
    code, out, _ = run(["finish", "--json"], capsys)
    assert code == 0 and json.loads(out)["coverage_display"] == "100.00"


def test_log_from_stdin(
    in_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Progress Updates\n1\nOne.\nThought for 2s\n2 Two.\n"))
    code, out, err = run(["log", "--stdin"], capsys)
    assert code == 0
    assert out.splitlines() == ["1 One.", "2 Two."]
    assert "No step is active" in err


def test_empty_log_is_an_error(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["log"], capsys)
    assert code == 1 and "Nothing to log" in err


def test_failing_check_exits_2(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_project, {"tests/test_bad.py": "def test_bad():\n    assert False\n"})
    code, _, err = run(["check"], capsys)
    assert code == 2 and "tests/test_bad.py::test_bad" in err
    code, out, _ = run(["check", "--json"], capsys)
    assert code == 2 and json.loads(out)["ok"] is False


def test_abort_through_the_cli(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["start"], capsys)
    code, out, _ = run(["abort", "--json"], capsys)
    assert code == 0 and json.loads(out)["now_on"] == "main"


def test_user_mistakes_get_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["status"], capsys)
    assert code == 1
    assert err.startswith("error: ") and "not inside a git repository" in err and "hint: " in err
    assert "Traceback" not in err


def test_bad_option_is_a_usage_error(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["finish", "--bogus"], capsys)
    assert code == 2 and "No such option" in err


def test_unknown_merge_style(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["start"], capsys)
    code, _, err = run(["finish", "--merge", "octopus"], capsys)
    assert code == 1 and "Unknown merge style" in err


def test_bad_config_is_a_clear_error(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_project, {"pyproject.toml": "[tool.stepcommit]\nmerge_style = 'squash'\n"})
    code, _, err = run(["start"], capsys)
    assert code == 1 and "Unknown key 'merge_style'" in err


def test_unexpected_errors_are_short_unless_debug(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_project / ".git" / "stepcommit").mkdir(exist_ok=True)
    (in_project / ".git" / "stepcommit" / "step.json").write_text('{"bogus": 1}')  # a bug's leftovers
    code, _, err = run(["log", "x"], capsys)
    assert code == 3 and "unexpected error" in err and "Traceback" not in err
    with pytest.raises(TypeError):
        main(["--debug", "log", "x"])


def test_a_refused_file_operation_is_a_message_naming_the_path(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_project / ".git" / "stepcommit").mkdir(exist_ok=True)
    (in_project / ".git" / "stepcommit" / "progress.jsonl").mkdir()  # a directory where a file belongs
    code, _, err = run(["log", "x"], capsys)
    assert code == 1 and "progress.jsonl: Is a directory (EISDIR)" in err and "move that folder aside" in err
    with pytest.raises(IsADirectoryError):
        main(["--debug", "log", "x"])


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "stepcommit", "--help"], capture_output=True, text=True
    ).stdout
    for command in ("start", "log", "status", "check", "finish", "abort", "demo"):
        assert command in out


def test_demo_runs_the_loop(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo"], capsys)
    assert code == 0
    assert "feat(step-1.2): Subtraction" in out
    assert (
        "Progress Updates\n1 Adding subtract() to calc/__init__.py.\n2 Adding a test for subtract.\n3 Checked"
        in out
    )
    assert "+- [x] **1.2. Subtraction**" in out
    assert "## main" in out


def test_help_keeps_square_brackets() -> None:
    import os

    shown = subprocess.run([sys.executable, "-m", "stepcommit", "start", "--help"], capture_output=True,
                           text=True, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert "[tool.stepcommit] plan" in shown.stdout


def _convention_problems(data: object, where: str = "") -> list[str]:
    """Where ``data`` breaks the JSON convention the README documents."""
    problems: list[str] = []
    if isinstance(data, dict):
        step = data.get("step")
        if (
            "step" in data
            and step is not None
            and not (isinstance(step, dict) and {"id", "title"} <= set(step))
        ):
            problems.append(f"{where}.step is {step!r}, not an object with id and title")
        for key, value in data.items():
            if key.endswith("_display") and value is not None:
                number = data.get(key.removesuffix("_display"))
                if not isinstance(number, (int, float)) or f"{number:.2f}" != value:
                    problems.append(f"{where}.{key} = {value!r} but its number is {number!r}")
            problems += _convention_problems(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            problems += _convention_problems(item, f"{where}[{index}]")
    return problems


def test_every_commands_json_follows_one_convention(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {}
    write(in_project, {"calc/extra.py": "def twice(x):\n    return 2 * x\n"})
    write(
        in_project,
        {
            "tests/test_extra.py": "from calc.extra import twice\n\n\ndef test_twice():\n    assert twice(2) == 4\n"
        },
    )
    for argv in (
        ["start", "--json"],
        ["log", "--json", "Added subtract()."],
        ["check", "--json"],
        ["status", "--json"],
        ["coverage", "--json"],
        ["finish", "--json"],
        ["report", "--json"],
        ["coverage", "--history", "--json"],
        ["plan", "--json"],
    ):
        code, out, err = run(argv, capsys)
        assert code == 0, (argv, err)
        outputs[" ".join(argv)] = json.loads(out)
    problems = [p for name, data in outputs.items() for p in _convention_problems(data, name)]
    assert problems == []
    assert outputs["finish --json"]["step"] == {"id": "1.2", "title": "Subtraction"}
    assert outputs["log --json Added subtract()."]["step"]["id"] == "1.2"
    assert outputs["start --json"]["base"] == "main" and len(outputs["start --json"]["base_commit"]) == 40
    gate = outputs["check --json"]
    assert isinstance(gate["coverage"], float) and gate["coverage_display"] == f"{gate['coverage']:.2f}"
    assert outputs["report --json"]["steps"][-1]["step"]["id"] == "1.2"
