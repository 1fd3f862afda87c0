"""`stepcommit plan`: the plan's steps as a tree, and `plan mark ID STATUS` to change one by hand."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, output, state
from stepcommit import plan as plan_mod
from stepcommit.errors import NotARepository, PlanError

_SYMBOL = {"todo": "[ ]", "in_progress": "[~]", "done": "[x]", "skipped": "[-]"}
_ALIASES = {
    "in-progress": "in_progress",
    "inprogress": "in_progress",
    "wip": "in_progress",
    "open": "todo",
    "pending": "todo",
    "complete": "done",
    "completed": "done",
    "cancelled": "skipped",
}


def _root(cwd: Path) -> Path:
    # A plan can be listed outside a repository too; the repository root is only where to look first.
    try:
        return git.find_repo(cwd).root
    except NotARepository:
        return cwd


_KEPT_MAX = 64_000_000
"""Plans up to this size keep their read in `StateDir.plan_read` (a 20 MB plan's pickle is about 9 MB
and loads in 0.5 s, against 4-5 s to read the plan again)."""


def _load(root: Path, path: Path, steps: plan_mod.Granularity) -> plan_mod.Plan:
    """`plan.load_plan`, the read kept in the state folder under the plan's bytes, its path, the
    granularity and the plan readers' files (as `check.step_read` keeps the active step's): a plan
    listed again unchanged is not parsed again (its readers' patterns, about 25 ms, stay uncompiled)."""
    import hashlib
    import pickle

    git_dir = root / ".git"
    try:
        data = (
            path.read_bytes()
            if git_dir.is_dir() and path.is_file() and path.stat().st_size <= _KEPT_MAX
            else None
        )
    except OSError:
        data = None
    if data is None:
        return plan_mod.load_plan(path, steps=steps)
    key = (hashlib.sha256(data).hexdigest(), str(path.resolve()), steps, plan_mod.readers_digest())
    kept_file = state.StateDir(git_dir, create=False).plan_read
    try:
        kept = pickle.loads(kept_file.read_bytes())
        if (
            isinstance(kept, tuple)
            and len(kept) == 2
            and kept[0] == key
            and isinstance(kept[1], plan_mod.Plan)
        ):
            return kept[1]
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # none kept, or a damaged or older one: read the plan
    read = plan_mod.load_plan(path, steps=steps)
    with contextlib.suppress(OSError):  # a cache only: a read-only state folder just reads again
        kept_file.parent.mkdir(exist_ok=True)
        state.write_bytes_atomic(kept_file, pickle.dumps((key, read), protocol=pickle.HIGHEST_PROTOCOL))
    return read


def _plan_file(cwd: Path, plan_path: str | None) -> tuple[Path, Path]:
    root = _root(cwd)
    configured = plan_path
    # --plan is taken from where the user stands when it names a file there, as a shell would.
    if configured is not None and not Path(configured).is_absolute() and (cwd / configured).is_file():
        configured = str((cwd / configured).resolve())
    return root, plan_mod.find_plan(root, configured or config_mod.load(root).plan)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _active_elsewhere(root: Path) -> dict[str, str]:
    """Step id -> the worktree it is active in, for the steps active in other checkouts than this one."""
    from stepcommit import worktrees

    try:
        repo = git.find_repo(root)
    except NotARepository:
        return {}
    return {a.step.id: str(a.path) for a in worktrees.active_elsewhere(repo)}


def step_json(step: plan_mod.Step, elsewhere: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": step.id,
        "title": step.title,
        "status": step.status,
        "line": step.line,
        "optional": step.optional,
        "deferred": step.deferred,
        # The rank its `Priority:` field says: 0 (P0, Critical) first, or null (Task Master: its `next`
        # rank; a GSD roadmap: its place in the Execution Order line).
        "priority": step.priority,
        "later": step.later,  # in a section of later work: start takes the other open work first
        # In a section whose heading says it is under way: start looks there first.
        "under_way": step.under_way,
        # The ids it waits on: Task Master's dependencies, a row's `Blocked by #24` naming another row.
        "depends": list(step.depends),
        "verify": list(step.verify),
        "criteria": list(step.criteria),
        "todo": list(step.todo),  # a tracker phase's checklist, ticked with the phase
        # Started in another worktree: this checkout's plan still shows it open.
        "active_in": (elsewhere or {}).get(step.id),
        "children": [step_json(c, elsewhere) for c in step.children],
    }


def plan_json(the_plan: plan_mod.Plan, shown: str, elsewhere: dict[str, str] | None = None) -> dict[str, Any]:
    busy = set(elsewhere or ())
    following = plan_mod.next_open_step(the_plan, busy)
    reason = plan_mod.no_next_reason(the_plan, busy) if following is None else None
    return {
        "plan": shown,
        "format": the_plan.format,
        # The step `stepcommit start` would begin, or null and why not.
        "next": {"id": following.id, "title": following.title, "line": following.line} if following else None,
        "next_reason": reason[0] if reason else None,
        "steps": [step_json(s, elsewhere) for s in the_plan.steps],
    }


def _tree_lines(
    steps: tuple[plan_mod.Step, ...], depth: int, next_index: int | None, elsewhere: dict[str, str]
) -> list[str]:
    lines: list[str] = []
    for step in steps:
        pointer = "  <- next" if step.index == next_index else ""
        optional = " (optional)" if step.optional else ""
        deferred = " (deferred)" if step.deferred else ""
        where = f"  (active in {elsewhere[step.id]})" if step.id in elsewhere else ""
        lines.append(
            f"{'  ' * depth}{_SYMBOL[step.status]} {step.id}  {step.title}{optional}{deferred}  "
            f"(line {step.line}){where}{pointer}"
        )
        lines.extend(_tree_lines(step.children, depth + 1, next_index, elsewhere))
    return lines


def _granularity(root: Path) -> plan_mod.Granularity:
    """`[tool.stepcommit] steps`: in a tracker plan, phases (the default) or checklist items."""
    return "item" if config_mod.load(root).steps == "item" else "phase"


_PARALLEL_MARK = re.compile(r"\[P\]")


def startable(the_plan: plan_mod.Plan, lines: list[str], busy: set[str]) -> list[plan_mod.Step]:
    """The steps that can start now beside those already active (``busy``), in file order.

    A plan with dependencies (Task Master) says it itself: every open step whose dependencies are done.
    Otherwise the plan reads in order, as spec-kit's do: the first open step, plus the `[P]` steps
    right after it; the next step without `[P]` waits for those before it."""
    ready = plan_mod.ready_steps(the_plan)
    if not any(s.depends for s in the_plan.walk()):
        run = ready[:1]
        for step in ready[1:]:
            line = lines[step.line - 1] if 0 < step.line <= len(lines) else ""
            if not _PARALLEL_MARK.search(line):
                break
            run.append(step)
        ready = run
    return [s for s in ready if s.id not in busy]


def _parallel(root: Path, path: Path, the_plan: plan_mod.Plan, shown: str, as_json: bool) -> int:
    from stepcommit import worktrees

    try:
        active = worktrees.active_steps(git.find_repo(root))
    except NotARepository:
        active = []
    lines = [] if path.is_dir() else path.read_text(encoding="utf-8").splitlines()
    steps = startable(the_plan, lines, {a.step.id for a in active})
    if as_json:
        output.emit_json({
            "plan": shown,
            "startable": [{"id": s.id, "title": s.title, "line": s.line} for s in steps],
            "active": [{"step": output.step_json(a.step.id, a.step.title), "worktree": str(a.path),
                        "branch": a.step.branch} for a in active],
        })  # fmt: skip
        return 0
    for found in active:
        output.say(f"active  {found.step.id}  {found.step.title}  ({found.path})")
    for step in steps:
        output.say(f"ready   {step.id}  {step.title}  (`stepcommit start --worktree {step.id}`)")
    if not steps:
        output.say("No step can start now beside the active ones.")
    return 0


def plan(*, cwd: Path, plan_path: str | None = None, as_json: bool = False, parallel: bool = False) -> int:
    root, path = _plan_file(cwd, plan_path)
    the_plan = _load(root, path, _granularity(root))
    shown = _shown(path, root)
    if parallel:
        return _parallel(root, path, the_plan, shown, as_json)
    elsewhere = _active_elsewhere(root)
    if as_json:
        output.emit_json(plan_json(the_plan, shown, elsewhere))
        return 0
    steps = list(the_plan.walk())
    done = sum(1 for s in steps if s.is_leaf and s.status in ("done", "skipped"))
    leaves = sum(1 for s in steps if s.is_leaf)
    following = plan_mod.next_open_step(the_plan, set(elsewhere))
    output.say(f"{shown} ({the_plan.format}): {done} of {leaves} steps done")
    if not steps:
        output.say(
            "No steps found. Steps look like `- [ ] **1.1. Title**`, `### Phase 2: Title`, "
            "or status table rows."
        )
        return 0
    for line in _tree_lines(the_plan.steps, 0, following.index if following else None, elsewhere):
        output.say(line)
    if following is not None:
        output.say(f"Next: {following.id} {following.title}  (`stepcommit start` begins it)")
    else:
        reason = plan_mod.no_next_reason(the_plan, set(elsewhere))
        if reason is not None:
            output.say(f"Next: none. {reason[0]}")
    return 0


def mark(
    *, cwd: Path, step_query: str, status: str, plan_path: str | None = None, as_json: bool = False
) -> int:
    wanted = _ALIASES.get(status.strip().lower(), status.strip().lower())
    matching = [s for s in plan_mod.STATUSES if s == wanted]
    if not matching:
        raise PlanError(f"Unknown status {status!r}.", hint="Use todo, in_progress or done (or skipped).")
    new_status = matching[0]
    root, path = _plan_file(cwd, plan_path)
    the_plan = plan_mod.load_plan(path, steps=_granularity(root))
    step = plan_mod.select_step(the_plan, step_query)
    before = step.status
    statuses = {(s.index, s.id): s.status for s in the_plan.walk()}
    marked = plan_mod.mark_step(path, step, new_status, steps=_granularity(root))
    shown = _shown(path, root)
    changed = marked.status != before
    # A heading with no marker of its own is marked through its children: report every step that moved.
    moved = [
        s
        for s in plan_mod.load_plan(path, steps=_granularity(root)).walk()
        if statuses.get((s.index, s.id), s.status) != s.status
    ]
    if as_json:
        output.emit_json({
            "plan": shown, "step": step_json(marked), "previous": before, "changed": changed or bool(moved),
            "changed_steps": [
                {"id": s.id, "title": s.title, "status": s.status, "line": s.line,
                 "previous": statuses[(s.index, s.id)]}
                for s in moved
            ],
        })  # fmt: skip
        return 0
    if moved and [s.id for s in moved] != [marked.id]:
        output.say(
            f"Step {marked.id} ({marked.title}) marked {new_status}: {len(moved)} steps changed in {shown}:"
        )
        for s in moved:
            output.say(f"  {s.id} ({s.title}): {statuses[(s.index, s.id)]} -> {s.status}  (line {s.line})")
    elif marked.status == new_status and changed:
        output.say(
            f"Step {marked.id} ({marked.title}): {before} -> {marked.status}  ({shown} line {marked.line})"
        )
    elif marked.status == new_status:
        output.say(f"Step {marked.id} ({marked.title}) is already {marked.status}; {shown} unchanged.")
    else:
        output.say(
            f"Step {marked.id} ({marked.title}) stays {marked.status}: a {the_plan.format} plan has no "
            f"marker for {new_status.replace('_', ' ')}, so {shown} is unchanged."
        )
    return 0
