"""The progress log: entries the agent records while working, kept under the git directory."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from stepcommit.lazy_re import lazy
from stepcommit.redact import redact_all
from stepcommit.sanitize import clean_line
from stepcommit.state import StateDir, now_iso

HEADER = lazy(r"^\s*(?:#+\s*)?\**progress updates\**\s*:?\s*$", re.IGNORECASE)
ITEM_INLINE = lazy(r"^\s*(\d{1,4})[.):]?\s+(\S.*?)\s*$")
ITEM_BARE = lazy(r"^\s*(\d{1,4})[.):]?\s*$")


@dataclass(frozen=True)
class Entry:
    text: str
    time: str
    source: str


ENTRY_CHARS = 4_000
"""The longest progress entry kept; an agent's todo can be megabytes long, a commit line should not."""


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    # The note counts within the limit, so capping a capped text changes nothing.
    keep = limit
    while True:
        note = f" [… {len(text) - keep:,} more characters]"
        if keep + len(note) <= limit:
            return text[:keep] + note
        keep = max(0, limit - len(note))


def cap_entry(text: str) -> str:
    return cap_text(text, ENTRY_CHARS)


def _block_items(lines: list[str]) -> list[str]:
    """The numbered items of one Progress Updates block, in both pasted shapes, noise skipped."""
    items: list[str] = []
    expected = 1
    i = 0
    while i < len(lines):
        line = lines[i]
        inline = ITEM_INLINE.match(line)
        bare = ITEM_BARE.match(line)
        if bare and int(bare.group(1)) == expected:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and not ITEM_BARE.match(lines[j]) and not HEADER.match(lines[j]):
                items.append(lines[j].strip())
                expected += 1
                i = j + 1
                continue
        elif inline and int(inline.group(1)) == expected:
            items.append(inline.group(2))
            expected += 1
        i += 1
    return items


def parse_entries(text: str) -> list[str]:
    """The entries in pasted text: the numbered items of every Progress Updates block, in order,
    or, when there is no such block, every non-empty line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
    if not starts:
        first = next((line for line in lines if line.strip()), "")
        numbered = ITEM_INLINE.match(first) or ITEM_BARE.match(first)
        if numbered and numbered.group(1) == "1":
            # A numbered list pasted without its header: the numbers are the list's, not the text's.
            found = [clean_line(item) for item in _block_items(lines)]
        else:
            found = [clean_line(line) for line in lines]
    else:
        found = []
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            found.extend(clean_line(item) for item in _block_items(lines[start + 1 : end]))
    return [f for f in found if f]


def _log_path(git_dir: Path) -> Path:
    return StateDir(git_dir).progress


def append(git_dir: Path, texts: list[str], source: str) -> list[Entry]:
    """Store ``texts`` as entries, cleaned and with secrets redacted: the file, `log`'s echo and
    `status` never hold a token an agent pasted."""
    cleaned = [c for c in (clean_line(cap_entry(t)) for t in texts) if c]
    entries = [Entry(text, now_iso(), source) for text in redact_all(cleaned)]
    if entries:
        with _log_path(git_dir).open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
    return entries


def read(git_dir: Path) -> list[Entry]:
    path = _log_path(git_dir)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            entries.append(Entry(str(data["text"]), str(data["time"]), str(data["source"])))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a line torn by a crash mid-write is skipped, not fatal
    return entries


def drop_first(git_dir: Path, count: int) -> int:
    """Forget the first ``count`` entries (the ones a finished step's commit carries); returns how
    many stay: entries logged while the finish ran belong to the next commit."""
    from stepcommit.state import write_text_atomic

    rest = read(git_dir)[count:]
    clear(git_dir)
    if rest:
        write_text_atomic(
            _log_path(git_dir), "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in rest)
        )
    return len(rest)


def clear(git_dir: Path) -> None:
    for path in (_log_path(git_dir), _included_path(git_dir)):
        if path.exists():
            path.unlink()


# Entries already put into a commit by the prepare-commit-msg hook, so the next commit (and a
# `finish` that does not squash) does not repeat them. The hook runs before git knows whether the
# commit will happen (an empty message or a failing commit-msg hook still abort it), so it records
# a pending count with the HEAD it saw; the count holds once HEAD has moved past that commit.


def _included_path(git_dir: Path) -> Path:
    return StateDir(git_dir).progress_committed


def committed_count(git_dir: Path, head: str | None) -> int:
    """How many entries, from the start of the log, are in commits already made."""
    try:
        data = json.loads(_included_path(git_dir).read_text(encoding="utf-8"))
        confirmed = int(data.get("confirmed", 0))
        pending = data.get("pending")
        if pending is not None and (head or "") != data.get("head_before", ""):
            return max(confirmed, int(pending))
        return confirmed
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def mark_included(git_dir: Path, count: int, head: str | None) -> None:
    """Entries up to ``count`` went into the message of the commit being made on top of ``head``."""
    from stepcommit.state import write_json

    confirmed = committed_count(git_dir, head)
    write_json(_included_path(git_dir), {"confirmed": confirmed, "pending": count, "head_before": head or ""})


def uncommitted(git_dir: Path, head: str | None) -> list[Entry]:
    """The entries logged since the last commit that carried entries."""
    return read(git_dir)[committed_count(git_dir, head) :]
