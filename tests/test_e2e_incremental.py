"""The incremental gate on a real project from PyPI: after each of a sequence of real edits, the total
and every file's figures equal a full `coverage run -m pytest` of the same tree.

itsdangerous's sdist (297 tests, branch coverage of the package and its tests) is fetched at run time
into a temporary folder, never committed. benchmarks/incremental.py does the same on click's 2,459
tests and times it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.pypi import fetch_sdist, project_from_sdist, run

PROJECT = "itsdangerous==2.2.0"
pytestmark = pytest.mark.slow

# (what, file, old text or None to append, new text, whether only affected tests may run)
EDITS = [
    ("a method body", "src/itsdangerous/signer.py",
     '        value = want_bytes(value)\n        return value + self.sep + self.get_signature(value)\n',
     '        value = want_bytes(value)\n        signature = self.get_signature(value)\n'
     '        return value + self.sep + signature\n', True),
    ("a test's body", "tests/test_itsdangerous/test_signer.py",
     '        out = signer.unsign(signed)\n        assert out == b"my string"\n',
     '        out = signer.unsign(signed)\n        assert out == b"my string"\n        assert out.decode() == "my string"\n',
     True),
    ("a new test module", "tests/test_itsdangerous/test_new.py", None,
     "from itsdangerous import Signer\n\n\ndef test_round_trip():\n"
     "    assert Signer('k').unsign(Signer('k').sign('v')) == b'v'\n", True),
    ("import-time code", "src/itsdangerous/encoding.py",
     "from .exc import BadData\n", "from .exc import BadData\n\nEDITED = True\n", True),
    ("a deleted test module", "tests/test_itsdangerous/test_new.py", "", "", True),
]  # fmt: skip


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "VIRTUAL_ENV"))}


def _full_report(python: Path, project: Path, where: Path) -> dict:
    data, out = where / "ref.coverage", where / "ref.json"
    subprocess.run([python, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q",
                    "-p", "no:cacheprovider"], cwd=project, env=_env(), capture_output=True, check=True)  # fmt: skip
    subprocess.run([python, "-m", "coverage", "json", f"--data-file={data}", "-o", out],
                   cwd=project, env=_env(), capture_output=True, check=True)  # fmt: skip
    return json.loads(out.read_text())


def _check(project: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "stepcommit", "check", "--no-cache", "--json"],
                            cwd=project, env=_env(), capture_output=True, text=True)  # fmt: skip
    return json.loads(result.stdout)


def test_incremental_totals_equal_full_runs_after_real_edits(tmp_path: Path) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is needed to give the project its own .venv")
    try:
        sdist = fetch_sdist(PROJECT, tmp_path)
    except (OSError, KeyError, StopIteration) as exc:
        pytest.skip(f"cannot download {PROJECT} from PyPI: {exc}")
    project = project_from_sdist(sdist, tmp_path / "src", extra=("pytest", "coverage", "freezegun"))
    python = project / ".venv" / "bin" / "python"
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.stepcommit]\nincremental = true\nratchet = false\nlint = false\n")
    run("git", "commit", "-qam", "chore: incremental gate", cwd=project)

    first = _check(project)
    assert first["ok"] and first["measured"] is None
    assert "incremental gate: full run: first run" in first["notes"]
    for what, path, old, new, incremental in EDITS:
        target = project / path
        if old is None:
            target.write_text(new, encoding="utf-8")
        elif old == "":
            target.unlink()
        else:
            text = target.read_text(encoding="utf-8")
            assert old in text, what
            target.write_text(text.replace(old, new, 1), encoding="utf-8")
        gate = _check(project)
        assert gate["ok"], (what, gate["problems"])
        if incremental:
            assert str(gate["measured"]).startswith("incremental: "), (what, gate["notes"])
        ours = json.loads((project / ".git/stepcommit/run/coverage.json").read_text())
        full = _full_report(python, project, tmp_path)
        assert abs(gate["coverage"] - full["totals"]["percent_covered"]) < 1e-9, what
        assert ours["totals"] == full["totals"], what
        assert set(ours["files"]) == set(full["files"]), what
        for name, entry in full["files"].items():
            assert ours["files"][name]["executed_lines"] == entry["executed_lines"], (what, name)
            assert ours["files"][name]["summary"] == entry["summary"], (what, name)
    # Only the affected tests ran for the method edit; the suite's size is known all along.
    assert gate["measured"].endswith(" of 297 tests")
