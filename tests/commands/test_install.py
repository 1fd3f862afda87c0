"""`stepcommit install`: agents' hook files merged with what is there, and idempotent; git hook types."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import tomlkit
from typer.testing import CliRunner

from stepcommit import git as git_mod
from stepcommit.agents.config_files import AgentConfigError, hook_argv, hook_command
from stepcommit.cli import app
from stepcommit.commands.install import install, install_agent
from stepcommit.commands.install_git import install_hook_types
from stepcommit.errors import StepcommitError
from tests.conftest import write


def _json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_claude_settings_merge_and_idempotency(project: Path) -> None:
    existing = {
        "permissions": {"allow": ["Bash(uv run pytest:*)"]},
        "hooks": {
            "PostToolUse": [
                {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "ruff format"}]}
            ]
        },
    }
    write(project, {".claude/settings.json": json.dumps(existing, indent=4)})
    assert install_agent(project, "claude") is True
    data = _json(project / ".claude/settings.json")
    assert data["permissions"] == existing["permissions"]
    post = data["hooks"]["PostToolUse"]  # type: ignore[index]
    assert post[0]["matcher"] == "Edit|Write"
    assert post[1] == {
        "matcher": "TaskCreate|TaskUpdate|TodoWrite",
        "hooks": [{"type": "command", "command": hook_command("claude"), "timeout": 10}],
    }
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"] == hook_command("claude")  # type: ignore[index]
    assert data["hooks"]["TaskCompleted"][0]["hooks"][0]["command"] == hook_command("claude")  # type: ignore[index]
    before = (project / ".claude/settings.json").read_text(encoding="utf-8")
    assert install_agent(project, "claude") is False
    assert (project / ".claude/settings.json").read_text(encoding="utf-8") == before


def test_gemini_and_cursor_files_are_created_then_left_alone(project: Path) -> None:
    assert install_agent(project, "gemini") and install_agent(project, "cursor")
    gemini = _json(project / ".gemini/settings.json")
    assert gemini["hooks"]["AfterTool"][0]["matcher"] == "write_todos"  # type: ignore[index]
    assert "AfterAgent" in gemini["hooks"]  # type: ignore[operator]
    assert gemini["context"] == {"fileName": ["AGENTS.md", "GEMINI.md"]}  # so Gemini CLI reads the loop
    cursor = _json(project / ".cursor/hooks.json")
    assert cursor["version"] == 1
    assert cursor["hooks"]["afterAgentResponse"] == [{"command": hook_command("cursor"), "timeout": 10}]  # type: ignore[index]
    assert not install_agent(project, "gemini") and not install_agent(project, "cursor")


def test_codex_notify_keeps_comments_and_tables(project: Path) -> None:
    write(
        project,
        {".codex/config.toml": 'model = "gpt-5-codex"  # the default\n\n[features]\nweb_search = true\n'},
    )
    assert install_agent(project, "codex")
    text = (project / ".codex/config.toml").read_text(encoding="utf-8")
    assert "# the default" in text
    doc = tomlkit.parse(text)
    assert list(doc["notify"]) == hook_argv("codex")
    assert list(doc["notify"])[-5:] == ["stepcommit", "hook", "agent", "--agent", "codex"]
    assert doc["features"]["web_search"] is True  # type: ignore[index]
    assert not install_agent(project, "codex")


def test_codex_with_another_notify_is_refused(project: Path) -> None:
    write(project, {".codex/config.toml": 'notify = ["notify-send", "Codex"]\n'})
    with pytest.raises(AgentConfigError, match="only one notify"):
        install_agent(project, "codex")


def test_broken_json_is_not_overwritten(project: Path) -> None:
    write(project, {".claude/settings.json": "{ // a comment\n}"})
    with pytest.raises(AgentConfigError, match="not valid JSON"):
        install_agent(project, "claude")
    assert (project / ".claude/settings.json").read_text(encoding="utf-8") == "{ // a comment\n}"
    with pytest.raises(StepcommitError, match="Unknown agent"):
        install_agent(project, "vim")


def test_dry_run_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert install(cwd=project, agents=["claude"], dry_run=True, as_json=True) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["files"] == {".claude/settings.json": "created", "AGENTS.md": "created"}
    assert shown["instructions"].startswith("<!-- stepcommit:begin -->")
    assert not (project / ".claude").exists() and not (project / "AGENTS.md").exists()


def test_git_hook_types_through_real_pre_commit(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    repo = git_mod.find_repo(project)
    assert install_hook_types(repo) == {
        ".git/hooks/pre-commit": "installed",
        ".git/hooks/prepare-commit-msg": "installed",
    }
    assert "pre-commit" in (project / ".git/hooks/prepare-commit-msg").read_text(encoding="utf-8")
    assert set(install_hook_types(repo).values()) == {"unchanged"}


def test_cli_wiring(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["install", "--agent", "claude", "--agent", "cursor"])
    assert result.exit_code == 0, result.output
    assert ".claude/settings.json: created" in result.output
    again = CliRunner().invoke(app, ["install", "--agent", "claude"])
    assert ".claude/settings.json: already set up" in again.output
    (project / ".claude/settings.json").write_text('{"permissions": {"allow": []}}\n')
    merged = CliRunner().invoke(app, ["install", "--agent", "claude"])
    assert ".claude/settings.json: updated" in merged.output


def test_install_gates_plain_commits_and_finish_runs_the_suite_once(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The issue's trial: install, a failing test refuses a commit, a good one is annotated, finish runs once."""
    import os
    import subprocess
    import sys

    from stepcommit.commands.finish import finish
    from stepcommit.commands.install import install
    from stepcommit.commands.start import start
    from tests.conftest import git, write

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    runs = tmp_path / "suite-runs.log"
    monkeypatch.setenv("SUITE_RUNS", str(runs))
    write(project, {"tests/conftest.py": "import os\n\n\ndef pytest_sessionstart(session):\n"
                    "    with open(os.environ['SUITE_RUNS'], 'a') as f:\n        f.write('run\\n')\n"})  # fmt: skip
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: count suite runs")

    assert install(cwd=project, agents=[]) == 0
    config = (project / ".pre-commit-config.yaml").read_text()
    assert "stepcommit-gate" in config and "stepcommit-message" in config and "ruff-pre-commit" not in config
    before = config
    assert install(cwd=project, agents=[]) == 0
    assert (project / ".pre-commit-config.yaml").read_text() == before
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "chore: stepcommit hooks")
    runs.unlink()

    start(cwd=project, query=None)
    write(project, {"tests/test_bad.py": "def test_bad():\n    assert 1 == 2\n"})
    git(project, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "test: bad"], cwd=project, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "test_bad" in refused.stdout + refused.stderr
    assert (project / "tests" / "test_bad.py").exists()
    assert "tests/test_bad.py" in git(project, "diff", "--cached", "--name-only")

    # Lint is real now: `1 == 1` is a constant comparison ruff refuses (PLR0133).
    write(
        project,
        {"tests/test_bad.py": "from calc import add\n\n\ndef test_bad():\n    assert add(1, 1) == 2\n"},
    )
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: fixed")
    assert git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)").strip() == "75.00"

    write(
        project,
        {"tests/test_unused.py": "from calc import unused\n\n\ndef test_u():\n    assert unused(1) == 2\n"},
    )
    runs.unlink()
    finish(cwd=project)
    assert runs.read_text().count("run") == 1  # the gate ran once; both commits' hooks hit the cache
    assert git(project, "log", "-1", "--format=%s").strip() == "feat(step-1.2): Subtraction"
    assert git(project, "status", "--porcelain") == ""


def test_an_unknown_agent_is_a_message_not_a_crash(repo: Path) -> None:
    import subprocess
    import sys

    shown = subprocess.run([sys.executable, "-m", "stepcommit", "install", "--agent", "vim"], cwd=repo,
                           capture_output=True, text=True)  # fmt: skip
    assert shown.returncode == 1
    assert "Unknown agent 'vim'" in shown.stderr and "claude" in shown.stderr
    assert "Traceback" not in shown.stderr and "unexpected" not in shown.stderr.lower()


def test_agent_hooks_written_with_a_bare_command_are_upgraded_not_doubled(project: Path) -> None:
    old = "stepcommit hook agent --agent claude"
    handler = {"type": "command", "command": old, "timeout": 10}
    settings = {
        "hooks": {
            "Stop": [{"hooks": [dict(handler)]}],
            "PostToolUse": [{"matcher": "TodoWrite", "hooks": [dict(handler)]}],
        }
    }
    write(project, {".claude/settings.json": json.dumps(settings), ".codex/config.toml": f"notify = {json.dumps([*old.split()[:-1], 'codex'])}\n"})  # fmt: skip
    assert install_agent(project, "claude") and install_agent(project, "codex")
    data = json.loads((project / ".claude/settings.json").read_text(encoding="utf-8"))
    assert data["hooks"]["Stop"] == [{"hooks": [{**handler, "command": hook_command("claude")}]}]
    assert data["hooks"]["PostToolUse"][0]["hooks"][0]["command"] == hook_command("claude")
    # The matcher an older install wrote gains the Task tools, in the same group.
    assert [g["matcher"] for g in data["hooks"]["PostToolUse"]] == ["TaskCreate|TaskUpdate|TodoWrite"]
    assert list(tomlkit.parse((project / ".codex/config.toml").read_text())["notify"]) == hook_argv("codex")  # type: ignore[arg-type]
    assert not install_agent(project, "claude") and not install_agent(project, "codex")


def test_a_git_hook_whose_interpreter_is_gone_is_installed_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `uvx stepcommit install` leaves hooks pointing into a cache uv may delete: git then refuses
    # every commit, --no-verify too, since the prepare-commit-msg hook cannot start.
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    repo = git_mod.find_repo(project)
    install_hook_types(repo)
    hook = project / ".git/hooks/prepare-commit-msg"
    hook.write_text(hook.read_text().replace(sys.executable, str(tmp_path / "gone" / "python")))
    assert install_hook_types(repo)[".git/hooks/prepare-commit-msg"] == "installed"
    assert (
        f"INSTALL_PYTHON={sys.executable}" in hook.read_text()
        or f"INSTALL_PYTHON='{sys.executable}'" in hook.read_text()
    )
