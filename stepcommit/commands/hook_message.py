"""`stepcommit hook message`: prepare-commit-msg; an ordinary commit's message gets the step's news."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stepcommit import git, message, output, progress
from stepcommit.agents.capture import record_hook_error
from stepcommit.errors import StepcommitError, never_blocking
from stepcommit.gates.cache import GateCache

SKIPPED_SOURCES = {"merge", "squash"}
"""git's own messages for merges and squashes are left exactly as git wrote them."""


def annotation_for(repo: git.Repo, head: str | None) -> tuple[message.Annotation, int]:
    """What to add to the message of the commit being made, and how many log entries that covers."""
    entries = progress.read(repo.git_dir)
    new = entries[progress.committed_count(repo.git_dir, head) :]
    tests = coverage = None
    trailers: list[str] = []
    gate = GateCache(repo.git_dir).last()
    if gate and gate.get("tree"):
        try:
            staged = git.write_index_tree(repo.root)
        except StepcommitError:
            staged = None  # an index git cannot write (conflicts): no figures rather than wrong ones
        if staged == gate["tree"]:
            tests = gate.get("tests")
            if tests and gate.get("measured"):
                tests = f"{tests} ({gate['measured']})"  # only the affected tests ran
            coverage = gate.get("coverage_display")
            trailers = _honesty_trailers(gate)
    return message.Annotation(tuple(e.text for e in new), tests, coverage, tuple(trailers)), len(entries)


def _honesty_trailers(gate: dict[str, Any]) -> list[str]:
    """What the hook's gate let through (`STEPCOMMIT_ALLOW`) and counted, as `finish` writes it."""
    from stepcommit.gates.honesty import TRAILER_KEYS

    allowed = [
        (str(a.get("kind")), str(a.get("reason", "")))
        for a in gate.get("allowed") or []
        if isinstance(a, dict)
    ]
    counts: dict[str, int] = {}
    for finding in gate.get("honesty") or []:
        kind = finding.get("kind") if isinstance(finding, dict) else None
        if kind in TRAILER_KEYS:
            counts[kind] = counts.get(kind, 0) + 1
    return message.honesty_trailers(allowed, [(TRAILER_KEYS[k], n) for k, n in counts.items()])


def hook_message(
    *, cwd: Path, message_file: Path | None, source: str | None = None, sha: str | None = None
) -> int:
    """Annotate the message in ``message_file``; a failure is recorded, never a refused commit."""
    source = source or os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE") or None
    repo = git.find_repo(cwd)

    def report(detail: str) -> None:
        record_hook_error(repo.git_dir, "prepare-commit-msg", detail)
        output.note(f"stepcommit hook message: {detail}")  # the detail may quote the payload

    # A hook that crashes would refuse the user's commit for stepcommit's own fault: record it for
    # `stepcommit status` and let the commit go on with its message untouched.
    with never_blocking(report):
        if source in SKIPPED_SOURCES or git.operation_in_progress(repo.git_dir):
            return 0  # merges, rebases, cherry-picks and reverts keep the message git made
        path = message_file or repo.git_dir / "COMMIT_EDITMSG"
        if not path.is_absolute():
            path = cwd / path
        head = git.head_commit(repo.root)
        note, total = annotation_for(repo, head)
        text = path.read_text(encoding="utf-8")
        # Without -m/-F/-c/-C (source none or template) git opens the editor on this text next.
        editing = source in (None, "template")
        new = message.annotate(text, note, git.comment_char(repo.root), editing=editing)
        if new != text:
            path.write_text(new, encoding="utf-8")
        progress.mark_included(repo.git_dir, total, head)
    return 0
