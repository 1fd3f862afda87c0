"""`status` and `doctor` say so when an agent's hooks ran in the step and captured nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit import git
from stepcommit.agents.capture import SILENT, silent_agents
from stepcommit.commands.doctor import check_agent_capture
from stepcommit.commands.hook_agent import hook_agent
from stepcommit.commands.install import install
from stepcommit.commands.start import start
from stepcommit.commands.status import status

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str, project: Path, **changes: object) -> str:
    data = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    return json.dumps({**data, "cwd": str(project), **changes})


def test_silent_agents_is_about_this_step_and_installed_hooks() -> None:
    activity = {
        "claude": {"time": "2026-01-02T10:05:00+00:00"},
        "cursor": {"time": "2026-01-01T09:00:00+00:00"},
    }
    assert silent_agents(activity, {"claude", "cursor"}, "2026-01-02T10:00:00+00:00", set()) == ["claude"]
    assert silent_agents(activity, {"claude"}, "2026-01-02T10:00:00+00:00", {"claude"}) == []
    assert silent_agents(activity, set(), "2026-01-02T10:00:00+00:00", set()) == []


def test_status_and_doctor_say_when_capture_went_silent(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(cwd=project, agents=["claude"])
    assert start(cwd=project, query=None) == 0
    # A TaskUpdate whose id field was renamed: a shape this stepcommit does not read.
    changed = {"tool_input": {"id": "1", "status": "completed"}}
    hook_agent(
        cwd=project,
        agent="claude",
        payload_text=payload("claude_taskupdate_1_completed.json", project, **changed),
    )
    capsys.readouterr()
    status(cwd=project)
    shown = capsys.readouterr().out
    assert f"claude: {SILENT}" in shown and "Unknown claude hook payload shape" in shown
    (finding,) = check_agent_capture(git.find_repo(project))
    assert finding.check == "claude hooks" and not finding.ok and finding.detail == SILENT
    # Once an entry is captured the line goes.
    for name in ("claude_taskcreate_1.json", "claude_taskupdate_1_completed.json"):
        hook_agent(cwd=project, agent="claude", payload_text=payload(name, project))
    status(cwd=project, as_json=True)
    assert json.loads(capsys.readouterr().out)["silent_agents"] == []
    assert check_agent_capture(git.find_repo(project)) == []


def test_no_line_without_a_step(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install(cwd=project, agents=["claude"])
    hook_agent(
        cwd=project, agent="claude", payload_text=payload("claude_taskupdate_1_in_progress.json", project)
    )
    capsys.readouterr()
    status(cwd=project)
    assert SILENT not in capsys.readouterr().out
