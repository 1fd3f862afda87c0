"""How long reading (and marking) a big markdown plan takes: `python benchmarks/plan_read.py [MB]`.

Writes a plan of many `- [ ] **N. Title**` steps with prose between them, then times (wall and CPU)
`plan.load_plan` and `plan.mark_step` on it, at half the size and at the size asked: reading must
stay linear in the file's size, so twice the text takes about twice the CPU.

Measured 2026-12-03 on a 2-core VM shared by five jobs (load 6-8: compare the CPU figures): 20 MB
read 6.1-6.6 s CPU, mark 0.3-0.6 s CPU (10 MB: 2.9-3.4 s, 0.2-0.3 s); before the tick read back
from its mark, on the same machine at the same time, 8.5-8.8 s and 8.8-9.4 s (10 MB: 3.5-3.8 s,
4.3-5.0 s). 2026-12-02, load ~2: 20 MB read 3.8 s, mark 5.5 s wall (before the line scanner: 36 s
and 45 s). 2026-12-04, quiet (load 0.4): 20 MB read 4.8 s, mark 0.26 s; 10 MB 2.6 s and 0.10 s.
"""

from __future__ import annotations

import os
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


def measure(megabytes: float) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """Steps read, then (wall, CPU) seconds of reading the plan and of marking its first open step done."""
    from stepcommit import plan

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "PLAN.md"
        path.write_text(big_plan(megabytes), encoding="utf-8")
        wall, cpu = time.perf_counter(), time.process_time()
        loaded = plan.load_plan(path)
        read = (time.perf_counter() - wall, time.process_time() - cpu)
        step = plan.select_step(loaded, None)
        wall, cpu = time.perf_counter(), time.process_time()
        plan.mark_step(path, step, "done")
        marked = (time.perf_counter() - wall, time.process_time() - cpu)
    return sum(1 for _ in loaded.walk()), read, marked


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":  # one size, in a process of its own (see below)
        size = float(sys.argv[2])
        steps, read, marked = measure(size)
        print(f"{steps} {read[0]} {read[1]} {marked[0]} {marked[1]}")
        return
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    # Half the size first: the ratio of CPU times says whether reading is linear (about 2). Each size
    # in a fresh process, as `start` reads a plan: the reader keeps its last parses (plan._RECENT), and
    # the half-size plan's objects would otherwise slow the garbage collector during the second read.
    import subprocess

    cpu_read = {}
    for size in (megabytes / 2, megabytes):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.plan_read", "--one", str(size)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        steps_text, *times = done.stdout.split()
        steps, (read_wall, read_cpu, mark_wall, mark_cpu) = int(steps_text), map(float, times)
        cpu_read[size] = read_cpu
        print(
            f"{size:g} MB, {steps:,} steps: read {read_wall:.2f}s (CPU {read_cpu:.2f}s), "
            f"mark {mark_wall:.2f}s (CPU {mark_cpu:.2f}s)"
        )
    ratio = cpu_read[megabytes] / cpu_read[megabytes / 2]
    print(f"twice the text, {ratio:.2f} times the CPU to read it; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
