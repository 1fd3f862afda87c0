"""The shared pre-commit config merge: created, merged keeping the user's hooks and comments, idempotent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from stepcommit.errors import ProjectFileError
from stepcommit.setup.hookspec import LEGACY_ENTRIES, LOCAL_HOOKS, RUFF_LOCAL_HOOKS
from stepcommit.setup.precommit_config import MIN_PRE_COMMIT, ensure_hooks, merged_config

USER_CONFIG = """\
# my hooks: keep this comment
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v5.0.0  # pinned on purpose
    hooks:
    -   id: trailing-whitespace
    # the fixer below rewrites files
    -   id: end-of-file-fixer
-   repo: https://github.com/psf/black
    rev: "24.1.0"
    hooks:
    -   id: black
        args: [--fast]
# closing remark
"""


def _ids(text: str) -> list[str]:
    data = YAML(typ="safe").load(text)
    return [hook["id"] for repo in data["repos"] for hook in repo["hooks"]]


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(path)], capture_output=True, text=True
    )


def test_a_new_config_has_the_projects_ruff_and_the_stepcommit_hooks_all_local() -> None:
    text, notes = merged_config(None)
    assert _ids(text) == ["ruff-check", "ruff-format", *(h["id"] for h in LOCAL_HOOKS)]
    data = YAML(typ="safe").load(text)
    assert data["minimum_pre_commit_version"] == MIN_PRE_COMMIT
    # Nothing to download: a GitHub-hosted hook not yet cached blocks every commit offline.
    assert [r["repo"] for r in data["repos"]] == ["local"]
    assert data["repos"][0]["hooks"] == [dict(h) for h in (*RUFF_LOCAL_HOOKS, *LOCAL_HOOKS)]
    assert notes[0] == "created"


def test_bare_entries_written_by_an_older_install_are_upgraded() -> None:
    hooks = "".join(
        f"      - id: {h['id']}\n        name: {h['id']}\n        entry: {LEGACY_ENTRIES[h['id']]}\n"
        "        language: unsupported\n"
        for h in LOCAL_HOOKS
    )
    config = f"minimum_pre_commit_version: 4.4.0\nrepos:\n  - repo: local\n    hooks:\n{hooks}"
    text, notes = merged_config(config, with_ruff=False)
    entries = {h["id"]: h["entry"] for h in YAML(typ="safe").load(text)["repos"][0]["hooks"]}
    assert entries == {h["id"]: h["entry"] for h in LOCAL_HOOKS}
    assert len(notes) == 2 and all("project's environment" in n for n in notes)
    assert merged_config(text, with_ruff=False) == (text, [])


def test_merging_keeps_the_users_hooks_comments_quotes_and_indentation() -> None:
    text, notes = merged_config(USER_CONFIG)
    assert _ids(text)[:3] == ["trailing-whitespace", "end-of-file-fixer", "black"]
    assert set(_ids(text)) >= {"ruff-check", "ruff-format", "stepcommit-gate", "stepcommit-message"}
    for line in USER_CONFIG.splitlines():
        assert line in text.splitlines(), line
    assert text.endswith("# closing remark\n")  # not glued to the last hook
    assert len(notes) == 5


def test_merging_twice_changes_nothing() -> None:
    once, _ = merged_config(USER_CONFIG)
    twice, notes = merged_config(once)
    assert twice == once
    assert notes == []


def test_a_config_that_lints_python_gets_no_ruff_and_its_local_repo_is_reused() -> None:
    config = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.5.0
    hooks:
      - id: ruff
  - repo: local
    hooks:
      - id: mine
        name: mine
        entry: make lint
        language: system
"""
    text, notes = merged_config(config)
    data = YAML(typ="safe").load(text)
    assert len(data["repos"]) == 2
    # The config lints Python already (`ruff` is ruff-check's legacy id): no ruff is added.
    assert [h["id"] for h in data["repos"][0]["hooks"]] == ["ruff"]
    assert data["repos"][0]["rev"] == "v0.5.0"  # the user's pin stays
    assert [h["id"] for h in data["repos"][1]["hooks"]] == ["mine", "stepcommit-gate", "stepcommit-message"]
    assert not any("ruff" in n for n in notes)


def test_a_hook_the_user_already_has_is_left_as_they_wrote_it() -> None:
    config = """\
minimum_pre_commit_version: "4.5.0"
repos:
  - repo: local
    hooks:
      - id: stepcommit-gate
        name: gate
        entry: uv run stepcommit check --hook
        language: system
      - id: stepcommit-message
        name: message
        entry: uv run stepcommit hook message
        language: system
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.9.0
    hooks: [{id: ruff-check}, {id: ruff-format}]
"""
    assert merged_config(config) == (config, [])


def test_a_lower_minimum_version_is_raised() -> None:
    text, notes = merged_config('minimum_pre_commit_version: "3.6.0"\nrepos: []\n')
    assert YAML(typ="safe").load(text)["minimum_pre_commit_version"] == MIN_PRE_COMMIT
    assert any("minimum_pre_commit_version" in n for n in notes)


@pytest.mark.parametrize("bad", ["repos: [unclosed\n", "- just\n- a list\n", "repos: {a: 1}\n"])
def test_a_config_that_is_not_one_is_refused(bad: str) -> None:
    with pytest.raises(ProjectFileError, match="nothing was written"):
        merged_config(bad)


def test_ensure_hooks_writes_once_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".pre-commit-config.yaml"
    assert ensure_hooks(tmp_path, dry_run=True)
    assert not path.exists()
    assert ensure_hooks(tmp_path)
    written = path.read_bytes()
    assert ensure_hooks(tmp_path) == []
    assert path.read_bytes() == written


def test_created_and_merged_configs_pass_pre_commit_validate_config(tmp_path: Path) -> None:
    ensure_hooks(tmp_path)
    result = _validate(tmp_path / ".pre-commit-config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr  # e.g. a deprecated language or stage name
    merged = tmp_path / "merged.yaml"
    merged.write_text(merged_config(USER_CONFIG)[0])
    result = _validate(merged)
    assert result.returncode == 0, result.stdout + result.stderr
