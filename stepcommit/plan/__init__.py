"""Plans: find the plan file, read its steps, pick one, and change one step's status in place."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan import markdown, taskmaster
from stepcommit.plan.model import STATUSES, Plan, Status, Step

__all__ = [
    "PLAN_NAMES",
    "STATUSES",
    "Plan",
    "Status",
    "Step",
    "append_steps",
    "find_plan",
    "load_plan",
    "locate",
    "mark_step",
    "next_open_step",
    "parse_plan",
    "select_step",
]

PLAN_NAMES = ("PLAN.md", "PROGRESS.md", "TODO.md", "ROADMAP.md", "tasks.md", "EXECPLAN.md", "task.md")
# Tools that keep their plan in a place of their own, looked at when no usual name is found.
TOOL_PLANS = (".taskmaster/tasks/tasks.json", "tasks/tasks.json")
SPEC_GLOBS = ("specs/*/tasks.md", ".kiro/specs/*/tasks.md")


def find_plan(root: Path, configured: str | None = None) -> Path:
    """The plan file: the configured path, else a usual name in the root or docs/, else a tool's own place."""
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
    for name in TOOL_PLANS:
        if (root / name).is_file():
            return root / name
    for pattern in SPEC_GLOBS:
        # Spec folders are numbered (001-auth, 002-search): the highest is the feature in progress.
        found = sorted(p for p in root.glob(pattern) if p.is_file())
        if found:
            return found[-1]
    raise PlanError(
        f"No plan file found in {root} or {root / 'docs'} (looked for {', '.join(PLAN_NAMES)}, "
        f"{', '.join(TOOL_PLANS)}, {', '.join(SPEC_GLOBS)}).",
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


def _is_json(text: str, path: Path) -> bool:
    return path.suffix.lower() == ".json" or taskmaster.looks_like(text)


def parse_plan(text: str, path: Path) -> Plan:
    """The steps of a plan's text; the format comes from the text (and the path's suffix)."""
    if _is_json(text, path):
        return taskmaster.parse(text, path)
    return markdown.parse(text, path)


def load_plan(path: Path) -> Plan:
    return parse_plan(_read_text(path), path)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _open(step: Step) -> bool:
    return step.status in ("todo", "in_progress")


def _ready(plan: Plan) -> list[Step]:
    """Open leaf steps whose dependencies (their own and their parents') are all done, in file order."""
    status = {s.id: s.status for s in plan.walk()}
    finished = ("done", "skipped")
    ready: list[Step] = []

    def visit(step: Step, waits: tuple[str, ...]) -> None:
        waits = waits + step.depends
        if step.is_leaf:
            # An id the plan does not have cannot hold a step back.
            if _open(step) and not step.optional and all(status.get(d, "done") in finished for d in waits):
                ready.append(step)
            return
        for child in step.children:
            visit(child, waits)

    for step in plan.steps:
        visit(step, ())
    return ready


def next_open_step(plan: Plan) -> Step | None:
    """The first open leaf step in file order whose dependencies are done; optional steps are passed over."""
    ready = _ready(plan)
    return ready[0] if ready else None


def select_step(plan: Plan, query: str | None) -> Step:
    """The step named by id (``1.3``), by place (``#4``: the 4th step in file order), by title words,
    or the next open one when ``query`` is None."""
    if query is None:
        step = next_open_step(plan)
        if step is None:
            waiting = [s for s in plan.walk() if s.is_leaf and _open(s) and not s.optional]
            if waiting:
                listed = ", ".join(
                    f"{s.id} (needs {', '.join(s.depends) or 'its parent'})" for s in waiting[:3]
                )
                raise PlanError(
                    f"Every open step in {plan.path.name} waits on a dependency that is not done: {listed}.",
                    hint="Finish the steps they depend on, or name a step: `stepcommit start 1.3`.",
                )
            raise PlanError(
                f"Every step in {plan.path.name} is done: there is no open step to start.",
                hint="Add a step to the plan, or name one explicitly: `stepcommit start 1.3`.",
            )
        return step
    query = query.strip()
    steps = list(plan.walk())
    place = re.fullmatch(r"#(\d+)", query)
    if place:
        number = int(place.group(1))
        if 1 <= number <= len(steps):
            return steps[number - 1]
        raise PlanError(f"{plan.path.name} has {len(steps)} steps; there is no step #{number}.")
    by_id = [s for s in steps if s.id == query]
    if len(by_id) == 1:
        return by_id[0]
    if by_id:
        places = ", ".join(f"#{s.index + 1} at line {s.line}" for s in by_id)
        raise PlanError(
            f"Several steps have the id {query!r} ({places}).",
            hint=f"Name one by its place, e.g. `#{by_id[0].index + 1}`, or by its title words.",
        )
    wanted = _words(query)
    by_title = [s for s in steps if wanted and all(w in _words(s.title) for w in wanted)]
    exact = [s for s in by_title if _words(s.title) == wanted]
    matches = exact or by_title
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PlanError(
            f"No step in {plan.path.name} matches {query!r}.",
            hint="Run `stepcommit plan` to see the steps and their ids.",
        )
    listed = "; ".join(f"#{s.index + 1} {s.id} {s.title}" for s in matches[:5])
    raise PlanError(f"{query!r} matches several steps: {listed}.", hint="Use the step's id or its #place.")


def locate(plan: Plan, step: Step) -> Step:
    """``step`` (perhaps rebuilt from saved state) in a freshly read plan.

    By its own id and title first, then by title (renumbered), then by its own id (retitled).
    Among several, one in the same status (an in-progress step being finished) and then the one
    nearest its old place wins. Place alone is never enough, and neither is a made-up positional
    id: after a step is deleted the next one slides into its place and its number, and ticking it
    would be a silent lie. A step found none of these ways is an error, never a guess.
    """
    steps = list(plan.walk())
    title = _words(step.title)

    def nearest(found: list[Step]) -> Step:
        return min(
            found, key=lambda s: (s.status != step.status, abs(s.index - step.index), abs(s.line - step.line))
        )

    for found in (
        # Unmoved (also how an untitled step with a made-up id is found at all).
        [
            s
            for s in steps
            if (s.index, s.line, s.id) == (step.index, step.line, step.id) and _words(s.title) == title
        ],
        [s for s in steps if s.explicit_id and s.id == step.id and _words(s.title) == title],
        [s for s in steps if title and _words(s.title) == title],
        [s for s in steps if s.explicit_id and s.id == step.id],
    ):
        if found:
            return nearest(found)
    raise PlanError(
        f"Step {step.id} ({step.title}) is no longer in {plan.path.name}.",
        hint="Put it back, or mark the plan by hand: `stepcommit plan mark ID done`.",
    )


def set_status(text: str, path: Path, step: Step, status: Status, now: datetime) -> str:
    """The plan's text with ``step`` (located in this text) set to ``status``."""
    if _is_json(text, path):
        return taskmaster.set_status(text, path, step, status)
    return markdown.set_status(text, path, step, status, now)


def mark_step(path: Path, step: Step, status: Status, *, now: datetime | None = None) -> Step:
    """Set ``step``'s status in the file, changing only its marker; returns the step as re-read.

    ``now`` stamps formats that record when a step was finished (Codex ExecPlans); UTC now by default.
    """
    current, new_text, data = _marked(path, step, status, now)
    if new_text == data:
        return current
    after = _read_back(path, new_text, current)
    # Write bytes: the text keeps its BOM and its own line endings, byte for byte.
    path.write_bytes(new_text.encode("utf-8"))
    return after


def marked_text(path: Path, step: Step, status: Status, *, now: datetime | None = None) -> str:
    """The plan file's text as `mark_step` would write them, without writing: what a commit of
    the step will hold (`check` gates that tree, so `finish` finds it gated)."""
    current, new_text, data = _marked(path, step, status, now)
    if new_text != data:
        _read_back(path, new_text, current)
    return new_text


def _marked(path: Path, step: Step, status: Status, now: datetime | None) -> tuple[Step, str, str]:
    if status not in STATUSES:
        raise PlanError(f"Unknown status {status!r}.", hint=f"Use one of {', '.join(STATUSES)}.")
    data = _read_text(path)
    current = locate(parse_plan(data, path), step)
    return current, set_status(data, path, current, status, now or datetime.now(UTC)), data


def _read_back(path: Path, new_text: str, current: Step) -> Step:
    # Check the result before writing: a status change moves no step, so the step must read back
    # in its place with its id and title; a plan stepcommit would misread afterwards is never written.
    steps = list(parse_plan(new_text, path).walk())
    after = steps[current.index] if current.index < len(steps) else None
    if after is None or (after.id, after.title) != (current.id, current.title):
        raise PlanError(
            f"Changing step {current.id} in {path.name} (line {current.line}) would change how the plan "
            "reads; nothing was written.",
            hint="Edit that line by hand, and please report the plan's shape.",
        )
    return after


def append_steps(path: Path, titles: list[str]) -> tuple[Step, ...]:
    """Append one open step per title to the plan file; returns the new steps as read back.

    Only checkbox plans (markdown, spec-kit, Kiro, ExecPlan, Antigravity) take new steps: a JSON
    task list has ids, dependencies and subtasks a line of text cannot fill in honestly.
    """
    from stepcommit.plan.append import append_checkbox_steps

    if not titles:
        return ()
    data = _read_text(path)
    if _is_json(data, path):
        raise PlanError(
            f"{path.name} is a JSON task list; stepcommit adds steps only to markdown plans.",
            hint="Add the tasks with your task tool (e.g. `task-master add-task`); "
            "`stepcommit coverage --prompt` prints what they should say.",
        )
    before = parse_plan(data, path)
    appended = append_checkbox_steps(data, path, before, titles)
    after = parse_plan(appended.text, path)
    # Check the result before writing, as mark_step does: every old step reads back unchanged and
    # each new line reads as a new open step with the id it was given.
    new = [s for s in after.walk() if s.line in appended.lines]
    # Leaves only: a phase whose steps were all done is rightly open again once steps join it.
    old = [(s.id, s.title, s.status) for s in after.walk() if s.is_leaf and s.line not in appended.lines]
    same_old = old == [(s.id, s.title, s.status) for s in before.walk() if s.is_leaf]
    ids_ok = all(i is None or s.id == i for s, i in zip(new, appended.ids, strict=False))
    if not same_old or len(new) != len(titles) or not ids_ok or any(s.status != "todo" for s in new):
        raise PlanError(
            f"Adding steps to {path.name} would change how the plan reads; nothing was written.",
            hint="Add the steps by hand; `stepcommit coverage --prompt` prints what they should say.",
        )
    path.write_bytes(appended.text.encode("utf-8"))
    return tuple(new)


def ready_steps(plan: Plan) -> list[Step]:
    """The open leaf steps whose dependencies are all done, in file order (optional ones passed over)."""
    return _ready(plan)
