"""Plans as people write them: status in words, things that are not steps, steps written as headings,
clean titles. Each rule on a small plan of the shape real plans have."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepcommit.errors import PlanError
from stepcommit.plan import (
    Plan,
    Status,
    load_plan,
    mark_step,
    next_open_step,
    no_next_reason,
    parse_plan,
    select_step,
    set_status,
)
from stepcommit.plan.reading import parse

NOW = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)


def _read(text: str, name: str = "PLAN.md") -> list[tuple[str, str, str]]:
    return [(s.id, s.title, s.status) for s in parse(text, Path(name)).walk()]


def _mark(tmp_path: Path, data: bytes, query: str, status: Status) -> bytes:
    path = tmp_path / "PLAN.md"
    path.write_bytes(data)
    mark_step(path, select_step(load_plan(path), query), status, now=NOW)
    return path.read_bytes()


# --- status in words -------------------------------------------------------------------------


def test_status_words_in_checkbox_titles() -> None:
    text = (
        "- [ ] 1.1 End-to-end tests — DEFERRED (requires Playwright)\n"
        "- [ ] 1.2 Login page ✅ DONE\n"
        "- [ ] 1.3 Signup page (✅ COMPLETED)\n"
        "- [ ] 1.4 Old importer — DESCOPED\n"
        "- [ ] 1.5 Payments BLOCKED: waiting on the provider\n"
        "- [ ] 1.6 SSO — SKIPPED\n"
        "- [ ] 1.7 Fax export WON'T DO\n"
        "- [ ] 1.8 Slack bot (CANCELLED)\n"
        "- [ ] 1.9 Mobile app — ON HOLD\n"
        "- [ ] 1.10 Dark mode (OPTIONAL)\n"
        "- [~] 1.11 Gave up on this\n"
        "- [ ] ~~1.12 Struck idea~~\n"
        "- [ ] 1.13 Profile page\n"
    )
    plan = parse(text, Path("PLAN.md"))
    got = {s.id: (s.title, s.status, s.deferred, s.optional) for s in plan.walk()}
    assert got == {
        "1.1": ("End-to-end tests", "todo", True, False),
        "1.2": ("Login page", "done", False, False),
        "1.3": ("Signup page", "done", False, False),
        "1.4": ("Old importer", "skipped", False, False),
        "1.5": ("Payments", "todo", True, False),
        "1.6": ("SSO", "skipped", False, False),
        "1.7": ("Fax export", "skipped", False, False),
        "1.8": ("Slack bot", "skipped", False, False),
        "1.9": ("Mobile app", "todo", True, False),
        "1.10": ("Dark mode", "todo", False, True),
        "1.11": ("Gave up on this", "skipped", False, False),
        "1.12": ("Struck idea", "skipped", False, False),
        "1.13": ("Profile page", "todo", False, False),
    }
    step = next_open_step(plan)
    assert step is not None and step.id == "1.13"


def test_words_in_ordinary_prose_are_not_status() -> None:
    text = (
        "- [ ] 1 Complete the migration\n"
        "- [ ] 2 Phase 2 - Complete the export\n"
        "- [ ] 3 Handle blocked users\n"
        "- [ ] 4 Add optional caching\n"
        "- [ ] 5 Wire the toggle (completed: markup; remaining: state).\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.status, s.deferred, s.optional) for s in plan.walk()] == [("todo", False, False)] * 5
    assert [s.title for s in plan.walk()][:4] == [
        "Complete the migration",
        "Phase 2 - Complete the export",
        "Handle blocked users",
        "Add optional caching",
    ]


def test_ticking_a_step_with_status_words_changes_only_its_marker(tmp_path: Path) -> None:
    data = "- [ ] 1 Tests — DEFERRED (requires Playwright)\r\n- [ ] 2 Docs (OPTIONAL) ✨\r\n".encode()
    out = _mark(tmp_path, data, "1", "done")
    assert out == data.replace(b"- [ ] 1", b"- [x] 1")
    after = load_plan(tmp_path / "PLAN.md")
    assert [(s.status, s.deferred) for s in after.walk()] == [("done", False), ("todo", False)]
    assert _mark(tmp_path, data, "2", "done") == data.replace(b"- [ ] 2", b"- [x] 2")


def test_a_status_line_under_a_heading_gives_its_status(tmp_path: Path) -> None:
    data = (
        "## Phase 1: Setup\n\n**Status**: ✅ Completed\n\n"
        "## Phase 2: Models\n\n**Status:** 🔄 In Progress\n\n"
        "## Phase 3: API\n\nStatus: Not Started\n\n"
        "## Phase 4: Deploy\n\n- **Status**: Blocked (waiting on infra)\n"
    ).encode()
    plan = load_plan_text(tmp_path, data)
    assert [(s.id, s.title, s.status, s.deferred) for s in plan.walk()] == [
        ("1", "Setup", "done", False),
        ("2", "Models", "in_progress", False),
        ("3", "API", "todo", False),
        ("4", "Deploy", "todo", True),
    ]
    step = next_open_step(plan)
    assert step is not None and step.id == "2"
    out = _mark(tmp_path, data, "2", "done")
    assert out == data.replace("🔄 In Progress".encode(), "✅ Completed".encode())
    out = _mark(tmp_path, data, "3", "in_progress")
    assert out == data.replace(b"Status: Not Started", b"Status: In Progress")


def load_plan_text(tmp_path: Path, data: bytes) -> Plan:
    path = tmp_path / "PLAN.md"
    path.write_bytes(data)
    return load_plan(path)


def test_a_deferred_heading_holds_back_its_checkboxes(tmp_path: Path) -> None:
    text = (
        "## Phase 3: E2E tests — DEFERRED (requires Playwright)\n\n- [ ] 3.1 Login flow\n- [ ] 3.2 Export\n\n"
        "## Phase 4: Docs\n\n- [ ] 4.1 README\n"
    )
    plan = parse(text, Path("PLAN.md"))
    phase = plan.steps[0]
    assert (phase.id, phase.title, phase.deferred) == ("3", "E2E tests", True)
    step = next_open_step(plan)
    assert step is not None and step.id == "4.1"


def test_a_heading_marked_done_holds_back_boxes_nobody_ticked() -> None:
    text = "### Step 6.1: Inventory ✅ COMPLETED\n\n- [ ] a\n\n### Step 6.2: Port\n\n- [ ] b\n"
    step = next_open_step(parse(text, Path("PLAN.md")))
    assert step is not None and step.title == "b"


def test_when_only_held_steps_are_left_start_says_why() -> None:
    plan = parse("- [x] 1 Done\n- [ ] 2 Later — DEFERRED\n- [ ] 3 Nice (optional)\n", Path("PLAN.md"))
    assert next_open_step(plan) is None
    reason = no_next_reason(plan)
    assert reason is not None and "2 (deferred), 3 (optional)" in reason[0]
    with pytest.raises(PlanError, match="deferred"):
        select_step(plan, None)
    assert select_step(plan, "2").deferred  # named, it can still be started


def test_deferred_status_cells_in_a_table() -> None:
    text = (
        "| Phase | Description | Status |\n|---|---|---|\n"
        "| 1 | Setup | DONE |\n| 2 | E2E | DEFERRED |\n| 3 | Perf | BLOCKED |\n| 4 | Docs | TODO |\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.status, s.deferred) for s in plan.walk()] == [
        ("1", "done", False),
        ("2", "todo", True),
        ("3", "todo", True),
        ("4", "todo", False),
    ]
    step = next_open_step(plan)
    assert step is not None and step.id == "4"


def test_a_row_set_back_to_todo_never_takes_a_deferral_word(tmp_path: Path) -> None:
    data = b"| # | Task | Status |\n|---|---|---|\n| 1 | A | BLOCKED |\n| 2 | B | DONE |\n"
    assert _mark(tmp_path, data, "2", "todo") == data.replace(b"| DONE |", b"| NOT STARTED |")


# --- what is not a step ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "### Success Criteria",
        "### Acceptance Criteria",
        "#### Exit Criteria",
        "### Definition of Done",
        "### Checklist before leaving this phase",
        "### Gate Status",
        "### Verification checklist",
        "### ✅ Phase 1 Exit Criteria",
    ],
)
def test_criteria_checklists_under_a_heading_are_the_steps_criteria(heading: str) -> None:
    text = (
        f"## Phase 1: Setup\n\n- [x] 1.1 Repo\n- [ ] 1.2 CI\n\n{heading}\n\n- [ ] CI is green\n"
        "- [x] README explains setup\n\n## Phase 2: Models\n\n- [ ] 2.1 User model\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [s.id for s in plan.walk()] == ["1", "1.1", "1.2", "2", "2.1"]
    assert plan.steps[0].criteria == ("CI is green", "README explains setup")
    assert plan.steps[0].status == "in_progress"


def test_a_bold_criteria_label_under_a_checkbox_step() -> None:
    text = (
        "- [ ] 1.1 Login\n  **Acceptance Criteria:**\n  - [ ] user can log in\n  - [ ] wrong password refused\n"
        "- [ ] 1.2 Logout\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.criteria) for s in plan.walk()] == [
        ("1.1", ("user can log in", "wrong password refused")),
        ("1.2", ()),
    ]


def test_a_criteria_label_ends_at_the_next_label() -> None:
    text = (
        "### Task 3: Export\n\n**Definition of Done:**\n- [ ] CSV opens in Excel\n\n"
        "**Steps:**\n- [ ] 3.1 Write the exporter\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.title) for s in plan.walk()] == [("3", "Export"), ("3.1", "Write the exporter")]
    assert plan.steps[0].criteria == ("CSV opens in Excel",)


def test_a_criteria_label_over_plain_bullets_ends_at_the_blank_line_before_the_task_boxes() -> None:
    # 1code's spec-kit tasks (round 15): the criteria are the bullets; the boxes after them are tasks.
    text = (
        "### Phase 3: User Story 1 - Fix the button\n\n**Acceptance Criteria**:\n- Button visible on a branch\n"
        "- Button hidden on main\n\n- [x] T208 [P] Read the page\n- [ ] T209 Add the button\n"
    )
    plan = parse(text, Path("specs/001-ui/tasks.md"))
    assert [(s.id, s.status) for s in plan.walk()] == [
        ("3", "in_progress"),
        ("T208", "done"),
        ("T209", "todo"),
    ]
    assert plan.steps[0].criteria == ()
    # Boxes right under the label (no blank line, or boxes all along) are still its criteria.
    boxed = "### Task 3: Export\n\n**Acceptance Criteria**:\n\n- [ ] CSV opens\n- [ ] Quotes kept\n"
    assert parse(boxed, Path("PLAN.md")).steps[0].criteria == ("CSV opens", "Quotes kept")


def test_verify_checkboxes_are_verification_not_steps() -> None:
    text = "- [ ] 1.1 Parser\n  - [ ] Verify: `pytest tests/test_parser.py`\n- [ ] 1.2 Writer\n"
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.verify) for s in plan.walk()] == [("1.1", ("pytest tests/test_parser.py",)), ("1.2", ())]


def test_tables_without_a_status_are_not_steps() -> None:
    text = (
        "| Metric | Value |\n|---|---|\n| Coverage | 85% |\n| Tests | 120 |\n\n"
        "| Risk | Impact | Mitigation | Status |\n|---|---|---|---|\n| Data loss | High | Backups | Open |\n\n"
        "| Old path | New path | Status |\n|---|---|---|\n| a.py | b.py | moved |\n\n"
        "| Item | Status |\n|---|---|\n| Auth | see the auth doc |\n| DB | ask Sam |\n\n"
        "| # | Task | Status |\n|---|---|---|\n| 1 | Real step | TODO |\n"
    )
    assert _read(text) == [("1", "Real step", "todo")]


def test_template_blocks_are_not_steps() -> None:
    text = (
        "## Phase N ✅\n\n- [ ] N.1 <Concrete deliverable-oriented task>\n\n"
        "<details>\n<summary>Template</summary>\n\n- [ ] 9 Example step\n\n</details>\n\n"
        "```markdown\n- [ ] 8 Fenced example\n```\n\n"
        "## Phase 1: Real\n\n- [ ] <Concrete deliverable-oriented task>\n- [ ] 1.1 Write it\n"
    )
    assert _read(text) == [("1", "Real", "todo"), ("1.1", "Write it", "todo")]


# --- steps that were not seen ------------------------------------------------------------------


def test_spec_kit_tasks_written_as_headings() -> None:
    text = (
        "## Phase 1: Setup\n\n### T001 Verify the toolchain\n\nRun uv sync.\n\n"
        "### Subtask T007 – Add the model ✅\n\n### T008: Wire the API\n"
    )
    assert _read(text, "tasks.md") == [
        ("1", "Setup", "in_progress"),
        ("T001", "Verify the toolchain", "todo"),
        ("T007", "Add the model", "done"),
        ("T008", "Wire the API", "todo"),
    ]


def test_task_headings_with_a_status_in_a_memory_bank() -> None:
    text = (
        "# Tasks\n\n## Completed Tasks\n\n### Mini-Player Fix Complete ✅\n\nNotes.\n\n"
        "### Search Rewrite\n\n**Status**: 🔄 In Progress\n\n### Offline Mode\n\n**Status**: Not Started\n\n"
        "# Notes\n\n### Something else ✅\n"
    )
    assert [(t, st) for _, t, st in _read(text)] == [
        ("Mini-Player Fix Complete", "done"),
        ("Search Rewrite", "in_progress"),
        ("Offline Mode", "todo"),
    ]


def test_step_headings_without_a_separator_and_setext_groups() -> None:
    text = (
        "Phase 1\n=======\n\n- [x] Scaffold\n\nPhase 2 -- Models\n=================\n\n- [ ] User model\n\n"
        "## Phase 3 Build\n\n- [ ] Package it\n"
    )
    assert _read(text) == [
        ("1", "Phase 1", "done"),
        ("1.1", "Scaffold", "done"),
        ("2", "Models", "todo"),
        ("2.1", "User model", "todo"),
        ("3", "Build", "todo"),
        ("3.1", "Package it", "todo"),
    ]


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("- [ ] Review [feedback_k.md](file:///home/u/feedback_k.md)", "Review feedback_k.md"),
        ("- [ ] ![logo](img/logo.png) Logo in the header", "Logo in the header"),
        ("- [ ] ~~Use SQLite~~ Use Postgres", "Use Postgres"),
        ("- [ ] Add the login page — users enter email and password", "Add the login page"),
        ("- [ ] Add the exporter. It writes CSV and JSON, with headers.", "Add the exporter."),
        ("- [ ] Collapse   the\twhitespace", "Collapse the whitespace"),
    ],
)
def test_titles_are_clean_text(line: str, title: str) -> None:
    assert [s.title for s in parse(line + "\n", Path("PLAN.md")).walk()] == [title]


def test_a_wrapped_description_is_cut_at_a_word() -> None:
    words = " ".join(f"word{i}" for i in range(80))
    plan = parse(f"- [ ] 1.1 {words}\n  {words}\n", Path("PLAN.md"))
    title = plan.steps[0].title
    assert len(title) <= 101 and title.endswith("…") and title[:-1].split()[-1].startswith("word")
    assert title[:-1] in words


def test_a_long_title_cut_inside_a_code_span_closes_it() -> None:
    # openspec fix-schemas: `Run `pnpm exec vitest run test/commands/schemas.test.ts ...``, cut at 100.
    command = "pnpm exec vitest run " + " ".join(f"test/commands/part{i}.test.ts" for i in range(8))
    [step] = parse(f"- [ ] 1.6 Run `{command}` and check the output\n", Path("tasks.md")).walk()
    assert step.title.startswith("Run `pnpm exec vitest run test/commands/part0.test.ts")
    assert step.title.endswith("`…") and step.title.count("`") == 2 and len(step.title) <= 102


def test_a_long_title_keeps_its_words_after_a_colon_that_follows_only_a_label() -> None:
    # progress-0nork-0n-spec.md: `Phase A: ...` over 100 characters; a short name before the colon
    # is the title, but a keyword and an id (`Phase A`, `Part 2`) name no work: the words after do.
    work = (
        "Upgrade 0n-spec to v2.0.0 (Ed25519 signing, SHA-256 hashing, YAML compiler, merge engine, adapters)"
    )
    for label in ("Phase A", "Part 2", "sprint 4.1", "Milestone M2"):
        [step] = parse(f"- [ ] {label}: {work}\n", Path("TODO.md")).walk()
        assert step.title.startswith(f"{label}: Upgrade 0n-spec to v2.0.0 (Ed25519")
        assert step.title.endswith("…") and len(step.title) <= 101
    [named] = parse(f"- [ ] Worktree support: {work}\n", Path("TODO.md")).walk()
    assert named.title == "Worktree support"


def test_phase_heading_with_two_dashes_leaves_no_stray_dash() -> None:
    assert _read("## Phase 0 -- Bootstrap\n\n- [ ] go\n")[0] == ("0", "Bootstrap", "todo")


# --- shapes from the real corpus (tests/plan/corpus/real) ---------------------------------------


def test_numbered_section_headings_of_a_report_are_no_steps() -> None:
    # statustable-nobu007-connective-byte.md: with no marker anywhere, the report's phase headings
    # are its steps; `## 1. Summary` and `## 2. Detailed log` above them number its sections.
    text = (
        "# Test report\n\n## 1. Summary\n\n| Phase | Note |\n|---|---|\n| A | ok |\n\n"
        "## 2. Detailed log\n\n### Phase A: Unit tests\n\nran\n\n### Phase B: System tests\n\nran\n"
    )
    assert _read(text, "TEST_PROGRESS.md") == [
        ("1", "Phase A: Unit tests", "todo"),
        ("2", "Phase B: System tests", "todo"),
    ]


def test_a_summary_repeating_the_phases_at_a_coarser_grain_is_no_second_plan() -> None:
    # implplan-npetzall-moved_maker-typos.md: a trailing `## Checklist Summary` repeats each
    # `## Phase N: Title` as `### Phase N: Title` over fewer, coarser boxes that disagree with the
    # details; the phases are read where they are written in full, wherever that is in the file.
    details = (
        "## Phase 1: Config\n\n### 1.1 Write the file\n\n- [x] Create it\n- [x] Add words\n\n"
        "## Phase 2: Hooks\n\n### 2.1 Add the hook\n\n- [x] Add repo\n- [ ] Try a commit\n- [ ] Try a PR\n\n"
    )
    summary = (
        "## Checklist Summary\n\n### Phase 1: Config\n- [x] Write the file\n\n"
        "### Phase 2: Hooks\n- [x] Add the hook\n- [x] Check hook order\n\n"
    )
    read = [
        ("1", "Config", "done"),
        ("1.1", "Write the file", "done"),
        ("1.1.1", "Create it", "done"),
        ("1.1.2", "Add words", "done"),
        ("2", "Hooks", "in_progress"),
        ("2.1", "Add the hook", "in_progress"),
        ("2.1.1", "Add repo", "done"),
        ("2.1.2", "Try a commit", "todo"),
        ("2.1.3", "Try a PR", "todo"),
    ]
    assert _read(details + summary) == read
    assert _read(summary.replace("## Checklist Summary", "## Summary") + details) == read
    # Repeated at the same grain, both stay: which is the plan is not for the reader to guess.
    twice = "## Phase 1: Config\n\n- [ ] Write it\n\n## Recap\n\n### Phase 1: Config\n\n- [ ] Write it\n"
    assert [t for _, t, _ in _read(twice)] == ["Config", "Write it", "Config", "Write it"]
    # The same step in every task is no restatement.
    tasks = (
        "## Task 1: Parser\n\n### Step 1: Write the test\n\n- [ ] a\n- [ ] b\n\n"
        "## Task 2: Lexer\n\n### Step 1: Write the test\n\n- [ ] c\n"
    )
    assert [t for _, t, _ in _read(tasks)] == [
        "Parser",
        "Write the test",
        "a",
        "b",
        "Lexer",
        "Write the test",
        "c",
    ]


def test_numbered_task_headings_struck_and_skipped_with_a_manual_checklist() -> None:
    # statuswords-AlexKucera-obsidian-typst-pdf-export.md
    text = (
        "## Implementation Tasks\n\n"
        "### 1. ~~manifest.json - Version Compatibility~~ **SKIPPED**\n- **Status**: ✅ Skipped\n\n"
        "### 2. PandocCommandBuilder.ts - Path Quoting Fix\n**File**: `src/x.ts`\n\n"
        "### 3. General Improvements\n\n#### Error Handling\n- Add try-catch blocks\n\n"
        "## Testing Plan\n\n### Manual Testing Checklist\n- [ ] Export with embedded PDFs\n- [ ] Export on Windows\n"
    )
    assert _read(text) == [
        ("1", "manifest.json - Version Compatibility", "skipped"),
        ("2", "PandocCommandBuilder.ts - Path Quoting Fix", "todo"),
        ("3", "General Improvements", "todo"),
    ]
    step = next_open_step(parse(text, Path("PLAN.md")))
    assert step is not None and step.id == "2"


def test_issue_catalog_headings_with_letter_ids() -> None:
    # statuswords-obra-superpowers-catalog.md
    text = (
        "## Disposition summary\n\n| ID | Item | Disposition |\n|---|---|---|\n| A1 | Secret key | Do |\n\n"
        "## A. Server security\n\n### A1 — Per-session secret key (chosen approach)\n\nProse.\n\n"
        "## E. Workshop / deferred / dropped\n\n"
        "### E2 — Move session state out of the working tree (issue #975) — DEFERRED\n\n"
        "### E3 — Vendor Alpine.js for interactive mockups (PR #1639) — DROPPED\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.status, s.deferred) for s in plan.walk()] == [
        ("A1", "todo", False),
        ("E2", "todo", True),
        ("E3", "skipped", False),
    ]
    assert plan.steps[0].title == "Per-session secret key (chosen approach)"


def test_total_rows_are_not_steps_and_optional_rows_are_not_started() -> None:
    # summarytable-Priivacy-ai-spec-kitty.md
    text = (
        "| Suite | File | Tests | Status |\n|---|---|---|---|\n"
        "| 1. Encoding Validation | `a.py` | 15/15 | ✅ **COMPLETE** |\n"
        "| 5. Legacy Git Hook Regression | `b.py` | 0/4 | ⏳ OPTIONAL |\n"
        "| **CORE TOTAL** | **4 files** | **48/48** | ✅ **100% Complete** |\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.status, s.optional) for s in plan.walk()] == [("1", "done", False), ("5", "todo", True)]
    assert next_open_step(plan) is None


def test_a_roadmap_of_bare_headings_has_its_headings_as_steps(tmp_path: Path) -> None:
    # headings-kirodotdev-spirit-of-kiro.md: no marker anywhere.
    data = (
        b"# Spirit of Kiro Roadmap\n\n## Overview\n\nWhat this is.\n\n"
        b"## Player-to-Player Trading System\n- A marketplace\n\n## Fashion Show\n- Contests\n"
    )
    assert _read(data.decode()) == [
        ("1", "Player-to-Player Trading System", "todo"),
        ("2", "Fashion Show", "todo"),
    ]
    out = _mark(tmp_path, data, "1", "done")
    assert out == data.replace(b"Trading System\n", "Trading System ✅\n".encode())
    # A file with checkboxes, even only criteria ones, or front matter is not read that way.
    assert _read("## Description\n\nx\n\n## Acceptance Criteria\n\n- [ ] works\n\n## Notes\n") == []


def test_bullets_under_a_planned_heading_are_the_steps_of_a_plan_without_markers(tmp_path: Path) -> None:
    # roadmap-Slurp9187-secure-gate.md: no marker anywhere; shipped bullets, planned bullets with
    # detail bullets under them, a longer-term list and an out-of-scope list.
    data = (
        b"# Roadmap\n\n## 0.9.x (current)\n\n- Rust 2024 edition\n\n### Planned for 0.9.x\n\n"
        b"- Optional memory pinning (`mlock`)\n  - Simple API: `pin()`\n\n- Better escape hatches\n\n"
        b"## Longer term\n\n- Documentation refresh\n\n## Out of scope\n\n- Key derivation\n"
    )
    assert _read(data.decode()) == [
        ("1", "Optional memory pinning (`mlock`)", "todo"),
        ("2", "Better escape hatches", "todo"),
        ("3", "Documentation refresh", "todo"),
    ]
    out = _mark(tmp_path, data, "2", "done")
    assert out == data.replace(b"- Better", "- ✅ Better".encode())
    assert _read(out.decode())[1] == ("2", "Better escape hatches", "done")
    # Beside any other step (a checkbox, a status word, an emoji bullet) they stay prose.
    assert _read("## Next\n\n- Later thing\n\n## Now\n\n- [ ] Current thing\n") == [
        ("1", "Current thing", "todo")
    ]
    assert _read("## Shipped\n\n- ✅ Parser\n\n## Planned\n\n- Writer\n") == [("1", "Parser", "done")]


def test_bold_id_bullets_are_the_backlog_of_a_plan_without_markers(tmp_path: Path) -> None:
    # plan-Smana-runlore-v090-remaining.md: `- **M1** sketch — files` items under area headings.
    data = (
        "# v0.9 roadmap\n\n**Shipped:** most of it.\n\n- **Q1 decomposition** — done, see above\n\n"
        "## Remaining\n\n### Metrics\n\n- **M1** trend buckets — `query_tools.go`. Safe.\n"
        "- **G3/P3** honor `TimeWindow` in GitOps\n  - **Note** a detail\n\n### Phase 2 (largest)\n\n"
        "- **P1** timeline tool\n"
    ).encode()
    assert [(s.id, s.title, s.status) for s in parse(data.decode(), Path("PLAN.md")).walk()] == [
        ("M1", "trend buckets", "todo"),
        ("G3/P3", "honor `TimeWindow` in GitOps", "todo"),
        ("2", "(largest)", "todo"),
        ("P1", "timeline tool", "todo"),
    ]
    out = _mark(tmp_path, data, "M1", "done")
    assert out == data.replace(b"- **M1**", "- ✅ **M1**".encode())
    assert _read(out.decode())[0] == ("M1", "trend buckets", "done")
    # Before any heading too; beside an emoji bullet (a marked item) it stays prose.
    assert _read("- **A1** first\n- **A2** second\n") == [("A1", "first", "todo"), ("A2", "second", "todo")]
    assert _read("- **A1** first\n\n## Done\n\n- ✅ Parser\n") == [("1", "Parser", "done")]


def test_a_priority_field_under_task_headings_orders_the_next_step() -> None:
    # todo-humanlayer-hld.md: feature headings with no status, each with a `**Priority**:` line.
    text = (
        "## Features\n\n### Bulk endpoint\n\n**Goal**: fewer calls\n**Priority**: Medium - would help\n\n"
        "### Live updates\n\n- Context\n  **Priority**: High - critical\n\n"
        "### Search\n\n**Priority**: Low\n\n## Technical Debt\n\n### Event bus\n\n**Priority**: High\n"
    )
    plan = parse_plan(text, Path("TODO.md"))
    assert [(s.title, s.priority) for s in plan.walk()] == [
        ("Bulk endpoint", 2),
        ("Live updates", 1),
        ("Search", 3),
        ("Event bus", 1),
    ]
    following = next_open_step(plan)
    assert following is not None and following.title == "Live updates"
    done = parse_plan(set_status(text, Path("TODO.md"), following, "done", NOW), Path("TODO.md"))
    assert [s.title for s in [next_open_step(done)] if s] == ["Event bus"]
    # P0-P3 and Critical say it too; a step that says no priority keeps the file's order for all.
    sprint = "### A\n\nPriority: P2\n\n### B\n\n- **Priority:** P0\n\n### C\n\nPriority: Critical\n"
    assert [s.priority for s in parse_plan(sprint, Path("TODO.md")).walk()] == [2, 0, 0]
    assert getattr(next_open_step(parse_plan(sprint, Path("TODO.md"))), "title", None) == "B"
    assert [
        s.priority for s in parse_plan("Priority: High\n\n### A\n\nx\n\n### B\n", Path("TODO.md")).walk()
    ] == [
        None,
        None,
    ]
    unsaid = "### A\n\nPriority: TBD\n\n### B\n\n**Priority**: High\n\n### C\n\nPriority: Very  low\n"
    assert [s.priority for s in parse_plan(unsaid, Path("TODO.md")).walk()] == [None, 1, 4]
    assert getattr(next_open_step(parse_plan(unsaid, Path("TODO.md"))), "title", None) == "A"


def test_more_words_and_shapes_the_readme_lists() -> None:
    text = (
        "- [ ] 1 Parser — complete\n- [ ] 2 Writer **Done**\n- [ ] 3 Old API OBSOLETE\n- [ ] 4 Cache POSTPONED\n"
        "- [ ] {{task}}\n\n### Done when\n\n- [ ] everything passes\n\n"
        "| Decision | Status |\n|---|---|\n| Use Postgres | done |\n\n"
        "| # | Task | Status |\n|---|---|---|\n| 5 | Ship | TODO |\n| | Total | done |\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.title, s.status, s.deferred) for s in plan.walk()] == [
        ("1", "Parser", "done", False),
        ("2", "Writer", "done", False),
        ("3", "Old API", "skipped", False),
        ("4", "Cache", "todo", True),
        ("5", "Ship", "todo", False),
    ]


def test_a_dotted_heading_number_is_the_whole_id() -> None:
    text = "## Step 5.1 Setup\n\n- [x] Scaffold\n\n## Step 5.2 Polish\n\n- [ ] Icons\n\n## Step 6: Ship\n"
    assert _read(text) == [
        ("5.1", "Setup", "done"),
        ("5.1.1", "Scaffold", "done"),
        ("5.2", "Polish", "todo"),
        ("5.2.1", "Icons", "todo"),
        ("6", "Ship", "todo"),
    ]


def test_a_status_emoji_right_after_the_phase_number_is_its_status() -> None:
    text = "## Phase 1 ✅ — Define the contract\n- Wrote it\n\n## Phase 2 — Build\n\n- [ ] Compile\n"
    assert _read(text) == [
        ("1", "Define the contract", "done"),
        ("2", "Build", "todo"),
        ("2.1", "Compile", "todo"),
    ]


def test_the_none_row_of_an_empty_table_is_no_step() -> None:
    text = (
        "- [ ] Ship it\n\n## Known Issues\n\n| Issue | Severity | Status |\n|---|---|---|\n"
        "| _None_ | _N/A_ | _N/A_ |\n\n| Blocker | Status |\n|---|---|\n| None yet | Open |\n"
    )
    assert _read(text) == [("1", "Ship it", "todo")]


def test_a_legend_glyph_decides_over_a_word_beside_it() -> None:
    text = (
        "| # | Milestone | Status |\n|---|---|---|\n| M0 | Scaffold | ☑ merged |\n"
        "| M1 | Docs | ◐ complete on branch (PR open) |\n\nStatus key: ☐ not started · ◐ in progress · ☑ merged\n"
    )
    assert _read(text) == [("M0", "Scaffold", "done"), ("M1", "Docs", "in_progress")]
    finished = set_status(text, Path("PLAN.md"), parse(text, Path("PLAN.md")).steps[1], "done", NOW)
    assert finished == text.replace("◐ complete", "☑ complete")
    assert _read(finished)[1] == ("M1", "Docs", "done")


def test_a_lower_case_tag_in_a_description_is_not_the_steps_status() -> None:
    text = "- [ ] T018 Add `scope` field — optional, implicit narrow default\n- [ ] T019 Later — DEFERRED, needs API\n"
    steps = list(parse(text, Path("tasks.md")).walk())
    assert [(s.id, s.optional, s.deferred) for s in steps] == [("T018", False, False), ("T019", False, True)]


def test_a_portuguese_tracker_is_read_as_phases() -> None:
    text = (
        "## Fase Atual: 0 - Preparação ✓ COMPLETA\n\n- [x] Pastas\n- [x] Git\n\n"
        "## Fase 1 - Fundação ✓ COMPLETA\n\n- [x] Supabase\n\n## Histórico de Fases\n\n"
        "| Fase | Nome | Estado |\n|---|---|---|\n| 0 | Preparação | ✓ Completa |\n"
        "| 1 | Fundação | ✓ Completa |\n| 2 | Pipeline de Dados | Pendente |\n"
    )
    assert _read(text, "PROGRESS.md") == [
        ("0", "Preparação", "done"),
        ("1", "Fundação", "done"),
        ("2", "Pipeline de Dados", "todo"),
    ]


def test_a_phase_checklist_keeps_its_order_when_only_some_phases_have_a_section() -> None:
    text = (
        "## Phases\n\n- [x] **Phase 1: Storage** - schema\n- [ ] **Phase 2: Sync** - push/pull\n"
        "- [ ] **Phase 3: Pairing** - QR\n\n## Phase Details\n\n"
        "### Phase 1: Storage\n\n- [x] 01-01: Schema\n\n### Phase 2: Sync\n\n- [ ] 02-01: Change log\n\n"
        "## Progress\n\n| Phase | Plans Complete | Status |\n|---|---|---|\n"
        "| 1. Storage | 1/1 | Complete |\n| 2. Sync | 0/1 | Not started |\n"
    )
    plan = parse(text, Path(".planning/ROADMAP.md"))
    assert [s.id for s in plan.steps] == ["1", "2", "3"]
    following = next_open_step(plan)
    assert following is not None and following.id == "2"


# --- property: whatever the shapes, a tick changes one step's status and nothing else ------------

LINES = [
    "## Phase 1: Setup",
    "## Phase 3 Build",
    "## Phase 0 -- Bootstrap",
    "## Phase 4: Deploy — DEFERRED (requires infra)",
    "### Step 6.1: Inventory ✅ COMPLETED",
    "### T001 Verify the toolchain",
    "### Subtask T007 – Add the model",
    "### A1 — Secret key",
    "## Tasks",
    "### Search Rewrite",
    "### Mini-Player Fix ✅",
    "**Status**: ✅ Completed",
    "Status: Blocked (infra)",
    "**Status:** 🔄 In Progress",
    "Phase 1",
    "=======",
    "### Acceptance Criteria",
    "**Definition of Done:**",
    "### Manual Testing Checklist",
    "- [ ] 1.1 Login — DEFERRED (requires Playwright)",
    "- [ ] 1.2 Signup (✅ COMPLETED)",
    "- [x] 1.3 Export ✅ DONE",
    "- [ ] ~~1.4 Old idea~~",
    "- [ ] 1.5 Dark mode (OPTIONAL)",
    "- [ ] Payments BLOCKED: provider",
    "- [ ] Review [notes.md](file:///tmp/notes.md) — then more",
    "  - [ ] Verify: `pytest -q`",
    "  - [ ]\\* 2.3 Optional tests",
    "- [ ] <Concrete deliverable-oriented task>",
    "- [~] gave up",
    "- [ ] plain step",
    "| Phase | Description | Status |",
    "| Risk | Impact | Status |",
    "|---|---|---|",
    "| 1 | Setup | DONE |",
    "| 2 | E2E | DEFERRED |",
    "| 3 | Perf | ⏳ OPTIONAL |",
    "| **TOTAL** | x | ✅ Complete |",
    "<details>",
    "</details>",
    "```",
    "",
]

plans = st.builds(
    lambda lines, end, bom: bom + "".join(x + end for x in lines),
    st.lists(st.sampled_from(LINES), max_size=18),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["", "\ufeff"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, st.integers(min_value=0, max_value=40), st.sampled_from(["todo", "in_progress", "done"]))
def test_a_tick_moves_one_steps_status_only(text: str, pick: int, status: Status) -> None:
    before = parse_plan(text, Path("PLAN.md"))
    leaves = [s for s in before.walk() if s.is_leaf]
    if not leaves:
        return
    leaf = leaves[pick % len(leaves)]
    try:
        new = set_status(text, Path("PLAN.md"), leaf, status, NOW)
    except PlanError:
        return  # e.g. a cell whose word stepcommit cannot write
    from tests.plan.test_real_corpus import _lines_showing

    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    changed = {n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b}
    # One line, or the lines that show one joined step (`## Phase 1` twice is one phase in two places).
    shown = _lines_showing(text, Path("PLAN.md"), before, leaf)
    assert len(changed) <= 1 if shown is None else changed <= shown
    after = parse_plan(new, Path("PLAN.md"))
    shape = [(s.id, s.title, s.line, s.criteria, s.verify) for s in before.walk()]
    assert [(s.id, s.title, s.line, s.criteria, s.verify) for s in after.walk()] == shape
    for old, now in zip(before.walk(), after.walk(), strict=True):
        if old.is_leaf and old.index != leaf.index:
            assert (old.status, old.deferred, old.optional) == (now.status, now.deferred, now.optional)


# Rules found on plans the reader had never seen (corpus/real, the "unseen" rounds).


def test_a_legend_written_as_checkboxes_is_not_steps() -> None:
    text = (
        "## 状态说明\n\n- [ ] 待办（Todo）\n- [x] 已完成（Done）\n- [-] 已取消（Cancelled）\n\n"
        "## 第六十六阶段（进行中）\n\n- [x] 盘点覆盖率\n- [ ] 补测 text.ts\n"
    )
    assert [(t, s) for _, t, s in _read(text)] == [("盘点覆盖率", "done"), ("补测 text.ts", "todo")]


def test_a_bold_status_word_in_a_cell_without_a_status_header_makes_the_rows_steps(tmp_path: Path) -> None:
    data = (
        b"| ID | Task | Owner |\n| --- | --- | --- |\n"
        b"| CI-01 | Audit scripts | Dev **COMPLETE** |\n| CI-02 | Add lint step | Dev |\n"
        b"| CI-03 | Enable checks | Maintainer **INPROGRESS** |\n"
    )
    assert [(i, s) for i, _, s in _read(data.decode())] == [
        ("CI-01", "done"),
        ("CI-02", "todo"),
        ("CI-03", "in_progress"),
    ]
    # Ticked in the column's own bold and case, on that one line.
    assert _mark(tmp_path, data, "CI-02", "done") == data.replace(b"| Dev |", b"| Dev **COMPLETE** |")


def test_a_compound_id_after_a_status_glyph_is_a_task_heading_and_its_criteria_are_not_steps() -> None:
    text = (
        "## Phase 1 — Params\n\n#### ✅ P1-T1: Add params\n- **Acceptance Criteria:**\n  - [ ] Keys documented\n\n"
        "#### ⬜️ P1-T2: Define TaskID types\n- **Acceptance Criteria:**\n  - [ ] Examples given\n"
    )
    plan = parse(text, Path("Workplan.md"))
    assert [(s.id, s.status) for s in plan.walk() if s.is_leaf] == [("P1-T1", "done"), ("P1-T2", "todo")]
    assert next_open_step(plan).criteria == ("Examples given",)  # type: ignore[union-attr]


def test_a_todo_of_numbered_items_has_them_as_steps_and_ticks_a_glyph_after_the_number(
    tmp_path: Path,
) -> None:
    data = (
        b"# TODO\n\n## Features\n\n1. Error boundaries: wrap each feature's root component in a boundary that"
        b" catches its errors and keeps the app shell intact while the page shows a fallback.\n"
        b"2. Show logs of several processes\n\n## Post-Implementation Checklist\n\n1. **This TODO.md file**\n"
        b"2. **CHANGELOG.md**\n"
    )
    assert _read(data.decode()) == [
        ("1", "Error boundaries", "todo"),
        ("2", "Show logs of several processes", "todo"),
    ]
    ticked = _mark(tmp_path, data, "2", "done")
    assert ticked == data.replace(b"2. Show logs", b"2. \xe2\x9c\x85 Show logs")
    assert [s for _, _, s in _read(ticked.decode())] == ["todo", "done"]


def test_reopening_an_item_whose_text_says_done_drops_the_word(tmp_path: Path) -> None:
    data = b"## Done\n- [x] Take the sprites (done)\n- [ ] New ghost sprite\n"
    assert (
        _mark(tmp_path, data, "Take the sprites", "todo")
        == b"## Done\n- [ ] Take the sprites\n- [ ] New ghost sprite\n"
    )


def test_numbered_part_headings_under_a_phase_are_its_tasks() -> None:
    text = "### Phase 1: Events\n\n#### 1.1 Enhance the payload\n\nx\n\n#### 1.2 Add progress events\n\n### Phase 2: UI\n\n#### 2.1 Progress store\n"
    assert [i for i, _, _ in _read(text) if "." in i] == ["1.1", "1.2", "2.1"]


def test_phases_a_deferral_section_names_are_deferred() -> None:
    # bikeTracking: `## 🔄 DEFERRED TO FUTURE SPEC` says "Phases 6-9 have been deferred"; their own
    # headings say nothing of it, and start passes over their boxes to Phase 10's.
    text = (
        "# Tasks\n\n## Phase 1: Setup\n\n- [x] T001 Init\n\n## 🔄 DEFERRED TO FUTURE SPEC\n\n"
        "**Phases 2-3 have been deferred** to a separate spec.\n\n- **Phase 4**: stays? no, named too\n\n"
        "## Phase 2: Delete\n\n- [ ] T010 Delete rides\n\n## Phase 3: Stats\n\n- [ ] T020 Stats\n\n"
        "## Phase 4: Export\n\n- [ ] T030 Export\n\n## Phase 5: Polish\n\n- [ ] T040 Logging\n"
    )
    plan = parse(text, Path("tasks.md"))
    assert [(s.id, s.deferred) for s in plan.steps] == [
        ("1", False),
        ("2", True),
        ("3", True),
        ("4", True),
        ("5", False),
    ]
    assert next_open_step(plan).id == "T040"
    # Without the deferral section, Phase 2's box is next, as before.
    plain = text.replace("## 🔄 DEFERRED TO FUTURE SPEC", "## Notes")
    assert next_open_step(parse(plain, Path("tasks.md"))).id == "T010"


def test_a_section_for_keeping_the_file_holds_no_steps() -> None:
    # bantuaku: a todo-list template's `## Progress Tracking` of "Update this section ..." boxes.
    text = (
        "# Todo\n\n## Backend\n\n- [ ] **BACKEND-001**: Update the handler\n\n## Progress Tracking\n\n"
        "### Completed Items\n- [ ] Update this section as items are completed\n\n### Blockers & Issues\n"
        "- [ ] Document any blockers encountered\n\n## Frontend\n\n- [ ] **FRONTEND-001**: New widget\n"
    )
    assert [s.title for s in parse(text, Path("todo-list.md")).walk() if s.is_leaf] == [
        "Update the handler",
        "New widget",
    ]
    # An ExecPlan's `## Progress` is its steps, as before.
    execplan = (Path(__file__).parent / "corpus" / "execplan.md").read_text(encoding="utf-8")
    assert len([s for s in parse(execplan, Path("EXECPLAN.md")).walk()]) > 1


def test_a_status_tag_with_exclamation_marks_unticks_whole() -> None:
    # sunnyswap: `- [x] Create `lib/htlc/` directory structure ✅ COMPLETE!` was refused on untick (the
    # tag was read without its `!`, and the `!` left behind changed the title).
    from datetime import UTC, datetime

    from stepcommit.plan.editing import set_status

    for tail in ("✅ COMPLETE!", "✅ DONE!!", "✅ COMPLETE"):
        text = f"# TODO\n\n- [x] Create `lib/htlc/` directory structure {tail}\n- [ ] Next\n"
        [step, _] = parse(text, Path("TODO.md")).walk()
        assert (step.title, step.status) == ("Create `lib/htlc/` directory structure", "done")
        reopened = set_status(text, Path("TODO.md"), step, "todo", datetime(2026, 12, 4, tzinfo=UTC))
        assert reopened.splitlines()[2] == "- [ ] Create `lib/htlc/` directory structure"


def test_korean_status_words_in_a_status_table_are_read() -> None:
    text = (
        "# 진행 상황\n\n| Phase | 설명 | 상태 |\n|---|---|---|\n"
        "| 1 | 저장소 | 완료 |\n| 2 | API | 진행 중 |\n| 3 | 배포 | 대기 |\n"
    )
    plan = parse_plan(text, Path("PROGRESS.md"))
    assert [(s.id, s.status) for s in plan.walk()] == [("1", "done"), ("2", "in_progress"), ("3", "todo")]


def test_a_table_right_under_a_criteria_heading_is_criteria_not_steps() -> None:
    # docpilot (round 16): `## Success Criteria Met` over `| Criterion | Target | Actual | Status |`.
    text = (
        "# Status\n\n### Sprint 1: Foundation\n\n- [x] Layout\n\n## Success Criteria Met\n\n"
        "| Criterion | Target | Actual | Status |\n|---|---|---|---|\n| Core features complete | 100% | 100% | ✅ |\n"
        "| Test coverage | 80% | 60% | ⚠️ |\n\n## Next\n\n- [ ] Publish\n"
    )
    plan = parse(text, Path("PROJECT_STATUS.md"))
    assert [(s.title, s.status) for s in plan.walk()] == [
        ("Foundation", "done"),
        ("Layout", "done"),
        ("Publish", "todo"),
    ]


def test_a_bold_todo_label_before_a_box_s_words_is_no_title() -> None:
    text = "- [x] Unit tests written\n- [ ] **TODO:** Create the GitHub repository\n"
    assert [(s.title, s.status) for s in parse(text, Path("PROJECT_STATUS.md")).walk()] == [
        ("Unit tests written", "done"),
        ("Create the GitHub repository", "todo"),
    ]


def test_a_report_of_achievements_holds_no_steps() -> None:
    # apex (round 9): `## Key Achievements Today` and `## Recent Wins 🎉` report work done.
    text = (
        "# Progress\n\n### 1. Project Setup ✅\n- CMake\n\n### 2. Parser\n- pending\n\n"
        "## Recent Wins 🎉\n\n- ✅ Solved the wiki link conflict\n\n## Key Achievements Today\n\n"
        "1. ✅ Solid foundation\n2. ✅ Metadata working\n"
    )
    plan = parse(text, Path("docs/PROGRESS.md"))
    assert [(s.id, s.title, s.status) for s in plan.walk()] == [("1", "Project Setup", "done")]


def test_a_box_saying_its_list_is_empty_is_no_step_and_abandoned_work_is_skipped() -> None:
    # cidx (round 18): `- [ ] None currently tracked` under `## Bugs / Issues`; the-dahan-codex: ABANDONED.
    text = (
        "# TODO\n\n## Phase 1\n\n- [x] Setup\n- [ ] Graph DSL — ABANDONED\n- [ ] Presets\n\n"
        "## Bugs / Issues\n\n- [ ] None currently tracked\n\n"
        "| Phase | Status |\n|---|---|\n| 3.4 DSL | Abandoned |\n"
    )
    plan = parse(text, Path("TODO.md"))
    assert [(s.title, s.status) for s in plan.walk() if s.is_leaf] == [
        ("Setup", "done"),
        ("Graph DSL", "skipped"),
        ("Presets", "todo"),
        ("DSL", "skipped"),
    ]


@pytest.mark.parametrize(
    "heading",
    [
        "Критерии готовности 0.3.0",  # round 20, ndlss-memory's roadmap
        "Akzeptanzkriterien",
        "Criterios de aceptación",
        "Critérios de aceitação",
        "验收标准",
        "완료 조건",
        "3. Success Criteria",
    ],
)
def test_a_criteria_heading_in_any_language_holds_criteria_not_steps(heading: str) -> None:
    text = (
        f"# Roadmap 0.3.0\n\n## Phase 1: Work\n\n- [x] Watch mode\n- [ ] Contract tests\n\n### {heading}\n\n"
        "- [ ] Release published\n"
    )
    plan = parse_plan(text, Path("ROADMAP.md"))
    assert [s.title for s in plan.walk() if s.is_leaf] == ["Watch mode", "Contract tests"]
    assert [c for s in plan.walk() for c in s.criteria] == ["Release published"]
