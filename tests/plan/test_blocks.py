"""The line scanner reads a plan's blocks exactly as markdown-it does, and reading stays linear.

The oracle is markdown-it itself (`blocks.markdown_it_only()`): every corpus plan, and a bounded
number of generated plain and hostile ones, must give the same blocks (code, HTML, paragraph ends,
headings, tables) and the same parsed plan (steps, ids, titles, statuses, lines, markers) both ways.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from stepcommit import plan
from stepcommit.plan import blocks, reading, structure
from stepcommit.plan.text import split_lines

CORPUS = Path(__file__).parent / "corpus"
REAL = json.loads((CORPUS / "real" / "expected.json").read_text(encoding="utf-8"))
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def _corpus() -> list[tuple[str, Path]]:
    """(file, the path it is read at) of every corpus plan the markdown reader reads (a `.md` file
    can be another tool's format: Cursor front matter, Backlog.md, GSD, task headings)."""
    found = [(p.name, Path(p.name)) for p in sorted(CORPUS.glob("*.md"))]
    found += [(f"real/{name}", Path(REAL[name]["path"])) for name in sorted(REAL) if name.endswith(".md")]
    return [(name, path) for name, path in found if plan._reader(_text(name), path) == "markdown"]


def _text(name: str) -> str:
    return (CORPUS / name).read_bytes().decode("utf-8")


def _structure(text: str) -> tuple[Any, ...]:
    """What the reader takes from the blocks: skipped and code lines, paragraph ends, headings, tables."""
    lines = split_lines(text)
    layout = blocks.read(lines)
    skip, code, para_end, headings, tables = structure._structure(layout.tokens, len(lines))
    return skip, code, {**para_end, **layout.para_end}, {**headings, **layout.headings}, tables


def _both(text: str, path: Path) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(scanner, markdown-it) readings: the blocks and the whole parse (`_read`, never the cache)."""
    fast = (_structure(text), reading._read(text, path))
    with blocks.markdown_it_only():
        slow = (_structure(text), reading._read(text, path))
    return fast, slow


CORPUS_PLANS = _corpus()


def test_the_corpus_holds_plans_of_other_formats_that_are_left_out() -> None:
    every = len(sorted(CORPUS.glob("*.md"))) + sum(1 for name in REAL if name.endswith(".md"))
    assert 0 < len(CORPUS_PLANS) < every


@pytest.mark.parametrize(("name", "path"), CORPUS_PLANS, ids=[name for name, _ in CORPUS_PLANS])
def test_the_scanner_reads_every_corpus_plan_as_markdown_it_does(name: str, path: Path) -> None:
    fast, slow = _both(_text(name), path)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]  # Parsed: the plan's steps, markers, flavour, joined places, roll-up


# Lines plans are made of, then lines that start every other kind of block, and lines that differ
# between CommonMark's prose and markdown-it (lazy lines, ordered lists not starting at 1, deep items).
PLAIN = [
    "", "", "", "Prose with **bold** and `code`.", "text line", "# Title", "## Phase 1: Setup",
    "### 1.2 Step", "#hashtag", "####### seven", "- [ ] **1. Step**", "- [x] 2. Done", "* [ ] star",
    "+ plus item", "1. first", "2. second", "1) paren", "3. third", "10. ten", "01. zero one", "- item",
    "  - nested", "    - deeper", "      - deepest", "   - three", "  continuation", "   three spaces",
    "     five spaces", "- [ ] x", "  1. nested ordered", "  2. nested two", "2024 was a year",
    "1.5 release", "-not a list", "*emphasis* here", "_under_ score", "- [/] doing", "- [~] skip",
    "  - [ ] sub step", "Verify: `pytest`", "**Status**: ✅ Done", "\u00a0nbsp", "- **1.1. Title** — done",
    "## Tasks", "### T001 Set up", "- ✅ emoji step", "12345678901. too long",
]  # fmt: skip
HOSTILE = [
    "| a | b | Status |", "|---|---|---|", "| 1 | x | DONE |", "---", "***", "===", "Title", "```",
    "~~~", "> quote", "<!-- c -->", "<details>", "</details>", "\tTab", "-\ttab", "-", "1.", "- - x",
    "    code?", "        eight", "[ref]: /url", "[link](x) text", "  # indented heading", "- # in item",
    "- > in item", "- ```", "* * *", "-- ", "|", "<div>", "  <p>",
]  # fmt: skip


def _generated(count: int) -> list[str]:
    rng = random.Random(20261202)
    texts = []
    for _ in range(count):
        pool = PLAIN if rng.random() < 0.6 else PLAIN + HOSTILE
        lines = [rng.choice(pool) for _ in range(rng.randint(1, 40))]
        texts.append("\n".join(lines) + ("\n" if rng.random() < 0.8 else ""))
    return texts


def test_the_scanner_reads_generated_plans_as_markdown_it_does() -> None:
    differ = []
    for text in _generated(300):
        fast, slow = _both(text, Path("PLAN.md"))
        if fast != slow:
            differ.append(text)
    assert differ == []


def test_sections_markdown_it_must_read_are_read_by_it_and_the_rest_scanned() -> None:
    text = (
        "# Plan\n\n- [ ] **1. One**\n\n"
        "## Table\n\n| # | Step | Status |\n|---|---|---|\n| 2 | Two | DONE |\n\n"
        "## After\n\n- [ ] **3. Three**\n"
    )
    layout = blocks.read(split_lines(text))
    assert 0 in layout.headings and 10 in layout.headings  # the plain sections: scanned
    assert {t.type for t in layout.tokens} >= {"table_open", "heading_open"}  # the table: markdown-it's
    assert max(t.map[1] for t in layout.tokens if t.map) <= 10
    fast, slow = _both(text, Path("PLAN.md"))
    assert fast == slow
    assert [(s.id, s.status) for s in fast[1].plan.walk()] == [("1", "todo"), ("2", "done"), ("3", "todo")]


def test_a_fence_left_open_makes_the_rest_of_the_plan_code() -> None:
    text = "# Plan\n\n- [ ] **1. One**\n\n## Example\n\n```\n## Not a heading\n- [ ] **2. Not a step**\n"
    fast, slow = _both(text, Path("PLAN.md"))
    assert fast == slow
    assert [s.id for s in fast[1].plan.walk()] == ["1"]


def test_a_plain_plan_does_not_import_markdown_it(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS.parent))
    try:
        from benchmarks.plan_read import big_plan
    finally:
        sys.path.pop(0)
    (tmp_path / "PLAN.md").write_text(big_plan(0.01), encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from stepcommit import plan; "
        f"p = plan.load_plan(Path({str(tmp_path / 'PLAN.md')!r})); "
        "print(len(list(p.walk())), 'markdown_it' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    steps, imported = out.split()
    assert int(steps) > 50 and imported == "False"


def _cpu(action: Any) -> float:
    """The best CPU time of three calls, the garbage collector held off: its full collections come
    when the heap has grown enough, so one can land in the big read and not the small one, and the
    algorithm's own work is what the linearity test compares."""
    best = float("inf")
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            action()
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


def test_reading_and_marking_a_big_plan_is_linear(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS.parent))
    try:
        from benchmarks.plan_read import big_plan
    finally:
        sys.path.pop(0)
    times = {}
    for megabytes in (0.5, 2.0):
        path = tmp_path / f"{megabytes}" / "PLAN.md"
        path.parent.mkdir()
        text = big_plan(megabytes)
        path.write_text(text, encoding="utf-8")
        # A new text each time, so the reader's cache of recent plans is not what is timed.
        read = _cpu(lambda: reading._read(text + " ", path))  # noqa: B023 - called right here
        loaded = plan.load_plan(path)
        step = plan.select_step(loaded, None)

        def mark_it(path: Path = path, step: plan.Step = step) -> None:
            reading._RECENT.clear()  # the reads a mark makes, not the cache, are timed
            plan.marked_text(path, step, "done")

        mark = _cpu(mark_it)
        times[megabytes] = (read, mark)
    # Four times the text: about four times the time; quadratic work would take sixteen.
    assert times[2.0][0] < 8 * times[0.5][0], times
    assert times[2.0][1] < 8 * times[0.5][1], times
