"""Plan value objects: a plan is a tree of steps, each with a stable id, a title, a status and a place."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Literal

Status = Literal["todo", "in_progress", "done", "skipped"]
STATUSES: tuple[Status, ...] = ("todo", "in_progress", "done", "skipped")

Granularity = Literal["phase", "item"]
"""What a step is in a tracker plan (a phase status table with a section per phase): the phase, its
checklist its to-do list; or each checklist item (`[tool.stepcommit] steps = "item"`)."""
GRANULARITIES: tuple[Granularity, ...] = ("phase", "item")


@dataclass(frozen=True)
class Step:
    """One step of a plan.

    ``id`` is the step's own number when it has one (``1.3``, ``T012``, ``P0-1``), else a
    positional id; ``line`` is the 1-based line of its status marker; ``index`` is its place in
    file order among all steps, which addresses it unambiguously when ids or titles repeat.
    ``explicit_id`` is False when the id was made up from the step's position, so it is no
    evidence of identity once the file changes; ``optional`` marks Kiro's ``[ ]*`` tasks, which
    the next-step choice passes over; ``depends`` lists the ids that must be done first (Task Master).
    ``deferred`` marks an open step the plan says not to begin now (deferred, blocked, on hold), which
    the next-step choice passes over like an optional one; ``criteria`` are the checklist lines under a
    step's success/acceptance criteria (never steps themselves); ``todo`` is a phase step's own
    checklist when the plan's steps are its phases; ``branch`` is the branch name the plan gives the step;
    ``priority`` the rank its `Priority:` field says (0 first: P0 / Critical, 1 High, 2 Medium, 3 Low);
    in Task Master, the rank its ``next`` gives it (its own, else its task's, else Medium);
    ``later`` marks a step of a section of later work (`## Future Enhancements`, `## Nice to have`),
    which `start` takes only after the open work of its siblings elsewhere; ``under_way`` marks a step of a
    section whose heading says its work is under way (`## v2.1.0 - IN PROGRESS`), which `start` takes
    before the open work elsewhere.
    """

    id: str
    title: str
    status: Status
    line: int
    index: int
    children: tuple[Step, ...] = ()
    verify: tuple[str, ...] = ()
    explicit_id: bool = True
    optional: bool = False
    depends: tuple[str, ...] = ()
    deferred: bool = False
    criteria: tuple[str, ...] = ()
    todo: tuple[str, ...] = ()
    branch: str | None = None
    priority: int | None = None
    later: bool = False
    under_way: bool = False

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self) -> Iterator[Step]:
        yield self
        for child in self.children:
            yield from child.walk()


# Every field's default (a field without one is always given to `built_step`).
_STEP_DEFAULTS = {f.name: f.default for f in fields(Step) if f.default is not MISSING}


def built_step(
    ident: str, title: str, status: Status, line: int, index: int,
    children: tuple[Step, ...], verify: tuple[str, ...], *,
    explicit_id: bool, optional: bool, deferred: bool, criteria: tuple[str, ...], todo: tuple[str, ...],
    priority: int | None = None, later: bool = False, under_way: bool = False,
    depends: tuple[str, ...] = (),
) -> Step:  # fmt: skip
    """``Step(...)`` made without the frozen dataclass's generated ``__init__``, which sets each of
    its fifteen fields through ``object.__setattr__``: a big plan has a hundred thousand steps, and
    that was a tenth of reading it. The result equals (and hashes as) the one ``Step(...)`` makes."""
    step = object.__new__(Step)
    values = step.__dict__
    values.update(_STEP_DEFAULTS)
    values.update(
        id=ident, title=title, status=status, line=line, index=index, children=children, verify=verify,
        explicit_id=explicit_id, optional=optional, deferred=deferred, criteria=criteria, todo=todo,
        priority=priority, later=later, under_way=under_way, depends=depends,
    )  # fmt: skip
    return step


@dataclass(frozen=True)
class Plan:
    path: Path
    format: str
    steps: tuple[Step, ...] = field(default_factory=tuple)
    under_way: bool = False  # some step is ``under_way``: `start` looks there first

    def walk(self) -> Iterator[Step]:
        for step in self.steps:
            yield from step.walk()
