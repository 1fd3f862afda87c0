"""`stepcommit check`: its base, a plan edited under an active step, the agent prompt, and the reports it writes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit import state
from stepcommit.commands.check import (
    agent_prompt,
    check,
    current_todo,
    current_verify,
    passed_lines,
    resolve_base,
    ticked_tree,
)
from stepcommit.commands.start import start
from stepcommit.errors import ConfigError
from stepcommit.gates.gate import GateResult
from stepcommit.gates.testrun import Failure
from tests.conftest import commit_all, git, write


def test_a_base_that_is_not_a_commit_or_shares_no_history_is_refused(project: Path) -> None:
    repo = g.find_repo(project)
    with pytest.raises(
        ConfigError, match=r"The base 'nope' \(--base nope\) is not a commit in this repository\."
    ):
        resolve_base(repo, "nope")
    git(project, "switch", "-q", "--orphan", "elsewhere")
    write(project, {"other.txt": "x\n"})
    commit_all(project, "chore: unrelated history")
    git(project, "switch", "-q", "main")
    with pytest.raises(
        ConfigError, match=r"The base 'elsewhere' \(--base elsewhere\) shares no history with HEAD\."
    ):
        resolve_base(repo, "elsewhere")


def test_a_plan_gone_or_without_the_step_falls_back_to_what_start_saved(project: Path) -> None:
    assert start(cwd=project, query="1.2") == 0
    repo = g.find_repo(project)
    active = state.load_active(repo.git_dir)
    assert active is not None
    disk = g.tree_only(repo)
    assert ticked_tree(repo, active, disk) != disk  # the plan ticked
    (project / "PLAN.md").unlink()
    assert ticked_tree(repo, active, g.tree_only(repo)) == g.tree_only(repo)
    write(project, {"PLAN.md": "# Plan\n\n- [ ] **7.1. Something else entirely**\n"})
    tree = g.tree_only(repo)
    assert ticked_tree(repo, active, tree) == tree  # finish says what is wrong with the plan
    assert current_verify(repo, active) == active.verify
    assert current_todo(repo, active) == ()


def _result(**fields: object) -> GateResult:
    base: dict[str, object] = dict(ok=False, tree="t", problems=(), tests=None, coverage=None, failures=(),
                                   output_tail="", previous=None)  # fmt: skip
    return GateResult(**{**base, **fields})  # type: ignore[arg-type]


def test_the_agent_prompt_lists_ten_failures_and_the_end_of_a_broken_run() -> None:
    failures = tuple(Failure(f"tests/test_x.py::test_{n}", f"\nassert {n} == 0\nmore") for n in range(12))
    tail = "\n".join(f"line {n}" for n in range(20))
    prompt = agent_prompt(_result(failures=failures))
    assert prompt is not None
    assert "- tests/test_x.py::test_9: assert 9 == 0" in prompt and "test_10:" not in prompt
    assert "- ... and 2 more" in prompt
    broken = agent_prompt(_result(problems=("the test run broke down",), output_tail=tail))
    assert broken is not None and "  line 5\n" in broken and "line 4\n" not in broken
    assert broken.endswith("Then run `stepcommit check` again.")


def test_a_pass_without_lint_or_coverage_says_only_the_tests() -> None:
    assert passed_lines(_result(ok=True)) == [("say", "Tests: ?")]


def test_junit_and_coverage_xml_are_written_for_the_exact_run(project: Path, tmp_path: Path) -> None:
    junit, cov = tmp_path / "out" / "junit.xml", tmp_path / "coverage.xml"
    junit.parent.mkdir()
    assert check(cwd=project, junit_xml=junit, coverage_xml=cov, use_cache=False) == 0
    suite = ET.parse(junit).getroot()
    assert "test_add" in ET.tostring(suite, encoding="unicode")
    root = ET.parse(cov).getroot()
    assert root.tag == "coverage" and float(root.get("line-rate", "0")) == pytest.approx(0.75)
