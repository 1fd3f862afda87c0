"""How long reading (and marking) a big markdown plan takes: `python benchmarks/plan_read.py [MB]`.

Writes a plan of many `- [ ] **N. Title**` steps with prose between them, then times
`plan.load_plan` and `plan.mark_step` on it. Reading must stay linear in the file's size.

Measured 2026-12-02 on a 2-core CI-class VM with other jobs running (load ~2): 20 MB read 3.8 s,
mark 5.5 s; 10 MB read 1.7 s, mark 2.2 s (before the line scanner: 36 s and 45 s for 20 MB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def big_plan(megabytes: float) -> str:
    prose = (
        "This step touches the parser and the writer; keep the public API stable, add tests for "
        "the edge cases (empty input, CRLF endings, a BOM) and update the docs.\n"
    )
    parts = ["# Plan\n\n"]
    size, n = 0, 0
    while size < megabytes * 1_000_000:
        n += 1
        if n % 50 == 1:
            chunk = f"\n## Phase {n // 50 + 1}\n\n"
            parts.append(chunk)
            size += len(chunk)
        chunk = f"- [ ] **{n}. Step number {n}**\n\n{prose}\n"
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def main() -> None:
    from stepcommit import plan

    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "PLAN.md"
        path.write_text(big_plan(megabytes), encoding="utf-8")
        started = time.perf_counter()
        loaded = plan.load_plan(path)
        read = time.perf_counter() - started
        step = plan.select_step(loaded, None)
        started = time.perf_counter()
        plan.mark_step(path, step, "done")
        marked = time.perf_counter() - started
    print(f"{megabytes:g} MB, {len(loaded.steps):,} steps: read {read:.2f}s, mark {marked:.2f}s")


if __name__ == "__main__":
    main()
