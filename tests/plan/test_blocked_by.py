"""A tracker whose rows say what they wait on (round 21, May1a/jsrust's PLAN.md: a `| Slice | Issue |
Status | Description |` table with `**Done**`, `Next` and `Blocked by #24` rows over `### Slice N:`
sections, and a `## All implementation decisions` section of `### D1:` headings).

- `Slice` numbers the rows and names the sections, which join them; `Next` is open work;
- `Blocked by #24`, where #24 is another row's, waits on that row: a dependency, not a deferral, so
  the slice is next once its blocker is done; a blocker the plan does not hold defers the row;
- a tick of such a row writes the file's done word over the whole status: `Done`, not `Done by #24`;
- decisions taken are no steps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("PLAN.md")
NOW = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
TEXT = """# PLAN: Split the lowering module

## Progress

| Slice | Issue | Status | Description |
|-------|-------|--------|-------------|
| 1 | [#23](https://example.org/issues/23) | **Done** | Extract type translation |
| 2 | [#24](https://example.org/issues/24) | Next | Introduce value tuples |
| 3 | [#25](https://example.org/issues/25) | Blocked by #24 | Extract expression lowering |
| 4 | [#26](https://example.org/issues/26) | Blocked by the vendor API | Extract control flow |

## All implementation decisions (from grilling)

### D1: Fresh builder per closure

Each closure gets its own builder.

### D2: Values bundle id and type

Text.

## Vertical slice plan

### Slice 1: Extract type translation — [#23](https://example.org/issues/23) — DONE

Status: Complete.

### Slice 2: Introduce value tuples — [#24](https://example.org/issues/24)

Text.

### Slice 3: Extract expression lowering — [#25](https://example.org/issues/25)

Text.

### Slice 4: Extract control flow — [#26](https://example.org/issues/26)

Text.
"""


def _steps(text: str) -> list[tuple[str, str, str, bool, tuple[str, ...]]]:
    return [(s.id, s.title, s.status, s.deferred, s.depends) for s in parse_plan(text, PATH).walk()]


def test_slices_are_the_steps_and_a_blocker_in_the_plan_is_a_dependency() -> None:
    assert _steps(TEXT) == [
        ("1", "Extract type translation", "done", False, ()),
        ("2", "Introduce value tuples", "todo", False, ()),
        ("3", "Extract expression lowering", "todo", False, ("2",)),
        ("4", "Extract control flow", "todo", True, ()),
    ]
    first = next_open_step(parse_plan(TEXT, PATH))
    assert first is not None and first.id == "2"


def test_finishing_the_blocker_makes_the_blocked_slice_next_and_its_tick_writes_done() -> None:
    plan = parse_plan(TEXT, PATH)
    text = set_status(TEXT, PATH, next(s for s in plan.walk() if s.id == "2"), "done", NOW)
    assert "| 2 | [#24](https://example.org/issues/24) | Done | Introduce value tuples |" in text
    assert "### Slice 2: Introduce value tuples — [#24](https://example.org/issues/24) — DONE" in text
    following = next_open_step(parse_plan(text, PATH))
    assert following is not None and following.id == "3"
    text = set_status(text, PATH, following, "done", NOW)
    row = next(line for line in text.splitlines() if line.startswith("| 3 "))
    assert (
        row == "| 3 | [#25](https://example.org/issues/25) | Done           | Extract expression lowering |"
    )
    assert [s.status for s in parse_plan(text, PATH).walk()] == ["done", "done", "done", "todo"]
    # The one left waits on something outside the plan: start begins nothing of its own accord.
    assert next_open_step(parse_plan(text, PATH)) is None


def test_a_deferral_s_reason_goes_when_the_row_is_ticked() -> None:
    text = "# Plan\n\n| Phase | Status | Task |\n|---|---|---|\n| 1 | Done | Setup |\n| 2 | Deferred (needs the API) | Sync |\n"
    plan = parse_plan(text, PATH)
    assert [(s.id, s.status, s.deferred) for s in plan.walk()] == [("1", "done", False), ("2", "todo", True)]
    ticked = set_status(text, PATH, plan.steps[1], "done", NOW)
    assert ticked.splitlines()[-1] == "| 2 | Done                     | Sync |"
    assert [s.status for s in parse_plan(ticked, PATH).walk()] == ["done", "done"]
