"""Plans: find the plan file, read its steps, pick one, and change one step's status in place."""

from __future__ import annotations

import re
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import markdown
from stepcommit.plan.model import STATUSES, Plan, Status, Step

__all__ = [
    "PLAN_NAMES",
    "STATUSES",
    "Plan",
    "Status",
    "Step",
    "find_plan",
    "load_plan",
    "mark_step",
    "next_open_step",
    "select_step",
]

PLAN_NAMES = ("PLAN.md", "PROGRESS.md", "TODO.md", "ROADMAP.md", "tasks.md")


def find_plan(root: Path, configured: str | None = None) -> Path:
    """The plan file: the configured path, else the first usual name in the root or docs/."""
    if configured:
        path = Path(configured)
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise PlanError(
                f"The plan file {configured} does not exist.",
                hint="Create it, or point --plan / [tool.stepcommit] plan at the right file.",
            )
        return path
    for folder in (root, root / "docs"):
        for name in PLAN_NAMES:
            if (folder / name).is_file():
                return folder / name
    raise PlanError(
        f"No plan file found in {root} or {root / 'docs'} (looked for {', '.join(PLAN_NAMES)}).",
        hint="Write one (e.g. PLAN.md with `- [ ] **1.1. First step**` lines) or pass --plan PATH.",
    )


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"Cannot read the plan {path}: {exc.strerror}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"The plan {path} is not UTF-8 text (bad byte at offset {exc.start}).",
            hint="Save it as UTF-8 and try again.",
        ) from None


def load_plan(path: Path) -> Plan:
    return markdown.parse(_read_text(path), path)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def next_open_step(plan: Plan) -> Step | None:
    """The first leaf step in file order that is not done or skipped."""
    for step in plan.walk():
        if step.is_leaf and step.status in ("todo", "in_progress"):
            return step
    return None


def select_step(plan: Plan, query: str | None) -> Step:
    """The step named by id (``1.3``), by title words, or the next open one when ``query`` is None."""
    if query is None:
        step = next_open_step(plan)
        if step is None:
            raise PlanError(
                f"Every step in {plan.path.name} is done: there is no open step to start.",
                hint="Add a step to the plan, or name one explicitly: `stepcommit start 1.3`.",
            )
        return step
    by_id = [s for s in plan.walk() if s.id == query]
    if len(by_id) == 1:
        return by_id[0]
    if by_id:
        places = ", ".join(f"line {s.line}" for s in by_id)
        raise PlanError(
            f"Several steps have the id {query!r} ({places}).",
            hint="Name the step by its title words instead.",
        )
    wanted = _words(query)
    by_title = [s for s in plan.walk() if wanted and all(w in _words(s.title) for w in wanted)]
    exact = [s for s in by_title if _words(s.title) == wanted]
    matches = exact or by_title
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PlanError(
            f"No step in {plan.path.name} matches {query!r}.",
            hint="Run `stepcommit plan` to see the steps and their ids.",
        )
    listed = "; ".join(f"{s.id} {s.title}" for s in matches[:5])
    raise PlanError(f"{query!r} matches several steps: {listed}.", hint="Use the step's id.")


def mark_step(path: Path, step: Step, status: Status) -> Step:
    """Set ``step``'s status in the file, changing only its marker; returns the step as re-read."""
    data = _read_text(path)
    plan = markdown.parse(data, path)
    current = markdown.locate(plan, step)
    new_text = markdown.set_status(data, current, status)
    if new_text != data:
        # newline="" keeps the file's own line endings byte for byte.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(new_text)
    return markdown.locate(markdown.parse(new_text, path), current)
