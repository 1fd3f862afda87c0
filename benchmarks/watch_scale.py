"""`stepcommit watch` at scale: packaging 26.3 (about 62,000 tests), one one-function edit.

    uv run python -m benchmarks.watch_scale [--project packaging==26.3]
        [--edit-file src/packaging/tags.py --edit-old '    if version is None or arch is None:']

It prepares packaging as benchmarks.scale does (sdist, .venv, `ratchet = false`, `lint = false`),
runs a first `stepcommit check` (a full run that builds the per-test store), starts
`stepcommit watch --no-now` as a subprocess, waits for its ready line, makes scale's one-function
edit, reads the first run's line and prints the tests rerun, of how many, the total watch printed and
the total of a full serial `coverage run -m pytest` + `coverage json` of the edited tree (equal?).
Then it stops watch with SIGINT and checks that it exits 0 with "Stopped watching.".

Issue 18's target: fewer than 1,000 tests rerun, and the total shown equal to the full run's.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import scale
from benchmarks.gate_speed import _env
from benchmarks.incremental import check
from benchmarks.scale import edit, full_run, prepare

READY = "each change reruns"
LINE = re.compile(
    r"^Tests: .*\(incremental: (?P<ran>[\d,]+) of (?P<of>[\d,]+) tests\).*coverage (?P<total>[\d.]+)%"
)


def read_until(proc: subprocess.Popen[str], wanted: str, timeout: float) -> str:
    """Lines of watch's merged output until one contains ``wanted`` (echoed as they come)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"watch ended early (exit {proc.wait()})")
        print(f"  | {line.rstrip()}", flush=True)
        if wanted in line:
            return line
    raise SystemExit(f"no line with {wanted!r} in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", default="packaging==26.3")
    parser.add_argument("--edit-file", default=scale.EDIT_FILE, help="the file of the one-function edit")
    parser.add_argument("--edit-old", default=scale.EDIT_OLD, help="the line the edit goes before")
    parser.add_argument("--edit-new", help="the line put before it (default: scale's edit)")
    args = parser.parse_args()
    if args.edit_file != scale.EDIT_FILE or args.edit_old != scale.EDIT_OLD or args.edit_new:
        old = args.edit_old if args.edit_old.endswith("\n") else args.edit_old + "\n"
        indent = old[: len(old) - len(old.lstrip())]
        scale.EDIT_FILE, scale.EDIT_OLD = args.edit_file, old
        scale.EDIT_NEW = f"{indent}{args.edit_new or '_ = 0  # an edit'}\n{old}"
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    stepcommit = [sys.executable, "-m", "stepcommit"]
    with tempfile.TemporaryDirectory(prefix="stepcommit-watch-scale-") as tmp:
        where = Path(tmp)
        project, python = prepare(args.project, where)
        start = time.perf_counter()
        _, data, _ = check(stepcommit, project)
        print(f"first check: {time.perf_counter() - start:.1f} s, {data.get('tests')}, total {data['coverage_display']}%",
              flush=True)  # fmt: skip
        watch = subprocess.Popen(
            [*stepcommit, "watch", "--no-now"], cwd=project, env=_env(), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # As a terminal's foreground job: a shell starts background jobs with SIGINT ignored, and a
            # Python started so keeps ignoring it (no KeyboardInterrupt), which looked like a hang.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        try:
            read_until(watch, READY, 120)
            edit(project, True)
            started = time.perf_counter()
            line = read_until(watch, "Tests:", 1800)
            print(f"first run's line after {time.perf_counter() - started:.1f} s", flush=True)
            watch.send_signal(signal.SIGINT)
            try:
                rest = watch.communicate(timeout=60)[0]
            except subprocess.TimeoutExpired as stuck:  # report it, with what watch printed meanwhile
                rest = (
                    (stuck.output or b"").decode()
                    if isinstance(stuck.output, bytes)
                    else (stuck.output or "")
                )
                rest += "\n(still running 60 s after SIGINT: killed)"
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait()
        print("".join(f"  | {x}\n" for x in rest.splitlines()), end="")
        clean = watch.returncode == 0 and "Stopped watching." in rest and "Traceback" not in rest
        print(f"watch after SIGINT: exit {watch.returncode}, {'clean' if clean else 'NOT clean'}")
        match = LINE.match(line.strip())
        if not match:
            raise SystemExit(f"watch's line is not of the expected form: {line.strip()}")
        _, reference = full_run(python, project, where)
        full_total = reference["totals"]["percent_covered_display"]
        exact = f"{reference['totals']['percent_covered']:.2f}"
        ran, of = int(match["ran"].replace(",", "")), int(match["of"].replace(",", ""))
        same = match["total"] == exact
        print(f"tests rerun: {ran:,} of {of:,} ({'< 1,000' if ran < 1000 else 'NOT < 1,000'})")
        print(f"total watch printed: {match['total']}%; full serial run of the edited tree: {exact}% "
              f"(coverage json shows {full_total}%): {'equal' if same else 'NOT equal'}")  # fmt: skip
    if not (clean and same and ran < 1000):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
