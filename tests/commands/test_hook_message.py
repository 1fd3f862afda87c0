"""The prepare-commit-msg hook, installed by real pre-commit, on real commits in a real repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import progress
from stepcommit.setup.hookspec import LOCAL_HOOKS
from tests.conftest import git, write


def _install_hooks(repo: Path, hooks: list[dict[str, object]], hook_types: list[str]) -> None:
    # JSON is YAML: the config pre-commit reads, without any hook repository to fetch.
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    argv = [sys.executable, "-m", "pre_commit", "install"]
    for hook_type in hook_types:
        argv += ["--hook-type", hook_type]
    subprocess.run(argv, cwd=repo, check=True, capture_output=True)
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "chore: pre-commit config")


@pytest.fixture
def hooked(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``project`` with only the message hook installed (fast: no test run per commit)."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    message_hook = [dict(h) for h in LOCAL_HOOKS if h["id"] == "stepcommit-message"]
    _install_hooks(project, message_hook, ["prepare-commit-msg"])
    return project


def _message(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "log", "-1", "--format=%B", rev)


def _change(repo: Path, name: str, text: str = "x = 1\n") -> None:
    write(repo, {name: text})
    git(repo, "add", "-A")


def test_plain_commit_gets_the_entries_and_the_next_one_only_new_ones(hooked: Path) -> None:
    git_dir = hooked / ".git"
    progress.append(git_dir, ["Created the subtraction.", "Added its test."], "cli")
    _change(hooked, "calc/sub.py")
    git(hooked, "commit", "-q", "-m", "feat: subtraction")
    assert _message(hooked) == (
        "feat: subtraction\n\nProgress Updates\n1 Created the subtraction.\n2 Added its test.\n\n"
    )
    progress.append(git_dir, ["Documented it."], "cli")
    _change(hooked, "README.md", "# calc\n")
    git(hooked, "commit", "-q", "-m", "docs: readme")
    assert _message(hooked) == "docs: readme\n\nProgress Updates\n1 Documented it.\n\n"
    assert progress.uncommitted(git_dir, git(hooked, "rev-parse", "HEAD").strip()) == []


def test_amend_does_not_duplicate_and_adds_what_is_new(hooked: Path) -> None:
    git_dir = hooked / ".git"
    progress.append(git_dir, ["Created the subtraction."], "cli")
    _change(hooked, "calc/sub.py")
    git(hooked, "commit", "-q", "-m", "feat: subtraction")
    git(hooked, "commit", "-q", "--amend", "--no-edit")
    assert _message(hooked).count("Created the subtraction.") == 1
    progress.append(git_dir, ["Fixed a typo."], "cli")
    git(hooked, "commit", "-q", "--amend", "--no-edit")
    assert _message(hooked) == (
        "feat: subtraction\n\nProgress Updates\n1 Created the subtraction.\n2 Fixed a typo.\n\n"
    )


def test_aborted_commit_keeps_the_entries_for_the_next(hooked: Path) -> None:
    git_dir = hooked / ".git"
    progress.append(git_dir, ["Created the subtraction."], "cli")
    _change(hooked, "calc/sub.py")
    # An empty message after cleanup: git refuses, so the entries were not committed.
    result = subprocess.run(["git", "commit", "-q", "--cleanup=strip", "-m", "# only a comment"],
                            cwd=hooked, capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0
    git(hooked, "commit", "-q", "-m", "feat: subtraction")
    assert "1 Created the subtraction." in _message(hooked)


def test_merge_message_is_untouched(hooked: Path) -> None:
    git_dir = hooked / ".git"
    git(hooked, "switch", "-q", "-c", "side")
    _change(hooked, "side.py")
    git(hooked, "commit", "-q", "-m", "feat: side")
    git(hooked, "switch", "-q", "main")
    _change(hooked, "main.py")
    git(hooked, "commit", "-q", "-m", "feat: main")
    progress.append(git_dir, ["Merged the side work."], "cli")
    git(hooked, "merge", "-q", "--no-ff", "--no-edit", "side")
    assert _message(hooked) == "Merge branch 'side'\n\n"
    assert [e.text for e in progress.uncommitted(git_dir, git(hooked, "rev-parse", "HEAD").strip())] == [
        "Merged the side work."
    ]


def test_gated_commit_gets_tests_and_the_coverage_trailer(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    _install_hooks(project, [dict(h) for h in LOCAL_HOOKS], ["pre-commit", "prepare-commit-msg"])
    progress.append(project / ".git", ["Tested add."], "claude")
    write(
        project,
        {
            "tests/test_more.py": "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
        },
    )
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: cover unused")
    text = _message(project)
    assert "Progress Updates\n1 Tested add.\n" in text
    # Incremental by default: the config commit's hook built the store, so only the new test ran.
    assert "\nTests: 1 passed in " in text and "(incremental: 1 of 2 tests)" in text
    assert git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)").strip() == "100.00"


def test_an_incremental_gate_says_so_in_the_commit_message(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    write(project, {"pyproject.toml": "[tool.stepcommit]\nincremental = true\n"})
    _install_hooks(project, [dict(h) for h in LOCAL_HOOKS], ["pre-commit", "prepare-commit-msg"])
    unused = "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
    write(project, {"tests/test_more.py": unused})
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: cover unused")  # the config commit's gate built the store
    write(project, {"tests/test_more.py": unused.replace("unused(2) == 4", "unused(3) == 6")})
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: another value")
    text = _message(project)
    assert re.search(r"\nTests: 1 passed in \d+\.\d\ds \(incremental: 1 of 2 tests\)\n", text), text
    assert git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)").strip() == "100.00"
