"""`stepcommit watch`: the pytest-watcher command as data, and one real short run."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepcommit import git as git_mod
from stepcommit.cli import app
from stepcommit.commands.watch import blocks_cacheprovider, plan_for, status_line, watch_plan
from tests.conftest import PACKAGE, write


def test_runner_is_a_bare_executable_and_testmon_data_leaves_the_work_tree(tmp_path: Path) -> None:
    plan = watch_plan(root=tmp_path, python=["uv", "run", "python"], has_testmon=True, unblock_cache=False,
                      datafile=tmp_path / ".git/stepcommit/testmondata", pytest_args=["-x"])  # fmt: skip
    argv = list(plan.argv)
    assert argv[argv.index("--runner") + 1] == "uv"
    assert argv[argv.index("--runner") + 2 :] == ["run", "python", "-m", "pytest", "--testmon", "-x"]
    assert "--now" in argv and "--delay" not in argv
    assert dict(plan.env_overrides) == {"TESTMON_DATAFILE": str(tmp_path / ".git/stepcommit/testmondata")}
    assert plan.notes == ()


def test_cacheprovider_is_unblocked_and_missing_testmon_explained(tmp_path: Path) -> None:
    unblocked = watch_plan(
        root=tmp_path, python=["py"], has_testmon=True, unblock_cache=True, datafile=tmp_path
    )
    assert list(unblocked.argv)[-2:] == ["-p", "cacheprovider"] and "crashes" in unblocked.notes[0]
    plain = watch_plan(root=tmp_path, python=["py"], has_testmon=False, unblock_cache=False, datafile=tmp_path,
                       now=False, clear=True)  # fmt: skip
    assert "--testmon" not in plain.argv and "--clear" in plain.argv and "--now" not in plain.argv
    assert plain.env_overrides == () and "pytest-testmon is not installed" in plain.notes[0]


@pytest.mark.parametrize(
    ("texts", "args", "env", "expected"),
    [
        (['[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider"'], [], "", True),
        ([], ["-pno:cacheprovider"], "", True),
        ([], [], "-p no:cacheprovider", True),
        (["[pytest]\naddopts = -ra"], ["-x"], "", False),
    ],
)
def test_blocks_cacheprovider(texts: list[str], args: list[str], env: str, expected: bool) -> None:
    assert blocks_cacheprovider(texts, args, env) is expected


def test_status_line_without_and_with_a_measurement(project: Path) -> None:
    assert "no full measurement yet" in status_line(project / ".git")


class Watching:
    """`stepcommit watch`'s pytest-watcher command running on ``project``, its output collected."""

    def __init__(self, project: Path) -> None:
        repo = git_mod.find_repo(project)
        plan = plan_for(repo.root, repo.git_dir, [], now=True, clear=False)
        env = {**os.environ, **dict(plan.env_overrides)}
        self.child = subprocess.Popen(plan.argv, cwd=project, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      start_new_session=True)  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def summaries(self) -> list[str]:
        return [line for line in self.lines if " passed" in line]

    def wait_for_runs(self, count: int, seconds: float = 40) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.summaries()) < count:
            time.sleep(0.2)

    def stop(self) -> int:
        time.sleep(1.0)  # pytest's own teardown after its summary line
        os.killpg(self.child.pid, signal.SIGINT)  # Ctrl-C
        code = self.child.wait(timeout=15)
        self.reader.join(timeout=5)
        return code


def test_a_real_short_run_reruns_with_testmon(project: Path) -> None:
    watching = Watching(project)
    watching.wait_for_runs(1, seconds=30)
    assert watching.stop() == 130
    out = watching.output
    assert (project / ".git" / "stepcommit" / "testmondata").exists(), out
    assert "1 passed" in out and "testmon:" in out
    assert not (project / ".testmondata").exists()


def test_an_edit_reruns_only_the_tests_it_affects(project: Path) -> None:
    unused = "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
    write(project, {"tests/test_unused.py": unused})
    watching = Watching(project)
    try:
        watching.wait_for_runs(1)
        assert "2 passed" in watching.summaries()[0], watching.output
        time.sleep(1.0)
        # An edit of unused() only: testmon reruns test_unused, not test_add.
        source = project / "calc" / "__init__.py"
        source.write_text(source.read_text().replace("return a * 2", "return a + a"))
        watching.wait_for_runs(2)
    finally:
        watching.stop()
    out = watching.output
    second = watching.summaries()[1:]
    assert second and "1 passed" in second[0], out
    rerun = out.split("Detected modified", 1)[1]
    assert "tests/test_unused.py ." in rerun and "tests/test_add.py" not in rerun, out


def test_cli_wiring_hook_agent_and_message(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    payload = '{"type": "agent-turn-complete", "last-assistant-message": "Did the step."}'
    result = CliRunner().invoke(app, ["hook", "agent", "--agent", "codex", payload])
    assert result.exit_code == 0, result.output
    msg = project / "msg.txt"
    msg.write_text("fix: x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["hook", "message", str(msg), "message"])
    assert result.exit_code == 0, result.output
    assert msg.read_text(encoding="utf-8") == "fix: x\n\nProgress Updates\n1 Did the step.\n"
    stdin = CliRunner().invoke(app, ["hook", "agent", "--agent", "cursor"], input="{}")
    # Cursor reads the hook's answer on stdout; the note about the unknown payload goes to stderr.
    assert stdin.exit_code == 0 and stdin.stdout.strip() == "{}"


def test_nested_files_are_watched_unless_the_project_names_its_own_patterns(project: Path) -> None:
    repo = git_mod.find_repo(project)
    plan = plan_for(repo.root, repo.git_dir, [], now=True, clear=False)
    assert plan.argv[plan.argv.index("--patterns") + 1] == "*.py,**/*.py"
    write(project, {"pyproject.toml": '[tool.pytest-watcher]\npatterns = ["src/*.py"]\n'})
    assert "--patterns" not in plan_for(repo.root, repo.git_dir, [], now=True, clear=False).argv


def test_with_a_store_each_change_reruns_the_selected_tests_and_shows_the_exact_total(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stepcommit.commands.check import check
    from stepcommit.commands.watch import has_store, watch_store
    from stepcommit.config import load
    from stepcommit.gates.testrun import run_tests

    unused = "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
    write(project, {"tests/test_unused.py": unused, "calc/__init__.py": PACKAGE + "\n\ndef never():\n    return 1\n",
                    "pyproject.toml": "[tool.stepcommit]\nincremental = true\n"})  # fmt: skip
    repo = git_mod.find_repo(project)
    assert not has_store(repo.git_dir)
    assert check(cwd=project) == 0  # the first incremental check builds the store
    assert has_store(repo.git_dir)
    source = project / "calc" / "__init__.py"
    edits = iter([lambda: source.write_text(source.read_text().replace("return a * 2", "return a + a"))])
    capsys.readouterr()
    cfg = load(project)
    assert (
        watch_store(repo, cfg, now=False, poll=0.05, runs=1, on_idle=lambda: next(edits, lambda: None)()) == 0
    )
    line = capsys.readouterr().out.strip()
    assert line.startswith("Tests: 1 passed") and "(incremental: 1 of 2 tests)" in line, line
    full = run_tests(repo, cfg, per_test="off")  # the oracle: a full run of the same tree
    assert full.coverage is not None and full.coverage.display != "100.00"
    assert line.endswith(f"; coverage {full.coverage.display}% (exact total)"), line


def test_with_a_store_watch_reruns_under_xdist_when_addopts_has_n(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from stepcommit.commands.watch import has_store, watch_store
    from stepcommit.config import load
    from stepcommit.gates.testrun import run_tests

    unused = "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"
    write(project, {"tests/test_unused.py": unused,
                    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-n 2"\n\n'
                    "[tool.stepcommit]\nincremental = true\nxdist_serial_below = 0\n"})  # fmt: skip
    repo = git_mod.find_repo(project)
    cfg = load(project)
    assert run_tests(repo, cfg, per_test="auto").ok and has_store(repo.git_dir)  # from both workers' contexts
    results = project / ".git" / "stepcommit" / "run" / "results.json"
    assert json.loads(results.read_text())["workers"] == 2
    source = project / "calc" / "__init__.py"
    edits = iter([lambda: source.write_text(source.read_text().replace("return a * 2", "return a + a"))])
    capsys.readouterr()
    assert (
        watch_store(repo, cfg, now=False, poll=0.05, runs=1, on_idle=lambda: next(edits, lambda: None)()) == 0
    )
    line = capsys.readouterr().out.strip()
    assert line.startswith("Tests: 1 passed") and "(incremental: 1 of 2 tests)" in line, line
    assert json.loads(results.read_text())["workers"] == 2  # the rerun ran under the workers too
    full = run_tests(repo, cfg, per_test="off")  # the oracle: a full run of the same tree
    assert full.coverage is not None
    assert line.endswith(f"; coverage {full.coverage.display}% (exact total)"), line
