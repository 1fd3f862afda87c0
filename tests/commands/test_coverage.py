"""`stepcommit coverage` on real repositories: real pytest runs, real coverage data, real git history."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stepcommit import config as config_mod
from stepcommit import git as git_mod
from stepcommit.cli import app
from stepcommit.commands.check import check
from stepcommit.commands.coverage import CoverageUsageError, coverage, measure
from stepcommit.errors import GateFailed, PlanError, RepositoryStateError
from stepcommit.gates.testrun import runner
from tests.conftest import commit_all, git, write

SHAPES = '''\
"""Shapes."""


class Square:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side

    def grow(self, by):
        if by < 0:
            raise ValueError("no shrinking")
        self.side += by
        return self


def perimeter(sq):
    return 4 * sq.side
'''

TEST_SHAPES = """\
from calc.shapes import Square


def test_area():
    assert Square(3).area() == 9
"""

BRANCHY = """\
def sign(n):
    if n > 0:
        return 1
    return -1 if n < 0 else 0
"""


@pytest.fixture
def shapes(project: Path) -> Path:
    """The calc project with a second, less tested module, measuring branches."""
    write(
        project,
        {
            "calc/shapes.py": SHAPES,
            "calc/branchy.py": BRANCHY,
            "tests/test_shapes.py": TEST_SHAPES,
            "tests/test_branchy.py": "from calc.branchy import sign\n\n\ndef test_sign():\n    assert sign(5) == 1\n",
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0"\n\n'
            '[tool.coverage.run]\nsource = ["calc"]\nbranch = true\n',
        },
    )
    commit_all(project, "feat: shapes")
    return project


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return json.loads(capsys.readouterr().out)


def _coverage_report(repo: Path) -> str:
    """coverage.py's own report on the data stepcommit's run left, with the same options."""
    run = runner(git_mod.find_repo(repo), config_mod.load(repo))
    return subprocess.run(
        [*run.python, "-m", "coverage", "report", "-m", "--precision=2", *run.cov_args],
        cwd=repo, env=run.env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for line in table.splitlines():
        cells = re.split(r"\s{2,}|\s(?=\d)", line.strip())
        if cells and (cells[0].endswith(".py") or cells[0] == "TOTAL"):
            rows[cells[0]] = line.split()[1:]
    return rows


def test_statement_table_and_total_equal_coverage_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coverage(cwd=project, as_json=True) == 0
    data = _json(capsys)
    assert data["coverage"] == 75.0 and data["coverage_display"] == "75.00" and data["branch"] is False
    assert data["source"] == "test run"
    assert data["tree"] == git(project, "rev-parse", "HEAD^{tree}").strip()
    assert data["files"] == [
        {
            "path": "calc/__init__.py",
            "statements": 4,
            "missing": 1,
            "branches": 0,
            "partial": 0,
            "coverage": 75.0,
            "coverage_display": "75.00",
            "missing_lines": [9],
            "missing_ranges": "9",
        }
    ]
    theirs = _rows(_coverage_report(project))
    assert theirs["TOTAL"][-1] == "75.00%"
    assert coverage(cwd=project) == 0
    ours = _rows(capsys.readouterr().out)
    assert ours == {"calc/__init__.py": ["4", "1", "75.00%", "9"], "TOTAL": ["4", "1", "75.00%"]}
    assert theirs == ours


def test_branch_table_matches_coverage_report_file_by_file(
    shapes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coverage(cwd=shapes) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["File", "Stmts", "Miss", "Branch", "BrPart", "Cover", "Missing"]
    ours = _rows(out)
    theirs = _rows(_coverage_report(shapes))
    # Same missed lines as coverage's own Missing column (which would add partial arcs such as 2->4).
    assert ours["calc/branchy.py"][5:] == theirs["calc/branchy.py"][5:] == ["4"]
    assert {k: v[:5] for k, v in ours.items()} == {k: v[:5] for k, v in theirs.items()}
    assert ours["calc/shapes.py"][5:] == ["12-15,", "19"]
    assert coverage(cwd=shapes, as_json=True) == 0
    data = _json(capsys)
    assert data["branch"] is True and data["coverage_display"] == theirs["TOTAL"][4].rstrip("%")
    branchy = next(f for f in data["files"] if f["path"] == "calc/branchy.py")
    assert (branchy["branches"], branchy["partial"], branchy["missing_ranges"]) == (2, 1, "4")


def test_reuses_the_last_gate_on_the_same_tree_and_runs_again_when_it_changes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(cwd=project) == 0
    capsys.readouterr()
    repo = git_mod.find_repo(project)
    run_dir = repo.git_dir / "stepcommit" / "run"
    stamp = (run_dir / "coverage.json").stat().st_mtime_ns

    assert coverage(cwd=project, as_json=True) == 0
    assert _json(capsys)["source"] == "last gate"
    assert (run_dir / "coverage.json").stat().st_mtime_ns == stamp  # nothing ran

    assert coverage(cwd=project, as_json=True, fresh=True) == 0
    assert _json(capsys)["source"] == "test run"

    # An untracked test file changes the tree a commit would hold: the old figures no longer apply.
    write(
        project,
        {
            "tests/test_unused.py": "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
        },
    )
    assert coverage(cwd=project, as_json=True) == 0
    data = _json(capsys)
    assert (data["source"], data["coverage"]) == ("test run", 100.0)
    # ...and that run is the gate's test run for the new tree: check reuses it (lint and the
    # coverage arithmetic against the base still run; the suite does not).
    stamp = (run_dir / "coverage.json").stat().st_mtime_ns
    assert check(cwd=project, as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["tests_reused"] is True
    assert (run_dir / "coverage.json").stat().st_mtime_ns == stamp
    assert check(cwd=project, as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is True


def test_failing_tests_are_an_error_and_not_rerun_on_the_same_tree(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, {"tests/test_bad.py": "def test_bad():\n    assert 1 == 2\n"})
    with pytest.raises(GateFailed) as first:
        coverage(cwd=project)
    assert first.value.exit_code == 2
    assert "tests failed" in first.value.message and "test_bad" in first.value.message
    with pytest.raises(GateFailed, match="last gate on this tree measured no coverage") as again:
        coverage(cwd=project)
    assert "--fresh" in again.value.hint
    with pytest.raises(GateFailed, match="tests failed"):
        coverage(cwd=project, fresh=True)


def test_prompt_lists_lagging_files_with_lines_and_functions(
    shapes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coverage(cwd=shapes, prompt=True) == 0
    text = capsys.readouterr().out
    assert "Total coverage is 58.33% (branch coverage); the median file is at 66.67%." in text
    # Only shapes.py (7 of 14 units hit) is below the median file (branchy.py); it needs 3 more to reach it.
    assert (
        "1. calc/shapes.py: 50.00%, 7 of 14 statements and branches missed (cover at least 3 more; "
        "the file holds the total back by 29.17 points)"
    ) in text
    assert (
        "   Missing lines: 12-15, 19\n   Branches never taken: 2 (partial: 0)\n   In: Square.grow(), perimeter()"
        in text
    )
    assert "calc/__init__.py" not in text and "calc/branchy.py" not in text
    assert coverage(cwd=shapes, prompt=True, as_json=True) == 0
    data = _json(capsys)
    assert [f["path"] for f in data["files"]] == ["calc/shapes.py"]
    assert (
        data["files"][0]["step_title"]
        == "Test `calc/shapes.py`: lines 12-15, 19 in Square.grow(), perimeter()"
    )
    assert data["prompt"] == text.rstrip("\n")


def test_to_plan_appends_once(shapes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = shapes / "PLAN.md"
    assert coverage(cwd=shapes, to_plan=True, limit=3) == 0
    out = capsys.readouterr().out
    assert "Added step 1.4 to PLAN.md (line 8): Test `calc/shapes.py`" in out
    text = plan.read_text()
    assert text.endswith(
        "- [ ] **1.3. Multiplication**\n"
        "- [ ] **1.4. Test `calc/shapes.py`: lines 12-15, 19 in Square.grow(), perimeter()**\n"
    )
    # The plan edit changed the tree, so this measures again; the step is there already.
    assert coverage(cwd=shapes, to_plan=True, prompt=True, as_json=True, limit=3) == 0
    data = _json(capsys)
    assert data["added"] == [] and data["already_planned"] == ["calc/shapes.py"]
    assert data["plan"] == "PLAN.md"
    assert plan.read_text() == text


def test_to_plan_refuses_a_json_plan(project: Path) -> None:
    write(project, {"tasks.json": '{"tasks": [{"id": 1, "title": "A", "status": "pending"}]}'})
    with pytest.raises(PlanError, match="JSON task list"):
        coverage(cwd=project, to_plan=True, plan_path="tasks.json")


def test_history_from_trailers(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, {"a.txt": "1"})
    commit_all(project, "feat(step-1.2): Subtraction\n\nStep: 1.2\nPlan: PLAN.md\nCoverage: 80.00")
    write(project, {"a.txt": "2"})
    commit_all(project, "docs: readme")
    write(project, {"a.txt": "3"})
    commit_all(project, "feat(step-1.3): Multiplication\n\nStep: 1.3\nPlan: PLAN.md\nCoverage: 83.33")
    # A side branch merged with --no-ff: only the merge itself is on the first-parent line.
    git(project, "switch", "-q", "-c", "side")
    write(project, {"b.txt": "x"})
    commit_all(project, "feat: side\n\nCoverage: 10.00")
    git(project, "switch", "-q", "main")
    git(project, "merge", "-q", "--no-ff", "side", "-m", "Merge side\n\nCoverage: 84.00")

    assert coverage(cwd=project, history=True, as_json=True) == 0
    data = _json(capsys)
    assert data["branch"] == "main" and data["older"] == 0
    assert [(c["subject"], c["step"] and c["step"]["id"], c["coverage"]) for c in data["commits"]] == [
        ("chore: initial", None, None),
        ("feat(step-1.2): Subtraction", "1.2", 80.0),
        ("docs: readme", None, None),
        ("feat(step-1.3): Multiplication", "1.3", 83.33),
        ("Merge side", None, 84.0),
    ]

    assert coverage(cwd=project, history=True) == 0
    out = capsys.readouterr().out
    assert out.startswith("Coverage on main, first-parent history, oldest first (5 commits)")
    lines = out.splitlines()
    assert "no Coverage trailer" in lines[3] and lines[3].endswith("chore: initial")
    assert "80.00%" in lines[4] and "83.33%   +3.33" in lines[6] and "84.00%   +0.67" in lines[7]
    assert lines[-1].startswith("trend: ·▁·▇█")

    assert coverage(cwd=project, history=True, limit=2, as_json=True) == 0
    limited = _json(capsys)
    assert limited["older"] == 3 and [c["coverage"] for c in limited["commits"]] == [83.33, 84.0]


def test_history_needs_a_commit_and_goes_alone(repo: Path) -> None:
    with pytest.raises(RepositoryStateError, match="no commits yet"):
        coverage(cwd=repo, history=True)
    with pytest.raises(CoverageUsageError):
        coverage(cwd=repo, history=True, prompt=True)


def test_measure_outside_a_step_uses_the_work_tree(project: Path) -> None:
    write(project, {"calc/extra.py": "def f():\n    return 1\n"})
    repo = git_mod.find_repo(project)
    measured = measure(repo, config_mod.load(project))
    assert measured.tree == git_mod.snapshot(repo).tree != git(project, "rev-parse", "HEAD^{tree}").strip()
    assert [f.path for f in measured.report.files] == ["calc/__init__.py", "calc/extra.py"]


def test_cli_wiring(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    runner_ = CliRunner()
    result = runner_.invoke(app, ["coverage", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["coverage"] == 75.0
    prompt = runner_.invoke(app, ["coverage", "--prompt", "--limit", "1"])
    assert prompt.exit_code == 0, prompt.output
    assert "calc/__init__.py: 75.00%" in prompt.stdout and "In: unused()" in prompt.stdout
    history = runner_.invoke(app, ["coverage", "--history"])
    assert history.exit_code == 0 and "no Coverage trailer" in history.stdout
    clash = runner_.invoke(app, ["coverage", "--history", "--to-plan"])
    # The error boundary is cli.main; through the bare app the error itself arrives.
    assert isinstance(clash.exception, CoverageUsageError) and clash.exception.exit_code == 2


def test_sub_commands_print_what_the_old_flags_print_and_the_flags_say_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, {"a.txt": "1"})
    commit_all(project, "feat(step-1.2): Subtraction\n\nStep: 1.2\nPlan: PLAN.md\nCoverage: 80.00")
    monkeypatch.chdir(project)
    runner_ = CliRunner()
    pairs = [
        (["coverage", "prompt", "--limit", "1"], ["coverage", "--prompt", "--limit", "1"], "prompt"),
        (["coverage", "prompt", "--json"], ["coverage", "--prompt", "--json"], "prompt"),
        (["coverage", "history"], ["coverage", "--history"], "history"),
        (["coverage", "history", "--limit", "1", "--json"], ["coverage", "--history", "--limit", "1", "--json"], "history"),
        # Options given before the sub-command count too, as with `plan`.
        (["coverage", "--json", "history"], ["coverage", "--history", "--json"], "history"),
    ]  # fmt: skip
    for new, old, name in pairs:
        now, before = runner_.invoke(app, new), runner_.invoke(app, old)
        assert now.exit_code == before.exit_code == 0, (new, now.output, before.output)
        assert now.stdout == before.stdout and now.stdout.strip()
        assert "note:" not in now.stderr
        assert before.stderr.strip().splitlines()[-1] == (
            f"note: `stepcommit coverage {old[1]}` is now `stepcommit coverage {name}`."
        )
    # `coverage` alone is the table, with no note.
    table = runner_.invoke(app, ["coverage"])
    assert table.exit_code == 0 and "TOTAL" in table.stdout and "note:" not in table.stderr


def test_prompt_to_plan_sub_command_prints_the_prompt_and_adds_the_steps(
    shapes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shapes)
    runner_ = CliRunner()
    result = runner_.invoke(app, ["coverage", "prompt", "--to-plan", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Add tests so that coverage evens out")
    assert "Added step 1.4 to PLAN.md (line 8): Test `calc/shapes.py`" in result.stdout
    # The old flag alone adds without the prompt, as it always did, and names the sub-command.
    again = runner_.invoke(app, ["coverage", "--to-plan", "--limit", "3"])
    assert again.exit_code == 0, again.output
    assert again.stdout == "Already planned: an open step in PLAN.md asks for tests of calc/shapes.py.\n"
    assert "`stepcommit coverage --to-plan` is now `stepcommit coverage prompt --to-plan`" in again.stderr
