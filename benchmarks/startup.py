"""Fixed costs of the CLI: `uv run python benchmarks/startup.py [calls]`.

Makes a throw-away project (a package, one test, a plan), gates it once with `stepcommit check`,
stages the tree, then times, as medians of `calls` runs (20 by default): `stepcommit --help`,
`stepcommit status`, `stepcommit plan`, and `stepcommit check --hook` on the staged tree that just
passed (what every commit runs); then commits, starts the plan's step, edits, checks, and times
`stepcommit status` during the step (the plan read, the gated tree compared with the work). Each is printed beside bare `python -c pass` (the floor no Python
program goes under) with the ratio to the 0.15 s goal. Run it with another checkout's interpreter
(`/path/to/other/.venv/bin/python benchmarks/startup.py`) to compare two versions.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

GOAL = 0.15
FILES = {
    "PLAN.md": "# Plan\n\n- [ ] **1.1. Add**\n- [ ] **1.2. More**\n",
    "calc/__init__.py": "def add(a, b):\n    return a + b\n",
    "tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    ".gitignore": "__pycache__/\n",
}


def _cpu() -> float:
    """CPU seconds of the waited-for children (and theirs: git under stepcommit), user and system."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _median(argv: list[str], cwd: Path, env: dict[str, str], calls: int) -> Timing:
    walls, cpus = [], []
    for _ in range(calls):
        started, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return Timing(statistics.median(walls), statistics.median(cpus))


class Timing(NamedTuple):
    """Medians of wall-clock and CPU seconds: on a shared machine the CPU time is the steadier."""

    wall: float
    cpu: float


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    program = str(Path(sys.executable).parent / "stepcommit")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(root / "gitconfig")}
        env.pop(
            "PYTHONDONTWRITEBYTECODE", None
        )  # the sandbox sets it: without bytecode caches every start compiles
        (root / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
        project = root / "project"
        for name, text in FILES.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text, encoding="utf-8")
        for argv in (
            ["git", "init", "-q", "-b", "main"],
            ["git", "add", "-A"],
            ["git", "commit", "-qm", "init"],
        ):
            subprocess.run(argv, cwd=project, env=env, check=True)
        (project / "calc" / "__init__.py").write_text(
            FILES["calc/__init__.py"] + "\n\ndef two():\n    return 2\n"
        )
        (project / "tests" / "test_two.py").write_text(
            "from calc import two\n\n\ndef test_two():\n    assert two() == 2\n"
        )
        subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
        subprocess.run([program, "check", "--hook"], cwd=project, env=env, check=True, capture_output=True)
        floor = _median([sys.executable, "-c", "pass"], project, env, calls)
        print(
            f"python -c pass: median {floor.wall:.3f} s (CPU {floor.cpu:.3f} s) over {calls} calls (the floor)"
        )
        for args in (["--help"], ["status"], ["plan"], ["check", "--hook"], ["check"]):
            _report(args, _median([program, *args], project, env, calls), floor)
        subprocess.run(["git", "commit", "-qm", "two"], cwd=project, env=env, check=True)
        subprocess.run([program, "start"], cwd=project, env=env, check=True, capture_output=True)
        (project / "calc" / "three.py").write_text("THREE = 3\n")
        (project / "tests" / "test_three.py").write_text(
            "from calc.three import THREE\n\n\ndef test_three():\n    assert THREE == 3\n"
        )
        subprocess.run([program, "check"], cwd=project, env=env, check=True, capture_output=True)
        _report(["status"], _median([program, "status"], project, env, calls), floor, "during a step")


def _report(args: list[str], median: Timing, floor: Timing, when: str = "") -> None:
    verdict = "within" if median.wall <= GOAL else "OVER"
    print(f"stepcommit {' '.join(args)}{f' ({when})' if when else ''}: median {median.wall:.3f} s "
          f"(CPU {median.cpu:.3f} s); {median.wall / floor.wall:.1f}x the floor; "
          f"{median.wall / GOAL:.2f}x the {GOAL} s goal ({verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
