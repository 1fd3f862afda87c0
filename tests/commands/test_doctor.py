"""`stepcommit doctor` on real repositories: each problem found, with the command that fixes it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit import git as g
from stepcommit.cli import app
from stepcommit.commands.doctor import doctor
from stepcommit.commands.install_git import install_hook_types
from stepcommit.setup.hookspec import LEGACY_ENTRIES, LOCAL_HOOKS
from tests.conftest import write

GITHUB_RUFF = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.17.6
    hooks:
      - id: ruff-check
  - repo: local
    hooks:
"""


def _report(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, object]]]:
    code = doctor(cwd=project, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is (code == 0)
    return code, {f["check"]: f for f in data["findings"]}


@pytest.fixture
def offline_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "empty-pre-commit-cache"))
    # The test runner's environment on PATH is what `uv run` gives; doctor must look past it.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def test_a_set_up_that_only_works_inside_the_venv_is_reported_with_fixes(
    project: Path, offline_home: None, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = "".join(
        f"      - id: {h['id']}\n        name: {h['id']}\n        entry: {LEGACY_ENTRIES[h['id']]}\n"
        "        language: unsupported\n"
        for h in LOCAL_HOOKS
    )
    write(project, {".pre-commit-config.yaml": GITHUB_RUFF + legacy, ".gitignore": "__pycache__/\n"})
    code, found = _report(project, capsys)
    assert code == 1
    assert found["git hook pre-commit"]["fix"] == "stepcommit install"
    gate = found["hook stepcommit-gate"]
    assert not gate["ok"] and "not found from a shell without the venv" in str(gate["detail"])
    assert str(gate["fix"]).startswith("stepcommit install")
    ruff = found["hook repository https://github.com/astral-sh/ruff-pre-commit"]
    assert not ruff["ok"] and "without network every commit fails" in str(ruff["detail"])
    assert "adds the project's own ruff as local hooks" in str(ruff["fix"])
    assert found[".env"] == {"check": ".env", "ok": False, "detail": "not ignored by git",
                             "fix": "stepcommit init  (adds .env to .gitignore)"}  # fmt: skip
    assert found["plan"]["ok"] and str(found["plan"]["detail"]).startswith(
        "PLAN.md: 3 steps, 1 done; next: 1.2"
    )
    assert found["tests"]["ok"] and "1 test collected" in str(found["tests"]["detail"])
    assert found["lint"]["ok"] and found["lint"]["detail"] == "pre-commit hooks ruff-check"


def test_a_working_set_up_is_ok_and_no_tests_is_a_problem(
    project: Path, offline_home: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"repos": [{"repo": "local", "hooks": [dict(h) for h in LOCAL_HOOKS]}]}
    write(project, {".pre-commit-config.yaml": json.dumps(config)})
    install_hook_types(g.find_repo(project))
    # stepcommit found on PATH outside any venv, as `uv tool install` / pipx put it.
    tools = project.parent / "tool-bin"
    tools.mkdir()
    (tools / "stepcommit").symlink_to(Path(sys.executable).parent / "stepcommit")
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    code, found = _report(project, capsys)
    assert code == 0, found
    assert found["hook stepcommit-message"]["detail"] == f"runs {tools}/stepcommit"
    assert found["hook repositories"]["ok"]
    assert found["lint"]["detail"].startswith("ruff (")  # type: ignore[union-attr]
    (project / "tests" / "test_add.py").unlink()
    code, found = _report(project, capsys)
    assert code == 1 and found["tests"]["detail"] == "pytest collects no test"


def test_cli_wiring(project: Path, monkeypatch: pytest.MonkeyPatch, offline_home: None) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "FAIL git hook pre-commit: not installed by pre-commit; fix: stepcommit install" in result.output
    assert "OK   .env: ignored by git" in result.output
