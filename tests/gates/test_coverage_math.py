"""Pure parts of `stepcommit coverage`: focus arithmetic, missed-line scopes, plan appends, the history chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit import git
from stepcommit.errors import PlanError
from stepcommit.gates.advice import Advice, prompt_text, step_title, target_for
from stepcommit.gates.coverage import CoverageReport, FileCoverage, focus_files, median_percent, units
from stepcommit.gates.sourcemap import MODULE_LEVEL, missed_in, scopes
from stepcommit.plan import append_steps, parse_plan
from stepcommit.plan.append import append_checkbox_steps, next_id
from stepcommit.report.history import HistoryPoint, history_chart, history_points, sparkline


def _file(
    path: str, statements: int, missing: int, branches: int = 0, missing_branches: int = 0
) -> FileCoverage:
    measured = statements + branches
    percent = 100.0 * (measured - missing - missing_branches) / measured if measured else 100.0
    return FileCoverage(
        path, statements, missing, branches, 0, percent, tuple(range(1, missing + 1)), missing_branches
    )


def _report(*files: FileCoverage) -> CoverageReport:
    measured = sum(units(f)[0] for f in files)
    missed = sum(units(f)[1] for f in files)
    total = 100.0 * (measured - missed) / measured if measured else 100.0
    return CoverageReport(
        total,
        any(f.branches for f in files),
        files,
        sum(f.statements for f in files),
        sum(f.missing for f in files),
    )


# --- focus arithmetic -------------------------------------------------------------------------------


def test_median_over_measured_files_only() -> None:
    report = _report(
        _file("a.py", 10, 0), _file("b.py", 10, 5), _file("c.py", 10, 10), _file("empty.py", 0, 0)
    )
    assert median_percent(report) == 50.0
    assert median_percent(_report(_file("a.py", 10, 0), _file("b.py", 10, 5))) == 75.0
    assert median_percent(_report()) is None


def test_units_count_branches_as_coverage_does() -> None:
    f = _file("a.py", 10, 2, branches=4, missing_branches=1)
    assert units(f) == (14, 3)
    assert f.percent == pytest.approx(100 * 11 / 14)


def test_focus_ranks_by_units_needed_to_reach_the_target() -> None:
    report = _report(
        _file("big_far.py", 200, 150),  # 25%: needs 100 more to reach 75%
        _file("tiny_zero.py", 4, 4),  # 0%: needs 3
        _file("big_close.py", 400, 110),  # 72.5%: needs 10
        _file("fine.py", 100, 0),
        _file("good.py", 100, 10),
    )
    focus = focus_files(report, target=75.0)
    assert [(f.file.path, f.needed) for f in focus] == [
        ("big_far.py", 100),
        ("big_close.py", 10),
        ("tiny_zero.py", 3),
    ]
    assert focus[0].gap == 75.0 - 25.0
    # Covering big_far.py fully would add its 150 missed of 804 statements to the total.
    assert focus[0].holds_back == pytest.approx(100 * 150 / 804)


def test_focus_ties_are_broken_by_gap_then_path() -> None:
    report = _report(
        _file("b.py", 10, 10), _file("a.py", 10, 10), _file("c.py", 20, 10), _file("d.py", 10, 0)
    )
    # Target 100: b, a need 10 each at a 100-point gap; c needs 10 at a 50-point gap.
    assert [f.file.path for f in focus_files(report, 100.0)] == ["a.py", "b.py", "c.py"]
    assert [f.file.path for f in focus_files(report, 100.0, limit=1)] == ["a.py"]


def test_focus_when_every_file_is_level_falls_back_to_missed_units() -> None:
    report = _report(_file("a.py", 4, 1), _file("b.py", 40, 10), _file("c.py", 8, 2))
    assert median_percent(report) == 75.0
    focus = focus_files(report, 75.0)
    assert [(f.file.path, f.needed, f.gap) for f in focus] == [
        ("b.py", 10, 0.0),
        ("c.py", 2, 0.0),
        ("a.py", 1, 0.0),
    ]


def test_focus_needs_at_least_one_unit_just_under_the_target() -> None:
    report = _report(_file("a.py", 1000, 251), _file("b.py", 10, 0))
    (focus,) = focus_files(report, 75.0)
    assert focus.needed == 1
    assert focus_files(_report(_file("a.py", 10, 0)), 100.0) == ()
    assert focus_files(_report(), 100.0) == ()


def test_target_is_the_median_or_a_higher_floor() -> None:
    assert target_for(80.0, None) == 80.0
    assert target_for(80.0, 90.0) == 90.0
    assert target_for(80.0, 70.0) == 80.0
    assert target_for(None, None) == 100.0


# --- scopes -----------------------------------------------------------------------------------------

SOURCE = '''\
"""Module."""
import os

CONSTANT = os.sep


@decorator
def top(a):
    if a:
        return 1
    return 2


class Reader:
    kind = "r"

    def read(self):
        def inner():
            return 3

        return inner()

    async def aread(self):
        return 4

    if os.sep == "/":

        def posix_only(self):
            return 5
'''


def test_scopes_name_nested_defs_with_dots() -> None:
    found = {s.name: (s.kind, s.first, s.last) for s in scopes(SOURCE)}
    assert found["top"] == ("function", 7, 11)  # the decorator line belongs to it
    assert found["Reader"][0] == "class"
    assert found["Reader.read.inner"] == ("function", 18, 19)
    assert found["Reader.aread"][0] == "function"
    assert found["Reader.posix_only"][0] == "function"


def test_missed_lines_map_to_innermost_scope_in_first_line_order() -> None:
    assert missed_in(SOURCE, [29, 4, 10, 19, 15, 21, 24]) == (
        MODULE_LEVEL,
        "top()",
        "class Reader",
        "Reader.read.inner()",
        "Reader.read()",
        "Reader.aread()",
        "Reader.posix_only()",
    )


def test_unparsable_source_maps_everything_to_module_level() -> None:
    assert scopes("def broken(:\n") == ()
    assert missed_in("def broken(:\n", [1, 2]) == (MODULE_LEVEL,)
    assert scopes("x = 1\0\n") == ()


# --- plan appends ----------------------------------------------------------------------------------

TITLES = ["Test `calc/__init__.py`: lines 8-9 in unused()", "Test `calc/b.py`: lines 1"]


def _append(text: str, name: str = "PLAN.md") -> str:
    path = Path(name)
    return append_checkbox_steps(text, path, parse_plan(text, path), TITLES).text


def test_append_copies_bold_numbered_style_after_the_last_item() -> None:
    text = (
        "# Plan\n\n### Phase 1\n\n- [x] **1.1. Setup**\n- [ ] **1.2. Subtract**\n"
        "  Verify: pytest\n  - [ ] **1.2.1. Sub-step**\n\n  more of 1.2\n\n## Notes\n\nfree text\n"
    )
    assert _append(text) == text.replace(
        "  more of 1.2\n\n",
        "  more of 1.2\n- [ ] **1.3. Test `calc/__init__.py`: lines 8-9 in unused()**\n"
        "- [ ] **1.4. Test `calc/b.py`: lines 1**\n\n",
    )


def test_append_reads_back_with_the_path_intact() -> None:
    text = _append("- [x] **1.1. Setup**")
    steps = [(s.id, s.status, s.title) for s in parse_plan(text, Path("PLAN.md")).walk()]
    assert steps[1:] == [("1.2", "todo", TITLES[0]), ("1.3", "todo", TITLES[1])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # spec-kit: ids keep their width, the [P] [US1] tags are not copied.
        (
            "- [ ] T012 [P] [US1] Create model\n- [x] T013 Add thing",
            "- [ ] T012 [P] [US1] Create model\n- [x] T013 Add thing\n"
            f"- [ ] T014 {TITLES[0]}\n- [ ] T015 {TITLES[1]}\n",
        ),
        # Bold that closes after the number; an ordered list counting on; CRLF kept.
        (
            "1. [x] **1.1.** Setup\r\n2. [ ] **1.2.** More\r\n",
            "1. [x] **1.1.** Setup\r\n2. [ ] **1.2.** More\r\n"
            f"3. [ ] **1.3.** {TITLES[0]}\r\n4. [ ] **1.4.** {TITLES[1]}\r\n",
        ),
        # No ids: none are made up; an ExecPlan's done-time is not copied.
        (
            "# P\n\n## Progress\n\n- [x] (2025-10-01 13:00Z) Did a thing.\n\n## Decision Log\n\n"
            "## Outcomes & Retrospective\n",
            "# P\n\n## Progress\n\n- [x] (2025-10-01 13:00Z) Did a thing.\n"
            f"- [ ] {TITLES[0]}\n- [ ] {TITLES[1]}\n\n## Decision Log\n\n## Outcomes & Retrospective\n",
        ),
        # Kiro optional marker is not copied; a numbered id that is already taken is skipped.
        (
            "- [ ] 3. Later\n- [ ]* 2. Optional\n",
            f"- [ ] 3. Later\n- [ ]* 2. Optional\n- [ ] 4. {TITLES[0]}\n- [ ] 5. {TITLES[1]}\n",
        ),
    ],
)
def test_append_in_each_checkbox_flavour(text: str, expected: str) -> None:
    assert _append(text) == expected


def test_next_id() -> None:
    assert next_id("1.9", set()) == "1.10"
    assert next_id("T009", {"T010"}) == "T011"
    assert next_id("P0-1", set()) == "P0-2"
    assert next_id("setup", set()) is None


def test_append_steps_writes_checked_bytes(tmp_path: Path) -> None:
    plan = tmp_path / "PLAN.md"
    plan.write_bytes("\ufeff# Plan\r\n\r\n- [x] **1.1. Setup** ✅\r\n".encode())
    added = append_steps(plan, TITLES[:1])
    assert [(s.id, s.title, s.status, s.line) for s in added] == [("1.2", TITLES[0], "todo", 4)]
    assert (
        plan.read_bytes()
        == f"\ufeff# Plan\r\n\r\n- [x] **1.1. Setup** ✅\r\n- [ ] **1.2. {TITLES[0]}**\r\n".encode()
    )
    assert append_steps(plan, []) == ()


def test_append_refuses_plans_without_checkboxes(tmp_path: Path) -> None:
    table = tmp_path / "PLAN.md"
    table.write_text("| # | Step | Status |\n|---|---|---|\n| 1 | Models | DONE |\n")
    with pytest.raises(PlanError, match="headings or table rows"):
        append_steps(table, TITLES)
    tasks = tmp_path / "tasks.json"
    tasks.write_text('{"tasks": [{"id": 1, "title": "A", "status": "pending"}]}')
    with pytest.raises(PlanError, match="JSON task list"):
        append_steps(tasks, TITLES)
    assert tasks.read_text() == '{"tasks": [{"id": 1, "title": "A", "status": "pending"}]}'


def test_append_that_would_misread_writes_nothing(tmp_path: Path) -> None:
    plan = tmp_path / "PLAN.md"
    original = "- [x] **1.1. Setup**\n"
    plan.write_text(original)
    # An unclosed HTML comment would hide the steps after it.
    with pytest.raises(PlanError, match="nothing was written"):
        append_steps(plan, ["Test `x.py` <!-- oops", "Test `y.py`"])
    assert plan.read_text() == original


# --- prompt, titles, history ------------------------------------------------------------------------


def test_prompt_and_step_title() -> None:
    report = _report(_file("calc/a.py", 10, 8), _file("calc/b.py", 10, 0), _file("calc/c.py", 10, 2))
    focus = focus_files(report, 80.0)
    advice = Advice(report.display, False, 80.0, None, 80.0, focus, (("parse()", "class Reader"),))
    text = prompt_text(advice)
    assert "Total coverage is 66.67% (statement coverage); the median file is at 80.00%." in text
    assert "at least 80.00% (the median file's coverage)" in text
    assert "1. calc/a.py: 20.00%, 8 of 10 statements missed (cover at least 6 more;" in text
    assert "   Missing lines: 1-8\n   In: parse(), class Reader" in text
    assert step_title(focus[0], ("parse()",)) == "Test `calc/a.py`: lines 1-8 in parse()"
    floor = Advice(report.display, False, 80.0, 90.0, 90.0, focus, ((),))
    assert "(the project's coverage floor (fail_under))" in prompt_text(floor)
    done = Advice("100.00", True, 100.0, None, 100.0, (), ())
    assert (
        prompt_text(done)
        == "Test coverage is 100.00% (branch coverage): no file has missed lines; nothing to add."
    )


def test_branch_only_misses_get_a_title_without_lines() -> None:
    f = FileCoverage("a.py", 4, 0, 2, 1, 83.33, (), 1)
    (focus,) = focus_files(_report(f, _file("b.py", 10, 0)), 100.0)
    assert step_title(focus, ("f()",)) == "Test `a.py`: untaken branches in f()"


def _point(coverage: float | None, raw: str | None = None, subject: str = "s") -> HistoryPoint:
    return HistoryPoint("c" * 40, "2026-01-01T12:00:00+00:00", subject, None, raw, coverage)


def test_history_points_are_oldest_first_and_never_guessed() -> None:
    entries = tuple(
        git.LogEntry(f"{n}" * 40, (), "d", f"commit {n}", "", trailers)
        for n, trailers in (
            (3, (("Coverage", "90.5%"),)),
            (2, (("Step", "1.2"), ("Coverage", "not a number"))),
            (1, ()),
        )
    )
    points = history_points(entries)
    assert [(p.subject, p.step, p.raw, p.coverage) for p in points] == [
        ("commit 1", None, None, None),
        ("commit 2", "1.2", "not a number", None),
        ("commit 3", None, "90.5%", 90.5),
    ]


def test_history_chart_rows_and_scale() -> None:
    points = (_point(None), _point(80.0, "80.00"), _point(None, "bogus"), _point(85.0, "85.00", "feat: more"))
    chart = history_chart(points, width=20)
    lines = chart.splitlines()
    assert lines[0].split() == ["commit", "coverage", "change", "78%", "86%", "subject"]
    assert "—" in lines[1] and "no Coverage trailer" in lines[1]
    assert "80.00%" in lines[2]
    assert "?" in lines[3] and "unreadable trailer 'bogus'" in lines[3]
    assert "85.00%   +5.00  " in lines[4] and lines[4].endswith("feat: more")
    # 85 on a 78..86 scale of 20 cells: 17.5 of them.
    assert lines[4].count("█") == 17 and "▌" in lines[4]
    assert lines[-1] == "trend: ·▁·█  (80.00% to 85.00%, oldest first)"
    ascii_chart = history_chart(points, width=20, ascii_only=True)
    assert ascii_chart.isascii() and "#" * 17 in ascii_chart
    bare = history_chart((_point(None, subject="chore: initial"),)).splitlines()
    assert bare[1].split() == ["c" * 10, "—", "no", "Coverage", "trailer", "chore:", "initial"]
    assert bare[-1] == "No commit here has a Coverage trailer yet."
    assert sparkline((_point(50.0), _point(50.0))) == "▅▅"
    assert sparkline((_point(None),)) == ""
