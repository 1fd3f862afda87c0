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


def _probes(cache: Path) -> list[int]:
    import json

    return [entry["probes"] for entry in json.loads(cache.read_text()).values()]


def test_the_interpreter_probe_runs_once_per_environment(tmp_path: Path) -> None:
    from stepcommit.gates.testrun import probe_modules

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = [str(venv / "bin" / "python")]
    cache = tmp_path / "git" / "stepcommit" / "probe.json"
    cache.parent.mkdir(parents=True)
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": False}
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": False}
    assert _probes(cache) == [1]  # the second answer came from the cache, no process ran
    (site,) = venv.glob("lib/python3*/site-packages")
    (site / "pytest_cov.py").write_text("", encoding="utf-8")  # the environment changed: a new package
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": True}
    assert _probes(cache) == [2]


def test_a_gate_with_a_configured_interpreter_probes_it_once(project: Path) -> None:
    from stepcommit.config import load
    from stepcommit.gates.testrun import PROBE_CACHE, runner
    from stepcommit.git import find_repo

    write(project, {"pyproject.toml": f'[tool.stepcommit]\npython = ["{sys.executable}"]\n'})
    repo, cfg = find_repo(project), load(project)
    first, second = runner(repo, cfg), runner(repo, cfg)
    assert first.has_pytest_cov is second.has_pytest_cov is True
    assert _probes(repo.git_dir / "stepcommit" / PROBE_CACHE) == [1]
    assert check(cwd=project) == 0  # a whole gate on the cached answer
    assert _probes(repo.git_dir / "stepcommit" / PROBE_CACHE) == [1]


def test_the_stored_help_is_what_typer_prints() -> None:
    from benchmarks.write_help import typer_help
    from stepcommit import entry

    stored = entry.stored_help("stepcommit", 120)
    assert stored == typer_help(), (
        "stepcommit/help.txt is stale: run `uv run python benchmarks/write_help.py`"
    )
    assert "Usage: stepcommit [OPTIONS] COMMAND [ARGS]..." in stored
    assert entry.stored_help("stepcommit", 79) is None  # click wraps narrower terminals otherwise
    assert entry.stored_help("python -m stepcommit", 120) is None
