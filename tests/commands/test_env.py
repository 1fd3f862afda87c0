"""`stepcommit env`: .env completed from .env.example, kept ignored, values never printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit.cli import app
from stepcommit.commands.env import env
from stepcommit.errors import ProjectFileError
from tests.conftest import commit_all, git, write

EXAMPLE = 'DB_URL="postgres://example"\n\n# Payment provider\nexport STRIPE_KEY=sk_test_example\n'


def test_env_adds_missing_keys_and_names_them_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {".env.example": EXAMPLE, ".env": "STRIPE_KEY=sk_live_real_secret\nMINE=1\n"})
    assert env(cwd=project) == 0
    text = (project / ".env").read_text()
    assert text.startswith("STRIPE_KEY=sk_live_real_secret\nMINE=1\n")
    assert 'DB_URL="postgres://example"' in text
    assert text.count("STRIPE_KEY") == 1
    out = capsys.readouterr().out
    assert "added DB_URL" in out and "MINE" in out
    assert "sk_live" not in out and "postgres" not in out and "sk_test" not in out


def test_env_twice_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {".env.example": EXAMPLE})
    env(cwd=project)
    first = (project / ".env").read_bytes()
    capsys.readouterr()
    env(cwd=project, as_json=True)
    assert (project / ".env").read_bytes() == first
    assert json.loads(capsys.readouterr().out)["files"][0]["action"] == "unchanged"


def test_env_keeps_env_ignored(repo: Path) -> None:
    write(repo, {".env.example": EXAMPLE, ".gitignore": "node_modules/"})
    env(cwd=repo)
    assert (repo / ".gitignore").read_text().startswith("node_modules/\n")
    assert git(repo, "check-ignore", ".env").strip() == ".env"


def test_env_warns_when_env_is_tracked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {".env.example": EXAMPLE, ".env": "A=1\n"})
    git(project, "add", "-f", ".env")
    commit_all(project)
    env(cwd=project)
    assert "tracked by git" in capsys.readouterr().out


def test_without_an_example_there_is_nothing_to_do(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env(cwd=project)
    assert not (project / ".env").exists()
    assert "No .env.example" in capsys.readouterr().out


def test_odd_example_lines_write_nothing(project: Path) -> None:
    write(project, {".env.example": "A=1\nB='never closed\n", ".env": "A=2\n"})
    with pytest.raises(ProjectFileError):
        env(cwd=project)
    assert (project / ".env").read_text() == "A=2\n"


def test_cli_wiring(project: Path) -> None:
    write(project, {".env.example": EXAMPLE})
    old = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(app, ["env", "--json"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"][0]["notes"][-1] == "added DB_URL, STRIPE_KEY"
