"""Projects whose tests run under pytest-xdist: every worker measured and combined, the total equal to
`coverage run -m pytest -n 2` + `coverage combine` and to a serial `coverage run -m pytest`; the
per-test store is built and used under xdist (each worker records its tests' contexts), and a small
selection runs in one process, which the gate says."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.config import Config
from stepcommit.gates.testrun import TestRun as Run
from tests.conftest import commit_all, write
from tests.gates.test_incremental import UNITS, _clean_env, gate_run, geo  # noqa: F401


def assert_equal_to_serial(project: Path, run: Run | None, tmp: Path) -> None:
    """coverage.py's own JSON report of a serial `coverage run -m pytest` (addopts cleared: no
    xdist) of the same files, equal file by file to stepcommit's."""
    data, out = tmp / "serial.coverage", tmp / "serial.json"
    serial_env = {k: v for k, v in _clean_env().items() if k != "PYTEST_ADDOPTS"}
    for argv in (
        ["run", f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
        ["json", f"--data-file={data}", "-o", str(out)],
    ):
        subprocess.run([sys.executable, "-m", "coverage", *argv], cwd=project, env=serial_env, check=True,
                       capture_output=True)  # fmt: skip
    reference = json.loads(out.read_text())
    data.unlink()
    if run is not None:  # else the last run's report, from the CLI
        assert run.coverage is not None, run.output_tail
        assert run.coverage.total == pytest.approx(reference["totals"]["percent_covered"], abs=1e-9)
    ours = json.loads((project / ".git" / "stepcommit" / "run" / "coverage.json").read_text())
    assert ours["totals"] == reference["totals"]
    assert set(ours["files"]) == set(reference["files"])
    for name, entry in reference["files"].items():
        assert ours["files"][name]["executed_lines"] == entry["executed_lines"], name
        assert ours["files"][name]["summary"] == entry["summary"], name


def _workers(project: Path) -> int:
    return int(json.loads((project / ".git/stepcommit/run/results.json").read_text())["workers"])


def _info(project: Path) -> dict:
    return json.loads((project / ".git/stepcommit/testcov/run-info.json").read_text())


def _stored_contexts(project: Path) -> set[str]:
    meta = state.read_json(project / ".git/stepcommit/testcov/meta.json")
    with sqlite3.connect(project / ".git/stepcommit/testcov" / meta["db"]) as con:
        found = {row[0] for row in con.execute("select context from context")}
    con.close()
    return found


XDIST = Config(incremental=True, pytest_args=["-n", "2"], xdist_serial_below=0)
"""Every run under two workers, however small its selection."""

GEO_TESTS = {
    "tests/test_shapes.py::test_sides", "tests/test_shapes.py::test_perimeter",
    "tests/test_shapes.py::test_grid_cells", "tests/test_shapes.py::test_grid_describe",
    "tests/test_units.py::test_to_mm", "tests/test_units.py::test_lazy",
}  # fmt: skip


def test_a_full_run_under_xdist_equals_coverage_combine_of_its_workers(geo: Path, tmp_path: Path) -> None:  # noqa: F811
    run = gate_run(geo, Config(pytest_args=["-n", "2"]), per_test="off")
    assert run.ok, (run.problem, run.output_tail)
    assert _workers(geo) == 2
    # The oracle: coverage.py itself measuring the workers (its subprocess patch, one file per
    # process), then `coverage combine` and `coverage report`.
    rc = tmp_path / "oracle.rc"
    rc.write_text("[run]\nsource = geo\nbranch = true\nparallel = true\npatch = subprocess\n")
    data = tmp_path / "oracle" / ".coverage"
    data.parent.mkdir()
    cov = [sys.executable, "-m", "coverage"]
    options = [f"--rcfile={rc}", f"--data-file={data}"]
    env = _clean_env()
    for argv in (["run", *options, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"],
                 ["combine", *options]):  # fmt: skip
        subprocess.run([*cov, *argv], cwd=geo, env=env, check=True, capture_output=True)
    report = subprocess.run([*cov, "report", *options, "--precision=2"], cwd=geo, env=env, check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    total = re.search(r"^TOTAL\s.*\s(\d+\.\d\d)%$", report, re.MULTILINE)
    assert total is not None, report
    assert run.coverage is not None and run.coverage.display == total.group(1)


def test_the_store_is_built_and_used_under_xdist(geo: Path, tmp_path: Path) -> None:  # noqa: F811
    first = gate_run(geo, XDIST)
    assert first.ok, (first.problem, first.output_tail)
    assert first.measured is not None and first.measured.describe() == "full run: first run"
    assert _workers(geo) == 2 and first.measured.collected == 6
    assert _stored_contexts(geo) >= GEO_TESTS  # each worker's tests, under their node ids
    assert _info(geo)["test_files"] and any(f.endswith("geo/units.py") for f in _info(geo)["loaded"])
    assert_equal_to_serial(geo, first, tmp_path)

    # A function body: only its test reruns, under the workers, merged into the store.
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    second = gate_run(geo, XDIST)
    assert second.ok, (second.problem, second.output_tail)
    assert second.measured is not None and second.measured.describe() == "incremental: 1 of 6 tests"
    assert second.measured.serial is None and _workers(geo) == 2
    assert _info(geo)["ran"] == ["tests/test_units.py::test_to_mm"]
    assert_equal_to_serial(geo, second, tmp_path)

    # Import-time code: the whole suite is collected in every worker, the others deselected there.
    write(geo, {"geo/units.py": "SCALE = 10\n\n\n" + UNITS.replace("return cm * 10", "return 10 * cm")})
    third = gate_run(geo, XDIST)
    assert third.ok and third.measured is not None and third.measured.mode == "incremental"
    assert len(_info(geo)["collected"]) == 6 and _workers(geo) == 2
    assert_equal_to_serial(geo, third, tmp_path)


def test_a_small_selection_runs_in_one_process_and_the_gate_says_so(geo: Path, tmp_path: Path) -> None:  # noqa: F811
    write(geo, {"pyproject.toml": (geo / "pyproject.toml").read_text()
                + '[tool.stepcommit]\nincremental = true\npytest_args = ["-n", "2"]\n'})  # fmt: skip
    commit_all(geo)
    env = {**_clean_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cli = [sys.executable, "-m", "stepcommit", "check", "--no-cache", "--json"]
    first = json.loads(subprocess.run(cli, cwd=geo, env=env, capture_output=True, text=True).stdout)
    assert first["ok"] and _workers(geo) == 2
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    second = json.loads(subprocess.run(cli, cwd=geo, env=env, capture_output=True, text=True).stdout)
    assert second["ok"] and second["measured"] == "incremental: 1 of 6 tests"
    assert _workers(geo) == 0  # the default xdist_serial_below = 50: one test runs without workers
    assert (
        "incremental gate: 1 tests selected, fewer than xdist_serial_below = 50: run in one process, "
        "without pytest-xdist's 2 workers"
    ) in second["notes"], second["notes"]
    assert_equal_to_serial(geo, None, tmp_path)


def test_a_store_built_serially_serves_a_run_under_xdist(
    geo: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = dataclasses.replace(XDIST, pytest_args=[])
    assert gate_run(geo, cfg).measured.mode == "full"  # type: ignore[union-attr]  # the store, built serially
    # Nothing in the tree says so: the planner chooses a selection, the workers run it.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-n 2")
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return cm * 10.0")})
    run = gate_run(geo, cfg)
    assert run.ok, (run.problem, run.output_tail)
    assert run.measured is not None and run.measured.describe() == "incremental: 1 of 6 tests"
    assert run.tests is not None and run.tests.passed == 1 and _workers(geo) == 2
    assert_equal_to_serial(geo, run, tmp_path)


def test_a_crashed_worker_leaves_no_store_and_the_next_run_is_full(geo: Path) -> None:  # noqa: F811
    gate_run(geo, XDIST)
    write(geo, {"tests/test_crash.py": "import os\n\n\ndef test_crash():\n    os._exit(3)\n"})
    crashed = gate_run(geo, XDIST)
    assert not crashed.ok
    assert crashed.measured is not None and "sent no per-test data" in str(crashed.measured.reason)
    (geo / "tests/test_crash.py").unlink()
    after = gate_run(geo, XDIST)
    assert after.ok and after.measured is not None and after.measured.mode == "full"
    assert "sent no per-test data" in str(after.measured.reason)
