"""`stepcommit hook agent`: an agent's hook call in, progress entries out; never in the agent's way."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from stepcommit import git, output
from stepcommit.agents import AGENTS, SPECS
from stepcommit.agents.capture import capture, record_hook_error
from stepcommit.agents.tasks import transcript_version
from stepcommit.errors import StepcommitError, never_blocking

# Gemini CLI parses the hook's stdout as JSON and Cursor expects JSON on every path: an empty
# object means "carry on". Claude Code and Codex read nothing from a successful hook.
JSON_REPLY = {name for name, spec in SPECS.items() if spec.json_reply}


def _repo_for(payload_cwd: str | None, cwd: Path) -> git.Repo | None:
    for where in (Path(payload_cwd) if payload_cwd else None, cwd):
        if where is not None and where.is_dir():
            try:
                return git.find_repo(where)
            except StepcommitError:
                continue
    return None


def _note(repo: git.Repo | None, agent: str, detail: str, version: str | None = None) -> None:
    if repo is not None:
        with contextlib.suppress(OSError):
            record_hook_error(repo.git_dir, agent, detail, version)
    output.note(f"stepcommit hook agent: {detail}")  # the detail may quote the payload


def decode_payload(payload: str | bytes) -> tuple[str, str | None]:
    """The payload as text, and what was wrong with its encoding, if anything.

    A payload that is not UTF-8 (stdin bytes, or an argument Python kept with surrogate escapes)
    is decoded with U+FFFD for the bad bytes: the rest of the progress still counts, and the
    problem is recorded for `stepcommit status`.
    """
    data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), (
            f"The hook payload is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "it was read with the bad bytes replaced by \ufffd."
        )


def hook_agent(*, cwd: Path, agent: str, payload_text: str | bytes) -> int:
    """Record the progress in one hook payload; always exit 0 so the agent is never blocked."""
    repo: git.Repo | None = None
    text, encoding_problem = decode_payload(payload_text)

    def report(detail: str) -> None:
        _note(repo or _repo_for(None, cwd), agent, detail)

    with never_blocking(report):
        if agent not in AGENTS:
            raise StepcommitError(f"Unknown agent {agent!r} (known: {', '.join(sorted(AGENTS))}).")
        payload = json.loads(text.lstrip("\ufeff") or "{}")
        if not isinstance(payload, dict):
            raise StepcommitError("The hook payload is not a JSON object.")
        observed = AGENTS[agent](payload)
        repo = _repo_for(observed.cwd, cwd)
        if observed.problem is not None:
            # A shape the agent's documentation does not describe: an agent update changed it, and
            # capture would go silent without this record. Which version sent it helps the fix.
            transcript = payload.get("transcript_path")
            version = observed.version or transcript_version(
                transcript if isinstance(transcript, str) else None
            )
            what = f"Unknown {agent} hook payload shape ({observed.problem}); keys: {', '.join(sorted(payload))[:300]}."
            _note(repo or _repo_for(None, cwd), agent, what, version)
        if repo is not None:
            capture(repo.git_dir, repo.root, observed)
    if encoding_problem is not None:
        _note(repo or _repo_for(None, cwd), agent, encoding_problem)
    if agent in JSON_REPLY:
        print("{}", flush=True)
    return 0


def run_hook(*, agent: str, payload: str | None) -> int:
    """The program's fast path for `stepcommit hook agent` (stepcommit/entry.py): no typer loaded."""
    data: str | bytes = payload if payload is not None else b""
    if payload is None and sys.stdin is not None and not sys.stdin.isatty():
        buffer = getattr(sys.stdin, "buffer", None)
        data = (
            bytes(buffer.read())
            if buffer is not None
            else str(sys.stdin.read()).encode("utf-8", "surrogateescape")
        )
    return hook_agent(cwd=Path.cwd(), agent=agent, payload_text=data)
