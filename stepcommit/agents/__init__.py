"""Agent integrations: each module gives one agent's documented hook payload as a table for the
one reader (``payload.parse``), purely."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from stepcommit.agents import claude, codex, cursor, gemini
from stepcommit.agents.model import Observed
from stepcommit.agents.payload import AgentSpec, parse

SPECS: dict[str, AgentSpec] = {
    spec.name: spec for spec in (claude.SPEC, codex.SPEC, gemini.SPEC, cursor.SPEC)
}
"""Every agent stepcommit reads, by name: the one list of agent names."""
AGENT_NAMES = tuple(SPECS)

AGENTS: dict[str, Callable[[Mapping[str, Any]], Observed]] = {
    name: functools.partial(parse, spec) for name, spec in SPECS.items()
}

__all__ = ["AGENTS", "AGENT_NAMES", "SPECS", "Observed"]
