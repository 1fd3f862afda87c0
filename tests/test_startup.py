"""Fixed costs: the hook's cached verdict answered before the heavy modules load, the probe cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepcommit import __version__, verdict_cache
from stepcommit.commands.check import check
from stepcommit.commands.start import start
from tests.commands.test_finish_tracker import PROGRESS  # a tracker plan: status table, phase sections
from tests.conftest import PACKAGE, commit_all, git, write

NEW_FILES = {
    "calc/more.py": "X = 1\n",
    "tests/test_more.py": "from calc.more import X\n\n\ndef test_x():\n    assert X == 1\n",
}


def _hook(project: Path, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`stepcommit check --hook` as a commit runs it, with the imports it made on stderr."""
    import os

    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stepcommit", "check", "--hook"],
        cwd=project, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def _imported(stderr: str) -> set[str]:
    return {
        line.rpartition("|")[2].strip() for line in stderr.splitlines() if line.startswith("import time:")
    }


def test_the_hook_answers_a_passed_tree_without_loading_typer_or_the_gates(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    git(project, "add", "-A")
    done = _hook(project)
    assert done.returncode == 0, done.stderr
    assert "Tests: 2 passed" in done.stdout and "(cached: this exact tree passed before)" in done.stdout
    assert "Coverage: " in done.stdout
    imported = _imported(done.stderr)
    assert "stepcommit.verdict_cache" in imported
    assert not {"typer", "rich", "detect_secrets", "stepcommit.gates.gate"} & imported


def test_a_check_of_a_passed_tree_replays_its_verdict_before_the_scan_and_the_gate(project: Path) -> None:
    write(project, NEW_FILES)
    first = subprocess.run([sys.executable, "-m", "stepcommit", "check"], cwd=project, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert first.returncode == 0, first.stderr
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "stepcommit", "check"], cwd=project,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Tests: 2 passed" in done.stdout and "(cached: this exact tree passed before)" in done.stdout
    assert not {"typer", "detect_secrets", "stepcommit.gates.gate"} & _imported(done.stderr)
    # What typer's `check` prints for the same tree is the same replay.
    slow = subprocess.run([sys.executable, "-c", _TYPER, "check"], cwd=project, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert (slow.returncode, slow.stdout) == (0, done.stdout)
    write(project, {"calc/more.py": "X = 1  # an edit\n"})  # another tree: scanned and gated again
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "stepcommit", "check"], cwd=project,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "(cached: this exact tree passed before)" not in again.stdout
    assert {"detect_secrets", "stepcommit.gates.gate"} <= _imported(again.stderr)


def test_a_staged_tree_that_differs_is_gated_in_full(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    write(project, {"calc/more.py": "X = 1\nY = 2\n"})
    git(project, "add", "-A")
    done = _hook(project)
    assert done.returncode == 0, done.stderr
    assert "stepcommit.gates.gate" in _imported(done.stderr)  # no replay: the gate ran (on its own cache)


def test_allowances_in_the_hook_skip_the_replay(project: Path) -> None:
    write(project, NEW_FILES)
    assert check(cwd=project) == 0
    git(project, "add", "-A")
    done = _hook(project, env={"STEPCOMMIT_ALLOW": "skips: a reason"})
    assert done.returncode == 0, done.stderr
    assert "stepcommit.gates.gate" in _imported(done.stderr)  # no replay: the gate ran (on its own cache)


@pytest.mark.parametrize(
    ("change", "expected"),
    [({}, True), ({"tree": "b" * 40}, False), ({"base": None}, False), ({"key": "other"}, False),
     ({"version": "0.0.0"}, False), ({"lines": "oops"}, False)],
)  # fmt: skip
def test_a_verdict_matches_only_its_tree_base_config_and_version(
    change: dict[str, object], expected: bool
) -> None:
    data = {"tree": "a" * 40, "base": "c" * 40, "key": "k", "version": __version__,
            "lines": [["say", "Tests: 1 passed"]]} | change  # fmt: skip
    found = verdict_cache.matching(data, tree="a" * 40, base="c" * 40, key="k")
    assert (found == [("say", "Tests: 1 passed")]) is expected
    assert verdict_cache.matching(None, tree="a", base=None, key="k") is None


def _probes(cache: Path) -> list[int]:
    import json

    return [entry["probes"] for entry in json.loads(cache.read_text()).values()]


def test_the_interpreter_probe_runs_once_per_environment(tmp_path: Path) -> None:
    from stepcommit.gates.testrun import probe_modules

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = [str(venv / "bin" / "python")]
    cache = tmp_path / "git" / "stepcommit" / "probe.json"
    cache.parent.mkdir(parents=True)
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": False}
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": False}
    assert _probes(cache) == [1]  # the second answer came from the cache, no process ran
    (site,) = venv.glob("lib/python3*/site-packages")
    (site / "pytest_cov.py").write_text("", encoding="utf-8")  # the environment changed: a new package
    assert probe_modules(python, tmp_path, {}, ("pytest_cov",), cache) == {"pytest_cov": True}
    assert _probes(cache) == [2]


def test_a_gate_with_a_configured_interpreter_probes_it_once(project: Path) -> None:
    from stepcommit.config import load
    from stepcommit.gates.testrun import runner
    from stepcommit.git import find_repo
    from stepcommit.state import StateDir

    write(project, {"pyproject.toml": f'[tool.stepcommit]\npython = ["{sys.executable}"]\n'})
    repo, cfg = find_repo(project), load(project)
    first, second = runner(repo, cfg), runner(repo, cfg)
    assert first.has_pytest_cov is second.has_pytest_cov is True
    assert _probes(StateDir(repo.git_dir).probe) == [1]
    assert check(cwd=project) == 0  # a whole gate on the cached answer
    assert _probes(StateDir(repo.git_dir).probe) == [1]


def test_the_stored_help_is_what_typer_prints() -> None:
    from benchmarks.write_help import typer_help
    from stepcommit import entry

    stored = entry.stored_help("stepcommit", 120)
    assert stored == typer_help(), (
        "stepcommit/help.txt is stale: run `uv run python benchmarks/write_help.py`"
    )
    assert "Usage: stepcommit [OPTIONS] COMMAND [ARGS]..." in stored
    assert entry.stored_help("stepcommit", 79) is None  # click wraps narrower terminals otherwise
    assert entry.stored_help("python -m stepcommit", 120) is None


# --- `status` and `plan` without typer, the plan read once, lazy patterns -------------------------


# Runs the program in-process as the installed one does, then tells what the call loaded and which
# lazy patterns it compiled, and how often it opened the plan file (argv[1]).
_PROBE = """\
import gc, json, runpy, sys
plan, report, sys.argv = sys.argv[1], sys.argv[2], ["stepcommit", *sys.argv[3:]]
opened = []
sys.addaudithook(lambda event, args: opened.append(1) if event == "open" and str(args[0]) == plan else None)
try:
    runpy.run_module("stepcommit", run_name="__main__")
except SystemExit:
    pass
from stepcommit.lazy_re import LazyPattern
compiled = []
for name, module in list(sys.modules.items()):
    if name.startswith("stepcommit"):
        for attr, value in vars(module).items():
            for one in value if isinstance(value, tuple) else (value,):
                if isinstance(one, LazyPattern) and one.is_compiled:
                    compiled.append(f"{name}.{attr}")
with open(report, "w") as handle:
    json.dump({"modules": sorted(sys.modules), "compiled": sorted(set(compiled)), "opened": len(opened),
               "gc": gc.isenabled()}, handle)
"""


def _probe(project: Path, *args: str, plan: str = "PLAN.md") -> tuple[str, dict[str, Any]]:
    """The program's output and what it loaded, compiled and opened (see _PROBE)."""
    report = project.parent / "probe.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(project / plan), str(report), *args],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(report.read_text())


def test_status_without_a_step_loads_neither_typer_nor_the_gate_nor_the_plan(project: Path) -> None:
    assert check(cwd=project) == 0  # a gate result for status to show
    stdout, seen = _probe(project, "status")
    assert "No step is active (on branch main)." in stdout and "Last gate (" in stdout
    assert not {"typer", "click", "rich", "stepcommit.cli", "stepcommit.gates.gate", "stepcommit.commands.check",
                "stepcommit.plan", "detect_secrets"} & set(seen["modules"])  # fmt: skip
    # Only the terminal boundary's cleaning ran; no secret, progress or message pattern was needed.
    assert set(seen["compiled"]) <= {"stepcommit.sanitize.ESCAPE", "stepcommit.sanitize._CONTROL"}
    assert seen["opened"] == 0


def test_status_during_a_step_reads_the_plan_once(project: Path) -> None:
    write(project, {"PROGRESS.md": PROGRESS})
    (project / "PLAN.md").unlink()
    commit_all(project, "chore: a tracker plan")
    assert start(cwd=project, query=None) == 0
    write(project, {"calc/__init__.py": '"""A calculator, edited."""\n' + PACKAGE})
    assert check(cwd=project) == 0  # a gate result of this step: status compares its tree with the work
    stdout, seen = _probe(project, "status", plan="PROGRESS.md")
    assert "Step 1: Subtraction" in stdout
    assert "to do (2):" in stdout and "- Add subtract()" in stdout
    assert "the work as it is now" in stdout  # the ticked tree is the one the check gated
    # No agent's hook ran here: neither the agents' modules nor tomlkit are needed to say so.
    assert not {"typer", "stepcommit.gates.gate", "stepcommit.agents", "tomlkit"} & set(seen["modules"])
    assert seen["opened"] == 1  # the to-do list and the tick from one read (before: two reads, four parses)
    # Again, the plan unchanged: its read step comes from the state folder, without the plan's readers.
    again, seen = _probe(project, "status", plan="PROGRESS.md")
    assert again == stdout
    assert not {"stepcommit.plan.reading", "stepcommit.plan.tracker"} & set(seen["modules"])
    assert seen["opened"] == 1  # the bytes, for their digest
    # An edit of the plan is read again.
    write(
        project, {"PROGRESS.md": PROGRESS.replace("- [ ] Add subtract()", "- [ ] Add subtract() and minus()")}
    )
    edited, seen = _probe(project, "status", plan="PROGRESS.md")
    assert "- Add subtract() and minus()" in edited and "stepcommit.plan.reading" in seen["modules"]


def test_plan_listed_again_unchanged_is_not_parsed_again(project: Path) -> None:
    first, seen = _probe(project, "plan")
    assert "1.2" in first and any(name.startswith("stepcommit.plan.") for name in seen["compiled"])
    again, seen = _probe(project, "plan")
    assert again == first
    assert not [name for name in seen["compiled"] if name.startswith("stepcommit.plan.")]
    write(project, {"PLAN.md": (project / "PLAN.md").read_text().replace("Subtraction", "Minus")})
    edited, _ = _probe(project, "plan")
    assert "Minus" in edited and "Subtraction" not in edited
    assert _probe(project, "plan", "--json")[0] != edited  # the same read, another view


def test_a_big_plan_is_kept_too(project: Path) -> None:
    # A 1.9 MB plan (over the 1 MB the caches once stopped at) costs a second to read: listed again
    # unchanged, and shown again by status during its step, it is not read again.
    prose = "Some prose about the step. " * 12
    steps = "".join(f"- [ ] **{n}. Step number {n}**\n\n{prose}\n\n" for n in range(1, 5200))
    write(project, {"PLAN.md": "# Plan\n\n" + steps})
    assert (project / "PLAN.md").stat().st_size > 1_800_000
    commit_all(project, "chore: a big plan")
    first, _ = _probe(project, "plan")
    again, seen = _probe(project, "plan")
    assert again == first and "Step number 5199" in again
    assert not [name for name in seen["compiled"] if name.startswith("stepcommit.plan.")]
    assert start(cwd=project, query=None) == 0
    shown, _ = _probe(project, "status")
    shown_again, seen = _probe(project, "status")
    assert shown_again == shown and "Step 1: Step number 1" in shown
    assert "stepcommit.plan.reading" not in seen["modules"]


def test_a_tick_that_writes_the_time_is_read_again_by_every_status(project: Path) -> None:
    # An ExecPlan's tick stamps the minute: a stored tick would soon be wrong.
    write(project, {"EXECPLAN.md": (Path(__file__).parent / "plan" / "corpus" / "execplan.md").read_text()})
    (project / "PLAN.md").unlink()
    commit_all(project, "chore: an ExecPlan")
    assert start(cwd=project, query=None) == 0
    for _ in range(2):
        stdout, seen = _probe(project, "status", plan="EXECPLAN.md")
        assert "Wire the toggle into the settings page" in stdout
        assert "stepcommit.plan.reading" in seen["modules"]


def test_status_during_a_step_of_a_markdown_plan_loads_only_what_it_reads(project: Path) -> None:
    assert start(cwd=project, query=None) == 0
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    assert check(cwd=project) == 0
    stdout, seen = _probe(project, "status")
    assert "Step 1.2: Subtraction" in stdout and "the work as it is now" in stdout
    # The other plan readers, the worktree listing (one checkout), and the temporary index's copy
    # do without tempfile and shutil (hashlib: the digest of the plan's bytes, see check.step_read).
    readers = {
        f"stepcommit.plan.{name}" for name in ("backlog", "frontmatter", "gsd", "taskform", "taskmaster")
    }
    assert not (readers | {"stepcommit.worktrees", "tempfile", "shutil"}) & set(seen["modules"])
    assert seen["gc"] is False  # a plain `status` runs without the cyclic collector
    assert _probe(project, "plan")[1]["gc"] is False
    assert _probe(project, "check", "--full")[1]["gc"] is True  # a gate keeps it


_TYPER = "import sys; from stepcommit.cli import main; main(sys.argv[1:])"


@pytest.mark.parametrize(
    "args",
    [["status"], ["status", "--json"], ["status", "--all"], ["status", "--json", "--all"], ["plan"],
     ["plan", "--json"], ["plan", "--parallel", "--json"]],
)  # fmt: skip
def test_a_plain_command_prints_what_the_typer_app_prints(project: Path, args: list[str]) -> None:
    assert start(cwd=project, query=None) == 0
    write(project, {"calc/more.py": "X = 1\n"})
    outside = project.parent / "not-a-repository"
    outside.mkdir()
    for cwd in (project, outside):
        fast, slow = (
            subprocess.run(
                [sys.executable, *how, *args], cwd=cwd, capture_output=True, text=True, timeout=300
            )
            for how in (["-m", "stepcommit"], ["-c", _TYPER])
        )
        assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
        assert fast.returncode == (0 if cwd == project else 1)
    assert "error: " in fast.stderr  # outside a repository: the boundary's message
    assert "typer" not in _probe(project, *args)[1]["modules"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["status"], {"as_json": False, "all_steps": False, "clear_errors": False}),
     (["status", "--all", "--json"], {"as_json": True, "all_steps": True, "clear_errors": False}),
     (["plan", "--parallel"], {"plan_path": None, "as_json": False, "parallel": True}),
     (["status", "--json", "--json"], None), (["status", "--help"], None), (["plan", "--plan", "P.md"], None),
     (["plan", "mark", "1.1", "done"], None), (["start"], None), ([], None),
     (["check", "--hook"], {"hook": True, "as_json": False, "full": False, "prompt": False}),
     (["check", "--no-cache"], None), (["check", "--allow", "skips"], None)],
)  # fmt: skip
def test_only_a_plain_command_with_its_own_flags_skips_typer(
    args: list[str], expected: dict[str, object] | None
) -> None:
    from stepcommit.entry import plain_call

    found = plain_call(args)
    assert (found[2] if found else None) == expected


def test_a_check_with_allowances_goes_to_typer_which_parses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from stepcommit.entry import ALLOW_ENV, plain_call

    assert plain_call(["check"]) is not None
    monkeypatch.setenv(ALLOW_ENV, "skips: a reason")
    assert plain_call(["check"]) is None


def test_the_once_read_step_agrees_with_the_separate_readers(project: Path) -> None:
    from stepcommit import git as g
    from stepcommit import state
    from stepcommit.commands.check import current_todo, step_now, ticked_tree

    write(project, {"PROGRESS.md": PROGRESS})
    commit_all(project, "chore: a tracker plan beside the plan")
    assert start(cwd=project, query=None, plan_path="PROGRESS.md") == 0
    repo = g.find_repo(project)
    active = state.load_active(repo.git_dir)
    assert active is not None
    disk = g.tree_only(repo)
    for plan_text in (PROGRESS, PROGRESS.replace("Phase 1: Subtraction", "Phase 1: Other"), b"\xff\xfe",
                      None):  # fmt: skip
        if plan_text is None:
            (project / "PROGRESS.md").unlink()
        elif isinstance(plan_text, bytes):
            (project / "PROGRESS.md").write_bytes(plan_text)
        else:
            write(project, {"PROGRESS.md": plan_text})
        now = step_now(repo, active)
        assert now.todo == current_todo(repo, active)
        assert now.ticked_tree(repo, disk) == ticked_tree(repo, active, disk)
    write(project, {"PROGRESS.md": PROGRESS, "pyproject.toml": "[tool.stepcommit]\nnope = 1\n"})
    now = step_now(repo, active)
    assert now.todo == current_todo(repo, active) == ()
    assert now.ticked_tree(repo, disk) == ticked_tree(repo, active, disk) == disk


def test_a_plain_command_whose_reader_went_away_exits_as_the_typer_app_does(project: Path) -> None:
    import os

    answers = []
    for how in (["-m", "stepcommit"], ["-c", _TYPER]):
        read, written = os.pipe()
        os.close(read)  # `stepcommit status | true`: nobody reads
        try:
            done = subprocess.run([sys.executable, *how, "status"], cwd=project, stdout=written,
                                  stderr=subprocess.PIPE, text=True, timeout=300)  # fmt: skip
        finally:
            os.close(written)
        answers.append((done.returncode, done.stderr))
    assert answers[0] == answers[1] == (1, "")  # quietly, as click does
