"""`full_on_finish`: the figures a landed commit carries are a full run's of its tree, even when a
`check` of the same tree left an incremental verdict in the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.commands.check import check
from stepcommit.commands.finish import finish
from stepcommit.commands.start import start
from tests.commands.test_parallel import COVERAGE_CONFIG, SUB, TEST_SUB, full_coverage
from tests.conftest import commit_all, git, write


def test_a_cached_incremental_verdict_of_the_tree_is_not_what_lands(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(project, {"pyproject.toml": COVERAGE_CONFIG, ".gitignore": "__pycache__/\n.env\n.coverage\n"})
    commit_all(project, "chore: coverage settings")
    assert check(cwd=project) == 0  # a full run: the per-test store holds the base's tree
    assert start(cwd=project, query="1.2") == 0
    write(project, {"calc/sub.py": SUB, "tests/test_sub.py": TEST_SUB})
    capsys.readouterr()
    assert check(cwd=project) == 0  # incremental, of the tree finish commits (the step ticked)
    assert "(incremental: 1 of 2 tests)" in capsys.readouterr().out

    # A fast-forward lands the step's own commit, so its own gate must be the full run.
    assert finish(cwd=project, merge_style="ff") == 0

    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Step: 1.2" in body and "Tests: 2 passed" in body and "incremental" not in body, body
    assert "cached" not in body
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)", "main").strip()
    assert trailer == full_coverage(project, tmp_path)
