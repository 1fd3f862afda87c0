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
