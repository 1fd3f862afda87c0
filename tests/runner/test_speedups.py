"""speedups.py: each patch of coverage's internals gives coverage's own report, in a process of its own
(a Coverage object created in a measured pytest-xdist worker would keep that worker's own measurement
from being saved)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.runner.test_sqlite_store import data_file

ROOT = Path(__file__).resolve().parents[2]

REPORT = """
import json, sys
from coverage import Coverage
from stepcommit.runner.stepcommit_runner import speedups

cache, data, out, mode = sys.argv[1:]
created_counts = []
for name in ("first", "second"):
    cov = Coverage(data_file=data, config_file=False)
    cov.load()
    created = speedups.apply(cache or None) if mode == "on" else []
    cov.json_report(outfile=out + name)
    if created:
        speedups.save_parsers(cache, created)
    created_counts.append(len(created))
print(json.dumps(created_counts))
"""

BRANCHY = (
    "def f(x):\n    if x:\n        return 1\n    return 2\n\n\nclass C:\n    def m(self):\n        return 3\n"
)


def _report(tmp_path: Path, cache: Path | None, mode: str) -> tuple[list[int], list[dict[str, object]]]:
    out = tmp_path / f"report-{mode}-"
    result = subprocess.run(
        [sys.executable, "-c", REPORT, str(cache or ""), str(tmp_path / ".coverage"), str(out), mode],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    reports = [json.loads(Path(f"{out}{n}").read_text()) for n in ("first", "second")]
    return json.loads(result.stdout), reports


def _measured(tmp_path: Path) -> Path:
    module = tmp_path / "branchy.py"
    module.write_text(BRANCHY)
    arcs = [(-1, 1), (1, -1), (-1, 2), (2, 3), (3, -1), (1, 7), (7, 8), (8, -7)]
    data_file(tmp_path / ".coverage", {"": {str(module): arcs}})
    return module


def test_the_parse_cache_gives_coverage_the_same_report(tmp_path: Path) -> None:
    _measured(tmp_path)
    cache = tmp_path / "cache"
    counts, (first, second) = _report(tmp_path, cache, "on")
    assert counts == [1, 0]  # parsed once, then read back from the cache
    assert len(list(cache.iterdir())) == 1
    assert first["files"] == second["files"] and first["totals"] == second["totals"]
    assert next(iter(first["files"].values()))["executed_lines"] == [1, 2, 3, 7, 8]


def test_every_speedup_on_equals_coverage_as_shipped(tmp_path: Path) -> None:
    _measured(tmp_path)
    _, (shipped, _) = _report(tmp_path, None, "off")
    _, (fast, cached) = _report(tmp_path, tmp_path / "cache", "on")
    for report in (fast, cached):
        assert report["totals"] == shipped["totals"]
        for name, entry in shipped["files"].items():
            ours = report["files"][name]
            assert "functions" not in ours and "functions" in entry  # the regions left out
            for key in (
                "executed_lines",
                "missing_lines",
                "summary",
                "executed_branches",
                "missing_branches",
            ):
                assert ours[key] == entry[key], key
