"""The report as one self-contained HTML page: inline CSS, an inline SVG chart, no outside resources."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from stepcommit.gates.coverage import line_ranges
from stepcommit.report import text
from stepcommit.report.chart import coverage_chart
from stepcommit.report.model import Report

# Kept inline: the page must open from a mail attachment or an air-gapped CI artifact as it is.
CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.muted, .meta { color: #59636e; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
.up { color: #1a7f37; } .down { color: #cf222e; }
.barbg { display: inline-block; width: 120px; height: .7rem; background: #ffebe9; margin-right: .4rem;
         vertical-align: middle; }
.bar { display: block; height: 100%; background: #2da44e; }
td { white-space: nowrap; } td.wrap { white-space: normal; }
svg .grid { stroke: #e6e8eb; } svg .axis { fill: #59636e; font-size: 12px; }
svg .line { fill: none; stroke: #0969da; stroke-width: 2.5; } svg .dot { fill: #0969da; }
svg .value { fill: #1f2328; font-size: 12px; } svg .muted { fill: #59636e; }
"""


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    wrap: Sequence[int] = (),
) -> str:
    """Cells arrive already escaped (some hold markup), headers are escaped here."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)

    def cell(i: int, content: str) -> str:
        css = "num" if i in numeric else ("wrap" if i in wrap else "")
        return f'<td class="{css}">{content}</td>' if css else f"<td>{content}</td>"

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(percent: float) -> str:
    return f'<span class="barbg"><span class="bar" style="width:{max(0.0, min(100.0, percent)) * 1.2:.0f}px"></span></span>'


def render(report: Report) -> str:
    e = escape
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>stepcommit report: {e(report.repository)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>stepcommit report</h1>",
        f'<p class="meta">Repository <code>{e(report.repository)}</code>, branch <code>{e(report.branch or "(detached HEAD)")}</code> '
        f"at <code>{e(text.short(report.head))}</code>; generated {e(report.generated_at)}.<br>"
        f"Range: {e(report.range.description)}.</p>",
        "<h2>Plan progress</h2>",
    ]
    plan = report.plan
    if plan is None:
        out.append(f"<p>No plan: {e(report.plan_problem or '')}</p>")
    else:
        out.append(
            f"<p><code>{e(plan.path)}</code>: <strong>{plan.done}</strong> of {plan.total} steps done, "
            f"<strong>{plan.in_progress}</strong> in progress, <strong>{plan.remaining}</strong> remaining"
            + (f", {plan.skipped} skipped" if plan.skipped else "")
            + ".</p>"
        )
        for heading, refs in (
            ("In progress", plan.in_progress_steps),
            ("Remaining", plan.remaining_steps),
            ("Done before stepcommit (no step commit on this branch)", plan.without_commit),
        ):
            if refs:
                items = "".join(f"<li><code>{e(s.id)}</code> {e(s.title)}</li>" for s in refs)
                out.append(f"<p>{e(heading)}:</p><ul>{items}</ul>")

    out.append("<h2>Coverage over steps</h2>")
    out.append(coverage_chart(report.steps))

    out.append("<h2>Finished steps</h2>")
    if report.steps:
        rows = []
        for s in report.steps:
            change = s.change
            css = "" if change is None or change == 0 else (' class="up"' if change > 0 else ' class="down"')
            rows.append(
                [
                    f"<code>{e(s.step)}</code>",
                    e(s.title),
                    f"<code>{e(text.short(s.commit))}</code>",
                    e(text.duration_text(s.duration)),
                    e(text.files_text(s.files)),
                    e(text.tests_text(s)),
                    e(text.coverage_text(s)),
                    f"<span{css}>{e(text.change_text(s))}</span>",
                ]
            )
        headers = ["Step", "Title", "Commit", "Duration", "Files", "Tests", "Coverage", "Change"]
        out.append(_table(headers, rows, wrap=(1, 7)))
        allowed = [(s, a) for s in report.steps for a in s.allowed]
        if allowed:
            items = "".join(
                f"<li><code>{e(s.step)}</code> ({e(text.short(s.commit))}): {e(a)}</li>" for s, a in allowed
            )
            out.append(
                f"<p>Steps that carried an allowance (a weakening the honesty check let through):</p><ul>{items}</ul>"
            )
        if any(s.duration is None for s in report.steps):
            out.append(
                "<p class=\"muted\">Duration unknown: stepcommit's history (in this clone's .git) has no record of that commit.</p>"
            )
    else:
        out.append("<p>No step commits in this range.</p>")

    gated = [c for c in report.other_commits if c.coverage is not None]
    plain = [c for c in report.other_commits if c.coverage is None]
    for heading, commits in (
        ("Other commits gated by the hook", gated),
        ("Commits without stepcommit trailers", plain),
    ):
        if commits:
            out.append(f"<h2>{heading}</h2><ul>")
            out.extend(
                f"<li><code>{e(text.short(c.commit))}</code> {e(c.date[:10])} {e(c.subject)}"
                + (f" (coverage {e(c.coverage)}%)" if c.coverage else "")
                + "</li>"
                for c in commits
            )
            out.append("</ul>")
    if report.unmerged:
        out.append("<h2>Finished steps not on this branch</h2><ul>")
        out.extend(
            f"<li><code>{e(u.step)}</code> {e(u.title)}: commit <code>{e(text.short(u.commit))}</code> on "
            f"<code>{e(u.branch or '?')}</code>, finished {e(u.finished_at)}</li>"
            for u in report.unmerged
        )
        out.append("</ul>")

    out.append("<h2>Coverage now</h2>")
    cov = report.coverage
    if cov is None:
        out.append(f"<p>Not available: {e(report.coverage_problem or '')}</p>")
    else:
        out.append(
            f"<p>Total <strong>{e(cov.display)}%</strong> ({'lines and branches' if cov.branch else 'lines'}), "
            f"{e(text.coverage_source(cov))}." + (f" Tests: {e(cov.tests)}." if cov.tests else "") + "</p>"
        )
        out.append(
            _table(
                ["Package", "Files", "Statements", "Missing", "Branches", "Missed branches", "Cover"],
                [
                    [
                        f"<code>{e(p.name)}</code>",
                        str(p.files),
                        str(p.statements),
                        str(p.missing),
                        str(p.branches),
                        str(p.missing_branches),
                        f"{_bar(p.percent)}{e(p.display)}%",
                    ]
                    for p in cov.packages
                ],
                numeric=(1, 2, 3, 4, 5),
            )
        )
        out.append("<h3>Weakest files</h3>")
        if cov.weakest:
            out.append(
                _table(
                    ["File", "Cover", "Missing lines"],
                    [
                        [
                            f"<code>{e(f.path)}</code>",
                            f"{_bar(f.percent)}{e(f.display)}%",
                            e(line_ranges(f.missing_lines) or "-"),
                        ]
                        for f in cov.weakest
                    ],
                )
            )
        else:
            out.append("<p>Every measured file is fully covered.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
