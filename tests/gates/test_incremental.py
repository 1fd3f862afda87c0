"""The incremental gate on real repositories: after each edit, the tests it reruns and a total equal,
file by file, to a full `coverage run -m pytest` of the same tree."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit import state
from stepcommit.config import Config
from stepcommit.gates import incremental
from stepcommit.gates.testrun import TestRun as Run
from stepcommit.gates.testrun import run_tests
from tests.conftest import commit_all, write

CFG = Config(incremental=True)

SHAPES = '''\
"""Shapes: import-time code, functions, a class, a lazily imported helper."""

SIDES = {"triangle": 3, "square": 4}


def sides(name):
    return SIDES[name]


def perimeter(name, length):
    total = 0
    for _ in range(sides(name)):
        total += length
    return total


class Grid:
    def __init__(self, width):
        self.width = width

    def cells(self):
        return self.width * self.width

    def describe(self):
        if self.width > 2:
            return "big"
        return "small"
'''

UNITS = """\
def to_mm(cm):
    return cm * 10


def to_cm(mm):
    if mm < 0:
        raise ValueError(mm)
    return mm / 10
"""

LAZY = """\
TABLE = [1, 2, 3]


def total():
    return sum(TABLE)
"""

TEST_SHAPES = """\
from geo.shapes import Grid, perimeter, sides


def test_sides():
    assert sides("square") == 4


def test_perimeter():
    assert perimeter("triangle", 2) == 6


def test_grid_cells():
    assert Grid(3).cells() == 9


def test_grid_describe():
    assert Grid(1).describe() == "small"
"""

TEST_UNITS = """\
from geo.units import to_mm


def test_to_mm():
    assert to_mm(2) == 20


def test_lazy():
    from geo import lazy

    assert lazy.total() == 6
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "COV_CORE_"))}


def full_coverage(project: Path, tmp: Path) -> dict:
    """coverage.py's own JSON report of a plain `coverage run -m pytest` on the same files."""
    data = tmp / "reference.coverage"
    out = tmp / "reference.json"
    for argv in (
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out)],
    ):
        subprocess.run(argv, cwd=project, env=_clean_env(), capture_output=True, check=False)
    report = json.loads(out.read_text())
    data.unlink()
    return report


def assert_equal_to_full(project: Path, run: Run, tmp: Path) -> None:
    assert run.coverage is not None, run.output_tail
    reference = full_coverage(project, tmp)
    assert run.coverage.total == pytest.approx(reference["totals"]["percent_covered"], abs=1e-9)
    ours = json.loads((state.state_dir(g.find_repo(project).git_dir) / "run" / "coverage.json").read_text())
    assert ours["totals"] == reference["totals"]
    assert set(ours["files"]) == set(reference["files"])
    for name, entry in reference["files"].items():
        assert ours["files"][name]["executed_lines"] == entry["executed_lines"], name
        assert ours["files"][name]["summary"] == entry["summary"], name


def gate_run(project: Path, cfg: Config = CFG, per_test: str = "auto") -> Run:
    repo = g.find_repo(project)
    return run_tests(repo, cfg, per_test=per_test)


@pytest.fixture
def geo(repo: Path) -> Path:
    write(
        repo,
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['geo']\nbranch = true\n",
            "geo/__init__.py": "",
            "geo/shapes.py": SHAPES,
            "geo/units.py": UNITS,
            "geo/lazy.py": LAZY,
            "tests/test_shapes.py": TEST_SHAPES,
            "tests/test_units.py": TEST_UNITS,
            ".gitignore": "__pycache__/\n",
        },
    )
    commit_all(repo, "chore: initial")
    return repo


def test_each_edit_reruns_only_the_affected_tests_and_keeps_the_exact_total(
    geo: Path, tmp_path: Path
) -> None:
    first = gate_run(geo)
    assert first.ok and first.measured is not None
    assert first.measured.mode == "full" and first.measured.reason == "first run"
    assert_equal_to_full(geo, first, tmp_path)

    # A function body: only the test that ran it; Grid's lines below it move down by two.
    write(geo, {"geo/shapes.py": SHAPES.replace(
        "    total = 0\n", "    total = 0\n    if length < 0:\n        return 0\n")})  # fmt: skip
    run = gate_run(geo)
    assert run.measured is not None and run.measured.mode == "incremental"
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert info["ran"] == ["tests/test_shapes.py::test_perimeter"]
    assert len(info["collected"]) == 4  # only the test module involved was collected
    assert run.measured.describe() == "incremental: 1 of 6 tests"
    assert_equal_to_full(geo, run, tmp_path)

    # A method body further down, whose tests' lines above were moved by the last edit.
    write(geo, {"geo/shapes.py": (geo / "geo/shapes.py").read_text().replace(
        'return "small"', 'return "tiny" if self.width < 1 else "small"')})  # fmt: skip
    run = gate_run(geo)
    assert run.measured is not None and run.measured.ran == 1
    assert_equal_to_full(geo, run, tmp_path)

    # Import-time code (a constant): every test that ran the file, not the others.
    write(
        geo,
        {
            "geo/shapes.py": (geo / "geo/shapes.py")
            .read_text()
            .replace('"square": 4}', '"square": 4, "pentagon": 5}')
        },
    )
    run = gate_run(geo)
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert sorted(info["ran"]) == [
        f"tests/test_shapes.py::test_{n}" for n in ("grid_cells", "grid_describe", "perimeter", "sides")
    ]
    assert_equal_to_full(geo, run, tmp_path)

    # A new test file: its tests run (the store has never seen them); the others are kept.
    write(
        geo,
        {
            "tests/test_more.py": "from geo.units import to_cm\n\n\ndef test_to_cm():\n    assert to_cm(20) == 2\n"
        },
    )
    run = gate_run(geo)
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert info["ran"] == ["tests/test_more.py::test_to_cm"]
    assert_equal_to_full(geo, run, tmp_path)

    # A test module (coverage does not measure tests/ here): all of its tests, no others.
    write(geo, {"tests/test_units.py": TEST_UNITS.replace("to_mm(2) == 20", "to_mm(3) == 30")})
    run = gate_run(geo)
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert info["ran"] == ["tests/test_units.py::test_to_mm", "tests/test_units.py::test_lazy"]
    assert_equal_to_full(geo, run, tmp_path)

    # A deleted test file and a deleted module (with the test that used it): their data drops out.
    (geo / "tests/test_more.py").unlink()
    write(geo, {"tests/test_units.py": TEST_UNITS.split("\n\ndef test_lazy")[0] + "\n"})
    (geo / "geo/lazy.py").unlink()
    run = gate_run(geo)
    assert run.ok, run.output_tail
    assert run.measured is not None and run.measured.mode == "incremental"
    assert_equal_to_full(geo, run, tmp_path)

    # Nothing changed: nothing reruns, the total stands.
    run = gate_run(geo)
    assert run.ok and run.problem is None
    assert run.measured is not None and run.measured.describe() == "incremental: 0 of 5 tests"
    assert run.tests is not None and run.tests.passed == 0  # a test line even when nothing ran
    assert_equal_to_full(geo, run, tmp_path)


def test_failing_tests_are_rerun_until_they_pass(geo: Path, tmp_path: Path) -> None:
    gate_run(geo)
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return cm * 100")})
    failed = gate_run(geo)
    assert not failed.ok and [f.test for f in failed.failures] == ["tests/test_units.py::test_to_mm"]
    write(geo, {"geo/shapes.py": SHAPES.replace('return "big"', 'return "large"')})
    again = gate_run(geo)  # the failure is selected again, beside what the new edit affects
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert sorted(info["ran"]) == [
        "tests/test_shapes.py::test_grid_describe",
        "tests/test_units.py::test_to_mm",
    ]
    assert not again.ok
    write(geo, {"geo/units.py": UNITS})
    fixed = gate_run(geo)
    assert fixed.ok and fixed.measured is not None and fixed.measured.mode == "incremental"
    assert_equal_to_full(geo, fixed, tmp_path)


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"tests/conftest.py": "import pytest\n"}, "tests/conftest.py changed"),
        ({"tests/data.txt": "42\n"}, "tests/data.txt changed (a file that is not Python source"),
    ],
)
def test_changes_it_cannot_trace_run_everything(
    geo: Path, tmp_path: Path, files: dict[str, str], reason: str
) -> None:
    gate_run(geo)
    write(geo, files)
    run = gate_run(geo)
    assert run.measured is not None and run.measured.mode == "full"
    assert run.measured.reason is not None and run.measured.reason.startswith(reason)
    assert run.measured.ran == run.measured.collected == 6
    assert_equal_to_full(geo, run, tmp_path)
    assert gate_run(geo).measured.mode == "incremental"  # type: ignore[union-attr]  # the full run refreshed the store


def test_a_changed_test_environment_runs_everything(geo: Path) -> None:
    gate_run(geo)
    run = gate_run(geo, Config(incremental=True, pytest_args=["-p", "no:randomly"]))
    assert run.measured is not None and run.measured.mode == "full"
    assert run.measured.reason == "the test environment changed (pytest_args)"


def test_the_plan_file_is_ignored_when_asked(geo: Path) -> None:
    repo = g.find_repo(geo)
    gate_run(geo)
    write(geo, {"PLAN.md": "- [x] **1.1. Done**\n"})
    for ignore, selected in ((("PLAN.md",), ()), ((), None)):
        selection = incremental.plan(repo, g.tree_only(repo), ignore=ignore)
        incremental.release(selection)
        assert selection.select == selected


def test_data_that_cannot_be_merged_falls_back_to_a_full_run(geo: Path, tmp_path: Path) -> None:
    gate_run(geo)
    meta = state.read_json(geo / ".git/stepcommit/testcov/meta.json")
    with sqlite3.connect(geo / ".git/stepcommit/testcov" / meta["db"]) as con:
        con.execute("update coverage_schema set version = 6")
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    run = gate_run(geo)
    assert run.ok, run.output_tail
    assert run.measured is not None and run.measured.mode == "full"
    assert "could not be merged" in str(run.measured.reason)
    assert_equal_to_full(geo, run, tmp_path)


def test_a_lost_store_or_a_full_request_measures_everything(geo: Path) -> None:
    gate_run(geo)
    assert gate_run(geo, per_test="full").measured.mode == "full"  # type: ignore[union-attr]
    shutil.rmtree(geo / ".git/stepcommit/testcov")
    run = gate_run(geo)
    assert run.measured is not None and run.measured.reason == "first run"
    meta = state.read_json(geo / ".git/stepcommit/testcov/meta.json")
    (geo / ".git/stepcommit/testcov" / meta["db"]).unlink()
    assert gate_run(geo).measured.reason == "store incomplete"  # type: ignore[union-attr]


def test_check_says_how_it_measured(geo: Path) -> None:
    write(
        geo,
        {"pyproject.toml": (geo / "pyproject.toml").read_text() + "[tool.stepcommit]\nincremental = true\n"},
    )
    commit_all(geo)
    env = {**_clean_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cli = [sys.executable, "-m", "stepcommit"]
    first = subprocess.run([*cli, "check"], cwd=geo, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "incremental gate: full run: first run" in first.stderr
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    second = subprocess.run([*cli, "check", "--json"], cwd=geo, env=env, capture_output=True, text=True)
    data = json.loads(second.stdout)
    assert data["ok"] and data["measured"] == "incremental: 1 of 6 tests"
    third = subprocess.run([*cli, "check", "--no-cache"], cwd=geo, env=env, capture_output=True, text=True)
    assert "Coverage: " + data["coverage_display"] + "% (incremental: 0 of 6 tests)" in third.stdout
    full = subprocess.run(
        [*cli, "check", "--no-cache", "--full"], cwd=geo, env=env, capture_output=True, text=True
    )
    assert full.returncode == 0 and "incremental" not in full.stdout


def test_a_function_that_runs_at_import_time_makes_collection_run_again(geo: Path, tmp_path: Path) -> None:
    write(geo, {
        "geo/registry.py": "NAMES = []\n\n\ndef register(fn):\n    NAMES.append(fn.__name__)\n    return fn\n",
        "geo/units.py": "from geo.registry import register\n\n\n@register\n" + UNITS,
    })  # fmt: skip
    commit_all(geo)
    gate_run(geo)
    write(geo, {"geo/registry.py": (geo / "geo/registry.py").read_text().replace(
        "    NAMES.append(fn.__name__)\n", "    if fn.__name__ not in NAMES:\n        NAMES.append(fn.__name__)\n")})  # fmt: skip
    run = gate_run(geo)
    info = json.loads((geo / ".git/stepcommit/testcov/run-info.json").read_text())
    assert run.measured is not None and run.measured.mode == "incremental"
    assert len(info["collected"]) == 6  # the whole suite, for its import-time coverage
    assert_equal_to_full(geo, run, tmp_path)


def test_finish_right_after_a_check_needs_no_test_to_run(geo: Path) -> None:
    write(geo, {
        "pyproject.toml": (geo / "pyproject.toml").read_text()
        + "[tool.stepcommit]\nincremental = true\nfull_on_finish = false\n",
        "PLAN.md": "# Plan\n\n- [ ] **1.1. Units**\n",
    })  # fmt: skip
    commit_all(geo)
    env = {**_clean_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cli = [sys.executable, "-m", "stepcommit"]
    assert subprocess.run([*cli, "start"], cwd=geo, env=env, capture_output=True).returncode == 0
    write(geo, {"tests/test_units.py": TEST_UNITS.replace("to_mm(2) == 20", "to_mm(3) == 30")})
    checked = subprocess.run([*cli, "check"], cwd=geo, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # The check gated the tree finish commits (the step ticked): finish finds its verdict.
    done = subprocess.run([*cli, "finish"], cwd=geo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    body = subprocess.run(["git", "log", "-1", "--format=%B"], cwd=geo, capture_output=True, text=True).stdout
    tests_line = next(line for line in checked.stdout.splitlines() if line.startswith("Tests: "))
    assert tests_line.removesuffix(" (cached: this exact tree passed before)") in body
