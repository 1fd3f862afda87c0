"""The lint gate names only what ran: a config of stepcommit's own hooks never passes unlinted code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.commands.install_git import install_git_hooks
from stepcommit.gates.lint import _ran, config_hooks, run_lint
from stepcommit.setup.hookspec import LEGACY_ENTRIES, LOCAL_HOOKS
from tests.conftest import commit_all, write

UNUSED_IMPORT = "import os\n\n\ndef f():\n    return 1\n"


@pytest.fixture
def linted(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``project`` with this interpreter's environment as its `.venv`, as after `uv add --dev stepcommit`."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    (project / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    write(project, {".gitignore": "__pycache__/\n.env\n.venv\n"})
    commit_all(project, "chore: ignore .venv")
    return project


def _lint(project: Path):  # type: ignore[no-untyped-def]
    return run_lint(g.find_repo(project), [sys.executable], ["calc/extra.py"])


def test_a_config_of_only_stepcommit_hooks_lints_with_ruff(linted: Path) -> None:
    # What `install` wrote before: stepcommit's own hooks, which the gate skips, and nothing else.
    hooks = [{**h, "entry": LEGACY_ENTRIES[h["id"]]} for h in LOCAL_HOOKS]
    write(linted, {".pre-commit-config.yaml": json.dumps({"repos": [{"repo": "local", "hooks": hooks}]})})
    commit_all(linted)
    write(linted, {"calc/extra.py": UNUSED_IMPORT})
    result = _lint(linted)
    assert not result.ok
    assert result.summary == "failed (ruff)"
    assert "calc/extra.py:1:8: F401" in result.output_tail


def test_after_install_the_projects_ruff_hooks_fail_an_unused_import(linted: Path) -> None:
    install_git_hooks(g.find_repo(linted))
    ids = [h for h in config_hooks((linted / ".pre-commit-config.yaml").read_text()).own]  # type: ignore[union-attr]
    assert ids == ["ruff-check", "ruff-format"]
    commit_all(linted, "chore: hooks")
    write(linted, {"calc/extra.py": UNUSED_IMPORT})
    result = _lint(linted)
    assert not result.ok
    assert result.ran == ("ruff-check", "ruff-format")
    assert "calc/extra.py:1:8" in result.output_tail and "F401" in result.output_tail
    write(linted, {"calc/extra.py": "def f():\n    return 1\n"})
    passed = _lint(linted)
    assert passed.ok, passed.output_tail
    assert passed.summary == "passed (ruff-check, ruff-format)"


def test_hooks_that_match_no_changed_file_do_not_pass_as_lint(linted: Path) -> None:
    hook = {"id": "flake8", "name": "flake8", "entry": "false", "language": "unsupported", "files": "^docs/"}
    write(linted, {".pre-commit-config.yaml": json.dumps({"repos": [{"repo": "local", "hooks": [hook]}]})})
    commit_all(linted)
    write(linted, {"calc/extra.py": UNUSED_IMPORT})
    result = _lint(linted)
    assert result.ok and result.ran == ()
    assert result.summary == "skipped (no pre-commit hook matched the changed files)"


def test_a_config_that_does_not_lint_python_gets_ruff_as_well(linted: Path) -> None:
    hook = {"id": "check-yaml-ish", "name": "yaml", "entry": "true", "language": "unsupported"}
    write(linted, {".pre-commit-config.yaml": json.dumps({"repos": [{"repo": "local", "hooks": [hook]}]})})
    commit_all(linted)
    write(linted, {"calc/extra.py": UNUSED_IMPORT})
    result = _lint(linted)
    assert not result.ok
    assert result.summary == "failed (check-yaml-ish, ruff)"
    assert "calc/extra.py:1:8: F401" in result.output_tail


def test_ran_reads_only_hooks_with_a_duration() -> None:
    out = (
        "ruff check....Passed\n- hook id: ruff-check\n- duration: 0.01s\n"
        "mypy...(no files to check)Skipped\n- hook id: mypy\n"
        "black....Failed\n- hook id: black\n- duration: 0.2s\n- exit code: 1\n"
    )
    assert _ran(out) == ["ruff-check", "black"]


def test_config_hooks_leave_out_stepcommit_s_and_skipped_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(
        {
            "repos": [
                {"repo": "local", "hooks": [*LOCAL_HOOKS, {"id": "mine", "entry": "x"}, {"id": "pylint"}]}
            ]
        }
    )
    monkeypatch.setenv("SKIP", "mine")
    found = config_hooks(text)
    assert found is not None and found.own == ("pylint",) and found.lints_python
    monkeypatch.setenv("SKIP", "pylint")
    assert config_hooks(text) == type(found)(("mine",), False)
    assert config_hooks("repos: [unclosed") is None


NO_RUFF = """
import sys
sys.modules["ruff"] = None  # an environment where stepcommit was installed without ruff
from stepcommit import git as g
from stepcommit.gates.lint import run_lint
result = run_lint(g.find_repo(sys.argv[1]), [sys.argv[2]], ["calc/extra.py"])
print(result.ok, result.tool, result.summary, sep="|")
"""


def test_with_no_linter_anywhere_the_verdict_says_none_configured(project: Path, tmp_path: Path) -> None:
    # No pre-commit config, no ruff beside the project's interpreter, none importable, none on PATH.
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    path = os.pathsep.join([str(bare), str(git_dir)])
    assert shutil.which("ruff", path=path) is None
    write(project, {"calc/extra.py": UNUSED_IMPORT})
    result = subprocess.run(
        [sys.executable, "-c", NO_RUFF, str(project), str(bare / "python")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=True,
    )
    ok, tool, summary = result.stdout.strip().split("|")
    # Nothing linted: the gate is not failed for it, but it never says "passed".
    assert (ok, tool) == ("True", "none")
    assert summary.startswith("none configured")
    assert "passed" not in summary
