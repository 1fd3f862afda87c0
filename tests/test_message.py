from __future__ import annotations

import subprocess

from stepcommit import message
from stepcommit.gates.results import TestResult

TESTS = TestResult(passed=22, failed=0, errors=0, skipped=1, seconds=2.951)
COV = message.CoverageFigure(
    total=85.2401, display="85.24", previous="84.14", lowest=(("src/db/verify.py", "0"), ("src/run.py", "81"))
)


def build(progress: list[str], step_id: str = "1.3", title: str = "Database Infrastructure") -> str:
    return message.step_message(
        commit_type="feat",
        step_id=step_id,
        title=title,
        progress=progress,
        tests=TESTS,
        coverage=COV,
        files=(5, 120, 8),
        plan="PLAN.md",
    )


def test_layout_matches_the_design() -> None:
    text = build(["Creating docker-compose.yml for SurrealDB.", "Updating .env."])
    assert text == (
        "feat(step-1.3): Database Infrastructure\n\n"
        "Progress Updates\n1 Creating docker-compose.yml for SurrealDB.\n2 Updating .env.\n\n"
        "Tests: 22 passed, 1 skipped in 2.95s\n"
        "Coverage: 85.24% (+1.10 from 84.14%)\n"
        "Lowest: src/db/verify.py 0%, src/run.py 81%\n"
        "Files: 5 changed (+120 -8)\n\n"
        "Step: 1.3\nPlan: PLAN.md\nCoverage: 85.24\n"
    )


def trailers(text: str) -> list[str]:
    out = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=text, capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def test_git_reads_exactly_the_trailer_block() -> None:
    assert trailers(build(["One."])) == ["Step: 1.3", "Plan: PLAN.md", "Coverage: 85.24"]


def test_agent_text_that_looks_like_a_trailer_stays_text() -> None:
    text = build(["Signed-off-by: Mallory <m@example.com>", "Coverage: 100"])
    assert trailers(text) == ["Step: 1.3", "Plan: PLAN.md", "Coverage: 85.24"]
    assert "1 Signed-off-by: Mallory <m@example.com>" in text


def test_long_lines_are_kept_whole_and_controls_removed() -> None:
    long = "x" * 300
    text = build([long + "\x1b[2J", "line\nbreak"])
    assert f"1 {long}\n" in text
    assert "\x1b" not in text
    assert "2 line break" in text


def test_secrets_are_redacted() -> None:
    text = build(
        [
            "Set OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx in .env",
            "Used ghp_abcdefghijklmnopqrstuvwxyz0123",
        ]
    )
    assert "sk-proj" not in text and "ghp_" not in text
    assert text.count("[REDACTED]") == 2


def test_header_is_a_conventional_commit_whatever_the_id_and_title() -> None:
    assert message.header("feat", "T012 [P]", "Add model.\n") == "feat(step-T012-P): Add model"
    assert message.header("fix", "6.5", "") == "fix(step-6.5): step 6.5"


def test_commitizen_style_header_check() -> None:
    import re

    pattern = re.compile(r"^(feat|fix|chore|docs|refactor|test)(\([\w.\-]+\))?!?: \S.*$")
    assert pattern.match(build(["x"]).splitlines()[0])


def test_no_progress_no_previous_coverage() -> None:
    text = message.step_message(
        commit_type="feat",
        step_id="2",
        title="Models",
        progress=[],
        tests=TestResult(3, 0, 0, 0, 0.5),
        coverage=message.CoverageFigure(100.0, "100.00"),
        files=(1, 2, 0),
        plan="docs/PLAN.md",
    )
    assert "Progress Updates" not in text
    assert "Coverage: 100.00%\n" in text
    assert text.endswith("Step: 2\nPlan: docs/PLAN.md\nCoverage: 100.00\n")


def test_tests_summary_counts_failures_and_errors() -> None:
    assert TestResult(1, 2, 3, 0, 1.0).summary() == "1 passed, 2 failed, 3 errors in 1.00s"


def test_redact_assignment_keeps_the_key_name() -> None:
    assert message.redact('DB_PASSWORD="hunter2secret"') == 'DB_PASSWORD="[REDACTED]"'
    assert message.redact("postgres://user:pa55word@db/x") == "postgres://[REDACTED]@db/x"
