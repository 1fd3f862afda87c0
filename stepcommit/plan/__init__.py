"""Plans: find the plan file, read its steps, pick one, and change one step's status in place."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path

from stepcommit.errors import PlanError
from stepcommit.plan.model import GRANULARITIES, STATUSES, Granularity, Plan, Status, Step
from stepcommit.plan.text import BOM

__all__ = [
    "GRANULARITIES",
    "PLAN_GLOBS",
    "PLAN_NAMES",
    "STATUSES",
    "Granularity",
    "Plan",
    "Status",
    "Step",
    "append_steps",
    "find_plan",
    "load_plan",
    "locate",
    "mark_step",
    "next_open_step",
    "no_next_reason",
    "parse_plan",
    "select_step",
    "step_file",
]

PLAN_NAMES = ("PLAN.md", "PROGRESS.md", "TODO.md", "ROADMAP.md", "tasks.md", "EXECPLAN.md", "task.md")
# Tools that keep their plan in a place of their own, looked at when no usual name is found.
TOOL_PLANS = (".taskmaster/tasks/tasks.json", "tasks/tasks.json")
SPEC_GLOBS = ("specs/*/tasks.md", ".kiro/specs/*/tasks.md")
# Then, in this order: (pattern, newest first?) of the tools that keep several plans in one folder.
# Of several files, the one in progress wins (open steps and some begun), then one with open
# steps, then the first; "first" is by name, newest first where names start with a date.
PLAN_GLOBS: tuple[tuple[str, bool], ...] = (
    (".cursor/plans/*.plan.md", False),  # Cursor plan mode
    ("openspec/changes/*/tasks.md", False),  # OpenSpec (changes/archive/ holds finished ones)
    (".planning/ROADMAP.md", False),  # GSD (get-shit-done)
    ("docs/superpowers/plans/*.md", True),  # superpowers, YYYY-MM-DD-<feature>.md
    ("docs/plans/*.md", True),  # superpowers (older releases)
)
# Last, Backlog.md: a folder of task files, one step each.
BACKLOG = "backlog/tasks"


def _progress_rank(path: Path) -> int:
    """0: open steps and some begun; 1: open steps; 2: nothing open (or unreadable)."""
    try:
        steps = [s for s in load_plan(path).walk() if s.is_leaf]
    except PlanError:
        return 2
    if not any(_open(s) for s in steps):
        return 2
    return 0 if any(s.status != "todo" for s in steps) else 1


def _pick(found: list[Path]) -> Path:
    ranks = [_progress_rank(p) for p in found]
    return found[ranks.index(min(ranks))]


def _searched() -> str:
    names = ", ".join(PLAN_NAMES)
    places = [*TOOL_PLANS, *SPEC_GLOBS, *(pattern for pattern, _ in PLAN_GLOBS), f"{BACKLOG}/*.md"]
    return f"looked for {names}, then {', '.join(places)}"


def find_plan(root: Path, configured: str | None = None) -> Path:
    """The plan file: the configured path, else a usual name in the root or docs/, else a tool's own place."""
    if configured:
        path = Path(configured)
        path = path if path.is_absolute() else root / path
        if path.is_dir() and not _is_backlog_folder(path):
            raise PlanError(
                f"The plan {configured} is a folder without Backlog.md task files.",
                hint="Point --plan / [tool.stepcommit] plan at a plan file, or at backlog/tasks.",
            )
        if not (path.is_file() or path.is_dir()):
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
    for pattern, newest_first in PLAN_GLOBS:
        found = sorted(
            (
                p
                for p in root.glob(pattern)
                if p.is_file() and p.name.lower() != "readme.md" and p.parent.name != "archive"
            ),
            reverse=newest_first,
        )
        if found:
            return _pick(found)
    if _is_backlog_folder(root / BACKLOG):
        return root / BACKLOG
    raise PlanError(
        f"No plan file found in {root} or {root / 'docs'} ({_searched()}).",
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


def _is_backlog_folder(path: Path) -> bool:
    from stepcommit.plan import backlog

    return backlog.is_folder(path)


def _is_json(text: str, path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if not text.lstrip(BOM + " \t\r\n").startswith("{"):  # taskmaster.looks_like, without loading it
        return False
    from stepcommit.plan import taskmaster

    return taskmaster.looks_like(text)


_READERS: list[tuple[str, Path, str]] = []
"""The readers of the last texts told apart: `start` and `finish` tell the same text two or three
times, and telling a big plan's format reads all of it."""


def _reader(text: str, path: Path) -> str:
    """Which reader a plan's text is for: from the text (and the path's suffix), never from its place."""
    for seen_text, seen_path, reader in _READERS:
        if seen_path == path and (seen_text is text or seen_text == text):
            return reader
    reader = _format_of(text, path)
    _READERS.insert(0, (text, path, reader))
    del _READERS[2:]
    return reader


def _format_of(text: str, path: Path) -> str:
    # The Markdown reader, most plans' own, loads with the package; each other reader's module only for
    # a text that passes the cheap test its `looks_like` starts with (`status` during a step: ~25 ms less).
    if _is_json(text, path):
        return "taskmaster"
    if text.removeprefix(BOM).startswith("---"):  # the front matter's opening fence (`frontmatter.block`)
        from stepcommit.plan import backlog, frontmatter

        if frontmatter.looks_like(text):
            return "cursor"
        if backlog.looks_like(text, path):
            return "backlog"
    if "<tasks>" in text:
        from stepcommit.plan import gsd

        if gsd.looks_like(text):
            return "gsd"
    if "·" in text:  # the middle dot of a `### Open · Title` task heading
        from stepcommit.plan import taskform

        if taskform.looks_like(text):
            return "taskform"
    return "markdown"


def parse_plan(text: str, path: Path, *, steps: Granularity = "phase") -> Plan:
    """The steps of a plan's text; the format comes from the text (and the path's suffix).

    ``steps``: in a tracker plan (a phase status table with a section per phase) a step is a
    phase, its checklist the step's to-do list; "item" makes each checklist item a step."""
    return _parse_as(_reader(text, path), text, path, steps)


def _parse_as(reader: str, text: str, path: Path, steps: Granularity) -> Plan:
    if reader == "markdown":
        from stepcommit.plan import reading  # the Markdown reader: loaded to read a text, not to hold a Plan

        return reading.parse(text, path, steps)
    from stepcommit.plan import backlog, frontmatter, gsd, taskform, taskmaster

    if reader == "taskmaster":
        return taskmaster.parse(text, path)
    if reader == "cursor":
        return frontmatter.parse(text, path)
    if reader == "backlog":
        return backlog.parse(text, path)
    if reader == "gsd":
        return gsd.parse(text, path)
    return taskform.parse(text, path)


def readers_digest() -> str:
    """What the plan's readers are, as files: a change to them (an upgrade, an edit in a checkout of
    stepcommit) makes every read kept under it stale (`status`'s step read, `plan`'s plan read)."""
    import hashlib
    import os

    from stepcommit import __version__

    digest = hashlib.sha256(__version__.encode())
    for entry in sorted(os.scandir(Path(__file__).parent), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            info = entry.stat()
            digest.update(f"{entry.name}:{info.st_mtime_ns}:{info.st_size};".encode())
    return digest.hexdigest()[:16]


def load_plan(path: Path, *, steps: Granularity = "phase") -> Plan:
    """The plan in a file, or in a Backlog.md folder of task files."""
    if path.is_dir():
        from stepcommit.plan import backlog

        if not backlog.is_folder(path):
            raise PlanError(
                f"{path} is a folder without Backlog.md task files.",
                hint="Point --plan / [tool.stepcommit] plan at a plan file (or at backlog/tasks).",
            )
        return backlog.load_folder(path)
    return parse_plan(_read_text(path), path, steps=steps)


def step_file(path: Path, step: Step) -> Path:
    """The file a tick of ``step`` changes: the plan file itself, or, for a Backlog.md folder, the
    step's own task file (which is then the started step's plan)."""
    if path.is_dir():
        from stepcommit.plan import backlog

        return backlog.file_of(path, locate(load_plan(path), step))
    return path


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _open(step: Step) -> bool:
    return step.status in ("todo", "in_progress")


def _held(step: Step) -> bool:
    """A step `start` never begins by itself: optional, or deferred (DEFERRED, BLOCKED, ON HOLD)."""
    return step.optional or step.deferred


def _ready(plan: Plan) -> list[Step]:
    """Open leaf steps whose dependencies (their own and their parents') are all done, in file order.

    Steps under an optional or deferred step, or under one the plan itself says is done or skipped
    (`### Phase 2 ✅ COMPLETED` over boxes nobody ticked), are passed over with it.
    """
    return list(_ready_in_order(plan))


def _ready_in_order(plan: Plan) -> Iterator[Step]:
    """`_ready`'s steps one by one: `start` takes the first of a big plan without visiting the rest."""
    finished = ("done", "skipped")
    statuses: dict[str, Status] = {}

    def status_of(ident: str) -> Status:
        # Made once, when a step first waits on another: most plans say no dependencies at all.
        if not statuses:
            statuses.update((s.id, s.status) for s in plan.walk())
        return statuses.get(ident, "done")

    def visit(step: Step, waits: tuple[str, ...]) -> Iterator[Step]:
        waits = waits + step.depends
        if _held(step):
            return
        if step.is_leaf:
            # An id the plan does not have cannot hold a step back.
            if _open(step) and all(status_of(d) in finished for d in waits):
                yield step
            return
        if step.status in finished:
            return
        for child in _by_priority(step.children):
            yield from visit(child, waits)

    if plan.format == "taskmaster":
        yield from _work_under_way_first(
            plan, [s for step in _by_priority(plan.steps) for s in visit(step, ())]
        )
        return
    if plan.under_way:
        # The work of a section under way first (`## v2.1.0 - IN PROGRESS`), then the rest.
        for step in _by_priority(plan.steps):
            yield from (s for s in visit(step, ()) if s.under_way)
        for step in _by_priority(plan.steps):
            yield from (s for s in visit(step, ()) if not s.under_way)
        return
    for step in _by_priority(plan.steps):
        yield from visit(step, ())


def _work_under_way_first(plan: Plan, ready: list[Step]) -> list[Step]:
    """Task Master's `next`: the work under way before new work. A task (or subtask) in progress
    first, then the open subtasks of a task in progress, then the rest, each in the order `ready`
    has them (priority, dependencies, file order)."""
    under_way = {c.index for s in plan.walk() if s.status == "in_progress" for c in s.children}
    return sorted(ready, key=lambda s: 0 if s.status == "in_progress" else 1 if s.index in under_way else 2)


def _by_priority(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Sibling steps in the order `start` takes them: the steps of a section of later work
    (`## Future Enhancements`) after the others; by the priority each says (`**Priority**:
    High` before Medium) when every open one says one, as Task Master's `next` orders its tasks:
    ties to the step with fewer dependencies, then file order; else, or when none says one, in
    file order."""
    if any(step.later for step in steps) and not all(step.later for step in steps):
        return _ranked(tuple(s for s in steps if not s.later)) + _ranked(tuple(s for s in steps if s.later))
    return _ranked(steps)


def _ranked(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    ranked = False
    for step in steps:
        if step.status in ("todo", "in_progress") and not _held(step):
            if step.priority is None:
                return steps
            ranked = True
    if not ranked:
        return steps
    return tuple(sorted(steps, key=lambda s: (9 if s.priority is None else s.priority, len(s.depends))))


def next_open_step(plan: Plan, busy: Collection[str] = ()) -> Step | None:
    """The first open leaf step in file order whose dependencies are done; optional and deferred
    steps are passed over, and so are the steps active in another worktree (``busy``: their ids)."""
    return next((s for s in _ready_in_order(plan) if s.id not in busy), None)


def _passed_over(plan: Plan) -> dict[int, str]:
    """Open leaf steps `start` passes over for what encloses them (or they are): index -> why."""
    why: dict[int, str] = {}

    def visit(step: Step, reason: str | None) -> None:
        if reason is None and _held(step):
            reason = "deferred" if step.deferred else "optional"
        if step.is_leaf:
            if _open(step) and reason is not None:
                why[step.index] = reason
            return
        if reason is None and step.status in ("done", "skipped"):
            reason = f"under {step.id}, marked {step.status}"
        for child in step.children:
            visit(child, reason)

    for step in plan.steps:
        visit(step, None)
    return why


def no_next_reason(plan: Plan, busy: Collection[str] = ()) -> tuple[str, str] | None:
    """Why `start` finds no step to begin (message, hint); None when it finds one. ``busy``: the ids
    of the steps active in another worktree."""
    if next_open_step(plan, busy) is not None:
        return None
    name = plan.path.name
    taken = [s.id for s in _ready(plan) if s.id in busy]
    if taken:
        return (
            f"Every step of {name} that can start now is active in another worktree already: {', '.join(taken[:5])}.",
            "`stepcommit status --all` shows where; to begin a later step anyway, name it: `stepcommit start 1.3`.",
        )
    steps = list(plan.walk())
    if not steps:
        return (
            f"{name} has no steps stepcommit can read: there is no open step to start.",
            "Write steps as `- [ ] **1.1. Title**`, `### Phase 2: Title` or status table rows.",
        )
    why = _passed_over(plan)
    waiting = [s for s in steps if s.is_leaf and _open(s) and s.index not in why]
    if waiting:
        listed = ", ".join(f"{s.id} (needs {', '.join(s.depends) or 'its parent'})" for s in waiting[:3])
        return (
            f"Every open step in {name} waits on a dependency that is not done: {listed}.",
            "Finish the steps they depend on, or name a step: `stepcommit start 1.3`.",
        )
    if why:
        held = [s for s in steps if s.index in why]
        listed = ", ".join(f"{s.id} ({why[s.index]})" for s in held[:5])
        return (
            f"Every open step in {name} is deferred, optional or under a finished step: {listed}.",
            "Name the one to begin anyway: `stepcommit start 1.3`.",
        )
    return (
        f"Every step in {name} is done: there is no open step to start.",
        "Add a step to the plan, or name one explicitly: `stepcommit start 1.3`.",
    )


def select_step(plan: Plan, query: str | None, busy: Collection[str] = ()) -> Step:
    """The step named by id (``1.3``), by place (``#4``: the 4th step in file order), by title words,
    or the next open one when ``query`` is None (passing over those active elsewhere, ``busy``)."""
    if query is None:
        step = next_open_step(plan, busy)
        if step is None:
            reason = no_next_reason(plan, busy)
            assert reason is not None
            raise PlanError(reason[0], hint=reason[1])
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
    # Unmoved, the common case, without a pass over every step of a big plan: where each step's
    # index is its place, only the step in ``step``'s place can have its index.
    here = steps[step.index] if 0 <= step.index < len(steps) else None
    if (
        here is not None
        and (here.index, here.line, here.id) == (step.index, step.line, step.id)
        and _words(here.title) == title
        and all(s.index == i for i, s in enumerate(steps))
    ):
        return here

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


def set_status(
    text: str, path: Path, step: Step, status: Status, now: datetime, *,
    verified: bool = False, steps: Granularity = "phase",
) -> str:  # fmt: skip
    """The plan's text with ``step`` (located in this text) set to ``status``."""
    return _set_status_as(_reader(text, path), text, path, step, status, now, verified, steps)


def _set_status_as(
    reader: str,
    text: str,
    path: Path,
    step: Step,
    status: Status,
    now: datetime,
    verified: bool,
    steps: Granularity,
) -> str:
    if reader == "markdown":
        from stepcommit.plan import editing  # writing a status: not needed to read a plan

        return editing.set_status(text, path, step, status, now, verified=verified, steps=steps)
    from stepcommit.plan import backlog, frontmatter, gsd, taskform, taskmaster

    if reader == "taskmaster":
        return taskmaster.set_status(text, path, step, status)
    if reader == "cursor":
        return frontmatter.set_status(text, path, step, status)
    if reader == "backlog":
        return backlog.set_status(text, path, step, status)
    if reader == "gsd":
        return gsd.set_status(text, path, step, status)
    return taskform.set_status(text, path, step, status)


def mark_step(
    path: Path, step: Step, status: Status, *, now: datetime | None = None,
    verified: bool = False, steps: Granularity = "phase",
) -> Step:  # fmt: skip
    """Set ``step``'s status in the file, changing only its markers; returns the step as re-read.

    ``now`` stamps formats that record when a step was finished (Codex ExecPlans) and dates a
    finished phase's Last Updated line; UTC now by default. ``verified``: the step's verification
    runs and must pass before this is committed (a finished phase's checkpoint row says passed).
    ``steps``: the plan's granularity (`[tool.stepcommit] steps`).
    """
    path, step = _in_its_file(path, step)
    data = _read_text(path)
    current, new_text, reader = _marked(data, path, step, status, now, verified, steps)
    if new_text == data:
        return current
    after = _read_back(path, reader, data, new_text, current, steps)
    # Write bytes: the text keeps its BOM and its own line endings, byte for byte.
    path.write_bytes(new_text.encode("utf-8"))
    return after


def marked_text(
    path: Path, step: Step, status: Status, *, now: datetime | None = None,
    verified: bool = False, steps: Granularity = "phase",
) -> str:  # fmt: skip
    """The plan file's text as `mark_step` would write them, without writing: what a commit of
    the step will hold (`check` gates that tree, so `finish` finds it gated)."""
    path, step = _in_its_file(path, step)
    return marked_text_of(_read_text(path), path, step, status, now=now, verified=verified, steps=steps)


def marked_text_of(
    data: str, path: Path, step: Step, status: Status, *, now: datetime | None = None,
    verified: bool = False, steps: Granularity = "phase",
) -> str:  # fmt: skip
    """`marked_text` of a plan file's text read already (``path`` names the file, for its format)."""
    current, new_text, reader = _marked(data, path, step, status, now, verified, steps)
    if new_text != data:
        _read_back(path, reader, data, new_text, current, steps)
    return new_text


def _in_its_file(path: Path, step: Step) -> tuple[Path, Step]:
    """A step of a Backlog.md folder is marked in its own task file."""
    if not path.is_dir():
        return path, step
    from stepcommit.plan import backlog

    current = locate(load_plan(path), step)
    return backlog.file_of(path, current), current


def _marked(
    data: str,
    path: Path,
    step: Step,
    status: Status,
    now: datetime | None,
    verified: bool,
    steps: Granularity,
) -> tuple[Step, str, str]:
    """The step located in the plan's text ``data``, the text with it set to ``status``, and which
    reader reads it."""
    if status not in STATUSES:
        raise PlanError(f"Unknown status {status!r}.", hint=f"Use one of {', '.join(STATUSES)}.")
    reader = _reader(data, path)  # once: telling the format apart reads the whole text too
    current = locate(_parse_as(reader, data, path, steps), step)
    new_text = _set_status_as(reader, data, path, current, status, now or datetime.now(UTC), verified, steps)
    return current, new_text, reader


def _read_back(path: Path, reader: str, data: str, new_text: str, current: Step, steps: Granularity) -> Step:
    # Check the result before writing: a status change moves no step, so the step must read back
    # in its place with its id and title; a plan stepcommit would misread afterwards is never written.
    new_reader = _reader(new_text, path)
    after = None
    if reader == "markdown" == new_reader:
        # One checkbox's mark changed reads back from the mark (`readback`), from the reading
        # `_marked` made (cached): a big plan is not read again whole.
        from stepcommit.plan import readback, reading

        after = readback.ticked_step(reading._scan(data, path, steps), data, new_text, current)
    if after is None:
        steps_after = list(_parse_as(new_reader, new_text, path, steps).walk())
        after = steps_after[current.index] if current.index < len(steps_after) else None
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
    if path.is_dir():
        raise PlanError(
            f"{path} is a Backlog.md folder; stepcommit adds steps only to checkbox plans.",
            hint="Add the tasks with `backlog task create`.",
        )
    data = _read_text(path)
    if _reader(data, path) in ("cursor", "taskform", "backlog", "gsd"):
        raise PlanError(
            f"{path.name} keeps its steps in a form of its own (Cursor todos or task headings); "
            "stepcommit adds steps only to checkbox plans.",
            hint="Add the steps with the tool that writes the plan, or by hand.",
        )
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
