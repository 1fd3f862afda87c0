"""`[tool.stepcommit]` in pyproject.toml: a dataclass of defaults, overridden by the file, unknown keys refused."""

from __future__ import annotations

import dataclasses
import math
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepcommit.errors import ConfigError

MERGE_STYLES = ("squash", "ff", "no-ff", "none")
STEP_GRANULARITIES = ("phase", "item")
"""`steps`: what a step is in a tracker plan (kept here, not imported from the plan package: the
hooks load the config and must stay light)."""


@dataclass(frozen=True)
class Config:
    plan: str | None = None
    """Plan file, relative to the repository root; found among the usual names when unset."""
    base: str | None = None
    """Branch a step merges into; the branch checked out at `start` when unset."""
    branch_pattern: str = "step/{id}-{slug}"
    merge: str = "squash"
    python: list[str] = field(default_factory=list)
    """Command that runs the project's Python (e.g. ["uv", "run", "python"]); found when unset."""
    pytest_args: list[str] = field(default_factory=list)
    test_timeout: float = 1800.0
    commit_type: str = "feat"
    fail_under: float | None = None
    fail_under_changed: float | None = None
    """A floor on the coverage of the changed lines' statements (like diff-cover's --fail-under)."""
    ratchet: bool = True
    ratchet_tolerance: float = 0.0
    lint: bool = True
    run_verify: bool = False
    """Run the `Verify:` commands a plan step gives (off unless you trust the plan's author)."""
    incremental: bool = True
    """Rerun only the tests a change affects, from per-test coverage kept under .git (exact total);
    `false` runs the whole suite every time."""
    full_on_finish: bool = True
    """With `incremental`, `finish` still runs the whole suite once, on the tree that lands (the merged
    tree when the base moved, the step's own gate then incremental), and refreshes the per-test store."""
    audit_every: int = 20
    """Every N-th incremental run is full and compared with the per-test store, file by file (0: never);
    a difference turns incremental off for the repository (see `stepcommit doctor`)."""
    xdist_serial_below: int = 50
    """With `incremental`, a selection of fewer tests runs in one process even when the project runs
    pytest-xdist (`-n`): starting the workers would cost more than it saves. 0: always under `-n`."""
    steps: str = "phase"
    """In a tracker plan (a phase status table with a section per phase): `phase` makes each phase
    one step with its checklist as the to-do list; `item` makes each checklist item a step."""
    agent_instructions: str | None = None
    """The file `install --agent` writes the loop into (AGENTS.md; Claude Code's CLAUDE.md when it exists)."""
    worktree_dir: str | None = None
    """Where `start --worktree` puts a step's checkout (relative to the repository); beside it when unset."""
    keep_worktree: bool = False
    """Keep a step's worktree and branch after its finish lands (they are removed by default)."""
    honesty: dict[str, str] = field(default_factory=dict)
    """The honesty check's policy per finding (`refuse`, `warn`, `off`); unset ones keep the default."""


NUMBER_RANGES: dict[str, tuple[float, float, bool]] = {
    # key: (lowest, highest, whether the lowest itself is allowed)
    "test_timeout": (0.0, math.inf, False),
    "fail_under": (0.0, 100.0, True),
    "fail_under_changed": (0.0, 100.0, True),
    "ratchet_tolerance": (0.0, 100.0, True),
}
"""The numeric keys and the values that mean something: a timeout of -1 or a floor of 101 is a typo."""


def _whole(name: str, value: object, what: str, hint: str) -> int:
    """``value`` as a count of 0 or more, else a ConfigError saying what it must be."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[tool.stepcommit] {name} must be {what}, not {value!r}.", hint=hint)
    return value


def _in_range(name: str, value: float) -> float:
    low, high, low_allowed = NUMBER_RANGES[name]
    too_low = value < low or (value == low and not low_allowed)
    # NaN compares false with everything, so it fails the finite check instead; TOML allows both.
    if not math.isfinite(value) or too_low or value > high:
        wanted = f"greater than {low:g}" if not low_allowed else f"from {low:g} to {high:g}"
        if high == math.inf and not low_allowed:
            wanted = f"a finite number greater than {low:g} (seconds)"
        raise ConfigError(
            f"[tool.stepcommit] {name} = {value!r} is out of range: it must be {wanted}.",
            hint=f"Fix {name} in pyproject.toml.",
        )
    return value


_OPTIONAL_TEXTS = ("plan", "base", "agent_instructions", "worktree_dir")
"""Settings that are unset (None) by default and, when set, a non-empty string (a path, a branch)."""


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name in ("python", "pytest_args"):
        words = shlex.split(value) if isinstance(value, str) else value
        if not (isinstance(words, list) and all(isinstance(v, str) for v in words)):
            raise ConfigError(f"[tool.stepcommit] {name} must be a string or a list of strings.")
        if name == "python" and not words:
            raise ConfigError(
                "[tool.stepcommit] python is empty: it must name the command that runs the project's Python.",
                hint='E.g. python = ["uv", "run", "python"], or remove the key to let stepcommit find it.',
            )
        return words
    if name in _OPTIONAL_TEXTS and not (isinstance(value, str) and value.strip()):
        raise ConfigError(
            f"[tool.stepcommit] {name} must be a non-empty string, not {value!r}.",
            hint=f"Fix {name} in pyproject.toml, or remove it to use the default.",
        )
    if name == "honesty":
        from stepcommit.gates.honesty import check_policy

        if not isinstance(value, dict):
            raise ConfigError('[tool.stepcommit] honesty must be a table, e.g. honesty = {skips = "warn"}.')
        try:
            check_policy(value)
        except ValueError as exc:
            raise ConfigError(
                f"[tool.stepcommit] honesty: {exc}.", hint="Fix honesty in pyproject.toml."
            ) from None
        return {key.replace("_", "-"): str(v) for key, v in value.items()}
    if name == "xdist_serial_below":
        return _whole(
            name, value, "a whole number of tests (0 or more)",
            "Fix xdist_serial_below in pyproject.toml (0 keeps every incremental run under pytest-xdist).",
        )  # fmt: skip
    if name in NUMBER_RANGES:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"[tool.stepcommit] {name} must be a number, not {value!r}.")
        return _in_range(name, float(value))
    if name == "audit_every":
        return _whole(name, value, "a whole number of runs (0: never)", "Fix audit_every in pyproject.toml.")
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigError(f"[tool.stepcommit] {name} must be true or false, not {value!r}.")
    if name == "merge" and value not in MERGE_STYLES:
        raise ConfigError(f"[tool.stepcommit] merge = {value!r} is not one of {', '.join(MERGE_STYLES)}.")
    if name == "steps" and value not in STEP_GRANULARITIES:
        raise ConfigError(
            f"[tool.stepcommit] steps = {value!r} is not one of {', '.join(STEP_GRANULARITIES)}.",
            hint='`steps = "phase"` (a tracker plan\'s phases are the steps) or `"item"` (each checklist item).',
        )
    if isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"[tool.stepcommit] {name} must be a string, not {value!r}.")
    return value


def from_table(table: dict[str, Any]) -> Config:
    known = {f.name: f for f in dataclasses.fields(Config)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(
                f"Unknown key {key!r} in [tool.stepcommit].",
                hint=f"Known keys: {', '.join(sorted(known))}.",
            )
        default = Config.__dataclass_fields__[name].default
        values[name] = _coerce(name, value, default)
    return Config(**values)


def load(root: Path) -> Config:
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}.",
            hint="Fix the file; stepcommit reads [tool.stepcommit] from it.",
        ) from None
    table = data.get("tool", {}).get("stepcommit", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.stepcommit] in pyproject.toml must be a table.")
    return from_table(table)
