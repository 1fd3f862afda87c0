"""Projects whose tests run under pytest-xdist (`-n 2`): stepcommit measures every worker and combines
them, so its total equals a serial `coverage run -m pytest` of the same tree, and the incremental gate
keeps per-test data from every worker.

A small generated project gets its own .venv with pytest-xdist (installed by uv). itsdangerous's
sdist is fetched at run time into a temporary folder, never committed, and given its own .venv with
pytest-xdist (see tests/test_e2e_incremental.py for the same project without it).
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
    # The per-test store is built from the workers' contexts.
    assert "incremental gate: full run: first run" in gate["notes"], gate["notes"]
    meta = json.loads((project / ".git" / "stepcommit" / "testcov" / "meta.json").read_text())
    assert meta.get("db") and not meta.get("disabled") and len(meta["collected"]) == 297


MODULE = """\
def price_{n}(count):
    if count > 10:
        return count * {n} - 1
    return count * {n}


def label_{n}(name):
    return name.upper() + "-{n}"


def unused_{n}():
    return {n}
"""

TEST = """\
from shop.part{n} import label_{n}, price_{n}


def test_price_small_{n}():
    assert price_{n}(2) == 2 * {n}


def test_price_big_{n}():
    assert price_{n}(20) == 20 * {n} - 1


def test_label_{n}():
    assert label_{n}("a") == "A-{n}"


def test_label_again_{n}():
    assert label_{n}("b").startswith("B")
"""


def _shop(where: Path) -> Path:
    """A generated project: five modules, 20 tests, branch coverage, `-n 2` in pytest's addopts, its
    own .venv with pytest, coverage and pytest-xdist (uv's cache makes that quick)."""
    project = where / "shop"
    files = {
        "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n\n'
        '[tool.pytest.ini_options]\naddopts = "-n 2"\n\n'
        '[tool.coverage.run]\nsource = ["shop"]\nbranch = true\n\n'
        "[tool.stepcommit]\nincremental = true\nlint = false\nratchet = false\nxdist_serial_below = 0\n",
        ".gitignore": ".venv/\n__pycache__/\n",
        "shop/__init__.py": "",
        **{f"shop/part{n}.py": MODULE.format(n=n) for n in range(1, 6)},
        **{f"tests/test_part{n}.py": TEST.format(n=n) for n in range(1, 6)},
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    run("git", "init", "-q", "-b", "main", cwd=project)
    run("git", "add", "-A", cwd=project)
    run("git", "commit", "-q", "-m", "chore: shop", cwd=project)
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to give the project its own .venv")
    run(uv, "venv", "-q", "--python", sys.executable, ".venv", cwd=project)
    install = subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(project / ".venv" / "bin" / "python"),
         "pytest", "coverage", "pytest-xdist"],
        cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    if install.returncode != 0:
        pytest.skip(f"cannot install pytest-xdist: {install.stderr[-300:]}")
    return project


def _serial_totals(project: Path, where: Path) -> dict:
    """coverage.py's JSON totals of a full serial `coverage run -m pytest` (addopts cleared: no workers)."""
    python, data, out = project / ".venv" / "bin" / "python", where / "serial.coverage", where / "serial.json"
    run(python, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-o", "addopts=", cwd=project)  # fmt: skip
    run(python, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out), cwd=project)
    data.unlink()
    return json.loads(out.read_text())["totals"]


def test_an_incremental_run_under_xdist_gives_the_serial_total(tmp_path: Path) -> None:
    project = _shop(tmp_path)
    cli = [sys.executable, "-m", "stepcommit", "check", "--no-cache", "--json"]
    results = project / ".git" / "stepcommit" / "run" / "results.json"
    first = json.loads(subprocess.run(cli, cwd=project, env=_env(), capture_output=True, text=True).stdout)
    assert first["ok"], first["problems"]
    assert "incremental gate: full run: first run" in first["notes"]
    assert json.loads(results.read_text())["workers"] == 2
    edit = project / "shop" / "part3.py"
    edit.write_text(edit.read_text().replace("return count * 3 - 1", "return 3 * count - 1"))
    second = json.loads(subprocess.run(cli, cwd=project, env=_env(), capture_output=True, text=True).stdout)
    assert second["ok"], second["problems"]
    assert second["measured"] == "incremental: 2 of 20 tests"  # the two tests that ran price_3
    assert json.loads(results.read_text())["workers"] == 2  # they ran under the workers
    ours = json.loads((project / ".git" / "stepcommit" / "run" / "coverage.json").read_text())["totals"]
    assert ours == _serial_totals(project, tmp_path)
    assert second["coverage_display"] == f"{ours['percent_covered']:.2f}"
