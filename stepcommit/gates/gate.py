"""The gate: tests under coverage, the coverage floor; its result stored against the tree it measured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepcommit import git, state
from stepcommit.config import Config
from stepcommit.gates.testrun import TestRun, run_tests


@dataclass(frozen=True)
class GateResult:
    ok: bool
    tree: str
    problems: tuple[str, ...]
    run: TestRun
    previous: str | None
    """The base commit's coverage figure, from its Coverage trailer."""

    def to_json(self) -> dict[str, Any]:
        cov = self.run.coverage
        tests = self.run.tests
        return {
            "ok": self.ok,
            "tree": self.tree,
            "time": state.now_iso(),
            "problems": list(self.problems),
            "tests": tests.summary() if tests else None,
            "failures": [{"test": f.test, "message": f.message} for f in self.run.failures],
            "coverage": cov.total if cov else None,
            "coverage_display": cov.display if cov else None,
            "previous_coverage": self.previous,
        }

    def explain(self) -> str:
        """What failed, for the user: the problems, the failing tests, the end of the output."""
        lines = [f"The gate failed: {'; '.join(self.problems)}."]
        if self.run.failures:
            lines.append("Failing tests:")
            lines.extend(f"  {f.test}: {f.message}" for f in self.run.failures[:20])
        if self.run.output_tail and not self.run.failures and self.run.problem:
            lines.append(self.run.output_tail)
        return "\n".join(lines)


def previous_coverage(root: Path, base_commit: str | None) -> str | None:
    return git.trailer(root, base_commit, "Coverage") if base_commit else None


def run_gate(repo: git.Repo, cfg: Config, tree: str, base_commit: str | None) -> GateResult:
    run = run_tests(repo, cfg)
    problems: list[str] = []
    if run.problem:
        problems.append(run.problem)
    if run.coverage is not None and cfg.fail_under is not None and run.coverage.total < cfg.fail_under:
        problems.append(f"coverage {run.coverage.display}% is under the floor of {cfg.fail_under:g}% (fail_under)")
    result = GateResult(not problems, tree, tuple(problems), run, previous_coverage(repo.root, base_commit))
    state.write_json(state.state_dir(repo.git_dir) / "gate.json", result.to_json())
    return result


def last_result(git_dir: Path) -> dict[str, Any] | None:
    data = state.read_json(state.state_dir(git_dir) / "gate.json")
    return data if isinstance(data, dict) else None
