"""`stepcommit doctor`'s checks one by one on real repositories: the problems a user can cause."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.commands import doctor as d
from stepcommit.setup.hookspec import STEPCOMMIT_HOOK_IDS
from tests.conftest import commit_all, write


def test_an_unreadable_pre_commit_config_has_no_repos(project: Path) -> None:
    assert d._config_repos(project) is None  # no file at all
    write(project, {".pre-commit-config.yaml": "repos: [unclosed\n"})
    assert d._config_repos(project) == []
    write(project, {".pre-commit-config.yaml": "repos:\n  - repo: local\n  - just a string\n"})
    assert d._config_repos(project) == [{"repo": "local"}]


def test_a_git_hook_whose_interpreter_is_gone_refuses_every_commit(project: Path) -> None:
    hooks = g.hooks_dir(project)
    hooks.mkdir(parents=True, exist_ok=True)
    gone = project / "old-venv" / "bin" / "python"
    (hooks / "pre-commit").write_text(f"#!/bin/sh\n# pre-commit\nINSTALL_PYTHON='{gone}'\n")
    (hooks / "prepare-commit-msg").write_text(f"#!/bin/sh\n# pre-commit\nINSTALL_PYTHON='{sys.executable}'\n")
    by_check = {f.check: f for f in d.check_git_hooks(g.find_repo(project))}
    broken = by_check["git hook pre-commit"]
    assert not broken.ok and f"runs pre-commit with {gone}, which does not exist" in broken.detail
    assert "uv run stepcommit install" in broken.fix
    assert by_check["git hook prepare-commit-msg"].ok


def test_local_hooks_missing_ids_unparsable_entries_and_paths_in_the_project(project: Path) -> None:
    write(project, {"bin/lint.sh": "#!/bin/sh\nexit 0\n"})
    repos = [
        {"repo": "local", "hooks": [
            {"id": "quoted", "language": "system", "entry": "ruff 'unclosed"},
            {"id": "here", "language": "system", "entry": "bin/lint.sh --fast"},
            {"id": "gone", "language": "unsupported", "entry": "bin/missing.sh"},
            {"id": "python-hook", "language": "python", "entry": "whatever"},
        ]},
    ]  # fmt: skip
    findings = d.check_hook_programs(g.find_repo(project), repos)
    first = findings[0]
    assert first.check == "stepcommit hooks" and not first.ok and first.fix == "stepcommit install"
    assert first.detail == f"{', '.join(sorted(STEPCOMMIT_HOOK_IDS))} not in .pre-commit-config.yaml"
    by_check = {f.check: f for f in findings[1:]}
    assert set(by_check) == {"hook here", "hook gone"}  # an unparsable entry and a python hook: no finding
    assert by_check["hook here"].ok and by_check["hook here"].detail == "runs bin/lint.sh"
    assert not by_check["hook gone"].ok
    assert (
        by_check["hook gone"].fix
        == "uv add --dev bin/missing.sh  (or give the hook's entry a path that exists)"
    )


def _cache_db(cache: Path, rows: list[tuple[str, str, str]]) -> None:
    cache.mkdir(parents=True)
    with sqlite3.connect(cache / "db.db") as conn:
        conn.execute("CREATE TABLE repos (repo TEXT, ref TEXT, path TEXT)")
        conn.executemany("INSERT INTO repos VALUES (?, ?, ?)", rows)


REMOTE = [
    {"repo": "https://github.com/pre-commit/pre-commit-hooks", "rev": "v5.0.0"},
    {"repo": "https://github.com/astral-sh/ruff-pre-commit/", "rev": "v0.9.0"},
    {"repo": "https://github.com/psf/black", "rev": "25.1.0"},
]


def test_hook_repositories_in_pre_commit_s_cache_and_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRE_COMMIT_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    clone = tmp_path / "clone"
    clone.mkdir()
    _cache_db(tmp_path / "xdg" / "pre-commit", [(REMOTE[0]["repo"], "v5.0.0", str(clone)),
                                                (REMOTE[2]["repo"], "25.1.0", str(tmp_path / "deleted"))])  # fmt: skip
    hooks, ruff, black = d.check_hook_repositories(REMOTE)
    assert hooks.ok and hooks.detail == "v5.0.0 is in pre-commit's cache"
    assert not ruff.ok and ruff.fix.startswith(
        "remove the https://github.com/astral-sh/ruff-pre-commit/ repo"
    )
    # A cache row whose clone was deleted does not count.
    assert not black.ok and black.fix == "pre-commit install-hooks  (once, with network)"
    assert "without network every commit fails" in black.detail


def test_a_corrupt_cache_or_one_under_home_counts_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRE_COMMIT_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert d._pre_commit_cache() == tmp_path / ".cache" / "pre-commit"
    (tmp_path / ".cache" / "pre-commit").mkdir(parents=True)
    (tmp_path / ".cache" / "pre-commit" / "db.db").write_text("not a database")
    assert d._cached_repos() == set()
    assert not d.check_hook_repositories(REMOTE[:1])[0].ok


def test_a_plan_without_steps(project: Path) -> None:
    write(project, {"PLAN.md": "# Plan\n\nNothing to do yet.\n"})
    finding = d.check_plan(project)
    assert not finding.ok and finding.detail == "PLAN.md has no steps"


def test_tests_that_cannot_be_collected_or_run(project: Path) -> None:
    write(project, {"tests/test_broken.py": "import no_such_module_x\n"})
    broken = d.check_tests_collect(project)
    assert not broken.ok and broken.detail.startswith("pytest cannot collect the tests: ")
    assert broken.fix == "run `pytest --collect-only`"
    write(project, {"pyproject.toml": '[tool.stepcommit]\npython = ["no-such-python-x1"]\n'})
    missing = d.check_tests_collect(project)
    assert not missing.ok and missing.detail == "Cannot run `no-such-python-x1`: no such program."
    write(project, {"pyproject.toml": "[tool.stepcommit]\nno_such_key = 1\n"})
    bad = d.check_tests_collect(project)
    assert not bad.ok and "no_such_key" in bad.detail, bad


def test_a_tracked_env_file(project: Path) -> None:
    write(project, {".gitignore": "__pycache__/\n", ".env": "TOKEN=x\n"})
    commit_all(project, "chore: env")
    finding = d.check_env_ignored(project)
    assert (finding.ok, finding.detail) == (False, "tracked by git")
    assert finding.fix == "git rm --cached .env && stepcommit init"
