"""The honesty check end to end: real repositories, real pytest and coverage; `finish` refuses a step
that weakens the tests (naming the test, mark, line or setting) and leaves the tree untouched, `check`
names a test that asserts nothing, and an explained exception lands with its reason in the history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.commands.check import check
from stepcommit.commands.finish import finish
from stepcommit.commands.report import collect
from stepcommit.commands.start import start
from stepcommit.errors import ConfigError, GateFailed
from tests.commands.test_finish import do_step_work, tree_state
from tests.conftest import commit_all, git, write

SKIPPED_ADD = "import pytest\n\nfrom calc import add\n\n\n@pytest.mark.skip(reason='later')\ndef test_add():\n    assert add(2, 3) == 5\n"


KEEPS_ADD_COVERED = {
    "tests/test_sum.py": "from calc import add\n\n\ndef test_sum():\n    assert add(1, 1) == 2\n"
}
"""Another test of add(), so that removing or skipping test_add leaves coverage (and the ratchet) as it was."""


def refused(project: Path, *needles: str) -> GateFailed:
    """`finish` fails the gate, says every needle, and leaves files, index, HEAD and branches as they were."""
    before = tree_state(project)
    with pytest.raises(GateFailed) as info:
        finish(cwd=project)
    for needle in needles:
        assert needle in info.value.message
    assert "Nothing was committed" in info.value.hint
    assert tree_state(project) == before
    return info.value


def run_cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=project, capture_output=True, text=True, timeout=180,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_a_deleted_test_is_refused_by_name(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    (project / "tests" / "test_add.py").unlink()
    error = refused(project, "removed-tests: tests/test_add.py:4 tests/test_add.py::test_add")
    assert "--allow FINDING --reason TEXT" in error.message


def test_a_skip_added_to_an_existing_test_is_refused_with_its_line(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {"tests/test_add.py": SKIPPED_ADD})
    refused(project, "skips: tests/test_add.py:6 tests/test_add.py::test_add: new mark pytest.mark.skip")


def test_pragma_no_cover_is_refused_with_its_line(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    source = project / "calc" / "__init__.py"
    source.write_text(source.read_text().replace("def unused(a):", "def unused(a):  # pragma: no cover"))
    refused(
        project, "no-cover: calc/__init__.py:8: new coverage exclusion: def unused(a):  # pragma: no cover"
    )


def test_a_lowered_fail_under_is_refused_naming_the_setting(project: Path) -> None:
    write(project, {"pyproject.toml": "[tool.coverage.report]\nfail_under = 50\n"})
    commit_all(project, "chore: coverage floor")
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {"pyproject.toml": "[tool.coverage.report]\nfail_under = 40\n"})
    refused(project, "config: pyproject.toml:2: coverage fail_under lowered from 50 to 40")


def test_the_policy_turns_a_refusal_into_a_warning(project: Path) -> None:
    write(project, {"pyproject.toml": '[tool.stepcommit]\nhonesty = {skips = "warn"}\n'})
    commit_all(project, "chore: skips only warn")
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, {"tests/test_add.py": SKIPPED_ADD, **KEEPS_ADD_COVERED})
    assert finish(cwd=project) == 0
    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Honesty (warn): skips: tests/test_add.py:6 tests/test_add.py::test_add" in body
    assert git(project, "log", "-1", "--format=%(trailers:key=Skips-Added,valueonly)", "main").strip() == "1"


def test_a_bad_policy_is_a_config_error(project: Path) -> None:
    write(project, {"pyproject.toml": '[tool.stepcommit]\nhonesty = {skips = "never"}\n'})
    with pytest.raises(ConfigError, match="must be one of refuse, warn, off"):
        check(cwd=project)


def test_check_names_a_new_test_without_an_assertion(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start(cwd=project, query=None)
    write(project, {"tests/test_more.py": "from calc import add\n\n\ndef test_runs():\n    add(1, 2)\n"})
    assert check(cwd=project) == 0  # a warning by default
    out = capsys.readouterr().out
    assert (
        "[warn] weak-tests: tests/test_more.py:4 tests/test_more.py::test_runs: new test with no assertion of any kind"
        in out
    )
    assert check(cwd=project, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["honesty"] == [
        {
            "kind": "weak-tests",
            "file": "tests/test_more.py",
            "line": 4,
            "test": "tests/test_more.py::test_runs",
            "detail": "new test with no assertion of any kind",
            "policy": "warn",
        }
    ]


def test_check_refuses_until_allowed_and_the_cache_does_not_hide_it(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, KEEPS_ADD_COVERED)
    (project / "tests" / "test_add.py").unlink()
    with pytest.raises(GateFailed, match="removed-tests"):
        check(cwd=project)
    assert check(cwd=project, allow={"removed-tests": "moved"}) == 0
    # The tree passed with an allowance: without one it is refused again, cache or not.
    with pytest.raises(GateFailed, match="removed-tests"):
        check(cwd=project)


def test_an_explained_removal_lands_with_its_reason_and_report_shows_it(project: Path) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    write(project, KEEPS_ADD_COVERED)
    (project / "tests" / "test_add.py").unlink()
    result = run_cli(
        project, "finish", "--allow", "removed-tests", "--reason", "moved to the integration suite"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "[allowed] removed-tests: tests/test_add.py:4 tests/test_add.py::test_add" in result.stdout
    body = git(project, "log", "-1", "--format=%B", "main")
    assert "Honesty (allowed): removed-tests: tests/test_add.py:4 tests/test_add.py::test_add" in body
    trailers = git(project, "log", "-1", "--format=%(trailers:only,unfold)", "main")
    assert "Allowed: removed-tests: moved to the integration suite\n" in trailers
    assert "Tests-Removed: 1\n" in trailers
    data = collect(project)
    assert data.steps[-1].allowed == ("removed-tests: moved to the integration suite",)
    shown = run_cli(project, "report")
    assert "1.2 (" in shown.stdout and "removed-tests: moved to the integration suite" in shown.stdout


def test_the_hook_takes_its_allowance_from_the_environment(project: Path) -> None:
    do_step_work(project)
    write(project, KEEPS_ADD_COVERED)
    (project / "tests" / "test_add.py").unlink()
    git(project, "add", "-A")
    refused_run = run_cli(project, "check", "--hook")
    assert refused_run.returncode != 0
    assert "removed-tests: tests/test_add.py:4 tests/test_add.py::test_add" in refused_run.stderr
    allowed = run_cli(
        project, "check", "--hook", env={"STEPCOMMIT_ALLOW": "removed-tests: folded into test_calc"}
    )
    assert allowed.returncode == 0, allowed.stderr
    # The commit the hook let through says so, as a step commit does.
    msg = project / ".git" / "COMMIT_EDITMSG"
    msg.write_text("test: fold test_add into test_calc\n")
    assert run_cli(project, "hook", "message", str(msg), "message").returncode == 0
    lines = msg.read_text().splitlines()
    assert "Allowed: removed-tests: folded into test_calc" in lines
    assert "Tests-Removed: 1" in lines
    bad = run_cli(project, "check", "--hook", "--allow", "removed-tests")
    assert bad.returncode != 0 and "--allow needs --reason" in bad.stderr


def test_with_the_per_test_store_only_tests_that_passed_at_the_base_count(project: Path) -> None:
    from stepcommit import git as g
    from stepcommit.config import Config
    from stepcommit.gates.gate import honesty_check, run_gate

    write(project, {"tests/test_broken.py": "def test_broken():\n    assert 1 + 1 == 3\n"})
    base = commit_all(project, "test: a broken test")
    repo = g.find_repo(project)
    cfg = Config(incremental=True)
    assert not run_gate(repo, cfg, g.tree_of(project, base), None, full=True).ok  # stores the base's outcomes
    (project / "tests" / "test_broken.py").unlink()
    (project / "tests" / "test_add.py").unlink()
    checked = honesty_check(repo, cfg, g.tree_only(repo), base, {})
    assert checked is not None
    assert [f.test for f in checked.findings] == ["tests/test_add.py::test_add"]  # test_broken never passed


def test_the_allowance_holds_for_the_landing_gate_when_the_base_moved(project: Path) -> None:
    start(cwd=project, query=None)
    git(project, "switch", "-q", "main")
    write(project, {"NOTES.md": "A note on main.\n"})
    main_tip = commit_all(project, "docs: a note")
    git(project, "switch", "-q", "step/1.2-subtraction")
    do_step_work(project)
    write(project, KEEPS_ADD_COVERED)
    (project / "tests" / "test_add.py").unlink()
    assert finish(cwd=project, allow={"removed-tests": "folded into test_sum"}) == 0
    assert git(project, "rev-parse", "main~1").strip() == main_tip  # landed on the moved base, gated again
    trailers = git(project, "log", "-1", "--format=%(trailers:only,unfold)", "main")
    assert "Allowed: removed-tests: folded into test_sum\nTests-Removed: 1\n" in trailers


def test_a_renamed_test_is_reported_as_a_rename(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start(cwd=project, query=None)
    do_step_work(project)
    (project / "tests" / "test_add.py").unlink()
    write(
        project,
        {"tests/test_calc.py": "from calc import add\n\n\ndef test_adds():\n    assert add(2, 3) == 5\n"},
    )
    assert check(cwd=project) == 0
    assert (
        "[rename] tests/test_add.py::test_add renamed to tests/test_calc.py::test_adds (not a removal)"
        in capsys.readouterr().out
    )


def test_the_agent_prompt_names_each_refused_finding() -> None:
    from stepcommit.commands.check import agent_prompt
    from stepcommit.gates.gate import GateResult
    from stepcommit.gates.honesty import Finding

    finding = Finding(
        "skips", "tests/test_add.py", 6, "new mark pytest.mark.skip", "tests/test_add.py::test_add"
    )
    result = GateResult(
        False, "0" * 40, ("honesty check: 1 skips finding (tests/test_add.py::test_add at tests/test_add.py:6)",),
        None, None, (), "", None, honesty=(finding,),
    )  # fmt: skip
    prompt = agent_prompt(result)
    assert prompt is not None
    assert (
        "[refuse] skips: tests/test_add.py:6 tests/test_add.py::test_add: new mark pytest.mark.skip" in prompt
    )
    assert prompt.endswith("Then run `stepcommit check` again.")
