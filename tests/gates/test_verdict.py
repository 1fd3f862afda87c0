"""The gate's verdict on plain data: no repository, no test run, only what a gather would hand it."""

from __future__ import annotations

import dataclasses

from stepcommit.config import Config
from stepcommit.gates import honesty, testrun
from stepcommit.gates.baseline import Baseline
from stepcommit.gates.coverage import CoverageReport, FileCoverage
from stepcommit.gates.incremental import Outcome
from stepcommit.gates.lint import LintResult
from stepcommit.gates.results import TestResult
from stepcommit.gates.testrun import Failure, FloorSetting
from stepcommit.gates.verdict import Gathered, VerifyRun, base_worth_measuring, floor_problem, verdict

# calc.py: lines 1-4 run, 5-6 never did; other.py fully run.
CALC = FileCoverage("calc.py", 6, 2, 0, 0, 66.67, (5, 6), executed_lines=(1, 2, 3, 4))
OTHER = FileCoverage("other.py", 2, 0, 0, 0, 100.0, (), executed_lines=(1, 2))
REPORT = CoverageReport(75.0, False, (CALC, OTHER), 8, 2)
PASSED = TestResult(3, 0, 0, 0, 0.5)


def run_of(report: CoverageReport | None = REPORT, **changes: object) -> testrun.TestRun:
    # (the module, not the class: pytest would try to collect a `TestRun` imported here)
    run = testrun.TestRun(True, None, PASSED, report, (), "collected 3 items\n3 passed", ())
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


def test_a_clean_run_passes_with_its_figures() -> None:
    decided = verdict(Gathered(run_of()), Config())
    assert decided.ok
    assert decided.problems == ()
    assert decided.notes == ()
    assert decided.figures.output_tail == ""  # a passing run's output is not worth showing
    assert decided.figures.previous is None
    assert decided.figures.patch is None


def test_a_failing_test_fails_the_gate_and_shows_the_output() -> None:
    failed = run_of(
        ok=False, problem="tests failed (exit 1)", failures=(Failure("tests/test_calc.py::test_add", "assert 3 == 4"),),
        output_tail="FAILED tests/test_calc.py::test_add",
    )  # fmt: skip
    decided = verdict(Gathered(failed), Config())
    assert not decided.ok
    assert decided.problems == ("tests failed (exit 1)",)
    assert decided.figures.output_tail == "FAILED tests/test_calc.py::test_add"


def test_the_work_tree_guard_comes_first() -> None:
    decided = verdict(
        Gathered(run_of(problem="tests failed"), guard=("the test run changed the work tree",)), Config()
    )
    assert decided.problems == ("the test run changed the work tree", "tests failed")


def test_lint_failure_is_a_problem_with_its_output_after_the_run_s() -> None:
    lint = LintResult(False, "ruff", "failed (ruff)", ("lint failed (ruff)",), "calc.py:1:1: F401 unused")
    decided = verdict(Gathered(run_of(), lint=lint), Config())
    assert decided.problems == ("lint failed (ruff)",)
    assert decided.figures.lint == "failed (ruff)"
    assert decided.figures.output_tail == "calc.py:1:1: F401 unused"
    both = verdict(Gathered(run_of(problem="tests failed"), lint=lint), Config())
    assert both.figures.output_tail == "collected 3 items\n3 passed\ncalc.py:1:1: F401 unused"
    passed = verdict(Gathered(run_of(), lint=LintResult(True, "ruff", "passed (ruff)")), Config())
    assert passed.ok and passed.figures.lint == "passed (ruff)"


def test_the_floor_follows_coverage_s_rule_at_the_floor_s_precision() -> None:
    assert verdict(Gathered(run_of(), floor=FloorSetting(75, 2)), Config()).ok  # exactly at the floor passes
    assert (
        floor_problem(REPORT, FloorSetting(75.01, 2))
        == "coverage 75.00% is under the floor of 75.01% (fail_under)"
    )
    decided = verdict(Gathered(run_of(), floor=FloorSetting(80, 0)), Config())
    assert decided.problems == ("coverage 75.00% is under the floor of 80% (fail_under)",)
    assert verdict(Gathered(run_of(report=None), floor=FloorSetting(80, 0)), Config()).ok  # nothing measured


def test_a_drop_under_the_ratchet_names_the_uncovered_changed_lines_and_the_weakest_file() -> None:
    gathered = Gathered(
        run_of(), baseline=Baseline("80.00", "trailer"), changed={"calc.py": {4, 5}, "notes.md": {1}}
    )
    decided = verdict(gathered, Config())
    assert not decided.ok
    assert decided.problems == (
        "coverage fell from 80.00% to 75.00% (ratchet); changed lines not run: calc.py:5; "
        "least covered: calc.py 66.67%; `stepcommit coverage --prompt` says what to test next",
    )
    assert decided.figures.previous == "80.00"
    assert decided.figures.patch == (1, 2)  # line 4 ran, 5 did not; notes.md is not measured
    # within the tolerance, or with the ratchet off, the drop passes
    assert verdict(gathered, Config(ratchet_tolerance=5.0)).ok
    assert verdict(gathered, Config(ratchet=False)).ok


def test_a_ratchet_drop_with_every_changed_line_run_and_every_file_full() -> None:
    full = CoverageReport(100.0, False, (OTHER,), 2, 0)
    decided = verdict(Gathered(run_of(full), baseline=Baseline("100.00", "trailer"), changed={}), Config())
    assert decided.ok
    lower = dataclasses.replace(full, total=99.0)
    fell = verdict(Gathered(run_of(lower), baseline=Baseline("100.00", "trailer"), changed={}), Config())
    assert fell.problems == (
        "coverage fell from 100.00% to 99.00% (ratchet); `stepcommit coverage --prompt` says what to test next",
    )


def test_no_base_figure_is_a_note_when_the_ratchet_is_on() -> None:
    gathered = Gathered(
        run_of(), baseline=Baseline(None, "no Coverage trailer on the base commit"), changed={}
    )
    assert verdict(gathered, Config()).notes == (
        "ratchet not applied: no Coverage trailer on the base commit",
    )
    assert verdict(gathered, Config(ratchet=False)).notes == ()


def test_changed_lines_under_fail_under_changed_are_named() -> None:
    many = {f"m{i}.py": {1} for i in range(10)}
    files = tuple(FileCoverage(p, 1, 1, 0, 0, 0.0, (1,)) for p in many)
    report = CoverageReport(0.0, True, files, 10, 10)
    gathered = Gathered(run_of(report), baseline=Baseline(None, "no trailer"), changed=many)
    decided = verdict(gathered, Config(ratchet=False, fail_under_changed=50))
    assert decided.problems == (
        "changed lines 0.00% covered (0 of 10 statements and branches), under fail_under_changed = 50%; "
        "not run: m0.py:1, m1.py:1, m2.py:1, m3.py:1, m4.py:1, m5.py:1, m6.py:1, m7.py:1 and 2 more files",
    )
    covered = Gathered(run_of(), baseline=Baseline(None, "no trailer"), changed={"calc.py": {1, 2}})
    assert verdict(covered, Config(ratchet=False, fail_under_changed=50)).ok
    statements = Gathered(run_of(), baseline=Baseline(None, "no trailer"), changed={"calc.py": {5}})
    assert verdict(statements, Config(ratchet=False, fail_under_changed=50)).problems == (
        "changed lines 0.00% covered (0 of 1 statements), under fail_under_changed = 50%; not run: calc.py:5",
    )
    # only comments changed: nothing measured, nothing to refuse
    nothing = Gathered(run_of(), baseline=Baseline(None, "no trailer"), changed={"calc.py": {99}})
    assert verdict(nothing, Config(ratchet=False, fail_under_changed=50)).ok


def test_verify_commands_run_only_when_allowed_and_their_failures_are_named() -> None:
    commands = ("make smoke", "./check", "sleep 9", "'unclosed")
    runs = (
        VerifyRun("make smoke"),
        VerifyRun("./check", returncode=2, output="line\n" * 20 + "boom\n"),
        VerifyRun("sleep 9", timed_out=True, returncode=-9),
        VerifyRun("'unclosed", cannot_run="No closing quotation"),
    )
    skipped = verdict(Gathered(run_of(), verify=commands), Config())
    assert skipped.ok
    assert skipped.notes == ("the step's Verify commands were not run (set run_verify = true to run them)",)
    assert skipped.figures.verify is None
    decided = verdict(
        Gathered(run_of(), verify=commands, verified=runs), Config(run_verify=True, test_timeout=9)
    )
    assert decided.problems == (
        "verification `./check` failed (exit 2):\n" + "line\n" * 14 + "boom",
        "verification `sleep 9` failed (timed out after 9s)",
        "verification `'unclosed` cannot run (No closing quotation)",
    )
    assert decided.figures.verify == "failed (`make smoke`, `./check`, `sleep 9`, `'unclosed`)"
    passed = verdict(Gathered(run_of(), verify=("make smoke",), verified=runs[:1]), Config(run_verify=True))
    assert passed.ok and passed.figures.verify == "passed (`make smoke`)"


def test_how_the_incremental_gate_measured_is_told() -> None:
    selected = run_of(
        measured=Outcome("incremental", 2, 40, None, serial="one process: too few tests for xdist")
    )
    decided = verdict(Gathered(selected), Config())
    assert decided.figures.measured == "incremental: 2 of 40 tests"
    assert decided.notes == ("incremental gate: one process: too few tests for xdist",)
    fell_back = run_of(measured=Outcome("full", 40, 40, "the store measured another tree"))
    assert verdict(Gathered(fell_back, audit_notes=("audited",)), Config()).notes == (
        "audited",
        "incremental gate: full run: the store measured another tree",
    )
    assert verdict(Gathered(fell_back, full=True), Config()).notes == ()  # a full run asked for is no news


def test_honesty_refusals_fail_the_gate_and_the_allow_list_lets_them_through() -> None:
    found = [honesty.Finding("skips", "tests/test_calc.py", 3, "a skip was added", "test_add")]
    policy = honesty.check_policy({})
    refused = verdict(Gathered(run_of(), honesty=honesty.assess(found, policy, {})), Config())
    assert not refused.ok
    assert refused.problems == ("honesty check: 1 skips finding (test_add at tests/test_calc.py:3)",)
    allowed = honesty.assess(found, policy, {"skips": "flaky on CI, issue 12"})
    assert verdict(Gathered(run_of(), honesty=allowed), Config()).ok


def test_the_base_is_measured_only_when_the_ratchet_could_decide() -> None:
    assert base_worth_measuring(Gathered(run_of()), Config())
    assert not base_worth_measuring(Gathered(run_of()), Config(ratchet=False))
    assert not base_worth_measuring(Gathered(run_of(problem="tests failed")), Config())
    found = [honesty.Finding("skips", "tests/test_calc.py", 3, "a skip was added")]
    refused = honesty.assess(found, honesty.check_policy({}), {})
    assert not base_worth_measuring(Gathered(run_of(), honesty=refused), Config())


def test_the_floor_s_refusal_prints_a_figure_that_is_under_the_floor() -> None:
    def refusal(total: float, floor: FloorSetting) -> str | None:
        return floor_problem(dataclasses.replace(REPORT, total=total), floor)

    # precision = 3: coverage refuses 79.996 under 80, which two decimals would print as 80.00
    assert refusal(79.996, FloorSetting(80, 3)) == "coverage 79.996% is under the floor of 80% (fail_under)"
    # no precision set (coverage's 0): a floor of 79.999 counts three digits, and two would print 80.00
    assert (
        refusal(79.9981, FloorSetting(79.999, 0))
        == "coverage 79.998% is under the floor of 79.999% (fail_under)"
    )
    assert refusal(79.4, FloorSetting(80, 0)) == "coverage 79.40% is under the floor of 80% (fail_under)"
    # the project's precision, as `coverage report` prints the total
    assert refusal(79.94, FloorSetting(80, 1)) == "coverage 79.9% is under the floor of 80% (fail_under)"
    # 100 must be exactly 100, and a figure under it never prints as 100
    assert refusal(99.9996, FloorSetting(100, 2)) == "coverage 99.99% is under the floor of 100% (fail_under)"
