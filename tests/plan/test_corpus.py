"""Every corpus plan is listed as a reader would list it, and every step ticks with a one-line diff."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stepcommit.plan import STATUSES, load_plan, mark_step, next_open_step, select_step

CORPUS = Path(__file__).parent / "corpus"
NOW = datetime(2025, 11, 26, 9, 30, tzinfo=UTC)

# file -> (format, next step id, [(id, title, status), ...] in file order)
EXPECTED: dict[str, tuple[str, str | None, list[tuple[str, str, str]]]] = {
    "generic.md": (
        "markdown",
        "1.3.1",
        [
            ("1", "Foundation", "in_progress"),
            ("1.1", "Project Structure Setup", "done"),
            ("1.2", "Tooling", "done"),
            (
                "1.3",
                "Database Infrastructure with SurrealDB running in docker compose and a session helper",
                "todo",
            ),
            ("1.3.1", "docker-compose.yml starts the database", "todo"),
            ("1.3.2", "`src/db/session.py` connects", "todo"),
            ("2", "Pydantic Models", "todo"),
            ("2.1", "Request models", "todo"),
            ("2.2", "Response models", "todo"),
            ("2.3", "Validation errors", "todo"),
            ("3", "API", "todo"),
            ("P0-1", "Health endpoint", "todo"),
            ("P0-2", "Metrics endpoint", "todo"),
            ("4", "Ordering is messy", "todo"),
            ("6.5", "Cache warmup", "todo"),
            ("6", "Caching layer", "todo"),
            ("19.2b", "Second half", "todo"),
            ("19.2a", "First half", "todo"),
            ("4.5", "Write the changelog", "todo"),
            ("4.6", "Write the changelog", "todo"),
        ],
    ),
    "headings.md": (
        "markdown",
        "6.2",
        [
            ("6.1", "Inventory the endpoints", "done"),
            ("6.2", "Port the handlers", "in_progress"),
            ("6.3", "Remove the old runtime", "todo"),
            ("6.4", "Announce the change", "todo"),
        ],
    ),
    "progress.md": (
        "markdown",
        "3",
        [
            ("1", "Project scaffold and CI", "done"),
            ("2", "Login with email", "done"),
            ("3", "Password reset flow", "in_progress"),
            ("4", "Profile page", "todo"),
            ("5", "通知設定 (notification settings)", "todo"),
        ],
    ),
    "status_table.md": (
        "markdown",
        "2",
        [
            ("1", "Project setup", "done"),
            ("2", "Pydantic Models", "in_progress"),
            ("3", "API routes", "todo"),
            ("4", "Deployment", "todo"),
            ("5", "Lint clean", "done"),
            ("6", "Coverage above 85%", "todo"),
            ("M1", "Alpha", "done"),
            ("M2", "Beta", "todo"),
        ],
    ),
    "speckit_tasks.md": (
        "spec-kit",
        "T003",
        [
            ("1", "Setup (Shared Infrastructure)", "in_progress"),
            ("T001", "Create project structure per implementation plan", "done"),
            ("T002", "Initialize a Python 3.12 project with FastAPI dependencies", "done"),
            ("T003", "Configure linting and formatting tools", "todo"),
            ("2", "User Story 1 - Create albums (Priority: P1) 🎯 MVP", "todo"),
            ("T004", "Contract test for POST /albums in tests/contract/test_albums.py", "todo"),
            ("T005", "Integration test for the album journey in tests/integration/test_albums.py", "todo"),
            ("T006", "Create Album model in src/models/album.py", "todo"),
            ("T007", "Implement AlbumService in src/services/album_service.py (depends on T006)", "todo"),
        ],
    ),
    "kiro_tasks.md": (
        "kiro",
        "2.2",
        [
            ("1", "Set up project structure and core interfaces", "done"),
            ("2", "Implement data models and validation", "in_progress"),
            ("2.1", "Create core data model interfaces and types", "done"),
            ("2.2", "Implement User model with validation", "todo"),
            ("2.3", "Write unit tests for the User model", "todo"),
            ("3", "Create storage mechanism", "todo"),
            ("3.1", "Implement database connection utilities", "todo"),
            ("3.2", "Implement repository pattern for data access", "todo"),
        ],
    ),
    "execplan.md": (
        "execplan",
        "3",
        [
            ("1", "Read the theming code and wrote this plan.", "done"),
            ("2", "Added the `theme` setting to the settings model.", "done"),
            ("3", "Wire the toggle into the settings page (completed: markup; remaining: state).", "todo"),
            ("4", "Persist the choice in local storage.", "todo"),
        ],
    ),
    "antigravity_task.md": (
        "antigravity",
        "4",
        [
            ("0", "Explore the report module", "done"),
            ("1", "Write the implementation plan", "done"),
            ("2", "Implement `export_csv()` in reports/export.py", "in_progress"),
            ("3", "Header row", "done"),
            ("4", "Escaping of quotes and commas", "todo"),
            ("5", "Add a download button", "todo"),
            ("6", "Verify in the browser", "todo"),
        ],
    ),
    "taskmaster_plain.json": (
        "taskmaster",
        "3.2",
        [
            ("1", "Setup Development Environment", "done"),
            ("2", "Create Database Schema", "todo"),
            ("3", "Implement API Endpoints", "in_progress"),
            ("3.1", "Users endpoints", "done"),
            ("3.2", "Posts endpoints", "todo"),
            ("3.3", "Comments endpoints", "skipped"),
            ("4", "Write the deployment guide", "todo"),
        ],
    ),
    "taskmaster_tagged.json": (
        "taskmaster",
        "1",
        [
            ("1", "Parse the PRD", "in_progress"),
            ("2", "Generate tasks — from the PRD", "todo"),
            ("3", "Cancelled idea", "skipped"),
        ],
    ),
}


def test_the_corpus_is_all_expected() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_file()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_listed_as_a_reader_would(name: str) -> None:
    fmt, next_id, steps = EXPECTED[name]
    plan = load_plan(CORPUS / name)
    assert plan.format == fmt
    assert [(s.id, s.title, s.status) for s in plan.walk()] == steps
    following = next_open_step(plan)
    assert (following.id if following else None) == next_id
    assert [s.index for s in plan.walk()] == list(range(len(steps)))


def _changed_lines(before: bytes, after: bytes) -> list[int]:
    old, new = before.split(b"\n"), after.split(b"\n")
    assert len(old) == len(new), "a status change never adds or removes lines"
    return [i + 1 for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]


def _cases() -> list[tuple[str, int, str]]:
    cases = []
    for name in sorted(EXPECTED):
        for index in range(len(EXPECTED[name][2])):
            for status in ("todo", "in_progress", "done"):
                cases.append((name, index, status))
    return cases


@pytest.mark.parametrize(("name", "index", "status"), _cases())
def test_round_trip_changes_one_line(tmp_path: Path, name: str, index: int, status: str) -> None:
    path = tmp_path / name
    original = (CORPUS / name).read_bytes()
    path.write_bytes(original)
    before = load_plan(path)
    step = list(before.walk())[index]
    assert status in STATUSES
    marked = mark_step(path, step, status, now=NOW)  # type: ignore[arg-type]
    after_bytes = path.read_bytes()
    after = load_plan(path)
    changed = _changed_lines(original, after_bytes)
    # Same steps, same ids and titles, in the same places: only statuses may differ.
    assert [(s.id, s.title, s.line) for s in after.walk()] == [(s.id, s.title, s.line) for s in before.walk()]
    assert marked.index == step.index
    # A leaf changes its own line; a group without a marker of its own changes through its leaves.
    allowed = {step.line} if step.is_leaf else {s.line for s in step.walk()}
    assert set(changed) <= allowed
    if step.is_leaf or changed == [step.line]:
        assert len(changed) <= 1
    if changed:
        assert marked.status == status
    else:
        # Unchanged only when already so, or when the format has no marker for that status.
        assert step.status == status or status == "in_progress"
    # No other leaf changed status.
    for old, new in zip(before.walk(), after.walk(), strict=True):
        if old.index != step.index and old.is_leaf and not _within(old, step):
            assert old.status == new.status, (old, new)


def _within(leaf: object, group: object) -> bool:
    return any(s is leaf for s in group.walk())  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_step_can_be_selected_by_id_or_place(name: str) -> None:
    plan = load_plan(CORPUS / name)
    for step in plan.walk():
        assert select_step(plan, f"#{step.index + 1}") == step
        same_id = [s for s in plan.walk() if s.id == step.id]
        if len(same_id) == 1:
            assert select_step(plan, step.id) == step
