"""The gate: tests under coverage, the coverage floor; its result stored against the tree it measured."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stepcommit import git, state
from stepcommit.config import Config
from stepcommit.gates.coverage import CoverageReport
from stepcommit.gates.testrun import Failure, load_previous, run_tests
from stepcommit.message import TestResult


@dataclass(frozen=True)
class GateResult:
    ok: bool
    tree: str
    problems: tuple[str, ...]
    tests: TestResult | None
    coverage: CoverageReport | None
    failures: tuple[Failure, ...]
    output_tail: str
    previous: str | None
    """The base commit's coverage figure, from its Coverage trailer."""
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            "ok": self.ok,
            "tree": self.tree,
            "time": state.now_iso(),
            "problems": list(self.problems),
            "tests": self.tests.summary() if self.tests else None,
            "failures": [{"test": f.test, "message": f.message} for f in self.failures],
            "coverage": cov.total if cov else None,
            "coverage_display": cov.display if cov else None,
            "previous_coverage": self.previous,
            "cached": self.cached,
        }

    def explain(self) -> str:
        """What failed, for the user: the problems, the failing tests, the end of the output."""
        lines = [f"The gate failed: {'; '.join(self.problems)}."]
        if self.failures:
            lines.append("Failing tests:")
            lines.extend(f"  {f.test}: {f.message}" for f in self.failures[:20])
            if len(self.failures) > 20:
                lines.append(f"  ... and {len(self.failures) - 20} more")
        elif self.output_tail:
            lines.append(self.output_tail)
        return "\n".join(lines)


def previous_coverage(root: Path, base_commit: str | None) -> str | None:
    return git.trailer(root, base_commit, "Coverage") if base_commit else None


def config_key(cfg: Config) -> str:
    """A digest of every setting that can change a gate's verdict, so a cached result is reused only under the same rules."""
    return hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True, default=str).encode()).hexdigest()[:16]


def _gate_file(git_dir: Path) -> Path:
    return state.state_dir(git_dir) / "gate.json"


def cached_result(repo: git.Repo, cfg: Config, tree: str, base_commit: str | None) -> GateResult | None:
    """The stored passing result for exactly this tree and configuration, if there is one."""
    last = last_result(repo.git_dir)
    if not last or not last.get("ok") or last.get("tree") != tree or last.get("config") != config_key(cfg):
        return None
    tests, coverage = load_previous(repo)
    if tests is None or coverage is None:
        return None
    return GateResult(
        True, tree, (), tests, coverage, (), "", previous_coverage(repo.root, base_commit), cached=True
    )


def run_gate(
    repo: git.Repo, cfg: Config, tree: str, base_commit: str | None, *, use_cache: bool = True
) -> GateResult:
    if use_cache:
        hit = cached_result(repo, cfg, tree, base_commit)
        if hit is not None:
            return hit
    run = run_tests(repo, cfg)
    problems: list[str] = []
    if run.problem:
        problems.append(run.problem)
    if run.coverage is not None and cfg.fail_under is not None and run.coverage.total < cfg.fail_under:
        problems.append(
            f"coverage {run.coverage.display}% is under the floor of {cfg.fail_under:g}% (fail_under)"
        )
    result = GateResult(
        not problems,
        tree,
        tuple(problems),
        run.tests,
        run.coverage,
        run.failures,
        run.output_tail,
        previous_coverage(repo.root, base_commit),
    )
    state.write_json(_gate_file(repo.git_dir), {**result.to_json(), "config": config_key(cfg)})
    return result


def last_result(git_dir: Path) -> dict[str, Any] | None:
    data = state.read_json(_gate_file(git_dir))
    return data if isinstance(data, dict) else None
