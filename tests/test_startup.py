"""Fixed costs: the hook's cached verdict answered before the heavy modules load, the probe cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import verdict_cache
from stepcommit.commands.check import check
from tests.conftest import git, write

NEW_FILES = {
    "calc/more.py": "X = 1\n",
    "tests/test_more.py": "from calc.more import X\n\n\ndef test_x():\n    assert X == 1\n",
}


def _hook(project: Path, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`stepcommit check --hook` as a commit runs it, with the imports it made on stderr."""
    import os

    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stepcommit", "check", "--hook"],
        cwd=project, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def _imported(stderr: str) -> set[str]:
    return {
        line.rpartition("|")[2].strip() for line in stderr.splitlines() if line.startswith("import time:")
    }


def test_the_hook_answers_a_passed_tree_without_loading_typer_or_the_gates(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    git(project, "add", "-A")
    done = _hook(project)
    assert done.returncode == 0, done.stderr
    assert "Tests: 2 passed" in done.stdout and "(cached: this exact tree passed before)" in done.stdout
    assert "Coverage: " in done.stdout
    imported = _imported(done.stderr)
    assert "stepcommit.verdict_cache" in imported
    assert not {"typer", "rich", "detect_secrets", "stepcommit.gates.gate"} & imported


def test_a_staged_tree_that_differs_is_gated_in_full(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    write(project, {"calc/more.py": "X = 1\nY = 2\n"})
    git(project, "add", "-A")
    done = _hook(project)
    assert done.returncode == 0, done.stderr
    assert "stepcommit.gates.gate" in _imported(done.stderr)  # the full check ran
    assert "(cached" not in done.stdout


def test_allowances_in_the_hook_skip_the_replay(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    git(project, "add", "-A")
    done = _hook(project, env={"STEPCOMMIT_ALLOW": "new-skip: a reason"})
    assert "stepcommit.gates.gate" in _imported(done.stderr)


@pytest.mark.parametrize(
    ("change", "expected"),
    [({}, True), ({"tree": "b" * 40}, False), ({"base": None}, False), ({"key": "other"}, False),
     ({"version": "0.0.0"}, False), ({"lines": "oops"}, False)],
)  # fmt: skip
def test_a_verdict_matches_only_its_tree_base_config_and_version(
    change: dict[str, object], expected: bool
) -> None:
    data = {"tree": "a" * 40, "base": "c" * 40, "key": "k", "version": verdict_cache.__version__,
            "lines": [["say", "Tests: 1 passed"]]} | change  # fmt: skip
    found = verdict_cache.matching(data, tree="a" * 40, base="c" * 40, key="k")
    assert (found == [("say", "Tests: 1 passed")]) is expected
    assert verdict_cache.matching(None, tree="a", base=None, key="k") is None
