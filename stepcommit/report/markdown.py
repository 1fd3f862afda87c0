"""The report as markdown, for a terminal, a pull request or a notes file."""

from __future__ import annotations

from stepcommit.gates.coverage import line_ranges
from stepcommit.report import text
from stepcommit.report.model import Report


def _cell(value: str) -> str:
    # A pipe or newline inside a cell would end the table row.
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def render(report: Report) -> str:
    out: list[str] = ["# stepcommit report", ""]
    out.append(
        f"Repository {report.repository}, branch {report.branch or '(detached HEAD)'} at "
        f"{text.short(report.head)}; generated {report.generated_at}."
    )
    out.append(f"Range: {report.range.description}.")
    out.append("")

    out.append("## Plan progress")
    out.append("")
    plan = report.plan
    if plan is None:
        out.append(f"No plan: {report.plan_problem}")
    else:
        out.append(
            f"{plan.path}: {plan.done} of {plan.total} steps done, {plan.in_progress} in progress, "
            f"{plan.remaining} remaining" + (f", {plan.skipped} skipped." if plan.skipped else ".")
        )
        if plan.in_progress_steps:
            out.append("")
            out.append("In progress:")
            out.extend(f"- {s.id} {s.title}" for s in plan.in_progress_steps)
        if plan.remaining_steps:
            out.append("")
            out.append("Remaining:")
            out.extend(f"- {s.id} {s.title}" for s in plan.remaining_steps)
        if plan.without_commit:
            out.append("")
            out.append("Done before stepcommit (marked done in the plan, no step commit on this branch):")
            out.extend(f"- {s.id} {s.title}" for s in plan.without_commit)
    out.append("")

    out.append("## Finished steps")
    out.append("")
    if report.steps:
        rows = [
            [
                s.step,
                s.title,
                text.short(s.commit),
                text.duration_text(s.duration),
                text.files_text(s.files),
                text.tests_text(s),
                text.coverage_text(s),
                text.change_text(s),
            ]
            for s in report.steps
        ]
        out.extend(
            _table(["Step", "Title", "Commit", "Duration", "Files", "Tests", "Coverage", "Change"], rows)
        )
        allowed = [(s, a) for s in report.steps for a in s.allowed]
        if allowed:
            out.append("")
            out.append(
                "Steps that carried an allowance (a weakening the honesty check let through, and why):"
            )
            out.extend(f"- {s.step} ({text.short(s.commit)}): {a}" for s, a in allowed)
        if any(s.duration is None for s in report.steps):
            out.append("")
            out.append(
                "Duration unknown: stepcommit's history (in this clone's .git) has no record of that commit."
            )
    else:
        out.append("No step commits in this range.")
    out.append("")

    gated = [c for c in report.other_commits if c.coverage is not None]
    plain = [c for c in report.other_commits if c.coverage is None]
    if gated:
        out.append("## Other commits gated by the hook")
        out.append("")
        out.extend(
            f"- {text.short(c.commit)} {c.date[:10]} {c.subject} (coverage {c.coverage}%)" for c in gated
        )
        out.append("")
    if plain:
        out.append("## Commits without stepcommit trailers")
        out.append("")
        out.extend(f"- {text.short(c.commit)} {c.date[:10]} {c.subject}" for c in plain)
        out.append("")

    if report.unmerged:
        out.append("## Finished steps not on this branch")
        out.append("")
        out.extend(
            f"- {u.step} {u.title}: commit {text.short(u.commit)} on {u.branch or '?'}, finished {u.finished_at}"
            for u in report.unmerged
        )
        out.append("")

    out.append("## Coverage now")
    out.append("")
    cov = report.coverage
    if cov is None:
        out.append(f"Not available: {report.coverage_problem}")
        return "\n".join(out).rstrip() + "\n"
    out.append(
        f"Total {cov.display}%"
        + (" (lines and branches)" if cov.branch else " (lines)")
        + f", {text.coverage_source(cov)}."
        + (f" Tests: {cov.tests}." if cov.tests else "")
    )
    out.append("")
    out.extend(
        _table(
            ["Package", "Files", "Statements", "Missing", "Branches", "Missed branches", "Cover"],
            [
                [
                    p.name,
                    str(p.files),
                    str(p.statements),
                    str(p.missing),
                    str(p.branches),
                    str(p.missing_branches),
                    f"{p.display}%",
                ]
                for p in cov.packages
            ],
        )
    )
    out.append("")
    out.append("### Weakest files")
    out.append("")
    if cov.weakest:
        out.extend(
            _table(
                ["File", "Cover", "Missing lines"],
                [[f.path, f"{f.display}%", line_ranges(f.missing_lines) or "-"] for f in cov.weakest],
            )
        )
    else:
        out.append("Every measured file is fully covered.")
    return "\n".join(out).rstrip() + "\n"
