"""The gate at scale, with default settings: packaging 26.3 (about 62,000 tests, branch coverage).

    uv run python -m benchmarks.scale [--project packaging==26.3] [--repeat 2] [--skip-xdist]

It fetches the sdist into a temporary folder, gives it a .venv with its test dependencies, and sets
only `ratchet = false` and `lint = false` in `[tool.stepcommit]` (the edit may lower coverage; no
linter is installed): the incremental gate is stepcommit's default. Then, twice, serial and under
`pytest_args = ["-n", "2"]` (pytest-xdist):

first check  `stepcommit check --no-cache` on the sdist's tree (a full run that builds the per-test
             store), its total against a full serial `coverage run -m pytest` of the same tree;
edit         --repeat times, interleaved: a full serial `coverage run -m pytest` of the tree, then a
             one-function edit gated by `stepcommit check --no-cache` (and its undo, gated too), the
             ratio of the two;
equal        the edited tree's total and every file's executed lines and summary from the gate
             against coverage.py's own JSON report of a full serial run of the edited tree.

The issue's targets: serial edit >= 15x faster than the full run, equal totals; under -n 2 the first
check's total equal to the serial one, an edit >= 5x faster than the full serial run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.incremental import check, compare
from benchmarks.pypi import fetch_sdist, project_from_sdist, run

EDIT_FILE = "src/packaging/utils.py"
EDIT_OLD = "    if validate and not _validate_regex.fullmatch(name):\n"
EDIT_NEW = "    _ = len(name)  # an edit\n" + EDIT_OLD
TEST_DEPS = ("pytest", "coverage", "pretend", "hypothesis", "tomli_w", "pip", "pytest-xdist")


def full_run(python: Path, project: Path, where: Path) -> tuple[float, dict]:
    """A full serial `coverage run -m pytest` (the project's own coverage settings) and its JSON report."""
    data, out = where / "full.coverage", where / "full.json"
    start = time.perf_counter()
    run(python, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-p", "no:xdist", cwd=project, timeout=3600)  # fmt: skip
    elapsed = time.perf_counter() - start
    run(python, "-m", "coverage", "json", f"--data-file={data}", "-o", out, "--fail-under=0", cwd=project)
    data.unlink()
    return elapsed, json.loads(out.read_text())


def edit(project: Path, on: bool) -> None:
    path = project / EDIT_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(EDIT_OLD, EDIT_NEW, 1) if on else text.replace(EDIT_NEW, EDIT_OLD, 1))


def settings(project: Path, extra: str) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f"\n[tool.stepcommit]\nratchet = false\nlint = false\n{extra}")
    run("git", "commit", "-qam", "chore: stepcommit settings", cwd=project)


def one_setting(
    label: str, project: Path, python: Path, where: Path, repeat: int, serial_total: float | None
):
    stepcommit = [sys.executable, "-m", "stepcommit"]
    print(f"\n== {label}", flush=True)
    first, data, _ = check(stepcommit, project)
    total = data["coverage"]
    print(f"  first check (full run, builds the store): {first:7.2f} s  total {data['coverage_display']}%")
    seconds, reference = full_run(python, project, where)
    first_same, _ = compare(project, reference)
    print(f"  its figures equal to a full serial run's, file by file: {'yes' if first_same else 'NO'}")
    if serial_total is not None:
        print(f"  equal to the serial first check's total: {'yes' if total == serial_total else 'NO'}")
        first_same = first_same and total == serial_total
    fulls, gates, how = [seconds], [], ""
    for _ in range(repeat):  # interleaved, so a noisy neighbour hits both sides alike
        fulls.append(full_run(python, project, where)[0])
        edit(project, True)
        elapsed, data, _ = check(stepcommit, project)
        gates.append(elapsed)
        how = data.get("measured") or "full run (" + "; ".join(data.get("notes", [])) + ")"
        edit(project, False)
        check(stepcommit, project)  # the undo, gated too: the next edit is against the store's tree
    edit(project, True)
    check(stepcommit, project)
    same, gap = compare(project, full_run(python, project, where)[1])
    edit(project, False)
    full, gate = statistics.median(fulls), statistics.median(gates)
    print(f"  full serial `coverage run -m pytest`: {full:7.2f} s median (min {min(fulls):.2f})")
    print(f"  gate of a one-function edit ({how}): {gate:7.2f} s median (min {min(gates):.2f})")
    print(f"  speed-up: {full / gate:.2f}x (best against best {min(fulls) / min(gates):.2f}x)")
    print(
        f"  edited tree's figures equal to a full run's, file by file: {'yes' if same else 'NO'} (gap {gap:.6f})"
    )
    return total, same and first_same


def prepare(requirement: str, where: Path) -> tuple[Path, Path]:
    """The sdist in ``where``, committed, with its .venv and the default settings; (project, its python)."""
    print(f"fetching {requirement} and preparing its .venv ...", flush=True)
    project = project_from_sdist(fetch_sdist(requirement, where), where / "src", extra=TEST_DEPS)
    with (project / ".gitignore").open("a", encoding="utf-8") as handle:
        handle.write(".pytest_cache/\n.hypothesis/\n")
    settings(project, "")
    return project, project / ".venv" / "bin" / "python"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", default="packaging==26.3")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-xdist", action="store_true")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a developer's machine: bytecode caches on
    with tempfile.TemporaryDirectory(prefix="stepcommit-scale-") as tmp:
        where = Path(tmp)
        project, python = prepare(args.project, where)
        count = run(python, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", cwd=project, timeout=1800)
        print(f"project: {args.project}, {count.strip().splitlines()[-1]}; python {sys.version.split()[0]}; "
              f"{os.cpu_count()} cores", flush=True)  # fmt: skip
        serial_total, ok = one_setting("default settings, serial", project, python, where, args.repeat, None)
        if not args.skip_xdist:
            run("git", "checkout", "-q", "--", EDIT_FILE, cwd=project)
            text = (project / "pyproject.toml").read_text(encoding="utf-8")
            (project / "pyproject.toml").write_text(text + 'pytest_args = ["-n", "2"]\n', encoding="utf-8")
            run("git", "commit", "-qam", "chore: run under pytest-xdist", cwd=project)
            _, ok_x = one_setting("default settings, -n 2", project, python, where, args.repeat, serial_total)
            ok = ok and ok_x
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
