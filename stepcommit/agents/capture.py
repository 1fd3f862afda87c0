"""Turn an agent's hook call into progress entries, once each; record the hook's own failures.

The agents resend their whole todo list on every call and may fire the same turn-end twice, so a
small seen-set per agent session (under the git directory) decides what is new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stepcommit import progress, state
from stepcommit.agents.model import Observed
from stepcommit.redact import redact_all

SEEN_SESSIONS = 20
"""Sessions remembered; older ones are dropped so the file stays small."""


def _seen_path(git_dir: Path) -> Path:
    return state.state_dir(git_dir) / "agent-seen.json"


def _errors_path(git_dir: Path) -> Path:
    return state.state_dir(git_dir) / "hook-errors.jsonl"


def new_entries(observed: Observed, seen: Mapping[str, list[str]], root: Path | None = None) -> list[str]:
    """The entries ``observed`` adds that its session has not logged yet, in order."""
    key = f"{observed.agent}:{observed.session}"
    already = set(seen.get(key, []))
    found: list[str] = list(observed.completed)
    for path in observed.edited:
        shown = path
        if root is not None and os.path.isabs(path):
            try:
                shown = Path(path).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                shown = path
        found.append(f"Edited {shown}")
    if observed.summary:
        found.append(observed.summary)
    fresh: list[str] = []
    cleaned = [
        c for c in (progress.cap_entry(progress.clean_text(text)) for text in found) if c and c not in already
    ]
    # The seen-set holds what the log holds, redacted text: an entry with a token is not new again
    # on the next call, and the set never stores the token.
    for text in redact_all(cleaned):
        if text not in already:
            already.add(text)
            fresh.append(text)
    return fresh


def remember(seen: Mapping[str, list[str]], observed: Observed, texts: list[str]) -> dict[str, list[str]]:
    """``seen`` with ``texts`` added to the session's set; the session moves to the newest place."""
    key = f"{observed.agent}:{observed.session}"
    updated = {k: list(v) for k, v in seen.items() if k != key}
    updated[key] = [*seen.get(key, []), *texts]
    while len(updated) > SEEN_SESSIONS:
        updated.pop(next(iter(updated)))
    return updated


def _load_seen(git_dir: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(_seen_path(git_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a lost seen-set can at worst repeat an entry, never block the agent
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(t) for t in v] for k, v in data.items() if isinstance(v, list)}


def capture(git_dir: Path, root: Path, observed: Observed) -> list[progress.Entry]:
    """Append what ``observed`` adds to the progress log (source = the agent) and remember it."""
    seen = _load_seen(git_dir)
    texts = new_entries(observed, seen, root)
    if not texts:
        return []
    entries = progress.append(git_dir, texts, observed.agent)
    state.write_json(_seen_path(git_dir), remember(seen, observed, [e.text for e in entries]))
    return entries


def record_hook_error(git_dir: Path, agent: str, error: str) -> None:
    """Note a hook's failure where `stepcommit status` shows it; the agent itself never sees it."""
    line = {"time": state.now_iso(), "agent": agent, "error": error}
    with _errors_path(git_dir).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_hook_errors(git_dir: Path) -> list[dict[str, Any]]:
    """The recorded hook failures, oldest first (torn lines skipped)."""
    path = git_dir / "stepcommit" / "hook-errors.jsonl"
    if not path.exists():
        return []
    errors: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            errors.append(data)
    return errors


def clear_hook_errors(git_dir: Path) -> None:
    path = git_dir / "stepcommit" / "hook-errors.jsonl"
    if path.exists():
        path.unlink()
