"""Real plans from public repositories are read the way a person reads them (issue 15).

The oracle is ``corpus/real/expected.json``, written by reading each file before any stepcommit code
ran on it (see ``corpus/real/README.md``). Each file is parsed at its original path, because some
formats are recognised by where they live (``.cursor/plans/``, ``openspec/changes/``, ``backlog/tasks/``).

Rules, one test each so a failure names the rule:

- ids are unique across ``plan.walk()``;
- the next step's title holds every word of the expected ``next`` (case-insensitive, ``\\w+`` words,
  so markup such as backticks or bold does not matter), or there is no next step when it is ``null``;
- the number of leaf steps is within the tolerance ``max(2, 20% of the expected count)``: people and
  readers may reasonably differ on a grouping or two, not on the granularity;
- no step's title is one of the ``not_steps`` (same word sequence, case-insensitive);
- no ``deferred`` title is the next step (its words all in the next step's title);
- ticking any leaf (open -> done, done -> todo) with ``set_status`` changes exactly one line, byte for
  byte, and the reparsed plan has the same steps with only that step's status changed (its
  ancestors' derived status may follow).

A file's ``misses`` (rule -> why: ``ids``, ``next``, ``count``, ``not_steps``, ``deferred``,
``ticking``) records a reading not fixed yet; that rule runs for it as a strict xfail.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stepcommit.plan import Plan, Step, next_open_step, parse_plan, set_status

CORPUS = Path(__file__).parent / "corpus" / "real"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTED)
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _cases(rule: str) -> list[Any]:
    """The corpus files for one rule; a file whose ``misses`` names the rule (a reading not fixed
    yet, with why) runs as a strict xfail, so fixing it shows up as an unexpected pass."""
    cases: list[Any] = []
    for name in NAMES:
        why = EXPECTED[name].get("misses", {}).get(rule)
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _text(name: str) -> str:
    # Decoded as the reader decodes a plan: UTF-8, a BOM (if any) kept as U+FEFF.
    return (CORPUS / name).read_bytes().decode("utf-8")


def _plan(name: str) -> Plan:
    return parse_plan(_text(name), Path(EXPECTED[name]["path"]))


def _leaves(plan: Plan) -> list[Step]:
    return [s for s in plan.walk() if s.is_leaf]


def _tolerance(expected: int) -> int:
    return max(2, round(expected * 0.2))


def test_every_file_has_expectations_and_a_source() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if p.name not in ("expected.json", "README.md"))
    assert files == NAMES
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name, expected in EXPECTED.items():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}:.+", expected["source"]), name
        assert expected["source"].endswith(":" + expected["path"]), name
        assert expected["licence"], name
        assert f"`{name}`" in readme, name
        assert expected["steps"] > 0, name
        assert set(expected.get("misses", {})) <= {
            "ids",
            "next",
            "count",
            "not_steps",
            "deferred",
            "ticking",
        }, name


@pytest.mark.parametrize("name", _cases("ids"))
def test_ids_are_unique(name: str) -> None:
    ids = [s.id for s in _plan(name).walk()]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"repeated ids: {repeated}"


@pytest.mark.parametrize("name", _cases("next"))
def test_next_step_is_the_one_a_person_starts(name: str) -> None:
    expected = EXPECTED[name]["next"]
    following = next_open_step(_plan(name))
    if expected is None:
        assert following is None, (
            f"nothing is left, yet start would begin {following.id}: {following.title!r}"
        )
        return
    assert following is not None, f"start would begin nothing; a person starts {expected!r}"
    # A person may name the step by its id too (`T-055 rpcproxy ...`): the id is not in the title.
    missing = [w for w in _words(expected) if w not in _words(f"{following.id} {following.title}")]
    assert not missing, f"next is {following.id}: {following.title!r}; a person starts {expected!r}"


@pytest.mark.parametrize("name", _cases("count"))
def test_step_count_is_about_what_a_person_counts(name: str) -> None:
    expected = EXPECTED[name]["steps"]
    leaves = _leaves(_plan(name))
    assert abs(len(leaves) - expected) <= _tolerance(expected), (
        f"{len(leaves)} leaf steps, a person counts {expected}: {[s.title for s in leaves][:12]}"
    )


@pytest.mark.parametrize("name", _cases("not_steps"))
def test_things_that_are_not_steps_are_not_steps(name: str) -> None:
    banned = {tuple(_words(t)): t for t in EXPECTED[name]["not_steps"]}
    offered = [(s.id, s.title) for s in _plan(name).walk() if tuple(_words(s.title)) in banned]
    assert not offered, f"offered as steps: {offered}"


@pytest.mark.parametrize("name", _cases("deferred"))
def test_deferred_work_is_never_next(name: str) -> None:
    following = next_open_step(_plan(name))
    if following is None:
        return
    title = _words(following.title)
    for deferred in EXPECTED[name]["deferred"]:
        assert not all(w in title for w in _words(deferred)), (
            f"start would begin deferred work: {following.title!r}"
        )


def _changed_lines(before: bytes, after: bytes) -> list[int]:
    old, new = before.split(b"\n"), after.split(b"\n")
    assert len(old) == len(new), f"a tick changed the number of lines ({len(old)} -> {len(new)})"
    return [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]


def _ancestors(plan: Plan, leaf: Step) -> set[int]:
    found: set[int] = set()

    def visit(step: Step, path: tuple[int, ...]) -> bool:
        if step.index == leaf.index:
            found.update(path)
            return True
        return any(visit(child, (*path, step.index)) for child in step.children)

    for step in plan.steps:
        if visit(step, ()):
            break
    return found


def _lines_showing(text: str, path: Path, plan: Plan, leaf: Step) -> set[int] | None:
    """The lines that show ``leaf`` when the plan shows one step in several places (a tracker's
    phase: its table rows, heading, checklist, checkpoint row, and the roll-up lines); None when each
    step has one marker line, so a tick must change exactly one line."""
    from stepcommit.plan import reading

    if plan.format not in ("markdown", "spec-kit", "kiro", "antigravity", "execplan"):
        return None
    parsed = reading._scan(text, path)
    if not any(parsed.places[s.index] for s in plan.walk()) and not parsed.rollup.phases:
        return None
    phase = next((r for r in plan.steps if leaf in r.walk()), leaf)
    around = {s.index for s in phase.walk()}
    shown = {parsed.markers[i].line.number for i in around}
    shown |= {p.marker.line.number for i in around for p in parsed.places[i]}
    return shown | {
        text.count("\n", 0, span.start) + 1 for span in (*parsed.rollup.active, *parsed.rollup.updated)
    }


@pytest.mark.parametrize("name", _cases("ticking"))
def test_ticking_any_leaf_changes_only_the_lines_that_show_it(name: str) -> None:
    """One line per tick; where the plan shows a phase in several places (one step joined from its
    table row, heading, checklist and checkpoint), only the lines that show that phase."""
    path = Path(EXPECTED[name]["path"])
    text = _text(name)
    before = parse_plan(text, path)
    shape = [(s.index, s.id, s.title) for s in before.walk()]
    problems: list[str] = []
    for leaf in _leaves(before):
        target = "todo" if leaf.status == "done" else "done"
        new_text = set_status(text, path, leaf, target, NOW)
        changed = _changed_lines(text.encode("utf-8"), new_text.encode("utf-8"))
        shown = _lines_showing(text, path, before, leaf)
        if (len(changed) != 1) if shown is None else not (changed and set(changed) <= shown):
            problems.append(f"{leaf.id} {leaf.title!r} -> {target}: lines {changed} changed")
            continue
        after = parse_plan(new_text, path)
        if [(s.index, s.id, s.title) for s in after.walk()] != shape:
            problems.append(f"{leaf.id} {leaf.title!r} -> {target}: the steps changed on reparse")
            continue
        allowed = _ancestors(before, leaf)
        for old, new in zip(before.walk(), after.walk(), strict=True):
            if old.index == leaf.index:
                if new.status != target:
                    problems.append(f"{leaf.id} {leaf.title!r} -> {target}: reads back as {new.status}")
            elif old.index not in allowed and old.status != new.status:
                problems.append(f"{leaf.id} -> {target} also moved {old.id} {old.title!r} to {new.status}")
    assert not problems, "\n".join(problems[:10])
