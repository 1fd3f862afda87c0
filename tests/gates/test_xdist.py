"""Projects whose tests run under pytest-xdist: every worker measured and combined, the total equal to
a serial `coverage run -m pytest`; the per-test store stays off under xdist, and says so."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.config import Config
from stepcommit.gates.testrun import TestRun as Run
from stepcommit.runner.stepcommit_runner.run import XDIST_OFF
from tests.conftest import write
from tests.gates.test_incremental import UNITS, _clean_env, gate_run, geo  # noqa: F401


def assert_equal_to_serial(project: Path, run: Run, tmp: Path) -> None:
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
    assert run.coverage is not None, run.output_tail
    assert run.coverage.total == pytest.approx(reference["totals"]["percent_covered"], abs=1e-9)
    ours = json.loads((project / ".git" / "stepcommit" / "run" / "coverage.json").read_text())
    assert ours["totals"] == reference["totals"]
    for name, entry in reference["files"].items():
        assert ours["files"][name]["executed_lines"] == entry["executed_lines"], name


XDIST = Config(incremental=True, pytest_args=["-n", "2"])


def test_the_incremental_gate_runs_everything_under_xdist_and_says_why(geo: Path, tmp_path: Path) -> None:  # noqa: F811
    first = gate_run(geo, XDIST)
    assert first.ok, (first.problem, first.output_tail)
    assert first.measured is not None and first.measured.mode == "full"
    assert first.measured.describe() == f"full run: {XDIST_OFF}"
    assert first.measured.collected == 6
    assert_equal_to_serial(geo, first, tmp_path)
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    second = gate_run(geo, XDIST)
    assert second.ok and second.measured is not None
    assert second.measured.describe() == f"full run: {XDIST_OFF}"
    assert_equal_to_serial(geo, second, tmp_path)


def test_a_store_built_serially_is_not_used_once_xdist_is_on(
    geo: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert gate_run(geo).measured.mode == "full"  # type: ignore[union-attr]  # the store, built serially
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return 10 * cm")})
    assert gate_run(geo).measured.mode == "incremental"  # type: ignore[union-attr]
    # Nothing in the tree says so: the planner chooses a selection, the run refuses it under xdist.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-n 2")
    write(geo, {"geo/units.py": UNITS.replace("return cm * 10", "return cm * 10.0")})
    run = gate_run(geo)
    assert run.ok, (run.problem, run.output_tail)
    assert run.measured is not None and run.measured.mode == "full"
    assert run.measured.reason == XDIST_OFF
    assert run.tests is not None and run.tests.passed == 6
    results = json.loads((geo / ".git" / "stepcommit" / "run" / "results.json").read_text())
    assert results["workers"] == 2
    assert_equal_to_serial(geo, run, tmp_path)
