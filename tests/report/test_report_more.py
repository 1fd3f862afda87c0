"""Report rendering for the cases the main render tests leave out: hook-gated commits, allowances, a finished plan."""

from __future__ import annotations

from dataclasses import replace

from stepcommit.report import html, markdown
from stepcommit.report.model import OtherCommit
from tests.report.test_report_render import REPORT, row


def test_commits_gated_by_the_hook_are_listed_with_their_figure() -> None:
    report = replace(
        REPORT, other_commits=(OtherCommit("e" * 40, "2026-01-03T09:00:00+00:00", "fix: typo", "81.25"),)
    )
    out = markdown.render(report)
    assert "## Other commits gated by the hook\n\n- eeeeeee" in out and "fix: typo (coverage 81.25%)" in out
    assert "## Commits without stepcommit trailers" not in out


def test_a_plan_with_nothing_remaining_lists_no_empty_sections() -> None:
    plan = replace(REPORT.plan, remaining=0, remaining_steps=(), without_commit=())
    out = markdown.render(replace(REPORT, plan=plan))
    assert "Remaining:" not in out and "Done before stepcommit" not in out and "In progress:" in out


def test_a_step_that_carried_an_allowance_is_named_in_the_html() -> None:
    steps = (row("1.1", "80.00", allowed=("skip-added: tests/test_x.py::test_slow (flaky on CI)",)),)
    out = html.render(replace(REPORT, steps=steps))
    assert "Steps that carried an allowance (a weakening the honesty check let through):" in out
    assert (
        "<li><code>1.1</code> (1.10000000): skip-added: tests/test_x.py::test_slow (flaky on CI)</li>" in out
    )
