"""Agent integrations: each module turns one agent's documented hook payload into progress, purely."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stepcommit.agents import claude, codex, cursor, gemini
from stepcommit.agents.model import Observed

AGENTS: dict[str, Callable[[Mapping[str, Any]], Observed]] = {
    "claude": claude.parse,
    "codex": codex.parse,
    "gemini": gemini.parse,
    "cursor": cursor.parse,
}

__all__ = ["AGENTS", "Observed"]
