"""A progress-tracker plan worked through with start -> change -> finish: the whole phase rolls up
in the one step commit (its row, checklist, checkpoint, Active Phase, Last Updated), real git and pytest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from stepcommit.commands.check import check
from stepcommit.commands.finish import finish
from stepcommit.commands.start import start
from stepcommit.commands.status import collect
from stepcommit.commands.status import status as show_status
from tests.conftest import commit_all, git, write

PROGRESS = """\
# Calculator Progress

**Active Phase**: Phase 1 - Subtraction
**Last Updated**: 2026-01-05

## Progress Summary

| Phase | Description | Status | Notes |
|-------|-------------|--------|-------|
| 1 | Subtraction | IN PROGRESS | started |
| 2 | Multiplication | NOT STARTED | |

## Phase Details

### Phase 1: Subtraction

- [ ] Add subtract()
- [ ] Test subtract()

Verify: `git --version`

### Phase 2: Multiplication

- [ ] Add multiply()
- [ ] Test multiply()

## Checkpoints

| Checkpoint | Phase | Passed |
|------------|-------|--------|
| Subtraction works | 1 | ❌ |
| Multiplication works | 2 | ❌ |
"""


def counted_test(counter: Path) -> str:
    return (
        "from calc import subtract\n\n\ndef test_subtract():\n"
        f"    with open({str(counter)!r}, 'a') as handle:\n        handle.write('run\\n')\n"
        "    assert subtract(5, 3) == 2\n"
    )


def add_subtract(project: Path) -> None:
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write("\n\ndef subtract(a, b):\n    return a - b\n")
    write(
        project,
        {
            "tests/test_subtract.py": "from calc import subtract\n\n\ndef test_s():\n    assert subtract(2, 1) == 1\n"
        },
    )


@pytest.fixture
def tracker_project(project: Path) -> Path:
    (project / "PLAN.md").unlink()
    write(project, {"PROGRESS.md": PROGRESS, "pyproject.toml": "[tool.stepcommit]\nrun_verify = true\n"})
    commit_all(project, "chore: a progress tracker")
    return project


def changed_lines(project: Path, base: str) -> list[str]:
    diff = git(project, "diff", "-U0", base, "main", "--", "PROGRESS.md")
    return [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_finishing_a_phase_rolls_the_whole_tracker_up_in_its_one_commit(
    tracker_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tracker_project
    base = git(project, "rev-parse", "main").strip()
    assert start(cwd=project, query=None) == 0
    status = collect(project)
    assert status["step"]["id"] == "1" and status["step"]["title"] == "Subtraction"
    assert status["step"]["todo"] == ["Add subtract()", "Test subtract()"]
    capsys.readouterr()
    show_status(cwd=project)
    assert "  to do (2):\n    - Add subtract()\n    - Test subtract()\n" in capsys.readouterr().out
    counter = tmp_path / "runs.txt"
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write("\n\ndef subtract(a, b):\n    return a - b\n")
    write(project, {"tests/test_subtract.py": counted_test(counter)})

    assert check(cwd=project) == 0
    assert finish(cwd=project) == 0

    # `check` gated the rolled-up tree, so `finish` ran no test again.
    assert counter.read_text().count("run") == 1
    today = datetime.now().astimezone().strftime("%Y-%m-%d")
    assert changed_lines(project, base) == [
        "-**Active Phase**: Phase 1 - Subtraction",
        "-**Last Updated**: 2026-01-05",
        "+**Active Phase**: Phase 2 - Multiplication",
        f"+**Last Updated**: {today}",
        "-| 1 | Subtraction | IN PROGRESS | started |",
        "+| 1 | Subtraction | DONE        | started |",
        "-- [ ] Add subtract()",
        "-- [ ] Test subtract()",
        "+- [x] Add subtract()",
        "+- [x] Test subtract()",
        "-| Subtraction works | 1 | ❌ |",
        "+| Subtraction works | 1 | ✅ |",
    ]
    # All of it in the one step commit on main, which lists the phase's checklist.
    assert git(project, "rev-list", "--count", f"{base}..main").strip() == "1"
    body = git(project, "log", "-1", "--format=%B", "main")
    assert body.startswith("feat(step-1): Subtraction\n")
    assert "\nChecklist\n- Add subtract()\n- Test subtract()\n" in body
    assert git(project, "status", "--porcelain") == ""

    assert start(cwd=project, query=None) == 0
    assert collect(project)["step"]["id"] == "2"
    text = (project / "PROGRESS.md").read_text(encoding="utf-8")
    assert "| 2 | Multiplication | IN PROGRESS |" in text


def test_without_verification_the_checkpoint_is_left_alone(tracker_project: Path) -> None:
    project = tracker_project
    write(project, {"pyproject.toml": "[tool.stepcommit]\n"})
    commit_all(project, "chore: no verification")
    base = git(project, "rev-parse", "main").strip()
    start(cwd=project, query=None)
    add_subtract(project)
    assert finish(cwd=project) == 0
    lines = changed_lines(project, base)
    assert "+| 1 | Subtraction | DONE        | started |" in lines
    assert not any("Subtraction works" in line for line in lines)


def test_item_steps_roll_the_phase_up_with_its_last_item(tracker_project: Path) -> None:
    project = tracker_project
    write(project, {"pyproject.toml": '[tool.stepcommit]\nsteps = "item"\n'})
    commit_all(project, "chore: item by item")
    base = git(project, "rev-parse", "main").strip()
    start(cwd=project, query=None)
    assert collect(project)["step"]["id"] == "1.1"
    add_subtract(project)
    assert finish(cwd=project) == 0
    assert changed_lines(project, base) == ["-- [ ] Add subtract()", "+- [x] Add subtract()"]

    start(cwd=project, query=None)
    assert collect(project)["step"]["id"] == "1.2"
    write(
        project,
        {
            "tests/test_more.py": "from calc import subtract\n\n\ndef test_t():\n    assert subtract(3, 1) == 2\n"
        },
    )
    assert finish(cwd=project) == 0
    lines = changed_lines(project, base)
    assert "+| 1 | Subtraction | DONE        | started |" in lines
    assert "+**Active Phase**: Phase 2 - Multiplication" in lines
    assert "+- [x] Test subtract()" in lines
    start(cwd=project, query=None)
    assert collect(project)["step"]["id"] == "2.1"
