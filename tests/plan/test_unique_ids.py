"""Ids are unique in every listing, so `plan mark ID` works with any id `plan --json` shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from stepcommit.errors import PlanError
from stepcommit.plan import Plan, load_plan, mark_step, parse_plan, select_step
from stepcommit.plan.tracker import RawId, unique_ids
from tests.plan.test_fuzz import markdown_lines

CORPUS = Path(__file__).parent / "corpus"
CORPUS_FILES = sorted(
    p
    for p in CORPUS.rglob("*")
    if p.is_file() and p.suffix in (".md", ".json") and p.name not in ("expected.json", "README.md")
)


def ids(text: str, name: str = "PLAN.md") -> list[tuple[str, str]]:
    return [(s.id, s.title) for s in parse_plan(text, Path(name)).walk()]


def assert_every_id_selects_one_step(plan: Plan) -> None:
    steps = list(plan.walk())
    assert len({s.id for s in steps}) == len(steps), [s.id for s in steps]
    for s in steps:
        assert select_step(plan, s.id).index == s.index


def test_superpowers_steps_are_scoped_under_their_task() -> None:
    text = (
        "### Task 1: Parser\n\n- [ ] **Step 1: Write the failing test**\n- [ ] **Step 2: Make it pass**\n\n"
        "### Task 2: Writer\n\n- [ ] **Step 1: Write the failing test**\n- [ ] **Step 2: Make it pass**\n"
    )
    assert ids(text) == [
        ("1", "Parser"),
        ("1.1", "Write the failing test"),
        ("1.2", "Make it pass"),
        ("2", "Writer"),
        ("2.1", "Write the failing test"),
        ("2.2", "Make it pass"),
    ]


def test_steps_numbered_through_the_file_keep_their_numbers_beside_phase_headings() -> None:
    text = "## Phase 1\n\n- [ ] **1. One**\n- [ ] **2. Two**\n\n## Phase 2\n\n- [ ] **3. Three**\n"
    assert [i for i, _ in ids(text)] == ["1-2", "1", "2", "2-2", "3"]


def test_a_dotted_step_heading_keeps_its_whole_number() -> None:
    assert ids("# Step 19.12: Polish\n\n- [ ] a\n")[0] == ("19.12", "Polish")


def test_repeated_comment_ids_are_told_apart_in_file_order() -> None:
    text = "- [ ] <!-- id: 4 --> first\n- [/] <!-- id: 4 --> second\n- [ ] <!-- id: 4-2 --> own\n"
    assert ids(text) == [("4", "first"), ("4-3", "second"), ("4-2", "own")]


def test_a_phase_heading_and_a_phase_checkbox_elsewhere_are_one_step() -> None:
    text = "## Phase 2: Models\n\n- [ ] fields\n\n## Status\n\n- [x] Phase 2: Models\n- [ ] Phase 3: API\n"
    assert ids(text) == [("2", "Models"), ("2.1", "fields"), ("3", "API")]


def test_unique_ids_is_deterministic_and_scopes_made_up_ids_under_the_final_parent() -> None:
    raw = [RawId("1", None, True, 1, False), RawId("1.1", 0, False, 1, True), RawId("1", None, True, 2, True)]
    assert unique_ids(raw) == [("1-2", False), ("1-2.1", False), ("1", True)]
    assert unique_ids(raw) == unique_ids(list(raw))


def _original_path(path: Path, tmp_path: Path) -> Path:
    """Where the file lived (some formats are known by their place), as a copy under ``tmp_path``."""
    expected = json.loads((CORPUS / "real" / "expected.json").read_text(encoding="utf-8"))
    rel = expected[path.name]["path"] if path.parent.name == "real" and path.name in expected else path.name
    copy = tmp_path / rel
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(path.read_bytes())
    return copy


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[str(p.relative_to(CORPUS)) for p in CORPUS_FILES])
def test_every_id_of_a_corpus_plan_selects_exactly_one_step(path: Path, tmp_path: Path) -> None:
    copy = _original_path(path, tmp_path)
    try:
        plan = load_plan(copy)
    except PlanError:
        pytest.skip("not a plan stepcommit reads")
    assert_every_id_selects_one_step(plan)
    # ... and `plan mark ID` works with each id: marking the first open step done reads back in place.
    open_steps = [s for s in plan.walk() if s.is_leaf and s.status == "todo"]
    if open_steps:
        marked = mark_step(copy, select_step(plan, open_steps[0].id), "done")
        assert marked.id == open_steps[0].id and marked.status == "done"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_lines)
def test_ids_are_unique_in_any_markdown(text: str) -> None:
    try:
        plan = parse_plan(text, Path("PLAN.md"))
    except PlanError:
        return
    assert_every_id_selects_one_step(plan)
