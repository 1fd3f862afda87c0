"""The gate: tests under coverage, lint, floor, ratchet, changed lines, the step's verification.

A result is stored against the tree it measured (and the base it was compared with), so the same
tree is never tested twice: the commit `finish` makes and its hooks find it in the cache.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import git, output, proc, state
from stepcommit.config import Config
from stepcommit.errors import ToolMissing
from stepcommit.gates.baseline import Baseline, base_coverage
from stepcommit.gates.cache import GateCache
from stepcommit.gates.coverage import CoverageReport, display_percent
from stepcommit.gates.lint import LintResult, run_lint
from stepcommit.gates.results import TestResult
from stepcommit.gates.testrun import (
    Failure,
    FloorSetting,
    TestRun,
    project_floor,
    project_python,
    run_tests,
)
from stepcommit.gates.verdict import Gathered, VerifyRun, base_worth_measuring, verdict

if TYPE_CHECKING:
    from stepcommit.gates.honesty import Assessment, Finding


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
    """The base commit's coverage figure (its Coverage trailer, or measured once)."""
    lint: str | None = None
    """The lint verdict for the commit message, e.g. `passed (ruff)`."""
    patch: tuple[int, int] | None = None
    """(covered, measured) statements among the changed lines."""
    notes: tuple[str, ...] = ()
    cached: bool = False
    """The whole verdict came from the cache."""
    tests_reused: bool = False
    """The test run came from the cache (same tree), the other checks ran again."""
    measured: str | None = None
    """How the total was measured when only the affected tests ran, e.g. `incremental: 16 of 1,604 tests`."""
    verify: str | None = None
    """The step's Verify commands' verdict, e.g. "passed (`make smoke`)"; None when none ran."""
    honesty: tuple[Finding, ...] = ()
    """The honesty check's findings, each with its policy (`refuse`, `warn`, `allowed`)."""
    allowed: tuple[tuple[str, str], ...] = ()
    """(finding, reason) of each `--allow` that let findings through."""
    renames: tuple[str, ...] = ()

    @property
    def patch_display(self) -> str | None:
        if not self.patch or not self.patch[1]:
            return None
        return display_percent(100.0 * self.patch[0] / self.patch[1])

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
            **output.figure_json("previous_coverage", self.previous),
            "changed_lines": None if self.patch is None else {"covered": self.patch[0], "measured": self.patch[1],
                                                             "display": self.patch_display},
            "lint": self.lint,
            "notes": list(self.notes),
            "cached": self.cached,
            "tests_reused": self.tests_reused,
            "measured": self.measured,
            "verify": self.verify,
            "honesty": [f.to_json() for f in self.honesty],
            "allowed": [{"kind": kind, "reason": reason} for kind, reason in self.allowed],
            "renames": list(self.renames),
        }  # fmt: skip

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
        lines.extend(self.honesty_lines())
        return "\n".join(lines)

    def honesty_lines(self) -> list[str]:
        """Every honesty finding with file:line (and the test), and how to let an explained one through."""
        if not self.honesty and not self.renames:
            return []
        lines = [
            "Honesty check (against the base):",
            *(f"  [{f.policy}] {f.describe()}" for f in self.honesty),
            *(f"  [rename] {r} (not a removal)" for r in self.renames),
        ]
        if any(f.policy == "refuse" for f in self.honesty):
            lines.append(
                "  Undo the weakening, or explain it: --allow FINDING --reason TEXT (the hook: "
                'STEPCOMMIT_ALLOW="FINDING: reason"); the commit carries the reason.'
            )
        return lines


def _verify(repo: git.Repo, commands: tuple[str, ...], timeout: float) -> tuple[VerifyRun, ...]:
    """Run the step's Verify commands, each to its end."""
    runs = []
    for command in commands:
        try:
            result = proc.run(shlex.split(command), cwd=repo.root, check=False, timeout=timeout)
        except (ToolMissing, ValueError) as exc:
            runs.append(VerifyRun(command, cannot_run=str(exc)))
            continue
        runs.append(VerifyRun(command, result.returncode, result.timed_out, result.stdout + result.stderr))
    return tuple(runs)


def _floor_setting(repo: git.Repo, cfg: Config) -> FloorSetting | None:
    """stepcommit's own `fail_under` (at two decimals), else the project's."""
    if cfg.fail_under is not None:
        return FloorSetting(cfg.fail_under, 2)
    return project_floor(repo.root)


def measure_base(repo: git.Repo, cfg: Config, base_commit: str | None, gathered: Gathered) -> Baseline | None:
    """The base's figure to compare with (None without a base or without coverage to compare); the
    base is measured only when the verdict could turn on it."""
    if base_commit is None or gathered.run.coverage is None:
        return None
    return base_coverage(repo, cfg, base_commit, measure=base_worth_measuring(gathered, cfg))


def run_gate(
    repo: git.Repo,
    cfg: Config,
    tree: str,
    base_commit: str | None,
    *,
    verify: tuple[str, ...] = (),
    use_cache: bool = True,
    junit_xml: bool = False,
    full: bool = False,
    ignore: tuple[str, ...] = (),
    tree_is_work_tree: bool = False,
    pythonpath: tuple[str, ...] = (),
    disk_tree: str | None = None,
    allow: Mapping[str, str] | None = None,
    audit_any_tree: bool = False,
) -> GateResult:
    """Gate ``tree`` (the work tree as it would be committed) against ``base_commit``.

    Lint and the test run go side by side; the base's figure follows; then the verdict (pure, see
    verdict.py) and the record. Without a base, only the tests and the floor apply. With
    `incremental` configured, only the tests the change affects run
    (``full`` runs them all and refreshes the per-test store; ``ignore`` names files no test reads;
    ``tree_is_work_tree``: ``tree`` is exactly what is on disk, untracked files included, and a test
    run that changes it is a finding; ``pythonpath``: the sources of a checkout elsewhere;
    ``disk_tree``: what is on disk when ``tree`` differs from it only by the plan's tick, which no
    test reads: the result is recorded for ``tree``, the commit `finish` will make; ``allow``: the
    honesty findings let through, with their reasons; ``audit_any_tree``: a ``full`` run audits the
    per-test store even when it measured another tree, see audit.py).
    """
    checked = honesty_check(repo, cfg, tree, base_commit, allow or {})
    cache = GateCache(repo.git_dir)
    if use_cache:
        hit = cache.cached(cfg, tree, base_commit)
        if hit is not None:
            return with_honesty(hit, checked)
    changes = git.diff_paths(repo.root, base_commit, tree) if base_commit else ([], [])
    lint: LintResult | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        lint_job = None
        if cfg.lint and base_commit:
            python, _ = project_python(repo.root, cfg)
            lint_job = pool.submit(run_lint, repo, python, changes[0], changes[1])
        reused = cache.reusable_run(cfg, tree) if use_cache else None
        disk_tree = disk_tree or (tree if tree_is_work_tree else None)
        head, branch = git.head_commit(repo.root), git.current_branch(repo.root)
        records = _records(repo) if reused is None else {}

        def tests(per_test: str, on_disk: str | None) -> TestRun:
            return run_tests(
                repo, cfg, junit_xml=junit_xml, per_test=per_test, ignore=ignore, disk_tree=on_disk,
                pythonpath=pythonpath,
            )  # fmt: skip

        audit_notes: list[str] = []
        if reused is not None:
            run = reused
        elif cfg.incremental:
            from stepcommit.gates import audit  # only here: start-up stays light

            run, audit_notes = audit.gated_run(
                repo, cfg, full=full, disk_tree=disk_tree, run=tests, any_tree=audit_any_tree
            )
        else:
            run = tests("off", disk_tree)
        if lint_job is not None:
            lint = lint_job.result()
    guard = guard_records(repo, records)
    guard += (
        guard_work_tree(repo, disk_tree, head, branch) if disk_tree is not None and reused is None else []
    )
    gathered = Gathered(
        run, reused=reused is not None, full=full, guard=tuple(guard), audit_notes=tuple(audit_notes), lint=lint,
        floor=_floor_setting(repo, cfg) if run.coverage is not None else None, verify=verify, honesty=checked,
    )  # fmt: skip
    baseline = measure_base(repo, cfg, base_commit, gathered)
    if baseline is not None and base_commit is not None:
        gathered = dataclasses.replace(
            gathered, baseline=baseline, changed=git.changed_lines(repo.root, base_commit, tree)
        )
    if verify and cfg.run_verify:
        gathered = dataclasses.replace(gathered, verified=_verify(repo, verify, cfg.test_timeout))
    decided = verdict(gathered, cfg)
    shown = decided.figures
    result = GateResult(
        decided.ok, tree, decided.problems, run.tests, run.coverage, run.failures, shown.output_tail,
        shown.previous, shown.lint, shown.patch, decided.notes, tests_reused=reused is not None,
        measured=shown.measured, verify=shown.verify,
    )  # fmt: skip
    if checked is not None:
        result = dataclasses.replace(
            result, honesty=checked.findings, allowed=checked.allowed, renames=checked.renames
        )
    cache.record(result, cfg, base_commit, tests_ok=run.problem is None)
    return result


@dataclass(frozen=True)
class Measurement:
    """The coverage of the tree as it is now, and where it came from."""

    tree: str
    source: str
    """``last gate`` when the stored gate measured this very tree, else ``test run``."""
    coverage: CoverageReport | None
    tests: str | None
    """The test counts' summary, e.g. `12 passed in 0.40s`."""
    problems: str = ""
    """Why the last gate on this tree measured nothing, when it did not (the source is ``last gate``)."""
    gate: GateResult | None = None
    """The gate that ran just now (the source is ``test run``)."""


def measure_now(
    repo: git.Repo,
    cfg: Config,
    *,
    command: str,
    note: str,
    fresh: bool = False,
    current: Callable[[str], Collection[str]] | None = None,
) -> Measurement:
    """Measure the work tree as it would be committed: the last gate's data when it measured this
    very tree (``current``: the trees that count as it, e.g. with the step ticked in the plan), else
    a gate run now under the lock of ``command``, telling the user ``note`` first. A gate that already
    failed on this tree is not run again: the same suite would only repeat it (``fresh`` runs it)."""
    tree = git.snapshot(repo).tree
    cache = GateCache(repo.git_dir)
    last = cache.last()
    if not fresh and last and last.get("tree") in (current(tree) if current else {tree}):
        _, data = cache.previous()
        problems = (
            "" if data is not None else "; ".join(last.get("problems") or []) or "it left no coverage data"
        )
        return Measurement(tree, "last gate", data, last.get("tests"), problems)
    with state.lock(repo.git_dir, command):
        output.note(note)
        # Through the gate, not the bare test run: the gate stores the result against this tree,
        # so `check`/`finish` of the same tree reuse it, and a cached gate result for another tree
        # is never left pointing at coverage data this run replaced.
        gate = run_gate(repo, cfg, tree, None, use_cache=not fresh)
    return Measurement(
        tree, "test run", gate.coverage, gate.tests.summary() if gate.tests else None, gate=gate
    )


def _records(repo: git.Repo) -> dict[Path, bytes | None]:
    """stepcommit's own records a verdict is read from later (the last gate, the hook's replay), as
    bytes (None: no such file): what `guard_records` compares after the run. Only this checkout's own:
    nothing else writes them while it holds the lock (the shared ones, such as the base's measured
    figure, another worktree's gate may write meanwhile)."""
    where = state.StateDir(repo.git_dir, create=False)
    found: dict[Path, bytes | None] = {}
    for path in (where.gate, where.verdict):
        try:
            found[path] = path.read_bytes()
        except FileNotFoundError:
            found[path] = None
    return found


def guard_records(repo: git.Repo, before: dict[Path, bytes | None]) -> list[str]:
    """A finding when the test run wrote stepcommit's own records (``before``: `_records` before it),
    which are put back as they were: a test that forges a passing verdict would have a later check
    or finish replay it for a tree no gate ran."""
    changed = []
    for path, data in before.items():
        try:
            now = path.read_bytes()
        except FileNotFoundError:
            now = None
        if now == data:
            continue
        changed.append(path.name)
        if data is None:
            path.unlink(missing_ok=True)
        else:
            state.write_bytes_atomic(path, data)
    if not changed:
        return []
    return [
        f"the test run wrote stepcommit's own records ({', '.join(changed)}; put back as they were): "
        "a gate's verdict is stepcommit's to write"
    ]


def guard_work_tree(repo: git.Repo, tree: str, head: str | None, branch: str | None) -> list[str]:
    """Findings when the test run changed what it was testing: commits made or a branch switched by
    a test, files it wrote, changed or deleted in the work tree.

    What the run tested is ``tree``; the user's files are put back as they were in it (changed and
    deleted ones written back, the branch moved back to ``head``); files the run added are left in
    place, named, since they may hold something worth a look. Nothing is lost either way: the run's
    commits stay reachable through the reflog."""
    findings = []
    branch_now = git.current_branch(repo.root)
    if branch is not None and branch_now != branch:
        git.point_head_at(repo.root, branch)
        findings.append(
            f"the test run switched the checkout to {branch_now or 'a detached HEAD'} (put back on {branch})"
        )
    if head is not None and branch is not None and git.rev_parse(repo.root, branch) != head:
        moved = git.rev_parse(repo.root, branch)
        git.move_ref(
            repo.root, f"refs/heads/{branch}", head, moved or "", "stepcommit: undo a test run's commit"
        )
        findings.append(
            f"the test run committed on {branch} ({(moved or '?')[:10]}); the branch was put back to {head[:10]}"
        )
    after = git.tree_only(repo)
    if after == tree:
        return findings
    changes = git.raw_diff(repo.root, tree, after)
    put_back = [path for status, path, _, _ in changes if status != "A"]
    added = [path for status, path, _, _ in changes if status == "A"]
    git.restore_from_tree(repo.root, tree, put_back)
    named = [f"{'deleted' if s == 'D' else 'changed'} {p}" for s, p, _, _ in changes if s != "A"][:10]
    named += [f"added {p}" for p in added[:10]]
    more = len(changes) - len(named)
    findings.append(
        "the test run changed the work tree it was testing ("
        + ", ".join(named) + (f", and {more} more" if more > 0 else "")
        + "): a gate must measure the files that are committed"
        + ("; the changed and deleted files were put back as they were" if put_back else "")
        + ("; the added files were left in place for you to look at (delete them if they are the tests')"
           if added else "")
    )  # fmt: skip
    return findings


def gate_commit(
    repo: git.Repo, cfg: Config, commit: str, base_commit: str | None, *, verify: tuple[str, ...] = (),
    allow: Mapping[str, str] | None = None, ignore: tuple[str, ...] = (), full: bool = False,
) -> GateResult:  # fmt: skip
    """Gate ``commit`` (the merged tree a step would land as) in a throw-away checkout, with the
    project's interpreter and the checkout's own sources first on the path. The user's work tree and
    index are not touched. With `incremental`, the tests run are those the shared per-test store
    selects (the ones whose recorded files differ between the tree it measured, typically the step's
    gated tree, and the merged one, plus new and changed tests): the store's data for the others and
    theirs give the merged tree's exact total, and the store then holds the merged tree.
    ``ignore``: paths no test reads (the plan file, which the merge ticks twice); ``full``: run every
    test and rebuild the store from the merged tree, as `finish` does with `full_on_finish`."""
    python, _ = project_python(repo.root, cfg)
    with git.temporary_worktree(repo, commit) as tree:
        scratch = state.StateDir(repo.git_dir).landing_run
        scratch.mkdir(exist_ok=True)
        # The run's own state is the scratch folder's; what every checkout shares (the per-test store,
        # the baseline cache) is the repository's: the scratch names it as a linked worktree's git dir does.
        state.write_text_atomic(scratch / "commondir", f"{state.common_dir(repo.git_dir)}\n")
        src = (str(tree / "src"),) if (tree / "src").is_dir() else ()
        return run_gate(
            git.Repo(tree, scratch), dataclasses.replace(cfg, python=python),
            git.tree_of(repo.root, commit), base_commit, verify=verify, use_cache=False,
            tree_is_work_tree=True, pythonpath=(*src, str(tree)), allow=allow, ignore=ignore, full=full,
        )  # fmt: skip


def honesty_check(
    repo: git.Repo, cfg: Config, tree: str, base_commit: str | None, allow: Mapping[str, str]
) -> Assessment | None:
    """The honesty findings of ``tree`` against ``base_commit``, the policy and ``allow`` applied
    (None without a base). Reads only the Python files that changed and the settings files."""
    if base_commit is None:
        return None
    from stepcommit.gates import honesty

    base: dict[str, str] = {}
    now: dict[str, str] = {}
    for _status, path, old, new in git.raw_diff(repo.root, base_commit, tree):
        if path.endswith(".py"):
            if old.strip("0"):
                base[path] = git.blob_text(repo.root, old)
            if new.strip("0"):
                now[path] = git.blob_text(repo.root, new)
    for name in honesty.SETTINGS_FILES:
        for rev, files in ((base_commit, base), (tree, now)):
            blob = git.blob_at(repo.root, rev, name)
            if blob is not None:
                files[name] = git.blob_text(repo.root, blob)
    result = honesty.compare(base, now)
    if any(f.kind == "removed-tests" for f in result.findings):
        # Only then is the per-test store worth reading: it may show a removed test never passed.
        result = honesty.compare(base, now, base_ids=_stored_ids(repo, base_commit))
    return honesty.assess(result.findings, honesty.check_policy(cfg.honesty), allow, result.renames)


def _stored_ids(repo: git.Repo, base_commit: str) -> frozenset[str] | None:
    """The node ids that passed at the base, when the per-test store measured exactly its tree."""
    from stepcommit.gates.incremental import stored_meta

    meta = stored_meta(repo.git_dir)
    if meta is None or meta.get("tree") != git.tree_of(repo.root, base_commit):
        return None
    passed = frozenset(str(t) for t in meta.get("collected", ()))
    return passed - frozenset(str(t) for t in meta.get("failed", ()))


def with_honesty(result: GateResult, checked: Assessment | None) -> GateResult:
    """``result`` with the honesty findings folded in: a refused finding fails the gate."""
    if checked is None:
        return result
    return dataclasses.replace(
        result,
        ok=result.ok and not checked.refused,
        problems=(*result.problems, *checked.problems()),
        honesty=checked.findings,
        allowed=checked.allowed,
        renames=checked.renames,
    )
