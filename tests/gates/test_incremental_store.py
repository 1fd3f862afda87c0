"""The per-test store shared by every worktree, on real repositories with real worktrees: one
worktree's first gate selects from the store another built, two gates at once each get their own
tree's exact total, and a run's pin keeps the data it reads until it lets go (also when it dies)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit import state
from stepcommit.config import Config
from stepcommit.errors import ToolMissing
from stepcommit.gates import incremental
from stepcommit.gates.testrun import run_tests
from tests.conftest import git, write
from tests.gates.test_incremental import (  # noqa: F401  (geo: the fixture)
    CFG,
    UNITS,
    _clean_env,
    assert_equal_to_full,
    full_coverage,
    gate_run,
    geo,
)

CHECKOUT = Path(__file__).resolve().parents[2]


def add_worktree(project: Path, name: str) -> Path:
    where = project.parent / name
    git(project, "worktree", "add", "-q", "-b", name, str(where), "main")
    return where


def store_files(project: Path) -> tuple[list[str], list[str]]:
    """(data files, pins) in the shared store."""
    folder = incremental.store_dir(project / ".git")
    return sorted(p.name for p in folder.glob("coverage-*.db")), sorted(
        p.name for p in folder.glob("run-*.lock")
    )


def test_a_second_worktree_s_first_gate_selects_from_the_store_the_first_built(
    geo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert gate_run(geo).measured.mode == "full"  # type: ignore[union-attr]  # the store, built in main
    other = add_worktree(geo, "other")
    write(other, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})

    # Its own state folder (pytest's cache, the JUnit report) is not a change of environment.
    run = run_tests(g.find_repo(other), CFG, per_test="auto", junit_xml=True)

    assert run.measured is not None and run.measured.mode == "incremental", run.measured
    assert run.measured.describe() == "incremental: 1 of 6 tests"
    assert_equal_to_full(other, run, tmp_path)
    other_git = g.find_repo(other).git_dir
    info = json.loads(incremental.run_info_path(other_git).read_text())  # the worktree's own report
    assert info["ran"] == ["tests/test_units.py::test_to_mm"]
    # One store for the repository, now the other worktree's tree, its paths relative to that root.
    meta = incremental.stored_meta(other_git)
    assert meta is not None and meta["root"] == os.path.realpath(other)
    assert meta["tree"] == g.tree_only(g.find_repo(other))
    assert "tests/test_units.py" in meta["test_files"]
    assert not (state.state_dir(other_git) / "testcov" / "meta.json").exists()
    assert store_files(geo) == ([meta["db"]], [])
    assert (state.state_dir(other_git) / "run" / "junit.xml").is_file()


def test_two_gates_at_once_in_two_worktrees_each_measure_their_own_tree(
    geo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from stepcommit.gates.gate import GateResult, run_gate

    assert gate_run(geo).ok
    first, second = add_worktree(geo, "first"), add_worktree(geo, "second")
    write(first, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    write(second, {"geo/shapes.py": (geo / "geo/shapes.py").read_text().replace('return "big"', 'return "large"'),
                   "tests/test_new.py": "from geo.units import to_cm\n\n\ndef test_cm():\n    assert to_cm(20) == 2\n"})  # fmt: skip
    repos = [g.find_repo(where) for where in (first, second)]

    def gate(repo: g.Repo) -> GateResult:
        return run_gate(repo, CFG, g.tree_only(repo), None, tree_is_work_tree=True)

    with ThreadPoolExecutor(max_workers=2) as pool:  # each gate's tests run in a process of their own
        results = list(pool.map(gate, repos))

    for repo, result in zip(repos, results, strict=True):
        assert result.ok and result.coverage is not None, result.explain()
        assert str(result.measured).startswith("incremental: "), result.measured
        reference = full_coverage(repo.root, tmp_path)["totals"]["percent_covered"]
        assert result.coverage.total == pytest.approx(reference, abs=1e-9)
    # Whichever published last holds the store; nothing else is left behind, no pin outlives its run.
    meta = incremental.stored_meta(geo / ".git")
    assert meta is not None and meta["root"] in (os.path.realpath(first), os.path.realpath(second))
    assert store_files(geo) == ([meta["db"]], [])


def test_a_run_s_pin_keeps_what_it_reads_until_it_lets_go_or_dies(geo: Path) -> None:  # noqa: F811
    gate_run(geo)
    repo = g.find_repo(geo)
    (held,), _ = store_files(geo)
    reading = incremental.plan(repo, g.tree_only(repo))  # a run that reads `held`, still going

    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    assert gate_run(geo, per_test="full").ok  # publishes a new store and sweeps
    files, pins = store_files(geo)
    meta = incremental.stored_meta(repo.git_dir)
    assert meta is not None and held in files and meta["db"] in files and len(pins) == 1
    incremental.release(reading)
    incremental.release(reading)  # twice is harmless
    assert store_files(geo) == ([meta["db"]], [])

    # A run killed while it holds its pin: the next run sweeps its pin and its half-written data.
    killed = (
        "import os, signal\nfrom pathlib import Path\nfrom stepcommit import git\nfrom stepcommit.gates import incremental\n"
        "repo = git.find_repo(Path.cwd())\nselection = incremental.plan(repo, git.tree_only(repo))\n"
        "Path(selection.job['out']).write_bytes(b'half a data file')\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**_clean_env(), "PYTHONPATH": str(CHECKOUT)}
    assert subprocess.run([sys.executable, "-c", killed], cwd=geo, env=env).returncode == -signal.SIGKILL
    files, pins = store_files(geo)
    assert len(files) == 2 and len(pins) == 1
    assert gate_run(geo).ok
    meta = incremental.stored_meta(repo.git_dir)
    assert meta is not None and store_files(geo) == ([meta["db"]], [])

    # A run that raises (its interpreter is missing) lets go of its pin too.
    with pytest.raises(ToolMissing):
        run_tests(repo, Config(incremental=True, python=[str(geo / "no-such-python")]), per_test="auto")
    assert store_files(geo) == ([meta["db"]], [])
