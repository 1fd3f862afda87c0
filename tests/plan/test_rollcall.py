"""Status said by a roll-call of ids (`**Shipped this session:** M1 M2 ...`) over bare backlog bullets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan
from stepcommit.plan.editing import set_status

PATH = Path("ROADMAP.md")
NOW = datetime(2026, 12, 4, tzinfo=UTC)

BACKLOG = """\
# Roadmap

**Shipped this session:** M1 M2 (metrics clamp) · L1 (log fields, see
also L9 notes) · G3

**Deliberately DEFERRED (after the release):**
- **P5 remove the legacy shim** — breaking; C1 keeps working meanwhile.
- **S3 webhook policy**, **P6 docs** — decisions first.

**Not yet implemented:** M3

## Metrics
- **M1** trend buckets
- **M2** clamp the window
- **M3** sort series by value

## Logs
- **L1** configurable fields
- **L9** a sentinel when the cap binds

## Other
- **C1** keep batch constituents
- **G3/P3** honor the time window
- **P5** remove the legacy shim
- **S3** webhook fails open
- **P6** decide on the docs
"""


def _by_id(text: str) -> dict[str, tuple[str, bool]]:
    return {s.id: (s.status, s.deferred) for s in parse_plan(text, PATH).walk() if s.is_leaf}


def test_ids_called_under_a_done_label_are_done_and_under_a_deferred_one_deferred() -> None:
    read = _by_id(BACKLOG)
    assert read["M1"] == read["M2"] == read["L1"] == ("done", False)
    # Mentioned in the paragraph's text, L9 is in its roll-call too; under `Not yet implemented`,
    # M3 is not called done.
    assert read["L9"] == ("done", False) and read["M3"] == ("todo", False)
    # Each list item's own id (and one joined with a comma) is called; C1, only mentioned, is not.
    assert read["P5"] == read["S3"] == read["P6"] == ("todo", True)
    assert read["C1"] == ("todo", False)
    # A shared item is called when each of its ids is: P3 is not.
    assert read["G3/P3"] == ("todo", False)
    assert next_open_step(parse_plan(BACKLOG, PATH)).id == "M3"


def test_a_shared_item_with_every_id_called_is_done() -> None:
    text = BACKLOG.replace("· G3\n", "· G3 · P3\n")
    assert _by_id(text)["G3/P3"] == ("done", False)


def test_a_step_with_a_mark_of_its_own_keeps_it() -> None:
    text = BACKLOG.replace("- **M1** trend buckets", "- [ ] **M1** trend buckets").replace(
        "- **M2** clamp the window", "- [ ] **M2** clamp the window"
    )
    read = _by_id(text)
    assert read["M1"] == read["M2"] == ("todo", False)
    # The bold held only the box's own id: it is the id, the words after it the title.
    boxes = [(s.id, s.title) for s in parse_plan(text, PATH).walk()]
    assert boxes == [("M1", "trend buckets"), ("M2", "clamp the window")]


def test_a_called_step_set_open_again_says_so_itself() -> None:
    plan = parse_plan(BACKLOG, PATH)
    m1 = next(s for s in plan.walk() if s.id == "M1")
    reopened = set_status(BACKLOG, PATH, m1, "todo", NOW)
    assert [line for line in reopened.splitlines() if "trend buckets" in line] == [
        "- ⬜ **M1** trend buckets"
    ]
    assert _by_id(reopened)["M1"] == ("todo", False)
    assert {k: v for k, v in _by_id(reopened).items() if k != "M1"} == {
        k: v for k, v in _by_id(BACKLOG).items() if k != "M1"
    }
    # And done again: the glyph says so.
    m3 = next(s for s in plan.walk() if s.id == "M3")
    ticked = set_status(BACKLOG, PATH, m3, "done", NOW)
    assert _by_id(ticked)["M3"] == ("done", False)


def test_a_loose_list_under_the_label_is_called_whole() -> None:
    text = BACKLOG.replace(
        "- **S3 webhook policy**, **P6 docs** — decisions first.\n",
        "\n- **S3 webhook policy**, **P6 docs** — decisions first.\n\nLater prose names **M3** in bold.\n",
    )
    read = _by_id(text)
    assert read["P5"] == read["S3"] == read["P6"] == ("todo", True)
    assert read["M3"] == ("todo", False)  # the prose after the list is no part of it


def test_a_plan_without_a_roll_call_reads_as_before() -> None:
    text = BACKLOG.split("## Metrics", 1)[1]
    assert {status for status, _ in _by_id("## Metrics" + text).values()} == {"todo"}


def test_a_long_hyphenated_id_held_alone_in_bold_is_the_boxs_id() -> None:
    # bantuaku: `- [ ] **BACKEND-001**: Update dashboard handler` was titled `BACKEND-001`, its words lost.
    text = (
        "## Backend\n\n- [ ] **BACKEND-001**: Update dashboard handler\n- [ ] **TEST-001**: Handler tests\n"
    )
    assert [(s.id, s.title) for s in parse_plan(text, PATH).walk() if s.is_leaf] == [
        ("BACKEND-001", "Update dashboard handler"),
        ("TEST-001", "Handler tests"),
    ]
