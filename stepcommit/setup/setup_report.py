"""How `init`, `env` and `ci` tell what they changed, file by file, and what to run next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stepcommit import output
from stepcommit.setup.files import FileChange


@dataclass(frozen=True)
class Finding:
    """One check of `stepcommit doctor`: OK, or the problem and the command that fixes it."""

    check: str
    ok: bool
    detail: str
    fix: str = ""


def finding_line(finding: Finding) -> str:
    if finding.ok:
        return f"OK   {finding.check}: {finding.detail}"
    detail = finding.detail.rstrip(".") if finding.fix else finding.detail  # no ".;" before the fix
    return f"FAIL {finding.check}: {detail}" + (f"; fix: {finding.fix}" if finding.fix else "")


def show_findings(findings: Sequence[Finding]) -> None:
    for finding in findings:
        output.say(finding_line(finding))


def summary(root: Path, changes: Sequence[FileChange], *, dry_run: bool) -> list[dict[str, Any]]:
    """One entry per file, in the order planned. Notes never hold a value from .env, only key names."""
    rows = []
    for change in changes:
        action = change.action
        if dry_run and change.changed:
            action = "would be " + action
        rows.append(
            {"path": change.path.relative_to(root).as_posix(), "action": action, "notes": list(change.notes)}
        )
    return rows


def show(
    root: Path,
    changes: Sequence[FileChange],
    *,
    dry_run: bool,
    as_json: bool,
    next_steps: Sequence[str] = (),
    remarks: Sequence[str] = (),
    findings: Sequence[Finding] = (),
) -> None:
    rows = summary(root, changes, dry_run=dry_run)
    if as_json:
        data = {"dry_run": dry_run, "files": rows, "remarks": list(remarks), "next": list(next_steps)}
        if findings:
            data["doctor"] = [asdict(f) for f in findings]
        output.emit_json(data)
        return
    if dry_run:
        output.say("Dry run: nothing was written.")
    for row in rows:
        notes = row["notes"]
        # "created" alone says it all; otherwise list what was added.
        detail = "; ".join(n for n in notes if n != row["action"].removeprefix("would be "))
        output.say(f"{row['path']}: {row['action']}" + (f" ({detail})" if detail else ""))
    for remark in remarks:
        output.say(remark)
    if findings:
        output.say("stepcommit doctor:")
        show_findings(findings)
    if next_steps:
        output.say("Next:")
        for step in next_steps:
            output.say(f"  {step}")
