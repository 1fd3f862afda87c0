"""CI shards: a real 2-shard split (pytest-split, coverage) combined equals one full `coverage run -m pytest`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import config, git, shards
from stepcommit.commands.ci import durations, shard, verdict
from stepcommit.errors import GateFailed, ToolMissing
from stepcommit.gates.coverage import from_json
from stepcommit.gates.testrun import FloorSetting
from tests.conftest import commit_all, write
from tests.conftest import git as run_git

SHAPES = '''\
"""Shapes, each test module reaching other lines and branches."""


def area(kind, size):
    if kind == "square":
        return size * size
    if kind == "circle":
        return 3 * size * size
    return 0


def grow(size, by=1):
    if by < 0:
        raise ValueError("cannot shrink")
    return size + by


def unused(x):
    return x
'''

TESTS = {
    "tests/test_square.py": "from shapes import area\n\n\ndef test_square():\n    assert area('square', 2) == 4\n",
    "tests/test_circle.py": "from shapes import area\n\n\ndef test_circle():\n    assert area('circle', 1) == 3\n",
    "tests/test_grow.py": (
        "import pytest\n\nfrom shapes import grow\n\n\ndef test_grow():\n    assert grow(1) == 2\n\n\n"
        "def test_shrink():\n    with pytest.raises(ValueError):\n        grow(1, -1)\n"
    ),
    "tests/test_other.py": "from shapes import area\n\n\ndef test_other():\n    assert area('hexagon', 1) == 0\n",
}

PYPROJECT = """\
[project]
name = "shapes"
version = "0"

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.coverage.run]
source = ["shapes"]
branch = true

[tool.coverage.report]
precision = 2
"""


@pytest.fixture
def shapes(repo: Path) -> Path:
    write(
        repo,
        {"pyproject.toml": PYPROJECT, "shapes/__init__.py": SHAPES, ".gitignore": "__pycache__/\n", **TESTS},
    )
    commit_all(repo, "feat: shapes")
    return repo


def _plain_env() -> dict[str, str]:
    """This suite's own coverage and xdist settings stay out of the oracle's run."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "COV_CORE_", "PYTEST_XDIST_"))
    }


def full_run_total(root: Path) -> dict[str, object]:
    """coverage.py's own figures for one full `coverage run -m pytest` of the tree (the oracle)."""
    env = _plain_env()
    data = root.parent / "oracle.coverage"
    run = [sys.executable, "-m", "coverage"]
    subprocess.run([*run, "run", f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                   cwd=root, env=env, check=True, capture_output=True)  # fmt: skip
    out = root.parent / "oracle.json"
    subprocess.run([*run, "json", f"--data-file={data}", "-o", str(out)], cwd=root, env=env, check=True,
                   capture_output=True)  # fmt: skip
    totals: dict[str, object] = json.loads(out.read_text())["totals"]
    return totals


def test_two_shards_combined_equal_one_full_run(shapes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = shapes.parent / "artifacts"
    for group in (1, 2):
        assert shard(cwd=shapes, splits=2, group=group, out=out) == 0
    ran = [set(json.loads((out / shards.durations_name(g)).read_text())) for g in (1, 2)]
    assert ran[0] and ran[1] and not ran[0] & ran[1]  # two real, disjoint halves of the suite
    assert len(ran[0] | ran[1]) == 5
    alone = []
    for group in (1, 2):
        report, _ = shards.combine(
            git.find_repo(shapes), config.load(shapes), (out / shards.data_name(group),)
        )
        alone.append(report.total)
    capsys.readouterr()
    assert verdict(cwd=shapes, folder=out, base_ref=None, as_json=True) == 0
    result = json.loads(capsys.readouterr().out)
    oracle = full_run_total(shapes)
    assert result["coverage"] == oracle["percent_covered"]
    assert result["coverage_display"] == oracle["percent_covered_display"]
    assert max(alone) < result["coverage"]  # each shard alone measured less: the combine is real
    assert result["tests"].startswith("5 passed") and result["shards"] == 2
    # The shards' own durations, merged: every test of the suite, as pytest-split names them.
    merged = json.loads((out / "test_durations").read_text())
    assert set(merged) == ran[0] | ran[1]
    assert "tests/test_grow.py::test_shrink" in merged


def test_the_split_follows_recorded_durations(shapes: Path) -> None:
    times = {node: 0.01 for node in ("tests/test_circle.py::test_circle", "tests/test_grow.py::test_grow",
                                     "tests/test_grow.py::test_shrink", "tests/test_other.py::test_other")}  # fmt: skip
    times["tests/test_circle.py::test_circle"] = 50.0
    shards.write_durations(shapes / shards.DURATIONS, {**times, "tests/test_square.py::test_square": 0.01})
    out = shapes.parent / "artifacts"
    for group in (1, 2):
        assert shard(cwd=shapes, splits=2, group=group, out=out) == 0
    first = set(json.loads((out / shards.durations_name(1)).read_text()))
    # The slow test fills the first shard on its own; the other four share the second.
    assert first == {"tests/test_circle.py::test_circle"}
    second = json.loads((out / shards.durations_name(2)).read_text())
    assert len(second) == 4 and "tests/test_circle.py::test_circle" not in second


def test_durations_from_one_full_run_and_from_the_shards(shapes: Path) -> None:
    assert durations(cwd=shapes) == 0
    recorded = json.loads((shapes / shards.DURATIONS).read_text())
    assert set(recorded) == {
        "tests/test_circle.py::test_circle", "tests/test_grow.py::test_grow", "tests/test_grow.py::test_shrink",
        "tests/test_other.py::test_other", "tests/test_square.py::test_square",
    }  # fmt: skip
    assert all(isinstance(v, float) and v >= 0 for v in recorded.values())
    folder = shapes.parent / "downloaded"
    folder.mkdir()
    (folder / shards.durations_name(1)).write_text(json.dumps({"tests/a.py::t": 1.5}))
    (folder / shards.durations_name(2)).write_text(json.dumps({"tests/b.py::t": 2.0}))
    assert durations(cwd=shapes, source=folder) == 0
    assert json.loads((shapes / shards.DURATIONS).read_text()) == {"tests/a.py::t": 1.5, "tests/b.py::t": 2.0}
    # The verdict job's merged file, downloaded on its own, does as well.
    (folder / "test_durations").write_text(json.dumps({"tests/c.py::t": 0.5}))
    assert durations(cwd=shapes, source=folder / "test_durations") == 0
    assert json.loads((shapes / shards.DURATIONS).read_text()) == {"tests/c.py::t": 0.5}


def test_a_missing_shard_gives_no_verdict(shapes: Path) -> None:
    out = shapes.parent / "artifacts"
    assert shard(cwd=shapes, splits=2, group=2, out=out) == 0
    with pytest.raises(shards.ShardError, match=r"Shard\(s\) 1 of 2 left no results"):
        verdict(cwd=shapes, folder=out, base_ref=None)
    with pytest.raises(shards.ShardError, match="no shard results"):
        verdict(cwd=shapes, folder=shapes.parent / "empty", base_ref=None)


def test_a_failing_shard_fails_and_so_does_the_verdict(shapes: Path) -> None:
    write(shapes, {"tests/test_other.py": "def test_other():\n    assert False\n"})
    out = shapes.parent / "artifacts"
    results = []
    for group in (1, 2):
        try:
            results.append(shard(cwd=shapes, splits=2, group=group, out=out))
        except GateFailed as exc:
            assert "test_other" in exc.message
            results.append(GateFailed.exit_code)
    assert GateFailed.exit_code in results
    with pytest.raises(GateFailed, match="tests failed"):
        verdict(cwd=shapes, folder=out, base_ref=None)


def test_the_verdict_applies_the_ratchet_against_the_base(
    shapes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_git(shapes, "commit", "-q", "--allow-empty", "-m", "chore: measured\n\nCoverage: 100.00")
    write(shapes, {"shapes/more.py": "def more(x):\n    if x:\n        return 1\n    return 2\n"})
    commit_all(shapes, "feat: more, untested")
    out = shapes.parent / "artifacts"
    for group in (1, 2):
        shard(cwd=shapes, splits=2, group=group, out=out)
    with pytest.raises(GateFailed, match=r"coverage fell from 100.00% to \d+\.\d\d% \(ratchet\)"):
        verdict(cwd=shapes, folder=out, base_ref="HEAD~1")
    capsys.readouterr()
    assert verdict(cwd=shapes, folder=out, base_ref="HEAD~1", as_json=True) == GateFailed.exit_code
    data = json.loads(capsys.readouterr().out)
    assert data["previous_coverage"] == "100.00"
    assert data["changed_lines"] == {
        "covered": 0,
        "measured": 6,
        "display": "0.00",
    }  # 4 statements, 2 branches


def test_a_passing_verdict_prints_the_gate_lines(shapes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = shapes.parent / "artifacts"
    for group in (1, 2):
        shard(cwd=shapes, splits=2, group=group, out=out)
    xml = shapes.parent / "coverage.xml"
    capsys.readouterr()
    assert verdict(cwd=shapes, folder=out, base_ref=None, coverage_xml=xml) == 0
    printed = capsys.readouterr().out
    assert "Tests: 5 passed" in printed and "(2 shards)" in printed
    assert printed.splitlines()[1].startswith("Coverage: ")
    assert "<coverage " in xml.read_text()


def _report(percent: float) -> shards.CoverageReport:
    files = {"pkg/a.py": {"summary": {"num_statements": 4, "missing_lines": 1, "percent_covered": percent},
                          "executed_lines": [1, 2, 3], "missing_lines": [4]}}  # fmt: skip
    return from_json(
        {"files": files, "totals": {"percent_covered": percent, "num_statements": 4, "missing_lines": 1}}
    )


def test_verdict_rules_are_the_gates() -> None:
    report = _report(75.0)
    rules = {"previous_source": "", "ratchet": True, "tolerance": 0.0, "fail_under_changed": None}
    ok = shards.verdict(report, floor=FloorSetting(70, 2), previous="75.00", changed={}, **rules)  # type: ignore[arg-type]
    assert ok.ok and ok.patch is None
    low = shards.verdict(report, floor=FloorSetting(80, 2), previous=None, changed=None, **rules)  # type: ignore[arg-type]
    assert low.problems == ("coverage 75.00% is under the floor of 80% (fail_under)",)
    fell = shards.verdict(report, floor=None, previous="75.01", changed={"pkg/a.py": {3, 4}}, **rules)  # type: ignore[arg-type]
    assert fell.problems == ("coverage fell from 75.01% to 75.00% (ratchet)",) and fell.patch == (1, 2)
    unknown = shards.verdict(
        report, floor=None, previous=None, changed={}, **{**rules, "previous_source": "why"}
    )  # type: ignore[arg-type]
    assert unknown.ok and unknown.notes == ("ratchet not applied: why",)
    strict = shards.verdict(report, floor=None, previous=None, changed={"pkg/a.py": {3, 4}},
                            **{**rules, "ratchet": False, "fail_under_changed": 60.0})  # type: ignore[arg-type]  # fmt: skip
    assert strict.problems == ("changed lines 50.00% covered (1 of 2), under fail_under_changed = 60%",)


def test_a_group_outside_the_split_is_refused(shapes: Path) -> None:
    with pytest.raises(shards.ShardError, match="names no shard"):
        shard(cwd=shapes, splits=2, group=3, out=shapes.parent / "x")


def test_shards_cloned_in_other_folders_combine_onto_this_checkout(shapes: Path) -> None:
    """GitLab's concurrent jobs clone into different build folders; the data's absolute paths are mapped."""
    write(shapes, {"pyproject.toml": PYPROJECT.replace("branch = true", "branch = true\nparallel = true")})
    commit_all(shapes, "chore: parallel coverage")
    elsewhere = shapes.parent / "builds" / "0" / "shapes"
    run_git(shapes.parent, "clone", "-q", str(shapes), str(elsewhere))
    out = shapes.parent / "artifacts"
    assert shard(cwd=elsewhere, splits=2, group=1, out=out) == 0
    assert shard(cwd=shapes, splits=2, group=2, out=out) == 0
    found = shards.read_shards(out)
    assert found.roots == tuple(sorted({str(elsewhere.resolve()), str(shapes.resolve())}))
    report, _ = shards.combine(git.find_repo(shapes), config.load(shapes), found.data_files, found.roots)
    # Without the mapping the clone's file would be reported on its own, under its absolute path.
    assert [f.path for f in report.files] == ["shapes/__init__.py"]
    oracle = full_run_total(shapes)
    assert report.total == oracle["percent_covered"]


def test_shards_of_another_commit_give_no_verdict(shapes: Path) -> None:
    out = shapes.parent / "artifacts"
    for group in (1, 2):
        shard(cwd=shapes, splits=2, group=group, out=out)
    write(shapes, {"README.md": "# shapes\n"})
    commit_all(shapes, "docs: readme")
    with pytest.raises(shards.ShardError, match="this checkout is at"):
        verdict(cwd=shapes, folder=out, base_ref=None)


def test_without_pytest_split_the_shard_says_how_to_add_it(shapes: Path) -> None:
    # The plugin switched off by name stands for an environment that lacks it.
    write(
        shapes,
        {"pyproject.toml": PYPROJECT + '\n[tool.stepcommit]\npytest_args = ["-p", "no:pytest-split"]\n'},
    )
    with pytest.raises(ToolMissing, match="no pytest-split") as raised:
        shard(cwd=shapes, splits=2, group=1, out=shapes.parent / "artifacts")
    assert "uv add --dev pytest-split" in raised.value.hint


def test_cli_wiring_of_shard_verdict_and_durations(shapes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from stepcommit.cli import app

    monkeypatch.chdir(shapes)
    runner = CliRunner()
    ran = [runner.invoke(app, ["ci", "shard", "--splits", "2", "--group", str(g), "--out", "../out", "--json"])
           for g in (1, 2)]  # fmt: skip
    assert [r.exit_code for r in ran] == [0, 0], ran[0].output
    assert json.loads(ran[0].output)["ok"] is True
    judged = runner.invoke(app, ["ci", "verdict", "../out", "--base", "HEAD", "--json"])
    assert judged.exit_code == 0, judged.output
    assert json.loads(judged.stdout)["coverage"] == full_run_total(shapes)["percent_covered"]
    merged = runner.invoke(app, ["ci", "durations", "--from", "../out"])
    assert merged.exit_code == 0 and "5 tests" in merged.output
    assert len(json.loads((shapes / shards.DURATIONS).read_text())) == 5


def test_durations_of_a_failing_suite_fail(shapes: Path) -> None:
    write(shapes, {"tests/test_other.py": "def test_other():\n    assert False\n"})
    with pytest.raises(GateFailed, match="tests failed"):
        durations(cwd=shapes)
