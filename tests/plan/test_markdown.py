"""Markdown plans: the exact bytes a status change writes, and what is and is not a step."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stepcommit.errors import PlanError
from stepcommit.plan import Status, load_plan, mark_step, select_step
from stepcommit.plan.reading import parse
from stepcommit.plan.titles import split_title

NOW = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)


def _mark(tmp_path: Path, data: bytes, query: str, status: Status, name: str = "PLAN.md") -> bytes:
    path = tmp_path / name
    path.write_bytes(data)
    mark_step(path, select_step(load_plan(path), query), status, now=NOW)
    return path.read_bytes()


def test_bytes_survive_crlf_bom_tabs_emoji_and_no_final_newline(tmp_path: Path) -> None:
    text = (
        "\ufeff# Plan ✔️\r\n\r\n"
        "- [ ] **1.1. Título con acentos — 日本語 ✔️**  \r\n"
        "\t- [ ] nested under a tab\r\n"
        "- [ ] **1.2. Last step**\t"
    )
    data = text.encode("utf-8")
    out = _mark(tmp_path, data, "1.2", "done")
    assert out == data.replace(b"- [ ] **1.2.", b"- [x] **1.2.")
    out = _mark(tmp_path, out, "1.1", "done")
    assert out.startswith(b"\xef\xbb\xbf# Plan")
    # Done with 1.1 is done with the box nested under it (a ticked box over open ones is under way).
    assert out == data.replace(b"[ ] **1.", b"[x] **1.").replace(b"\t- [ ] nested", b"\t- [x] nested")


def test_lone_carriage_returns_are_line_endings(tmp_path: Path) -> None:
    data = b"# Plan\r- [ ] 1.1 One\r- [ ] 1.2 Two\r"
    plan = parse(data.decode(), Path("PLAN.md"))
    assert [(s.id, s.line) for s in plan.walk()] == [("1.1", 2), ("1.2", 3)]
    assert _mark(tmp_path, data, "1.2", "done") == b"# Plan\r- [ ] 1.1 One\r- [x] 1.2 Two\r"


def test_plain_checkboxes_have_no_in_progress_mark(tmp_path: Path) -> None:
    data = b"- [ ] 1.1 One\n- [x] 1.2 Two\n"
    assert _mark(tmp_path, data, "1.1", "in_progress") == data
    assert _mark(tmp_path, data, "1.2", "todo") == b"- [ ] 1.1 One\n- [ ] 1.2 Two\n"


def test_a_file_that_uses_an_in_progress_mark_gets_it(tmp_path: Path) -> None:
    data = b"- [-] 1.1 One\n- [ ] 1.2 Two\n"
    assert _mark(tmp_path, data, "1.2", "in_progress") == b"- [-] 1.1 One\n- [-] 1.2 Two\n"


def test_capital_x_files_stay_capital(tmp_path: Path) -> None:
    data = b"- [X] T001 One\n- [ ] T002 Two\n"
    assert _mark(tmp_path, data, "T002", "done") == b"- [X] T001 One\n- [X] T002 Two\n"
    assert _mark(tmp_path, data, "T002", "in_progress") == data  # spec-kit has no in-progress mark


def test_kiro_in_progress_and_optional(tmp_path: Path) -> None:
    data = b"- [ ] 1. Build\n  - [ ]* 1.1 Optional tests\n  - _Requirements: 1.1_\n"
    plan = parse(data.decode(), Path("tasks.md"))
    assert plan.format == "kiro"
    assert [s.optional for s in plan.walk()] == [False, True]
    out = _mark(tmp_path, data, "1.1", "in_progress", "tasks.md")
    assert out == b"- [ ] 1. Build\n  - [-]* 1.1 Optional tests\n  - _Requirements: 1.1_\n"


def test_kiro_is_known_by_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / ".kiro" / "specs" / "auth"
    folder.mkdir(parents=True)
    path = folder / "tasks.md"
    path.write_text("- [ ] 1. Login\n")
    assert load_plan(path).format == "kiro"
    mark_step(path, select_step(load_plan(path), "1"), "in_progress")
    assert path.read_text() == "- [-] 1. Login\n"


def test_antigravity_ids_and_in_progress(tmp_path: Path) -> None:
    data = b"- [x] Explore <!-- id: 0 -->\n- [ ] Build it <!-- id: 7 -->\n"
    plan = parse(data.decode(), Path("task.md"))
    assert [(s.id, s.title) for s in plan.walk()] == [("0", "Explore"), ("7", "Build it")]
    assert _mark(tmp_path, data, "7", "in_progress") == data.replace(b"[ ] Build", b"[/] Build")


def test_execplan_ticks_with_a_utc_timestamp(tmp_path: Path) -> None:
    data = (
        b"# Plan\n\n## Progress\n\n- [x] (2025-11-25 15:08Z) First.\n- [ ] Second.\n"
        b"- [ ] (YYYY-MM-DD HH:MMZ) Third.\n\n## Decision Log\n\n- [ ] not a step\n"
    )
    plan = parse(data.decode(), Path("EXECPLAN.md"))
    assert plan.format == "execplan"
    assert [s.title for s in plan.walk()] == ["First.", "Second.", "Third."]
    out = _mark(tmp_path, data, "Second", "done")
    assert out == data.replace(b"- [ ] Second.", b"- [x] (2025-11-26 09:30Z) Second.")
    out = _mark(tmp_path, data, "Third", "done")
    assert out == data.replace(b"- [ ] (YYYY-MM-DD HH:MMZ) Third.", b"- [x] (2025-11-26 09:30Z) Third.")
    assert _mark(tmp_path, data, "Second", "in_progress") == data


def test_heading_markers_keep_the_files_words(tmp_path: Path) -> None:
    data = ("### Step 1: One ✅ COMPLETED\n\n### Step 2: Two 🚧 IN PROGRESS\n\n### Step 3: Three\n").encode()
    out = _mark(tmp_path, data, "2", "done")
    assert out == data.replace("Two 🚧 IN PROGRESS".encode(), "Two ✅ COMPLETED".encode())
    out = _mark(tmp_path, data, "3", "done")
    assert out == data.replace(b"Three\n", "Three ✅ COMPLETED\n".encode())
    out = _mark(tmp_path, data, "3", "in_progress")
    assert out == data.replace(b"Three\n", "Three 🚧 IN PROGRESS\n".encode())
    out = _mark(tmp_path, data, "1", "todo")
    assert out == data.replace(" ✅ COMPLETED".encode(), b"")


def test_heading_with_checkboxes_takes_its_status_from_them(tmp_path: Path) -> None:
    data = b"## Phase 2: Models\n\n- [x] A\n- [ ] B\n"
    plan = parse(data.decode(), Path("PLAN.md"))
    assert [(s.id, s.status) for s in plan.walk()] == [("2", "in_progress"), ("2.1", "done"), ("2.2", "todo")]
    assert _mark(tmp_path, data, "2", "done") == b"## Phase 2: Models\n\n- [x] A\n- [x] B\n"


def test_table_keeps_words_case_and_column_width(tmp_path: Path) -> None:
    data = (
        b"| # | Phase | Status      | Files |\n"
        b"|---|-------|-------------|-------|\n"
        b"| 1 | Setup | DONE        | a.py  |\n"
        b"| 2 | Model | NOT STARTED | b.py  |\n"
    )
    out = _mark(tmp_path, data, "2", "done")
    assert out == data.replace(b"| NOT STARTED |", b"| DONE        |")
    out = _mark(tmp_path, data, "2", "in_progress")
    assert out == data.replace(b"| NOT STARTED |", b"| IN PROGRESS |")


def test_table_yes_no_emoji_and_empty_cells(tmp_path: Path) -> None:
    data = (
        "| Step | Check | Passed |\n|---|---|---|\n| 5 | Lint | YES |\n| 6 | Cov | NO |\n\n"
        "| ID | Milestone | State |\n|---|---|---|\n"
        "| M1 | Alpha | ✅ Complete |\n| M2 | Beta | ⏳ Pending |\n"
        "| M3 | GA |  |\n"
    ).encode()
    assert _mark(tmp_path, data, "6", "done") == data.replace(b"| NO |", b"| YES |")
    assert _mark(tmp_path, data, "6", "in_progress") == data  # a yes/no column cannot say it
    out = _mark(tmp_path, data, "M2", "done")
    assert out == data.replace("| ⏳ Pending |".encode(), "| ✅ Complete |".encode())
    out = _mark(tmp_path, data, "M3", "done")
    assert out == data.replace(b"| GA |  |", b"| GA | Complete |")


def test_unknown_status_cell_is_refused_without_writing(tmp_path: Path) -> None:
    data = b"| # | Task | Status |\n|---|---|---|\n| 1 | A | see notes |\n"
    path = tmp_path / "PLAN.md"
    path.write_bytes(data)
    step = select_step(load_plan(path), "1")
    with pytest.raises(PlanError, match="line 3"):
        mark_step(path, step, "done")
    assert path.read_bytes() == data


def test_emoji_bullets_keep_variation_selectors(tmp_path: Path) -> None:
    data = "- ✔️ Login\n- ⬜ Profile\n".encode()
    assert _mark(tmp_path, data, "Profile", "done") == "- ✔️ Login\n- ✔️ Profile\n".encode()
    assert _mark(tmp_path, data, "Login", "todo") == "- ⬜ Login\n- ⬜ Profile\n".encode()


def test_emoji_bullets_are_not_steps_next_to_checkboxes() -> None:
    plan = parse("Legend:\n- ✅ done\n- ⬜ open\n\n- [ ] 1.1 Real step\n", Path("PLAN.md"))
    assert [s.id for s in plan.walk()] == ["1.1"]


def test_code_html_and_indented_code_hold_no_steps() -> None:
    text = (
        "~~~\n- [ ] 1 fenced\n~~~\n\n<!-- - [ ] 2 one-line comment -->\n\n"
        "<details>\n<summary>x</summary>\n- [ ] 3 html block\n</details>\n\n"
        "    - [ ] 4 indented code\n\n"
        "Text <!-- a comment\n- [ ] 5 inside a comment\n-->\n\n- [ ] 6 Real\n"
    )
    assert [s.id for s in parse(text, Path("PLAN.md")).walk()] == ["6"]


def test_acceptance_criteria_are_the_steps_criteria_not_steps() -> None:
    text = (
        "### Step 3: Export\n\n**Acceptance criteria:**\n\n- [ ] CSV opens in Excel\n- [ ] Quotes escaped\n\n"
        "### Step 4: Import\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert [s.id for s in plan.walk()] == ["3", "4"]
    assert plan.steps[0].criteria == ("CSV opens in Excel", "Quotes escaped")


def test_verify_lines_belong_to_their_step() -> None:
    text = (
        "- [ ] **1.1. One**\n  - [ ] sub\n  Verify: `pytest -q`\n- [ ] **1.2. Two**\n"
        "**Verify:** ruff check .\n"
    )
    plan = parse(text, Path("PLAN.md"))
    assert {s.id: s.verify for s in plan.walk()} == {
        "1.1": ("pytest -q",),
        "1.1.1": (),
        "1.2": ("ruff check .",),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**1.1. Project Structure Setup**", ("1.1", "Project Structure Setup")),
        ("**P0-1: Title** - the rest", ("P0-1", "Title")),
        ("**1.1.** Title", ("1.1", "Title")),
        ("T012 [P] [US1] Add model", ("T012", "Add model")),
        ("Step 3: Foo", ("3", "Foo")),
        ("6 Caching layer", ("6", "Caching layer")),
        ("3 tests for the parser", (None, "3 tests for the parser")),
        ("19.2b Second half", ("19.2b", "Second half")),
        ("**Bold that never closes", (None, "Bold that never closes")),
        ("(2025-11-25 15:08Z) Did it", (None, "Did it")),
        ("2024-01-01 release", (None, "2024-01-01 release")),
    ],
)
def test_split_title(text: str, expected: tuple[str | None, str]) -> None:
    assert split_title(text) == expected


def test_headings_that_are_not_steps() -> None:
    text = "## 1. Overview\n\nProse.\n\n## 2. Tasks\n\n- [ ] 2.1 Do it\n\n## Phase 3: Ship\n"
    plan = parse(text, Path("PLAN.md"))
    assert [(s.id, s.title) for s in plan.walk()] == [("2", "Tasks"), ("2.1", "Do it"), ("3", "Ship")]


def test_kiro_optional_star_escaped_by_a_markdown_formatter(tmp_path: Path) -> None:
    data = b"- [x] 2. Storage\n  - [x] 2.1 Service\n  - [ ]\\* 2.3 Write unit tests\n"
    plan = parse(data.decode(), Path("tasks.md"))
    assert [(s.id, s.title, s.optional) for s in plan.walk()] == [
        ("2", "Storage", False),
        ("2.1", "Service", False),
        ("2.3", "Write unit tests", True),
    ]
    assert _mark(tmp_path, data, "2.3", "done", "tasks.md") == data.replace(b"[ ]\\*", b"[x]\\*")


def test_a_task_heading_set_back_to_todo_keeps_a_marker(tmp_path: Path) -> None:
    # A heading with no number is a task only while it says a status: removing it would lose the task.
    data = "## Tasks\n\n### Mini-Player Fix ✅\n\n### Search ✅\n".encode()
    assert _mark(tmp_path, data, "Mini-Player", "todo") == data.replace("Fix ✅".encode(), "Fix ⬜".encode())


def test_heading_status_words_in_brackets_and_after_a_dash(tmp_path: Path) -> None:
    data = (
        "## Phase 1: Setup (✅ COMPLETED)\n\n## Phase 2: Models\n\n## Phase 3: API — SKIPPED\n\n"
        "## Phase 4: Ops — BLOCKED\n"
    ).encode()
    plan = parse(data.decode(), Path("PLAN.md"))
    assert [(s.title, s.status, s.deferred) for s in plan.walk()] == [
        ("Setup", "done", False),
        ("Models", "todo", False),
        ("API", "skipped", False),
        ("Ops", "todo", True),
    ]
    assert _mark(tmp_path, data, "2", "done") == data.replace(b"Models\n", "Models (✅ COMPLETED)\n".encode())
    # Set back to todo, a heading never takes the file's deferral word (BLOCKED) for "not started".
    out = _mark(tmp_path, data, "3", "todo")
    assert out == data.replace("— SKIPPED".encode(), "— NOT STARTED".encode())
