"""`stepcommit ci gitlab|github`: a CI file running the stepcommit gate with JUnit and Cobertura reports."""

from __future__ import annotations

from pathlib import Path

from stepcommit import ci_files, files, git, setup_report


def ci(
    *,
    cwd: Path,
    kind: str,
    name: str = "tests",
    force: bool = False,
    dry_run: bool = False,
    as_json: bool = False,
) -> int:
    root = git.find_repo(cwd).root
    change = ci_files.plan(root, kind, name=name, force=force)
    if not dry_run:
        files.apply([change])
    steps = []
    if change.changed:
        steps.append(
            f"git add {change.path.relative_to(root).as_posix()} && git commit -m 'ci: run the stepcommit gate'"
        )
    setup_report.show(root, [change], dry_run=dry_run, as_json=as_json, next_steps=steps)
    return 0
