"""`stepcommit plan` and `stepcommit plan mark`: the wiring, through the typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit.cli import app


def test_plan_lists_and_marks(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    runner = CliRunner()

    listed = runner.invoke(app, ["plan", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["plan"] == "PLAN.md" and data["format"] == "markdown"
    phase = data["steps"][0]
    assert {k: phase[k] for k in ("id", "title", "status", "line")} == {
        "id": "1",
        "title": "Calculator",
        "status": "in_progress",
        "line": 3,
    }
    assert [(c["id"], c["status"], c["line"], c["children"]) for c in phase["children"]] == [
        ("1.1", "done", 5, []),
        ("1.2", "todo", 6, []),
        ("1.3", "todo", 7, []),
    ]

    marked = runner.invoke(app, ["plan", "mark", "1.2", "done"])
    assert marked.exit_code == 0, marked.output
    assert "todo -> done" in marked.output
    assert "- [x] **1.2. Subtraction**" in (project / "PLAN.md").read_text()

    shown = runner.invoke(app, ["plan"])
    assert shown.exit_code == 0
    assert "1.3  Multiplication  (line 7)  <- next" in shown.output

    refused = runner.invoke(app, ["plan", "mark", "9.9", "done"])
    assert refused.exit_code != 0


def test_marking_a_heading_reports_every_step_it_changed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from stepcommit.commands.plan import mark

    assert mark(cwd=project, step_query="1", status="done") == 0
    out = capsys.readouterr().out
    assert "3 steps changed" in out and "1.2 (Subtraction): todo -> done" in out
    assert "1.3 (Multiplication): todo -> done" in out
    mark(cwd=project, step_query="1.3", status="todo", as_json=True)
    data = json.loads(capsys.readouterr().out)
    moved = {s["id"]: (s["previous"], s["status"]) for s in data["changed_steps"]}
    assert moved["1.3"] == ("done", "todo")


def test_plan_json_names_the_next_step_and_each_steps_extras(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "PLAN.md").write_text(
        "## Phase 1: Export\n\n"
        "- [ ] 1.1 E2E tests — DEFERRED (requires Playwright)\n"
        "- [ ] 1.2 Dark mode (OPTIONAL)\n"
        "- [ ] 1.3 CSV writer\n  - [ ] Verify: `pytest -q tests/test_csv.py`\n\n"
        "### Acceptance Criteria\n\n- [ ] CSV opens in Excel\n"
    )
    runner = CliRunner()
    listed = runner.invoke(app, ["plan", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["next"] == {"id": "1.3", "title": "CSV writer", "line": 5}
    assert data["next_reason"] is None
    phase = data["steps"][0]
    assert phase["criteria"] == ["CSV opens in Excel"]
    extras = {c["id"]: (c["deferred"], c["optional"], c["verify"], c["criteria"]) for c in phase["children"]}
    assert extras == {
        "1.1": (True, False, [], []),
        "1.2": (False, True, [], []),
        "1.3": (False, False, ["pytest -q tests/test_csv.py"], []),
    }
    assert phase["todo"] == [] and all(c["todo"] == [] for c in phase["children"])
    shown = runner.invoke(app, ["plan"])
    assert "1.1  E2E tests (deferred)  (line 3)" in shown.output
    assert "1.2  Dark mode (optional)  (line 4)" in shown.output
    assert "1.3  CSV writer  (line 5)  <- next" in shown.output

    (project / "PLAN.md").write_text("- [x] 1 Done\n- [ ] 2 Later — BLOCKED\n")
    data = json.loads(runner.invoke(app, ["plan", "--json"]).output)
    assert data["next"] is None
    assert "2 (deferred)" in data["next_reason"]
    shown = runner.invoke(app, ["plan"])
    assert "Next: none. Every open step in PLAN.md is deferred" in shown.output


def test_plan_json_gives_each_steps_priority_and_the_next_follows_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "PLAN.md").write_text(
        "## Features\n\n### Bulk endpoint\n\n**Priority**: Medium\n\n### Live status\n\n**Priority**: High\n"
    )
    data = json.loads(CliRunner().invoke(app, ["plan", "--json"]).output)
    assert [(s["title"], s["priority"]) for s in data["steps"]] == [("Bulk endpoint", 2), ("Live status", 1)]
    assert data["next"]["title"] == "Live status"


def test_plan_json_lists_a_tracker_phases_checklist_as_its_todo(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "PLAN.md").write_text(
        "# Progress\n\n| Phase | Description | Status |\n|---|---|---|\n"
        "| 1 | Setup | DONE |\n| 2 | Models | NOT STARTED |\n\n"
        "### Phase 1: Setup\n\n- [x] Scaffold\n- [x] CI\n\n"
        "### Phase 2: Models\n\n- [ ] User model\n- [ ] Order model\n"
    )
    data = json.loads(CliRunner().invoke(app, ["plan", "--json"]).output)
    assert [(s["id"], s["status"], s["todo"], s["children"]) for s in data["steps"]] == [
        ("1", "done", ["Scaffold", "CI"], []),
        ("2", "todo", ["User model", "Order model"], []),
    ]
    assert data["next"]["id"] == "2"


def test_plan_json_says_what_a_step_waits_on_and_where_work_is_under_way(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "PLAN.md").write_text(
        "# Progress\n\n| Slice | Issue | Status | Description |\n|---|---|---|---|\n"
        "| 1 | #23 | Done | Types |\n| 2 | #24 | Next | Tuples |\n| 3 | #25 | Blocked by #24 | Lowering |\n\n"
        "## Later ideas\n\n- [ ] Colours\n\n## 🚧 In Progress\n\n- [ ] Fix the login\n"
    )
    data = json.loads(CliRunner().invoke(app, ["plan", "--json"]).output)
    assert [(s["id"], s["depends"], s["deferred"], s["under_way"], s["later"]) for s in data["steps"]] == [
        ("1", [], False, False, False),
        ("2", [], False, False, False),
        ("3", ["2"], False, False, False),
        ("4", [], False, False, True),
        ("5", [], False, True, False),
    ]
    assert data["next"]["title"] == "Fix the login"
