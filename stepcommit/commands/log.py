"""`stepcommit log`: record progress entries for the active step."""

from __future__ import annotations

from pathlib import Path

from stepcommit import git, output, progress, state
from stepcommit.errors import StepcommitError


def decode_stdin(data: bytes) -> str:
    """The text piped to `log --stdin`; bytes that are not UTF-8 are refused, not guessed at, since
    the entries go verbatim into a commit message."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StepcommitError(
            f"The text on stdin is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}) cannot be decoded; nothing was logged.",
            hint="Convert it first, e.g. `iconv -f latin1 -t utf-8 progress.txt | stepcommit log --stdin`.",
        ) from None


def log(
    *, cwd: Path, texts: list[str], stdin_text: str | None = None, source: str = "cli", as_json: bool = False
) -> int:
    repo = git.find_repo(cwd)
    if stdin_text is not None:
        found = progress.parse_entries(stdin_text)
        source = "stdin" if source == "cli" else source
    else:
        found = [" ".join(texts)] if texts else []
    entries = progress.append(repo.git_dir, found, source)
    if not entries:
        raise StepcommitError(
            "Nothing to log: the text was empty.",
            hint='Give the entry as arguments (`stepcommit log "Added the model."`) or on stdin with --stdin.',
        )
    total = len(progress.read(repo.git_dir))
    active = state.load_active(repo.git_dir)
    if as_json:
        output.emit_json(
            {
                "added": [e.text for e in entries],
                "total": total,
                "step": output.step_json(active.id, active.title) if active else None,
            }
        )
        return 0
    for entry in entries:
        output.say(f"{total - len(entries) + entries.index(entry) + 1} {entry.text}")
    if active is None:
        output.note("No step is active: the entries will go into the next commit stepcommit writes.")
    elif (journal := state.load_journal(repo.git_dir)) and journal.progress_total is not None:
        output.note(
            f"A finish of step {journal.step} is under way and its commit message is written: "
            "the entries are kept for the next commit."
        )
    return 0
