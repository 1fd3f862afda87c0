"""`stepcommit init` on real repositories: what it writes, that a second run changes nothing, bad input."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit import config
from stepcommit.cli import app
from stepcommit.commands.init import init
from stepcommit.errors import ProjectFileError
from stepcommit.setup import gitignore, pyproject_setup
from tests.conftest import write

PYPROJECT = """\
[project]
name = "calc"   # the name stays, spacing and all
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

# Lint settings, kept with their comment
[tool.ruff]
line-length = 100
"""


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def uv_project(project: Path) -> Path:
    write(project, {"pyproject.toml": PYPROJECT, ".env.example": "# The API\nAPI_KEY=change-me\n"})
    return project


def test_init_sets_the_project_up(uv_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(cwd=uv_project) == 0
    out = capsys.readouterr().out
    ignore = (uv_project / ".gitignore").read_text()
    assert ignore.startswith("__pycache__/\n.env\n")  # the user's lines first, as they were
    assert gitignore.missing(ignore) == []
    assert (uv_project / ".pre-commit-config.yaml").is_file()
    text = (uv_project / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT)
    data = tomllib.loads(text)
    assert data["tool"]["coverage"]["run"] == {"source": ["calc"], "branch": True}
    assert data["tool"]["coverage"]["report"]["fail_under"] == 0
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert config.load(uv_project) == config.Config()  # every key commented out: the defaults hold
    assert (uv_project / ".env").read_text() == "# The API\nAPI_KEY=change-me\n"
    assert (uv_project / ".env").stat().st_mode & 0o777 == 0o600
    for name in (".gitignore", ".pre-commit-config.yaml", "pyproject.toml", ".env"):
        assert f"{name}: " in out
    assert "change-me" not in out  # values are never shown
    assert "Next:" in out and "stepcommit start" in out


def test_a_second_init_changes_nothing_byte_for_byte(
    uv_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init(cwd=uv_project)
    first = snapshot(uv_project)
    capsys.readouterr()
    init(cwd=uv_project, as_json=True)
    assert snapshot(uv_project) == first
    data = json.loads(capsys.readouterr().out)
    assert {row["action"] for row in data["files"]} == {"unchanged"}


def test_dry_run_writes_nothing_and_says_what_it_would_do(
    uv_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(uv_project)
    init(cwd=uv_project, dry_run=True, as_json=True)
    assert snapshot(uv_project) == before
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True
    actions = {row["path"]: row["action"] for row in data["files"]}
    assert actions == {
        ".gitignore": "would be updated",
        ".pre-commit-config.yaml": "would be created",
        "pyproject.toml": "would be updated",
        ".env": "would be created",
    }


def test_an_unparsable_pyproject_stops_everything_before_any_write(uv_project: Path) -> None:
    write(uv_project, {"pyproject.toml": "[project\nname = 'x'\n"})
    before = snapshot(uv_project)
    with pytest.raises(ProjectFileError, match="not valid TOML"):
        init(cwd=uv_project)
    assert snapshot(uv_project) == before


def test_an_odd_env_example_stops_everything_before_any_write(uv_project: Path) -> None:
    write(uv_project, {".env.example": "GOOD=1\n'unclosed\n"})
    before = snapshot(uv_project)
    with pytest.raises(ProjectFileError, match="line 2"):
        init(cwd=uv_project)
    assert snapshot(uv_project) == before


def test_settings_kept_elsewhere_are_left_there(uv_project: Path) -> None:
    write(uv_project, {".coveragerc": "[run]\nbranch = True\n", "pytest.ini": "[pytest]\n"})
    init(cwd=uv_project)
    tool = tomllib.loads((uv_project / "pyproject.toml").read_text())["tool"]
    assert "coverage" not in tool and "pytest" not in tool
    assert "stepcommit" in tool


def test_existing_tables_are_not_touched(uv_project: Path) -> None:
    text = PYPROJECT + "\n[tool.coverage.run]\nsource = ['lib']\n\n[tool.stepcommit]\nmerge = 'ff'\n"
    write(uv_project, {"pyproject.toml": text})
    init(cwd=uv_project)
    after = (uv_project / "pyproject.toml").read_text()
    assert after.startswith(text)
    assert after.count("[tool.coverage.run]") == 1 and after.count("[tool.stepcommit]") == 1
    assert "[tool.coverage.report]" in after


def test_init_without_pyproject_or_example_still_does_the_rest(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init(cwd=repo)
    assert sorted(snapshot(repo)) == [".gitignore", ".pre-commit-config.yaml"]
    assert "uv init" in capsys.readouterr().out


def test_every_config_key_is_documented_in_the_written_table() -> None:
    table = pyproject_setup.stepcommit_table()
    for field in config.Config.__dataclass_fields__:
        assert f"# {field} = " in table
    uncommented = tomllib.loads(
        "\n".join(
            line.removeprefix("# ") for line in table.splitlines() if " = " in line or line.startswith("[")
        )
    )
    config.from_table(uncommented["tool"]["stepcommit"])  # the shown values are valid settings


def test_cli_wiring(uv_project: Path) -> None:
    old = Path.cwd()
    os.chdir(uv_project)
    try:
        result = CliRunner().invoke(app, ["init", "--dry-run"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output
    assert not (uv_project / ".pre-commit-config.yaml").exists()


def test_after_init_and_a_commit_the_step_loop_starts(uv_project: Path) -> None:
    from stepcommit.commands.start import start
    from tests.conftest import commit_all, git

    init(cwd=uv_project)
    commit_all(uv_project, "chore: set up stepcommit")
    assert ".env" not in git(uv_project, "ls-files").splitlines()
    assert start(cwd=uv_project, query=None) == 0
    assert git(uv_project, "branch", "--show-current").strip() == "step/1.2-subtraction"
