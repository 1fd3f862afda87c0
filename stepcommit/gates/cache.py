"""The gate's result cache: the last gate's record (`gate.json`) and the test run it left (`run/`).

Every reader of a stored gate goes through `GateCache`; `status` and the hooks read it on every
call, so this module imports nothing heavy until a method needs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import state

if TYPE_CHECKING:
    from stepcommit.config import Config
    from stepcommit.gates.coverage import CoverageReport
    from stepcommit.gates.gate import GateResult
    from stepcommit.gates.results import TestResult
    from stepcommit.gates.testrun import TestRun


def tests_key(cfg: Config) -> str:
    """A digest of the settings that change the test run itself (not lint, floor or ratchet)."""
    import hashlib  # lazily: `status` reads the cache and hashes nothing (OpenSSL, ~5 ms)

    data = json.dumps([cfg.python, cfg.pytest_args, cfg.test_timeout], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


class GateCache:
    """The stored gate of one checkout (its git directory)."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    @property
    def file(self) -> Path:
        return state.StateDir(self.git_dir).gate

    @property
    def run_dir(self) -> Path:
        """Where the last test run left its results, coverage data and JUnit XML."""
        return state.StateDir(self.git_dir).run

    def last(self) -> dict[str, Any] | None:
        """The last gate's record, as `GateResult.to_json` wrote it (with the cache keys)."""
        data = state.read_cache(self.file)
        return data if isinstance(data, dict) else None

    def record(self, result: GateResult, cfg: Config, base_commit: str | None, *, tests_ok: bool) -> None:
        """Store ``result`` with what a later gate must match to reuse it (or only its test run)."""
        from stepcommit.verdict_cache import config_key

        state.write_json(
            self.file,
            {**result.to_json(), "config": config_key(cfg, base_commit), "tests_key": tests_key(cfg),
             "tests_ok": tests_ok},
        )  # fmt: skip

    def previous(self) -> tuple[TestResult | None, CoverageReport | None]:
        """The test result and coverage the last run left, if any."""
        from stepcommit.gates.coverage import from_json
        from stepcommit.gates.testrun import _results

        tests, _ = _results(self.run_dir / "results.json")
        out = self.run_dir / "coverage.json"
        coverage = from_json(json.loads(out.read_text(encoding="utf-8"))) if out.exists() else None
        return tests, coverage

    def reusable_run(self, cfg: Config, tree: str) -> TestRun | None:
        """The last passing test run when it measured exactly ``tree`` under the same test settings:
        a gate with another base (or none) needs lint and the coverage arithmetic again, not the suite."""
        from stepcommit.gates.testrun import TestRun

        last = self.last()
        if (
            not last
            or last.get("tree") != tree
            or last.get("tests_key") != tests_key(cfg)
            or not last.get("tests_ok")
        ):
            return None
        tests, coverage = self.previous()
        if tests is None or coverage is None:
            return None
        return TestRun(True, None, tests, coverage, (), "", ())

    def cached(self, cfg: Config, tree: str, base_commit: str | None) -> GateResult | None:
        """The stored passing result for exactly this tree, base and configuration, if there is one."""
        from stepcommit.gates.gate import GateResult
        from stepcommit.verdict_cache import config_key

        last = self.last()
        if (
            not last
            or not last.get("ok")
            or last.get("tree") != tree
            or last.get("config") != config_key(cfg, base_commit)
        ):
            return None
        tests, coverage = self.previous()
        if tests is None or coverage is None:
            return None
        changed = last.get("changed_lines")
        patch = (int(changed["covered"]), int(changed["measured"])) if changed else None
        return GateResult(
            True, tree, (), tests, coverage, (), "", _previous_display(last), last.get("lint"), patch,
            tuple(last.get("notes", ())), cached=True, measured=last.get("measured"), verify=last.get("verify"),
        )  # fmt: skip


def _previous_display(last: dict[str, Any]) -> str | None:
    """The base's figure as printed, from a record of this version or an older one (a bare string)."""
    shown = last.get("previous_coverage_display", last.get("previous_coverage"))
    return None if shown is None else str(shown)
