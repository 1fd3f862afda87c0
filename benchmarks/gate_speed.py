"""How much the gate costs over running the tools by hand, on a real project from PyPI.

    uv run python -m benchmarks.gate_speed [--project click==8.5.1] [--repeat 3] [--deps freezegun ...]
        [--edit FILE] [--edit-old LINE --edit-new LINE]

itsdangerous 2.2.0: --project itsdangerous==2.2.0 --package itsdangerous --deps freezegun
--edit src/itsdangerous/encoding.py --edit-old '    return base64.urlsafe_b64encode(string).rstrip(b"=")'

It fetches the project's sdist into a temporary folder, gives it a .venv, makes a one-function
edit, then times (median of --repeat runs):
  by hand   `python -m pytest --cov=<pkg>` plus `ruff check` on the changed files
  check     `stepcommit check --no-cache` (tests under coverage, lint, floor, ratchet, changed lines)
  cached    `stepcommit check` again on the same tree (the cache answers)
  hook      `stepcommit check --hook` with that tree staged, as every commit runs it
and prints both times and their ratio. The issue's targets: check <= 1.10 x by hand; hook <= 0.15 s.
The base commit is measured once before timing (the ratchet caches it by commit), as it would be
after the first check of a project.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.pypi import fetch_sdist, project_from_sdist, run

EDIT = '\n\ndef shout(text: str) -> str:\n    return text.upper() + "!"\n'


def _env() -> dict[str, str]:
    # As on a developer's machine: bytecode caches on (this sandbox sets PYTHONDONTWRITEBYTECODE,
    # which makes every start-up recompile), no measuring parent leaking coverage settings.
    return {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("COVERAGE_")
    }


def once(argv: list[str | Path], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{argv} failed ({result.returncode}):\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", default="click==8.5.1")
    parser.add_argument("--package", default="click", help="the package --cov measures by hand")
    parser.add_argument("--edit", default="src/click/utils.py", help="the file the one-function edit goes to")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--edit-old",
        help="edit inside an existing function instead: the line to put --edit-new before "
        "(a new function no test runs lowers coverage, which the ratchet refuses)",
    )
    parser.add_argument("--edit-new", default="_ = 0  # an edit")
    parser.add_argument(
        "--deps", nargs="*", default=[], help="the project's own test dependencies (itsdangerous: freezegun)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stepcommit-bench-") as tmp:
        where = Path(tmp)
        print(f"fetching {args.project} and preparing its .venv ...", flush=True)
        project = project_from_sdist(
            fetch_sdist(args.project, where),
            where / "src",
            extra=("pytest", "coverage", "pytest-cov", "ruff", *args.deps),
        )
        python = project / ".venv" / "bin" / "python"
        stepcommit = [sys.executable, "-m", "stepcommit"]
        run(*stepcommit, "check", cwd=project)  # measures and caches the base commit (the ratchet)
        target = project / args.edit
        if args.edit_old:  # a line before --edit-old, at its indentation
            text = target.read_text(encoding="utf-8")
            if args.edit_old not in text:
                raise SystemExit(f"--edit-old is not in {args.edit}: {args.edit_old!r}")
            indent = args.edit_old[: len(args.edit_old) - len(args.edit_old.lstrip())]
            new = f"{indent}{args.edit_new}\n{args.edit_old}"
            target.write_text(text.replace(args.edit_old, new, 1), encoding="utf-8")
        else:
            with target.open("a", encoding="utf-8") as handle:
                handle.write(EDIT)

        pytest_cov = [python, "-m", "pytest", f"--cov={args.package}", "-q", "-p", "no:cacheprovider"]
        ruff = [project / ".venv" / "bin" / "ruff", "check", "--no-fix", args.edit]
        once(pytest_cov, project)  # warm the bytecode caches of both sides
        once([*stepcommit, "check", "--no-cache"], project)
        hand_times, check_times = [], []
        for _ in range(args.repeat):  # interleaved, so a noisy neighbour hits both sides alike
            hand_times.append(once(pytest_cov, project) + once(ruff, project))
            check_times.append(once([*stepcommit, "check", "--no-cache"], project))
        cached_times = [once([*stepcommit, "check"], project) for _ in range(max(args.repeat, 5))]
        run("git", "add", "-A", cwd=project)  # as a commit would stage it: the hook sees the same tree
        hook_times = [once([*stepcommit, "check", "--hook"], project) for _ in range(max(args.repeat, 5))]
        tests = subprocess.run(
            [python, "-m", "pytest", "--collect-only", "-q"], cwd=project, capture_output=True, text=True
        )
        count = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else "?"

    hand, check, cached, hook = (
        statistics.median(t) for t in (hand_times, check_times, cached_times, hook_times)
    )
    print(f"project:                      {args.project} ({count})")
    print(f"runs:                         {args.repeat} of each, interleaved; median (min)")
    print(f"by hand (pytest --cov + ruff): {hand:7.2f} s ({min(hand_times):.2f})")
    print(f"stepcommit check --no-cache:  {check:7.2f} s ({min(check_times):.2f})")
    print(
        f"ratio:                        {check / hand:7.2f} x ({min(check_times) / min(hand_times):.2f})   target <= 1.10"
    )
    print(f"cached re-check (check):      {cached:7.3f} s ({min(cached_times):.3f})")
    print(f"cached hook (check --hook):   {hook:7.3f} s ({min(hook_times):.3f})   target <= 0.15")


if __name__ == "__main__":
    main()
