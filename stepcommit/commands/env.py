"""`stepcommit env`: complete .env from .env.example (keys named, values never shown); keep .env ignored."""

from __future__ import annotations

from pathlib import Path

from stepcommit import git
from stepcommit.setup import envfile, files, gitignore, setup_report
from stepcommit.setup.files import FileChange

EXAMPLE = ".env.example"
ENV = ".env"


def plan(root: Path) -> list[FileChange]:
    """The .env change (none without an example), and .gitignore's if .env is not in it yet."""
    example = files.read_text(root / EXAMPLE)
    if example is None:
        return []
    before = files.read_text(root / ENV)
    merged = envfile.merge(before, example, example_name=EXAMPLE)
    if before is None:
        notes = [f"created from {EXAMPLE}"]
    elif merged.added:
        notes = []
    else:
        notes = [f"has every key of {EXAMPLE}"]
    if merged.added:
        notes.append("added " + ", ".join(merged.added))
    if merged.only_in_env:
        notes.append("kept keys not in the example: " + ", ".join(merged.only_in_env))
    # A new .env holds secrets: readable by its owner only.
    changes = [FileChange(root / ENV, before, merged.text, tuple(notes), mode=0o600)]
    ignore_before = files.read_text(root / ".gitignore")
    if gitignore.missing(ignore_before, ((ENV, ()),)):
        changes.append(
            FileChange(
                root / ".gitignore",
                ignore_before,
                gitignore.with_entries(ignore_before, [ENV]),
                ("added .env",),
            )
        )
    return changes


def remarks(root: Path) -> list[str]:
    if (root / ENV).exists() and git.is_tracked(root, ENV):
        return [
            "Warning: .env is tracked by git, so its secrets are in the repository. "
            "`git rm --cached .env` stops tracking it (rotate any secret already pushed)."
        ]
    return []


def env(*, cwd: Path, dry_run: bool = False, as_json: bool = False) -> int:
    root = git.find_repo(cwd).root
    changes = plan(root)
    if not changes:
        setup_report.show(
            root,
            [],
            dry_run=dry_run,
            as_json=as_json,
            remarks=[f"No {EXAMPLE} here: nothing to copy into {ENV}."],
        )
        return 0
    if not dry_run:
        files.apply(changes)
    setup_report.show(
        root,
        changes,
        dry_run=dry_run,
        as_json=as_json,
        remarks=remarks(root),
        next_steps=[f"fill in the values in {ENV}"] if changes[0].changed else [],
    )
    return 0
