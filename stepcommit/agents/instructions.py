"""The loop an agent follows, written once into its instruction file in a block stepcommit owns.

The block's text is one template in the package (stepcommit/agents/loop.md). Between its markers
the block is stepcommit's: a later install replaces it there, and leaves the rest of the file alone.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

BEGIN = "<!-- stepcommit:begin -->"
END = "<!-- stepcommit:end -->"
AGENTS_MD = "AGENTS.md"
CLAUDE_MD = "CLAUDE.md"


def template() -> str:
    return resources.files("stepcommit.agents").joinpath("loop.md").read_text(encoding="utf-8")


def block(text: str | None = None) -> str:
    body = (template() if text is None else text).strip("\n")
    return f"{BEGIN}\n{body}\n{END}"


def instruction_file(root: Path, agent: str, configured: str | None = None) -> str:
    """Which file the loop goes into, relative to ``root``.

    `[tool.stepcommit] agent_instructions` when set; else CLAUDE.md for Claude Code when the
    project has one (Claude Code reads CLAUDE.md, not AGENTS.md); else AGENTS.md, which Codex,
    Cursor, Gemini CLI (with ``context.fileName``) and most other agents read.
    """
    if configured:
        return configured
    if agent == "claude" and (root / CLAUDE_MD).is_file():
        return CLAUDE_MD
    return AGENTS_MD


def with_block(existing: str | None, wanted: str) -> str:
    """``existing`` with stepcommit's block set to ``wanted``: replaced between its markers when it
    is there, else added at the end after a blank line. Equal to ``existing`` when nothing changes."""
    newline = "\r\n" if existing and "\r\n" in existing else "\n"
    wanted = wanted.replace("\n", newline)
    if not existing:
        return wanted + newline
    start = existing.find(BEGIN)
    end = existing.find(END, start + len(BEGIN)) if start >= 0 else -1
    if start >= 0 and end >= 0:
        return existing[:start] + wanted + existing[end + len(END) :]
    return existing.rstrip("\r\n") + newline + newline + wanted + newline
