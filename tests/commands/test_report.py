"""`stepcommit report` on a real repository with several finished steps: figures traced to git and coverage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit import state
from stepcommit.cli import app
from stepcommit.commands.finish import finish
from stepcommit.commands.report import collect, report
from stepcommit.commands.start import start
from stepcommit.report import html, json_data
from stepcommit.report.build import BadSince
from tests.conftest import commit_all, git, write

PLAN = """\
# Plan

### Phase 1: Calculator

- [x] **1.1. Project Structure Setup**
- [ ] **1.2. Subtraction**
- [ ] **1.3. Multiplication | and powers**
- [ ] **1.4. Division**
- [ ] **1.5. Statistics**
"""

PYPROJECT = """\
[project]
name = "calc"
version = "0"

[tool.coverage.run]
source = ["calc"]
branch = true

[tool.stepcommit]
# These steps lower coverage on purpose, to show drops in the report.
ratchet = false
"""

PACKAGE = '''\
"""A tiny calculator."""


def add(a, b):
    return a + b
'''

STEPS = {
    "1.2": {
        "calc/__init__.py": PACKAGE
        + "\n\ndef subtract(a, b):\n    return a - b\n\n\ndef negate(a):\n    return -a\n",
        "tests/test_subtract.py": "from calc import subtract\n\n\ndef test_subtract():\n    assert subtract(5, 3) == 2\n",
    },
    "1.3": {
        "calc/ops/__init__.py": '"""More operations."""\n',
        "calc/ops/multiply.py": "def multiply(a, b):\n    return a * b\n\n\ndef power(a, n):\n    return a**n\n",
        "tests/test_multiply.py": "from calc.ops.multiply import multiply\n\n\ndef test_multiply():\n    assert multiply(2, 3) == 6\n",
    },
    "1.4": {
        "calc/ops/divide.py": (
            "def divide(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b is 0')\n    return a / b\n"
        ),
        "tests/test_divide.py": "from calc.ops.divide import divide\n\n\ndef test_divide():\n    assert divide(6, 3) == 2\n",
    },
}


def _finish_step(repo: Path, files: dict[str, str]) -> None:
    start(cwd=repo, query=None)
    write(repo, files)
    finish(cwd=repo)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """calc with steps 1.2, 1.3, 1.4 finished by stepcommit and a hand-made commit in between.

    Module-scoped because every finish runs the project's suite; tests that change the
    repository work on a copy (`scratch`).
    """
    home = tmp_path_factory.mktemp("report-home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test Author\n\temail = author@example.invalid\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("HOME", str(home))
        repo = tmp_path_factory.mktemp("report") / "calc"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write(
            repo,
            {
                "PLAN.md": PLAN,
                "pyproject.toml": PYPROJECT,
                "calc/__init__.py": PACKAGE,
                "tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
                ".gitignore": "__pycache__/\n",
            },
        )
        commit_all(repo, "chore: initial")
        _finish_step(repo, STEPS["1.2"])
        write(repo, {"README.md": "# calc\n"})
        commit_all(repo, "docs: readme")
        _finish_step(repo, STEPS["1.3"])
        _finish_step(repo, STEPS["1.4"])
        yield repo


@pytest.fixture
def scratch(finished: Path, tmp_path: Path) -> Path:
    """A copy of the finished repository to change freely."""
    copy = tmp_path / "calc"
    shutil.copytree(finished, copy)
    return copy


def _trailer(repo: Path, rev: str, key: str) -> str:
    return git(repo, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev).strip()


def test_steps_match_trailers_git_and_history(finished: Path) -> None:
    data = json_data.to_data(collect(finished))
    steps = data["steps"]
    assert [s["step"]["id"] for s in steps] == ["1.2", "1.3", "1.4"]
    history = {r["commit"]: r for r in state.read_history(finished / ".git")}
    for s in steps:
        commit = s["commit"]
        assert s["coverage_display"] == _trailer(finished, commit, "Coverage")
        parent = _trailer(finished, f"{commit}~1", "Coverage") or None
        assert s["previous_coverage_display"] == parent
        if parent:
            assert s["coverage_change"] == round(s["coverage"] - float(parent), 2)
        numstat = git(finished, "diff", "--numstat", f"{commit}~1", commit).splitlines()
        assert s["files"] == {
            "changed": len(numstat),
            "added": sum(int(line.split("\t")[0]) for line in numstat),
            "deleted": sum(int(line.split("\t")[1]) for line in numstat),
        }
        body = git(finished, "log", "-1", "--format=%B", commit)
        assert f"Tests: {s['tests']}" in body
        assert s["tests"] == history[commit]["tests"]
        assert s["tests_source"] == "history"
        assert s["duration_seconds"] is not None and s["duration_seconds"] >= 0
        assert s["started_at"] == history[commit]["started_at"]
    # The first step's parent is the hand-made initial commit: no figure to compare with.
    assert steps[0]["coverage_change"] is None
    # 1.3's parent is the readme commit, which has no Coverage trailer either: not guessed from 1.2.
    assert steps[1]["previous_coverage"] is None and steps[1]["previous_coverage_display"] is None
    assert (steps[2]["previous_coverage"], steps[2]["previous_coverage_display"]) == (
        steps[1]["coverage"],
        steps[1]["coverage_display"],
    )


def test_commits_without_trailers_and_steps_before_stepcommit(finished: Path) -> None:
    data = json_data.to_data(collect(finished))
    assert [c["subject"] for c in data["commits_without_trailers"]] == ["docs: readme"]
    # The initial commit predates the first step commit: counted, not listed.
    assert data["range"]["kind"] == "default"
    assert data["range"]["earlier"] == 1
    plan = data["plan"]
    assert (plan["done"], plan["in_progress"], plan["remaining"], plan["total"]) == (4, 0, 1, 5)
    assert plan["remaining_steps"] == [{"id": "1.5", "title": "Statistics"}]
    assert plan["done_without_step_commit"] == [{"id": "1.1", "title": "Project Structure Setup"}]


def _coverage_report(repo: Path, *args: str) -> str:
    data_file = repo / ".git" / "stepcommit" / "run" / ".coverage"
    return subprocess.run(
        [sys.executable, "-m", "coverage", "report", f"--data-file={data_file}", "--precision=2", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _cover_column(table: str) -> dict[str, str]:
    rows = {}
    for line in table.splitlines():
        match = re.match(r"^(\S+)\s.*?(\d+\.\d\d)%$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_coverage_now_matches_coverage_report(finished: Path) -> None:
    cov = collect(finished).coverage
    assert cov is not None
    # The last finish measured exactly HEAD's tree, so its data is reused, not measured again.
    assert (cov.source, cov.on_head, cov.branch) == ("last gate", True, True)
    table = _cover_column(_coverage_report(finished))
    assert table["TOTAL"] == cov.display
    assert {f.path: f.display for f in cov.files} == {k: v for k, v in table.items() if k != "TOTAL"}
    packages = {p.name: p for p in cov.packages}
    assert set(packages) == {"calc", "calc/ops"}
    for name, package in packages.items():
        only = _cover_column(_coverage_report(finished, f"--include={name}/*.py"))
        if name == "calc":  # --include calc/* would take calc/ops too: name the package's own files
            only = _cover_column(_coverage_report(finished, "--include=calc/__init__.py"))
        assert only["TOTAL"] == package.display, name
    assert cov.weakest[0].percent == min(f.percent for f in cov.files)
    assert all(f.percent < 100 for f in cov.weakest)


def test_since_ref_lists_only_later_commits(finished: Path) -> None:
    readme = git(finished, "log", "-1", "--format=%H", "--grep=docs: readme").strip()
    data = json_data.to_data(collect(finished, since=readme))
    assert [s["step"]["id"] for s in data["steps"]] == ["1.3", "1.4"]
    assert data["commits_without_trailers"] == []
    assert data["range"] == {
        "kind": "ref",
        "since": readme,
        "description": f"commits after {readme} ({readme[:10]})",
        "earlier": 3,
    }


def test_since_date(finished: Path) -> None:
    everything = json_data.to_data(collect(finished, since="2000-01-01"))
    assert [s["step"]["id"] for s in everything["steps"]] == ["1.2", "1.3", "1.4"]
    assert "chore: initial" in [c["subject"] for c in everything["commits_without_trailers"]]
    assert everything["range"]["earlier"] == 0
    nothing = json_data.to_data(collect(finished, since="2999-01-01T00:00+00:00"))
    assert nothing["steps"] == [] and nothing["commits_without_trailers"] == []
    assert nothing["range"]["kind"] == "date"


def test_since_neither_ref_nor_date(finished: Path) -> None:
    with pytest.raises(BadSince, match="neither a commit"):
        collect(finished, since="last-tuesday")


def test_without_history_durations_are_unknown(scratch: Path) -> None:
    (scratch / ".git" / "stepcommit" / "history.jsonl").unlink()
    report_data = collect(scratch)
    assert all(s.duration is None and s.started_at is None for s in report_data.steps)
    # Tests then come from the commit's own Tests line, and say so.
    assert all(s.tests_source == "commit message" and s.tests for s in report_data.steps)
    from stepcommit.report import markdown

    assert "| unknown |" in markdown.render(report_data)


def test_history_of_a_commit_not_on_the_branch(scratch: Path) -> None:
    git(scratch, "switch", "-q", "-c", "elsewhere")
    write(scratch, {"NOTES.md": "x\n"})
    other = commit_all(scratch, "feat(step-1.5): Statistics")
    git(scratch, "switch", "-q", "main")
    state.append_history(
        scratch / ".git",
        {"step": "1.5", "title": "Statistics", "commit": other, "branch": "elsewhere",
         "started_at": "2026-01-01T10:00:00+00:00", "finished_at": "2026-01-01T10:30:00+00:00"},
    )  # fmt: skip
    data = json_data.to_data(collect(scratch))
    assert [u["commit"] for u in data["steps_not_on_branch"]] == [other]


def test_uncommitted_changes_are_measured_then_reused(scratch: Path) -> None:
    write(scratch, {"calc/ops/extra.py": "def extra():\n    return 1\n"})
    first = collect(scratch).coverage
    assert first is not None
    assert (first.source, first.on_head) == ("test run", False)
    assert "calc/ops/extra.py" in {f.path for f in first.files}
    second = collect(scratch).coverage
    assert second is not None and second.source == "last gate"
    assert second.display == first.display


def test_failing_tests_leave_coverage_unavailable(scratch: Path) -> None:
    write(scratch, {"tests/test_broken.py": "def test_broken():\n    assert False\n"})
    data = collect(scratch)
    assert data.coverage is None
    assert data.coverage_problem is not None and "tests failed" in data.coverage_problem
    # The next report reads that failed gate instead of running the failing suite again.
    again = collect(scratch)
    assert again.coverage is None
    assert again.coverage_problem is not None and again.coverage_problem.startswith(
        "the last gate on this tree"
    )


def test_missing_plan_is_reported_not_fatal(finished: Path) -> None:
    data = collect(finished, plan_path="NOPE.md")
    assert data.plan is None
    assert data.plan_problem is not None and "NOPE.md" in data.plan_problem


def test_unborn_branch_is_refused(repo: Path) -> None:
    from stepcommit.errors import RepositoryStateError

    with pytest.raises(RepositoryStateError, match="no commits"):
        collect(repo)


def test_html_is_self_contained_with_a_chart(finished: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert report(cwd=finished, html_path=page) == 0
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and "<polyline" in text
    assert not re.search(r"(?i)https?:|//[a-z0-9.-]+\.[a-z]{2,}/|<link|<script|src=|@import|url\(", text)
    # The step with a pipe in its title is escaped, not split.
    assert html.render(collect(finished)).count("<svg") == 1


def test_markdown_to_stdout(finished: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report(cwd=finished) == 0
    out = capsys.readouterr().out
    assert out.startswith("# stepcommit report")
    assert "Multiplication \\| and powers" in out
    assert "- 1.5 Statistics" in out
    assert "docs: readme" in out


def test_cli_wiring(finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(finished)
    page = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["report", "--json", "--html", str(page), "--since", "2000-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["step"]["id"] for s in data["steps"]] == ["1.2", "1.3", "1.4"]
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_page_renders_in_headless_chromium(finished: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    report(cwd=finished, html_path=page)
    shot = tmp_path / "report.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri()],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_ordinary_commit_with_the_coverage_trailer_is_listed_as_gated(scratch: Path) -> None:
    write(scratch, {"NOTES.md": "notes\n"})
    git(scratch, "add", "-A")
    git(scratch, "commit", "-q", "-m", "docs: notes\n\nCoverage: 91.00")
    data = json_data.to_data(collect(scratch))
    assert [c["subject"] for c in data["gated_commits"]] == ["docs: notes"]
    assert data["gated_commits"][0]["coverage"] == "91.00"
    assert "docs: notes" not in [c["subject"] for c in data["commits_without_trailers"]]
