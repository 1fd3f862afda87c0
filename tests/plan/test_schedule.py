"""A schedule restating the plan (round 12, indexer-go): boxes under `### Q1 2026` or `### Week 1 Goals`
that name a step heading's work again are no second step; a box naming new work stays a step."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stepcommit.plan import next_open_step, parse_plan, set_status

PATH = Path("docs/TODO.md")
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
TEXT = """# TODO

### 1. Event Filter System
- [x] Filter parser
- [x] Filter API

### 2. Analytics API
- [ ] Gas statistics endpoint
- [ ] TPS endpoint

## Roadmap

### Q4 2025 (December)
- [ ] Event filter system implementation
- [ ] Analytics API (gas, TPS)

### Q1 2026
- [ ] Multi-region deployment
"""


def test_schedule_boxes_naming_a_step_heading_are_no_steps() -> None:
    plan = parse_plan(TEXT, PATH)
    assert [s.title for s in plan.walk() if s.is_leaf] == [
        "Filter parser",
        "Filter API",
        "Gas statistics endpoint",
        "TPS endpoint",
        "Multi-region deployment",
    ]
    following = next_open_step(plan)
    assert following is not None and following.title == "Gas statistics endpoint"


def test_a_tick_does_not_change_what_the_schedule_restates() -> None:
    plan = parse_plan(TEXT, PATH)
    step = next(s for s in plan.walk() if s.title == "Multi-region deployment")
    ticked = set_status(TEXT, PATH, step, "done", NOW)
    again = parse_plan(ticked, PATH)
    assert [(s.title, s.status) for s in again.walk() if s.is_leaf][-1] == ("Multi-region deployment", "done")
    assert len([s for s in again.walk() if s.is_leaf]) == 5


def test_week_goals_restating_done_tasks_are_no_steps() -> None:
    text = (
        "# Progress\n\n#### 2. Storage Layer - Basic (P0) ✅\n- [x] Interface\n\n"
        "#### 3. Client Layer Implementation (P0) ✅\n- [x] Wrapper\n\n"
        "## Goals\n\n### Week 1 Goals\n- [x] Storage Layer done\n- [x] Client Layer done\n- [ ] Write the blog post\n"
    )
    leaves = [s.title for s in parse_plan(text, Path("PROGRESS.md")).walk() if s.is_leaf]
    assert leaves == ["Interface", "Wrapper", "Write the blog post"]


def test_a_plan_by_weeks_keeps_the_boxes_of_each_week() -> None:
    # The weeks are the plan: a box naming its own week's heading, or another week's, is a step.
    text = (
        "# Plan\n\n## Week 1: Database setup\n- [x] Database setup script\n\n"
        "## Week 2: API\n- [ ] Database setup review\n- [ ] API routes\n"
    )
    leaves = [s.title for s in parse_plan(text, Path("PLAN.md")).walk() if s.is_leaf]
    assert leaves == ["Database setup script", "Database setup review", "API routes"]
