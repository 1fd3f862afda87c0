"""pytest, coverage and `[tool.stepcommit]` settings added to pyproject.toml when absent; the user's bytes stay."""

from __future__ import annotations

import dataclasses
import tomllib
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from stepcommit.config import Config
from stepcommit.errors import ProjectFileError

# One line per [tool.stepcommit] key, written above it; a test keeps this in step with Config.
KEY_DOCS: dict[str, str] = {
    "plan": "Plan file, relative to the repository root; PLAN.md, TODO.md, tasks.md... are looked for when unset.",
    "base": "Branch a step merges into; the branch checked out at `stepcommit start` when unset.",
    "branch_pattern": "Name of a step's branch; {id} and {slug} come from the step.",
    "merge": "How `finish` merges into the base: squash (one commit per step), ff, no-ff or none.",
    "python": "Command running the project's Python; the project's .venv or `uv run python` when unset.",
    "pytest_args": "Extra arguments for pytest in the tests gate.",
    "test_timeout": "Seconds before a hanging test run fails the gate.",
    "commit_type": "Conventional Commits type of a step's commit.",
    "fail_under": "Lowest total coverage (%) the gate accepts; no floor when unset.",
    "fail_under_changed": "Lowest coverage (%) of the changed lines' statements; no floor when unset.",
    "ratchet": "Refuse a commit that lowers coverage below the base commit's figure.",
    "ratchet_tolerance": "Percentage points coverage may drop before the ratchet refuses.",
    "lint": "Run the project's pre-commit hooks (or ruff) on the changed files.",
    "run_verify": "Run the `Verify:` commands a plan step gives (only if you trust the plan's author).",
    "incremental": "On by default: rerun only the tests a change affects (per-test coverage kept under .git); the total stays exact. false runs every test every time.",
    "full_on_finish": "With incremental: `stepcommit finish` still runs every test, once, on the tree that lands (the merged one when the base moved).",
    "audit_every": "Every N-th incremental run is full and audits the per-test store file by file (0: never); a difference turns incremental off (`stepcommit doctor`).",
    "xdist_serial_below": "With incremental and pytest-xdist (-n): a selection of fewer tests runs in one process (0: never).",
    "agent_instructions": "File `install --agent` writes the step loop into; AGENTS.md (CLAUDE.md for Claude when it exists) when unset.",
    "steps": "In a tracker plan (phase table + a section per phase): phase (a phase is a step) or item (each checklist item is).",
    "worktree_dir": "Folder for `start --worktree` checkouts, relative to the repository; beside it when unset.",
    "keep_worktree": "Keep a step's worktree and branch after its finish lands.",
    "honesty": "The honesty check per finding (removed-tests, skips, no-cover, config, weak-tests): refuse, warn or off.",
}
# Shown for keys whose default cannot be written in TOML (None) or says little (an empty list).
EXAMPLES: dict[str, Any] = {
    "plan": "PLAN.md",
    "base": "main",
    "python": ["uv", "run", "python"],
    "pytest_args": ["-x"],
    "fail_under": 80.0,
    "fail_under_changed": 80.0,
    "agent_instructions": "AGENTS.md",
    "worktree_dir": "..",
    "honesty": {"weak-tests": "warn"},
}

PYTEST_TABLE = """\
[tool.pytest.ini_options]
# No --cov here: stepcommit runs pytest under `coverage run`, which measures from the first import.
testpaths = ["tests"]
addopts = "-ra"
"""

COVERAGE_REPORT_TABLE = """\
[tool.coverage.report]
# A floor for `coverage report`; stepcommit's ratchet already refuses any drop. Raise it as tests grow.
fail_under = 0
show_missing = true
precision = 2
"""


def stepcommit_table() -> str:
    """[tool.stepcommit] with every key commented out at its default, so the file documents itself."""
    lines = [
        "[tool.stepcommit]",
        "# Every key is optional; the values shown are the defaults (or examples where there is none).",
    ]
    for field in dataclasses.fields(Config):
        default = (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        )
        value = EXAMPLES.get(field.name, default) if default in (None, [], {}) else default
        if isinstance(value, dict):
            table = tomlkit.inline_table()
            table.update(value)
            value = table
        lines.append(f"# {KEY_DOCS[field.name]}")
        lines.append(f"# {field.name} = {tomlkit.item(value).as_string()}")
    return "\n".join(lines) + "\n"


def coverage_run_table(source: list[str], omit: list[str]) -> str:
    lines = ["[tool.coverage.run]", f"source = {tomlkit.item(source).as_string()}", "branch = true"]
    if omit:
        lines.append(f"omit = {tomlkit.item(omit).as_string()}")
    return "\n".join(lines) + "\n"


def _has(data: dict[str, Any], *keys: str) -> bool:
    node: Any = data
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def merged_pyproject(
    text: str,
    *,
    source: list[str],
    omit: list[str],
    pytest_elsewhere: str | None = None,
    coverage_elsewhere: str | None = None,
    name: str = "pyproject.toml",
) -> tuple[str, list[str]]:
    """``text`` with the missing settings appended as whole tables, and one note per table. Pure.

    Tables are appended, never rewritten, so every byte the user wrote stays where it was; tomlkit
    reads the file to see what is there. ``*_elsewhere`` names a file (pytest.ini, .coveragerc) whose
    settings would win, in which case pyproject.toml gets none.
    """
    try:
        data = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise ProjectFileError(
            f"{name} is not valid TOML ({exc}), so stepcommit cannot add its settings; nothing was written.",
            hint='Fix the file (`uv run python -c \'import tomllib; tomllib.load(open("pyproject.toml", "rb"))\'` '
            "shows where), then run `stepcommit init` again.",
        ) from None
    tables: list[str] = []
    notes: list[str] = []
    if pytest_elsewhere:
        notes.append(f"pytest settings left to {pytest_elsewhere}")
    elif not _has(data, "tool", "pytest"):
        tables.append(PYTEST_TABLE)
        notes.append("added [tool.pytest.ini_options] (testpaths, addopts)")
    if coverage_elsewhere:
        notes.append(f"coverage settings left to {coverage_elsewhere}")
    else:
        if not _has(data, "tool", "coverage", "run"):
            tables.append(coverage_run_table(source, omit))
            notes.append(f"added [tool.coverage.run] (source {', '.join(source)}, branch)")
        if not _has(data, "tool", "coverage", "report"):
            tables.append(COVERAGE_REPORT_TABLE)
            notes.append("added [tool.coverage.report] (fail_under, show_missing)")
    if not _has(data, "tool", "stepcommit"):
        tables.append(stepcommit_table())
        notes.append("added [tool.stepcommit] with its defaults, commented")
    if not tables:
        return text, notes
    nl = "\r\n" if "\r\n" in text else "\n"
    prefix = text
    if prefix and not prefix.endswith("\n"):
        prefix += nl
    result = prefix + "".join(
        (nl if prefix.strip() or i else "") + table.replace("\n", nl) for i, table in enumerate(tables)
    )
    try:
        tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        # e.g. `tool = {...}` as an inline table, which no [tool.x] header may extend.
        raise ProjectFileError(
            f"{name} is laid out so that no [tool.*] table can be appended ({exc}); nothing was written.",
            hint="Write [tool] settings as [tool.name] tables, not an inline `tool = {...}`, then run again.",
        ) from None
    return result, notes
