"""`stepcommit hook agent`: an agent's hook call in, progress entries out; never in the agent's way."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from stepcommit import git, output
from stepcommit.agents import AGENTS
from stepcommit.agents.capture import capture, record_hook_error
from stepcommit.errors import StepcommitError

# Gemini CLI parses the hook's stdout as JSON and Cursor expects JSON on every path: an empty
# object means "carry on". Claude Code and Codex read nothing from a successful hook.
JSON_REPLY = {"gemini", "cursor"}


def _repo_for(payload_cwd: str | None, cwd: Path) -> git.Repo | None:
    for where in (Path(payload_cwd) if payload_cwd else None, cwd):
        if where is not None and where.is_dir():
            try:
                return git.find_repo(where)
            except StepcommitError:
                continue
    return None


def hook_agent(*, cwd: Path, agent: str, payload_text: str) -> int:
    """Record the progress in one hook payload; always exit 0 so the agent is never blocked."""
    repo: git.Repo | None = None
    try:
        if agent not in AGENTS:
            raise StepcommitError(f"Unknown agent {agent!r} (known: {', '.join(sorted(AGENTS))}).")
        payload = json.loads(payload_text.lstrip("\ufeff") or "{}")
        if not isinstance(payload, dict):
            raise StepcommitError("The hook payload is not a JSON object.")
        observed = AGENTS[agent](payload)
        repo = _repo_for(observed.cwd, cwd)
        if repo is not None:
            capture(repo.git_dir, repo.root, observed)
    # The one place a broad catch is right: a hook that fails must still let the agent go on,
    # so every error becomes a record for `stepcommit status` instead of an exit code.
    except Exception as exc:
        detail = exc.message if isinstance(exc, StepcommitError) else f"{type(exc).__name__}: {exc}"
        repo = repo or _repo_for(None, cwd)
        if repo is not None:
            with contextlib.suppress(OSError):
                record_hook_error(repo.git_dir, agent, detail)
        output.note(f"stepcommit hook agent: {detail}")  # the detail may quote the payload
    if agent in JSON_REPLY:
        print("{}", flush=True)
    return 0
