"""The incremental gate on a real project from PyPI: exact totals after real edits, and its speed.

    uv run python -m benchmarks.incremental [--project click==8.5.1] [--repeat 3]

It fetches the project's sdist into a temporary folder, gives it a .venv, turns on
`[tool.stepcommit] incremental = true`, builds the per-test store with `stepcommit check --full`, then:

equality  replays scripted edits one after the other (a function body, a method body, import-time
          code, a test's body, a new test module, conftest.py), and after each compares the total and
          every file's executed lines and summary from `stepcommit check` with coverage.py's own JSON
          report of a full `coverage run -m pytest` of the same tree;
speed     times, interleaved, a full `pytest --cov=<pkg>` of the tree against `stepcommit check` gating
          a one-function edit (the edit and its undo alternate, so every timed gate is incremental);
size      prints the store's size on disk and the gate process's peak memory (after the merge).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.gate_speed import _env, once
from benchmarks.pypi import fetch_sdist, project_from_sdist, run

FUNCTION_EDIT = (
    "src/click/utils.py",
    '    if not words:\n        return ""\n',
    '    if not words:\n        return ""\n    if len(words) > 10_000:  # an edit\n        words = words[:10_000]\n',
)

# Applied in order, each on top of the last (file, old text, new text); None as old text appends.
EDITS: list[tuple[str, str, str | None, str]] = [
    ("a function body", *FUNCTION_EDIT),
    (
        "a method body",
        "src/click/core.py",
        "        if rv is None:\n            self.obj = rv = object_type()\n",
        "        if rv is None:\n            rv = object_type()\n            self.obj = rv\n",
    ),
    (
        "import-time code",
        "src/click/termui.py",
        "\n\ndef hidden_prompt_func(",
        "\n\nEDITED = True\n\n\ndef hidden_prompt_func(",
    ),
    (
        "a test's body",
        "tests/test_basic.py",
        '    result = runner.invoke(cli, [])\n    assert not result.exception\n    assert "I EXECUTED" in result.output\n',
        '    result = runner.invoke(cli, [])\n    assert result.exception is None\n    assert "I EXECUTED" in result.output\n',
    ),
    (
        "a new test module",
        "tests/test_bench_new.py",
        None,
        "import click\n\n\ndef test_style_bold():\n    assert click.style('x', bold=True) != 'x'\n",
    ),
    ("conftest.py", "tests/conftest.py", None, "\n\n# an edit\n"),
]


def apply(project: Path, path: str, old: str | None, new: str) -> None:
    target = project / path
    if old is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(new)
        return
    text = target.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"the edit of {path} no longer applies: its text changed upstream")
    target.write_text(text.replace(old, new, 1), encoding="utf-8")


def check(stepcommit: list[str], project: Path) -> tuple[float, dict, list[str]]:
    """`stepcommit check --no-cache --json` (the ratchet off: edits may lower coverage)."""
    env = _env() | {"STEPCOMMIT_TIMING": "1"}
    start = time.perf_counter()
    result = subprocess.run(
        [*stepcommit, "check", "--no-cache", "--json"], cwd=project, capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - start
    data = json.loads(result.stdout)
    if data.get("coverage") is None:
        raise SystemExit(f"check measured nothing: {data.get('problems')}\n{result.stderr[-2000:]}")
    timings = [line for line in result.stderr.splitlines() if line.startswith("stepcommit-timing")]
    return elapsed, data, timings


def reference(python: Path, project: Path, where: Path) -> dict:
    data, out = where / "ref.coverage", where / "ref.json"
    subprocess.run(
        [python, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, env=_env(), check=False,
    )  # fmt: skip
    subprocess.run(
        [python, "-m", "coverage", "json", f"--data-file={data}", "-o", out],
        cwd=project, capture_output=True, env=_env(), check=True,
    )  # fmt: skip
    data.unlink()
    return json.loads(out.read_text())


def compare(project: Path, ref: dict) -> tuple[bool, float]:
    ours = json.loads((project / ".git/stepcommit/run/coverage.json").read_text())
    gap = abs(ours["totals"]["percent_covered"] - ref["totals"]["percent_covered"])
    same = set(ours["files"]) == set(ref["files"]) and all(
        ours["files"][n]["executed_lines"] == f["executed_lines"]
        and ours["files"][n]["summary"] == f["summary"]
        for n, f in ref["files"].items()
    )
    return same and ours["totals"] == ref["totals"], gap


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", default="click==8.5.1")
    parser.add_argument("--package", default="click", help="the package --cov measures by hand")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print the gate's phase times")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stepcommit-incremental-") as tmp:
        where = Path(tmp)
        print(f"fetching {args.project} and preparing its .venv ...", flush=True)
        project = project_from_sdist(
            fetch_sdist(args.project, where), where / "src", extra=("pytest", "coverage", "pytest-cov")
        )
        python = project / ".venv" / "bin" / "python"
        with (project / ".gitignore").open("a", encoding="utf-8") as handle:
            handle.write(".coverage\n.coverage.*\n.pytest_cache/\n")  # as `stepcommit init` writes it
        with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n[tool.stepcommit]\nincremental = true\nratchet = false\nlint = false\n")
        run("git", "commit", "-qam", "chore: incremental gate", cwd=project)
        stepcommit = [sys.executable, "-m", "stepcommit"]
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        once([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"], project)  # bytecode caches
        full_store = once([*stepcommit, "check", "--full", "--no-cache"], project)
        store = project / ".git/stepcommit/testcov"
        size = sum(p.stat().st_size for p in store.iterdir() if p.is_file())
        print(
            f"store built by a full run with per-test contexts in {full_store:.2f} s; {size / 1e6:.1f} MB on disk"
        )

        print("\nequality after each edit (stepcommit check vs a full `coverage run -m pytest`):")
        all_same = True
        for label, path, old, new in EDITS:
            apply(project, path, old, new)
            elapsed, data, timings = check(stepcommit, project)
            same, gap = compare(project, reference(python, project, where))
            all_same &= same
            how = data.get("measured") or next(
                (n for n in data.get("notes", []) if "incremental" in n), "full run"
            )
            print(f"  {label:20} {data['coverage_display']:>6}%  {'equal' if same else 'DIFFERENT'} "
                  f"(gap {gap:.6f} points)  {elapsed:6.2f} s  {how}")  # fmt: skip
            if args.verbose:
                print("    " + "; ".join(t.removeprefix("stepcommit-timing ") for t in timings))
        for label, path, _old, _new in reversed(EDITS):  # back to the sdist's own tree
            run("git", "checkout", "--", path, cwd=project) if label not in (
                "a new test module", "conftest.py") else None  # fmt: skip
        (project / "tests/test_bench_new.py").unlink()
        run("git", "checkout", "--", "tests/conftest.py", cwd=project)
        once([*stepcommit, "check", "--full", "--no-cache"], project)

        print(f"\nspeed of a one-function edit ({FUNCTION_EDIT[0]}), {args.repeat} runs interleaved:")
        pytest_cov = [python, "-m", "pytest", f"--cov={args.package}", "-q", "-p", "no:cacheprovider"]
        full_times, gate_times, peaks = [], [], []
        for _ in range(args.repeat):
            full_times.append(once(pytest_cov, project))
            apply(project, *FUNCTION_EDIT)
            elapsed, data, timings = check(stepcommit, project)
            gate_times.append(elapsed)
            peaks.extend(int(t.rsplit("=", 1)[1]) for t in timings if "peak_rss_kb=" in t and " merge " in t)
            assert data.get("measured"), data
            run("git", "checkout", "--", FUNCTION_EDIT[0], cwd=project)
            check(stepcommit, project)  # the undo, gated too, so the next edit is against the store's tree
        full, gate = statistics.median(full_times), statistics.median(gate_times)
        count = data["measured"]
        print(f"  full `pytest --cov={args.package}`:  {full:7.2f} s (min {min(full_times):.2f})")
        print(f"  stepcommit check ({count}): {gate:7.2f} s (min {min(gate_times):.2f})")
        print(
            f"  speed-up:                     {full / gate:7.2f} x (best {min(full_times) / min(gate_times):.2f})   target >= 5"
        )
        if peaks:
            print(f"  peak memory of the test process after the merge: {max(peaks) / 1024:.0f} MB")
        print(f"\nequal after every edit: {'yes' if all_same else 'NO'}")
        if not all_same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
