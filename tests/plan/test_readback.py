"""A tick read back from its one changed mark is the step a whole read of the new text gives.

The oracle is the whole read (`reading._read`, never the cache) of the text `set_status` writes,
for every step and status of every markdown corpus plan and of generated ones.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

from stepcommit import plan
from stepcommit.errors import PlanError
from stepcommit.plan import STATUSES, editing, readback, reading

CORPUS = Path(__file__).parent / "corpus"
REAL = json.loads((CORPUS / "real" / "expected.json").read_text(encoding="utf-8"))
NOW = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)


def _plans() -> list[tuple[str, Path]]:
    found = [(p.read_text(encoding="utf-8"), Path(p.name)) for p in sorted(CORPUS.glob("*.md"))]
    found += [
        ((CORPUS / "real" / name).read_text(encoding="utf-8"), Path(REAL[name]["path"]))
        for name in sorted(REAL)
        if name.endswith(".md")
    ]
    rng = random.Random(20261203)
    lines = [
        "# Plan", "## Phase 1: Setup", "- [ ] **1. One**", "- [x] 2. Two", "- [/] Three", "- [-] Four",
        "- [~] Five", "  - [ ] nested", "- [ ] Login ✅ DONE", "- [ ] Later — DEFERRED", "- [ ]* optional",
        "- [ ] Wip (in progress)", "<!-- id: 7 -->", "- [ ] Seven <!-- id: a7 -->", "Prose.", "",
        "## Success Criteria", "- [ ] a criterion", "| # | Step | Status |", "|---|---|---|",
        "| 1 | One | DONE |", "- [ ] Verify: `pytest`", "**Status**: ✅ Done", "### 1.2 Step",
    ]  # fmt: skip
    for _ in range(100):
        body = [rng.choice(lines) for _ in range(rng.randint(2, 25))]
        found.append(("\n".join(body) + "\n", Path(rng.choice(["PLAN.md", ".kiro/specs/x/tasks.md"]))))
    return [(text, path) for text, path in found if plan._reader(text, path) == "markdown"]


def test_a_tick_read_back_from_its_mark_is_what_reading_the_whole_text_gives() -> None:
    quick = 0
    rng = random.Random(13)
    for text, path in _plans():
        parsed = reading._read(text, path)
        every = list(parsed.plan.walk())
        # A bounded sample of a long plan's steps: the first, the last and some between.
        chosen = {*range(min(2, len(every))), *range(max(0, len(every) - 2), len(every))}
        chosen |= set(rng.sample(range(len(every)), min(len(every), 5)))
        for step in (every[i] for i in sorted(chosen)):
            for status in STATUSES:
                try:
                    new = editing.set_status(text, path, step, status, NOW)
                except PlanError:
                    continue
                if new == text:
                    continue  # nothing written: `marked_text_of` reads nothing back then either
                back = readback.ticked_step(parsed, text, new, step)
                if back is None:
                    continue
                quick += 1
                whole = list(reading._read(new, path).plan.walk())
                assert back == whole[step.index], (path, step, status)
    assert quick > 300  # the quick way is the common one, not a corner


def test_only_a_change_of_the_one_mark_reads_back_from_it() -> None:
    text = "# Plan\n\n- [ ] **1. One**\n- [ ] **2. Two**\n"
    path = Path("PLAN.md")
    parsed = reading._read(text, path)
    one, two = parsed.plan.walk()
    ticked = text.replace("[ ] **1.", "[x] **1.")
    assert readback.ticked_step(parsed, text, ticked, one) == reading._read(ticked, path).plan.steps[0]
    assert readback.ticked_step(parsed, text, ticked, two) is None  # another step's mark
    assert readback.ticked_step(parsed, text, ticked.replace("One", "Uno"), one) is None  # more changed
    assert readback.ticked_step(parsed, text, ticked + "\n", one) is None
    assert readback.ticked_step(parsed, text, text, one) is None  # reopened (the mark says todo)
    slash = text.replace("[ ] **1.", "[/] **1.")  # the first `/` makes the plan Antigravity's
    assert reading._read(slash, path).plan.format == "antigravity"
    assert readback.ticked_step(parsed, text, slash, one) is None


def test_marking_a_big_plan_does_not_read_it_again(tmp_path: Path) -> None:
    path = tmp_path / "PLAN.md"
    text = "# Plan\n\n" + "".join(
        f"- [ ] **{n}. Step {n}**\n\nProse of step {n}.\n\n" for n in range(1, 3000)
    )
    path.write_text(text, encoding="utf-8")
    reading._RECENT.clear()
    step = plan.select_step(plan.load_plan(path), "1500")
    after = plan.mark_step(path, step, "done")
    assert path.read_text(encoding="utf-8") == text.replace("- [ ] **1500.", "- [x] **1500.")
    assert (after.id, after.status, after.line) == ("1500", "done", step.line)
    assert [seen for seen, *_ in reading._RECENT] == [text]  # the text as written was never read whole
    assert after == list(reading._read(path.read_text(encoding="utf-8"), path).plan.walk())[step.index]
