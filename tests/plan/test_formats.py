"""Cursor plan mode and the task-tracker form: read as their tools write them, ticked byte for byte."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.commands.start import start
from stepcommit.errors import PlanError
from stepcommit.plan import append_steps, load_plan, mark_step, next_open_step, parse_plan, select_step
from tests.conftest import commit_all, git, write

# The shape Cursor's plan mode saves (`.cursor/plans/<name>_<hash>.plan.md`): name, overview, the
# todos with id/content/status (plain, quoted or folded content; dependencies now and then),
# isProject, then the plan's markdown body, whose own checkboxes are not todos.
CURSOR = """\
---
name: Dashboard launcher
overview: "Add a repo-root start-web.sh that starts the API and Vite together, with cleanup on exit."
todos:
  - id: add-start-web-sh
    content: "Create start-web.sh: background uvicorn, foreground vite, trap cleanup"
    status: completed
  - id: health-check
    content: >-
      Wait for the API health endpoint
      before starting Vite
    status: in_progress
  - id: docs-start-web
    content: Update README.md to recommend ./start-web.sh
    status: 'pending'
    dependencies: [add-start-web-sh]
  - id: ps1-twin
    content: Add a PowerShell twin of the script
    status: cancelled
  - id: ci-smoke
    content: Run the launcher in CI as a smoke test
    status: pending
isProject: false
---

# Add `./start-web.sh` dashboard launcher

## Checks

- [ ] the API answers on 127.0.0.1:8787
- [ ] Ctrl+C stops both processes
"""

# The task-tracker form, as a real tracker keeps it: templates inside <details> code fences,
# repeated placeholder ids (`PR??`), Validation code spans, a Git plan with its branch.
TRACKER = """\
# tasks

Tracks refactoring work. Keep entries concise.

## Open tasks (updated 2026-01-03)

<details>
<summary>Open task template</summary>

```markdown
### Open · tv-YYYY-MM-DD:PR### · <Short title>

- **Validation**: Commands required before commits/push.
- **Git plan**:
  - Branch: `<type>/<scope>-<desc>`
```

</details>

### Open · tv-2026-01-03:PR?? · Align python version requirements

- **Summary**: One Python version in pyproject and the setup guide.
- **Next steps**:
  1. Decide the supported version.
  2. Update `pyproject.toml` and the guide,
     then the CI matrix.
- **Validation**: `make quality`; a targeted CI run if the matrix changes.
- **Git plan**:
  - Branch: `chore/python-version-alignment`
  - Commits:
    - `chore(config): align python version requirements`

### Open · tv-2026-01-03:PR?? · Establish regression test suite

- **Validation**: `make quality`; `pytest tests/regression -q`.
- **Git plan**:
  - Branch: `test/regression-suite`

---

## Deferred tasks (updated 2026-01-03)

### Deferred · tv-2026-01-02:PR35 · Stabilize coverage badge workflow

- **Holding pattern**: Resume once the reproducibility plan is approved.

### Done · tv-2026-01-01:PR31 · Pin uv in CI

- **Validation**: `make quality`.
"""


# A GSD phase plan (`.planning/phases/<phase>/<NN-MM>-PLAN.md`) as its planner writes it: front
# matter, <objective>/<context> blocks, then <tasks> with one <task> block per task.
GSD_PLAN = """\
---
phase: 05-housekeeping
plan: 01
type: execute
depends_on: []
---

<objective>
Clear the housekeeping requirements.
</objective>

<tasks>

<task type="auto">
  <name>Task 1: Merge the chart index</name>
  <files>.github/workflows/ci.yml</files>
  <action>
Add the fetch step:
```yaml
- name: Fetch existing index
  run: curl -fsSL https://example.invalid/index.yaml -o /tmp/index.yaml || true
```
  </action>
  <verify>
    <automated>grep -q -- "--merge" .github/workflows/ci.yml &amp;&amp; echo PASS</automated>
    <manual>The fetch step comes first</manual>
  </verify>
  <done>The index step merges the old index</done>
</task>

<task type="auto">
  <name>Task 2: Document the release checklist</name>
  <verify><automated>test -f CONTRIBUTING.md</automated></verify>
  <done>CONTRIBUTING.md has a Release Checklist</done>
</task>

<task type="checkpoint:human-verify" gate="blocking">
  <name>Task 3: Check the social preview by eye</name>
</task>

</tasks>
"""


def _only_change(before: str, after: str) -> list[tuple[str, str]]:
    """The changed lines as (old, new) pairs; asserts the change is line for line."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


# --- Cursor plan mode -------------------------------------------------------------------------------


def test_cursor_todos_are_the_steps(tmp_path: Path) -> None:
    path = tmp_path / ".cursor" / "plans" / "launcher_1f2e3d4c.plan.md"
    write(tmp_path, {str(path.relative_to(tmp_path)): CURSOR})
    plan = load_plan(path)
    assert plan.format == "cursor"
    assert [(s.id, s.title, s.status, s.line) for s in plan.walk()] == [
        (
            "add-start-web-sh",
            "Create start-web.sh: background uvicorn, foreground vite, trap cleanup",
            "done",
            7,
        ),
        ("health-check", "Wait for the API health endpoint before starting Vite", "in_progress", 12),
        ("docs-start-web", "Update README.md to recommend ./start-web.sh", "todo", 15),
        ("ps1-twin", "Add a PowerShell twin of the script", "skipped", 19),
        ("ci-smoke", "Run the launcher in CI as a smoke test", "todo", 22),
    ]
    assert plan.steps[2].depends == ("add-start-web-sh",)
    # The body's checkboxes are the plan's prose, not todos.
    assert all("Ctrl+C" not in s.title for s in plan.walk())
    step = next_open_step(plan)
    assert step is not None and step.id == "health-check"


def test_cursor_tick_rewrites_only_that_status_value(tmp_path: Path) -> None:
    path = tmp_path / "launcher.plan.md"
    path.write_bytes(CURSOR.encode())
    plan = load_plan(path)
    mark_step(path, plan.steps[1], "done")
    after = path.read_text()
    assert _only_change(CURSOR, after) == [("    status: in_progress\n", "    status: completed\n")]
    # A quoted status keeps its quotes.
    mark_step(path, load_plan(path).steps[2], "in_progress")
    assert _only_change(after, path.read_text()) == [
        ("    status: 'pending'\n", "    status: 'in_progress'\n")
    ]
    reread = load_plan(path)
    assert [s.status for s in reread.walk()] == ["done", "done", "in_progress", "skipped", "todo"]
    # Cancelled todos are passed over; the next is the one in progress, then ci-smoke.
    mark_step(path, reread.steps[2], "done")
    nxt = next_open_step(load_plan(path))
    assert nxt is not None and nxt.id == "ci-smoke"


def test_cursor_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.plan.md"
    data = ("\ufeff" + CURSOR.replace("\n", "\r\n")).encode()
    path.write_bytes(data)
    step = load_plan(path).steps[4]
    assert (step.id, step.line) == ("ci-smoke", 22)
    mark_step(path, step, "done")
    expected = data.replace(b"status: pending\r\nisProject", b"status: completed\r\nisProject")
    assert expected != data and path.read_bytes() == expected


def test_cursor_edge_shapes(tmp_path: Path) -> None:
    path = tmp_path / "empty.plan.md"
    empty = "---\nname: Evidence calibration\noverview: Recompute the evidence on noise.\ntodos: []\n---\n# Body\n"
    assert parse_plan(empty, path).steps == ()
    assert parse_plan(empty, path).format == "cursor"
    # No status yet: pending, and ticking says what to add rather than guessing where.
    bare = "---\ntodos:\n    - id: write-api-md\n      content: Create backend/API.md\n---\n"
    path.write_text(bare)
    (step,) = load_plan(path).steps
    assert (step.id, step.status, step.line) == ("write-api-md", "todo", 3)
    with pytest.raises(PlanError, match="has no status"):
        mark_step(path, step, "done")
    assert path.read_text() == bare
    path.write_text("---\ntodos: [unclosed\n---\n")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_plan(path)
    # A plain markdown plan that merely starts with front matter is still read as markdown.
    path.write_text("---\ntitle: Plan\n---\n- [ ] 1. Write it\n")
    assert load_plan(path).format != "cursor"
    path.write_text(CURSOR)
    with pytest.raises(PlanError, match="adds steps only to checkbox plans"):
        append_steps(path, ["More"])


# --- the task-tracker form --------------------------------------------------------------------------


def test_tracker_tasks_with_branch_validation_and_deferred(tmp_path: Path) -> None:
    plan = parse_plan(TRACKER, tmp_path / "tv-tasks.md")
    assert plan.format == "taskform"
    assert [(s.id, s.title, s.status, s.deferred, s.explicit_id) for s in plan.walk()] == [
        ("1", "Align python version requirements", "todo", False, False),
        ("2", "Establish regression test suite", "todo", False, False),
        ("tv-2026-01-02:PR35", "Stabilize coverage badge workflow", "todo", True, True),
        ("tv-2026-01-01:PR31", "Pin uv in CI", "done", False, True),
    ]
    first, second, deferred, done = plan.steps
    assert first.branch == "chore/python-version-alignment"
    assert first.verify == ("make quality",)
    assert first.todo == (
        "Decide the supported version.",
        "Update `pyproject.toml` and the guide, then the CI matrix.",
    )
    assert second.verify == ("make quality", "pytest tests/regression -q")
    assert second.branch == "test/regression-suite"
    assert deferred.branch is None and done.verify == ("make quality",)
    assert (first.line, deferred.line) == (20, 43)


def test_tracker_tick_changes_the_status_word_only(tmp_path: Path) -> None:
    path = tmp_path / "TODO.md"
    path.write_text(TRACKER)
    plan = load_plan(path)
    mark_step(path, plan.steps[0], "in_progress")  # the form has no word for it
    assert path.read_text() == TRACKER
    mark_step(path, plan.steps[0], "done")
    assert _only_change(TRACKER, path.read_text()) == [
        (
            "### Open · tv-2026-01-03:PR?? · Align python version requirements\n",
            "### Done · tv-2026-01-03:PR?? · Align python version requirements\n",
        )
    ]
    nxt = next_open_step(load_plan(path))
    assert nxt is not None and nxt.title == "Establish regression test suite"
    # Upper-case words stay upper case; the deferred task is never the next one.
    shouting = "## Parking\n\n### OPEN · Exact action types list\nAwaiting sign-off.\n\n### DEFERRED · Chat\n"
    path.write_text(shouting)
    (first, later) = load_plan(path).steps
    assert (first.id, first.title, later.deferred) == ("1", "Exact action types list", True)
    mark_step(path, first, "done")
    assert path.read_text() == shouting.replace("### OPEN ·", "### DONE ·")
    assert next_open_step(load_plan(path)) is None
    with pytest.raises(PlanError, match=r"deferred, optional or under a finished step: 2 \(deferred\)"):
        select_step(load_plan(path), None)


def test_start_uses_the_branch_the_plan_gives(repo: Path) -> None:
    write(repo, {"TODO.md": TRACKER, "README.md": "x\n"})
    commit_all(repo, "chore: initial")
    assert start(cwd=repo, query=None) == 0
    assert git(repo, "branch", "--show-current").strip() == "chore/python-version-alignment"
    active = state.load_active(repo / ".git")
    assert active is not None
    assert (active.title, active.branch, active.verify) == (
        "Align python version requirements",
        "chore/python-version-alignment",
        ("make quality",),
    )
    # Starting leaves the task Open: the form has no in-progress word.
    assert (repo / "TODO.md").read_text() == TRACKER


def test_a_diff_of_a_tick_is_one_line(tmp_path: Path) -> None:
    for name, text, index in (("a.plan.md", CURSOR, 4), ("TODO.md", TRACKER, 1)):
        path = tmp_path / name
        path.write_text(text)
        mark_step(path, load_plan(path).steps[index], "done")
        diff = [
            line
            for line in difflib.unified_diff(
                text.splitlines(), path.read_text().splitlines(), lineterm="", n=0
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert len(diff) == 2, (name, diff)


SUBTRACT = "\n\ndef subtract(a, b):\n    return a - b\n"
TEST_SUBTRACT = "from calc import subtract\n\n\ndef test_subtract():\n    assert subtract(5, 3) == 2\n"


def _plan_lines_changed(project: Path, base: str, plan: str) -> list[str]:
    diff = git(project, "diff", "-U0", base, "main", "--", plan)
    return [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.parametrize(
    ("plan", "text", "branch", "changed"),
    [
        (
            ".cursor/plans/launcher_1f2e3d4c.plan.md",
            CURSOR,
            "step/health-check-wait-for-the-api-health-endpoint-before",
            ["-    status: in_progress", "+    status: completed"],
        ),
        (
            "TODO.md",
            TRACKER,
            "chore/python-version-alignment",
            [
                "-### Open · tv-2026-01-03:PR?? · Align python version requirements",
                "+### Done · tv-2026-01-03:PR?? · Align python version requirements",
            ],
        ),
    ],
)
def test_start_change_finish_ticks_one_line(
    project: Path, plan: str, text: str, branch: str, changed: list[str]
) -> None:
    from stepcommit.commands.finish import finish

    (project / "PLAN.md").unlink()
    write(project, {plan: text})
    base = commit_all(project, "chore: the tool's plan")
    assert start(cwd=project, query=None) == 0
    assert git(project, "branch", "--show-current").strip() == branch
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write(SUBTRACT)
    write(project, {"tests/test_subtract.py": TEST_SUBTRACT})
    assert finish(cwd=project) == 0
    assert git(project, "branch", "--show-current").strip() == "main"
    assert _plan_lines_changed(project, base, plan) == changed
    assert f"Plan: {plan}" in git(project, "log", "-1", "--format=%B")


@pytest.mark.parametrize(
    ("name", "text"), [("a.plan.md", CURSOR), ("TODO.md", TRACKER), ("05-01-PLAN.md", GSD_PLAN)]
)
def test_every_tick_changes_one_step_and_one_line(tmp_path: Path, name: str, text: str) -> None:
    """parse -> tick -> parse: one step's status moves (to the new one, where the form has a word
    for it), every other step reads back as it was, and at most one line of the file changes."""
    from stepcommit.plan import STATUSES

    path = tmp_path / name
    before = parse_plan(text, path)
    for step in before.walk():
        for status in STATUSES:
            path.write_text(text)
            after = mark_step(path, step, status)
            new = path.read_text()
            assert len(_only_change(text, new)) <= 1
            reread = list(load_plan(path).walk())
            for old, now in zip(before.walk(), reread, strict=True):
                assert (now.id, now.title, now.line) == (old.id, old.title, old.line)
                if old.index != step.index:
                    assert now.status == old.status
            expected = step.status if (name == "TODO.md" and status == "in_progress") else status
            assert after.status == reread[step.index].status == expected, (step.id, status)


# --- Backlog.md ------------------------------------------------------------------------------------


# Backlog.md's task files (`backlog/tasks/<id> - <Title>.md`): front matter as the CLI writes it,
# the body's acceptance criteria between AC markers.
def _backlog_task(ident: str, title: str, status: str, deps: str = "[]") -> str:
    return f"""\
---
id: {ident}
title: {title}
status: {status}
assignee: []
created_date: '2026-02-02 23:21'
labels:
  - 'epic:core-parser'
dependencies: {deps}
priority: high
---

## Description

<!-- SECTION:DESCRIPTION:BEGIN -->
{title}, as the task says.
<!-- SECTION:DESCRIPTION:END -->

## Acceptance Criteria
<!-- AC:BEGIN -->
- [x] #1 The happy path works
- [ ] #2 Errors name the file
<!-- AC:END -->
"""


BACKLOG = {
    "backlog/tasks/task-1 - Parse-task-files.md": _backlog_task("task-1", "Parse task files", "Done"),
    "backlog/tasks/task-2 - Board-view.md": _backlog_task("task-2", "Board view", "To Do", "[task-10]"),
    "backlog/tasks/task-10 - Status-symbols.md": _backlog_task("task-10", "Status symbols", "'To Do'"),
    "backlog/tasks/task-4.1 - Watch-mode.md": _backlog_task("task-4.1", "Watch mode", "In Progress"),
    "backlog/tasks/readme.md": "# Tasks\n\n- [ ] not a task\n",
}


def test_backlog_folder_is_one_plan_of_task_files(tmp_path: Path) -> None:
    from stepcommit.plan import find_plan

    write(tmp_path, BACKLOG)
    folder = find_plan(tmp_path)
    assert folder == tmp_path / "backlog" / "tasks"
    plan = load_plan(folder)
    assert plan.format == "backlog"
    assert [(s.id, s.title, s.status, s.line) for s in plan.walk()] == [
        ("task-1", "Parse task files", "done", 4),
        ("task-2", "Board view", "todo", 4),
        ("task-4.1", "Watch mode", "in_progress", 4),
        ("task-10", "Status symbols", "todo", 4),
    ]
    assert plan.steps[1].depends == ("task-10",)
    # Acceptance criteria are the task's criteria, never steps.
    assert plan.steps[0].criteria == ("The happy path works", "Errors name the file")
    nxt = next_open_step(plan)
    assert nxt is not None and nxt.id == "task-4.1"
    with pytest.raises(PlanError, match="is a Backlog.md folder"):
        append_steps(folder, ["More"])


def test_backlog_tick_changes_one_line_of_one_file(tmp_path: Path) -> None:
    write(tmp_path, BACKLOG)
    folder = tmp_path / "backlog" / "tasks"
    before = {p.name: p.read_text() for p in folder.iterdir()}
    plan = load_plan(folder)
    mark_step(folder, plan.steps[3], "done")
    after = {p.name: p.read_text() for p in folder.iterdir()}
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["task-10 - Status-symbols.md"]
    assert _only_change(before[changed[0]], after[changed[0]]) == [("status: 'To Do'\n", "status: 'Done'\n")]
    # task-10 done lets task-2, which waited on it, go first.
    nxt = next_open_step(load_plan(folder))
    assert nxt is not None and nxt.id == "task-2"
    with pytest.raises(PlanError, match="no status for skipped"):
        mark_step(folder, plan.steps[1], "skipped")


def test_backlog_start_change_finish_commits_the_task_file(project: Path) -> None:
    from stepcommit.commands.finish import finish

    (project / "PLAN.md").unlink()
    write(project, BACKLOG)
    base = commit_all(project, "chore: the backlog")
    assert start(cwd=project, query="task-2") == 0  # named: its dependency is not done
    active = state.load_active(project / ".git")
    assert active is not None and active.plan == "backlog/tasks/task-2 - Board-view.md"
    with (project / "calc" / "__init__.py").open("a") as handle:
        handle.write(SUBTRACT)
    write(project, {"tests/test_subtract.py": TEST_SUBTRACT})
    assert finish(cwd=project) == 0
    plan = "backlog/tasks/task-2 - Board-view.md"
    assert _plan_lines_changed(project, base, plan) == ["-status: To Do", "+status: Done"]
    assert git(project, "diff", "--stat", base, "main", "--", "backlog").count("|") == 1
    assert f"Plan: {plan}" in git(project, "log", "-1", "--format=%B")


def test_near_misses_stay_what_they_are(tmp_path: Path) -> None:
    # A checkbox plan with one stray `## Done · ...` heading stays a checkbox plan.
    stray = "# Plan\n\n## Done · Setup\n\n- [x] 1. Repo\n- [ ] 2. CI\n- [ ] 3. Release\n"
    assert parse_plan(stray, tmp_path / "PLAN.md").format == "markdown"
    # An ATX closing sequence needs a space before it: `C#` is the title's own.
    (task,) = parse_plan("### Open · Port the parser to C#\n", tmp_path / "TODO.md").steps
    assert task.title == "Port the parser to C#"
    (task,) = parse_plan("### Open · Port the parser ###\n", tmp_path / "TODO.md").steps
    assert task.title == "Port the parser"
    # Front matter with id/title/status of its own words is no Backlog.md task outside backlog/tasks/.
    draft = "---\nid: plan-1\ntitle: The plan\nstatus: draft\n---\n- [ ] 1. Write it\n- [ ] 2. Ship it\n"
    assert len(parse_plan(draft, tmp_path / "PLAN.md").steps) == 2
    custom = tmp_path / "backlog" / "tasks" / "task-1 - A.md"
    assert parse_plan(draft, custom).format == "backlog"  # custom statuses, in its own place


def test_cursor_front_matter_that_is_not_strict_yaml(tmp_path: Path) -> None:
    """Cursor leaves `content: Phase 0: Setup` and `overview: ... Source: x` unquoted, which YAML
    refuses; the todos are then read line by line, with the same exact status spans."""
    loose = (
        "---\n"
        "name: Phases\n"
        "overview: All phases. Source: .ai/idea/outline.md\n"
        "todos:\n"
        "  - id: phase-0\n"
        "    content: Phase 0: Environment Setup (scaffold, dev server)\n"
        "    status: completed\n"
        "  - id: phase-1\n"
        '    content: "Phase 1: Research"\n'
        "    status: in_progress\n"
        "    dependencies:\n"
        "      - phase-0\n"
        "  - id: phase-2\n"
        "    content: Phase 2: Architecture\n"
        "    status: 'pending'\n"
        "    dependencies: [phase-0, phase-1]\n"
        "---\n\n# Phases\n"
    )
    path = tmp_path / "phases.plan.md"
    path.write_text(loose)
    plan = load_plan(path)
    assert [(s.id, s.title, s.status, s.line, s.depends) for s in plan.walk()] == [
        ("phase-0", "Phase 0: Environment Setup (scaffold, dev server)", "done", 7, ()),
        ("phase-1", "Phase 1: Research", "in_progress", 10, ("phase-0",)),
        ("phase-2", "Phase 2: Architecture", "todo", 15, ("phase-0", "phase-1")),
    ]
    mark_step(path, plan.steps[1], "done")
    mark_step(path, plan.steps[2], "in_progress")
    assert _only_change(loose, path.read_text()) == [
        ("    status: in_progress\n", "    status: completed\n"),
        ("    status: 'pending'\n", "    status: 'in_progress'\n"),
    ]


# --- GSD phase plans ---------------------------------------------------------------------------------


def test_gsd_phase_plan_tasks(tmp_path: Path) -> None:
    path = tmp_path / ".planning" / "phases" / "05-housekeeping" / "05-01-PLAN.md"
    write(tmp_path, {str(path.relative_to(tmp_path)): GSD_PLAN})
    plan = load_plan(path)
    assert plan.format == "gsd"
    assert [(s.id, s.title, s.status, s.line, s.optional) for s in plan.walk()] == [
        ("1", "Merge the chart index", "todo", 14, False),
        ("2", "Document the release checklist", "todo", 31, False),
        ("3", "Check the social preview by eye", "todo", 37, True),
    ]
    first, second, _ = plan.steps
    # Shell syntax runs through sh -c; a plain command stays argv.
    assert first.verify == ("sh -c 'grep -q -- \"--merge\" .github/workflows/ci.yml && echo PASS'",)
    assert second.verify == ("test -f CONTRIBUTING.md",)
    assert first.criteria == ("The index step merges the old index",)
    # The fenced `- name:` in the action is no task.
    assert all("Fetch" not in s.title for s in plan.walk())
    nxt = next_open_step(plan)
    assert nxt is not None and nxt.id == "1"
    # GSD has no status: the tick is a status attribute on the task's own tag, and it reads back.
    mark_step(path, first, "in_progress")
    mark_step(path, load_plan(path).steps[0], "done")
    assert _only_change(GSD_PLAN, path.read_text()) == [
        ('<task type="auto">\n', '<task type="auto" status="done">\n')
    ]
    nxt = next_open_step(load_plan(path))
    assert nxt is not None and nxt.id == "2"
    # A written summary finishes the whole plan.
    write(tmp_path, {str(path.with_name("05-01-SUMMARY.md").relative_to(tmp_path)): "# Summary\n"})
    assert {s.status for s in load_plan(path).walk()} == {"done"}


def test_a_backlog_report_counts_the_task_files_commits(tmp_path: Path) -> None:
    from stepcommit.report.build import plan_progress

    write(tmp_path, BACKLOG)
    plan = load_plan(tmp_path / "backlog" / "tasks")
    committed = {("backlog/tasks/task-1 - Parse-task-files.md", "task-1")}
    assert plan_progress(plan, "backlog/tasks", committed).without_commit == ()
    assert [s.id for s in plan_progress(plan, "backlog/tasks", set()).without_commit] == ["task-1"]
