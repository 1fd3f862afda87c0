"""A real project from PyPI whose tests run under pytest-xdist (`-n 2`): stepcommit measures every
worker and combines them, so its total equals a serial `coverage run -m pytest` of the same tree.

itsdangerous's sdist is fetched at run time into a temporary folder, never committed, and given its
own .venv with pytest-xdist (see tests/test_e2e_incremental.py for the same project without it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.pypi import fetch_sdist, project_from_sdist, run
from tests.test_e2e_incremental import _env

PROJECT = "itsdangerous==2.2.0"
pytestmark = pytest.mark.slow


def test_xdist_workers_give_the_serial_total_on_a_real_project(tmp_path: Path) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is needed to give the project its own .venv")
    try:
        sdist = fetch_sdist(PROJECT, tmp_path)
    except (OSError, KeyError, StopIteration) as exc:
        pytest.skip(f"cannot download {PROJECT} from PyPI: {exc}")
    project = project_from_sdist(
        sdist, tmp_path / "src", extra=("pytest", "coverage", "freezegun", "pytest-xdist")
    )
    python = project / ".venv" / "bin" / "python"
    run(python, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    report = run(python, "-m", "coverage", "report", "--precision=2", cwd=project)
    serial = re.search(r"^TOTAL\s.*\s(\d+\.\d\d)%$", report, re.MULTILINE)
    assert serial is not None, report
    (project / ".coverage").unlink()

    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[tool.stepcommit]\npytest_args = ["-n", "2"]\nlint = false\nincremental = true\n')
    # The settings are the project's, committed: only a change to them is the honesty check's business.
    run("git", "commit", "-q", "-am", "chore: stepcommit settings", cwd=project)
    result = subprocess.run(
        [sys.executable, "-m", "stepcommit", "check", "--no-cache", "--json"],
        cwd=project, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    gate = json.loads(result.stdout)
    assert gate["ok"], (gate["problems"], result.stderr[-2000:])
    assert abs(float(gate["coverage_display"]) - float(serial.group(1))) <= 0.01
    assert gate["tests"] is not None and "297 passed" in gate["tests"]
    results = json.loads((project / ".git" / "stepcommit" / "run" / "results.json").read_text())
    assert results["workers"] == 2 and results["collected"] == 297
    # The per-test store is off under xdist, and the gate says so.
    assert any("pytest-xdist" in note for note in gate["notes"]), gate["notes"]
