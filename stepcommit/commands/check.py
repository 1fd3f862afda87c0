"""`stepcommit check`: run the gate now, without committing; also the pre-commit hook's entry point."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stepcommit import config as config_mod
from stepcommit import git, output, state, verdict_cache
from stepcommit.errors import ConfigError, GateFailed, PlanError
from stepcommit.gates.cache import GateCache

# The gate (test runner, coverage, lint) and the plan readers load when a check runs, not when
# `status` or `coverage` import this module for the trees of the work now.
if TYPE_CHECKING:
    from datetime import datetime

    from stepcommit import plan
    from stepcommit.gates.gate import GateResult


def _index_tree(repo: git.Repo) -> str:
    return git.write_index_tree(repo.root)


def step_of(active: state.ActiveStep) -> plan.Step:
    """The active step as the plan module locates it."""
    from stepcommit import plan

    return plan.Step(active.id, active.title, "in_progress", active.line, active.index)


def current_verify(repo: git.Repo, active: state.ActiveStep, steps: str | None = None) -> tuple[str, ...]:
    """The step's Verify commands as the plan says them now (edited since `start` or not)."""
    from stepcommit import plan

    plan_file = repo.root / active.plan
    try:
        the_plan = plan.load_plan(plan_file, steps=_steps(repo, steps))
        return plan.locate(the_plan, step_of(active)).verify
    except (PlanError, OSError):
        return active.verify


def current_todo(repo: git.Repo, active: state.ActiveStep) -> tuple[str, ...]:
    """The active step's to-do list (a tracker phase's checklist) as the plan says it now."""
    from stepcommit import plan

    try:
        the_plan = plan.load_plan(repo.root / active.plan, steps=_steps(repo, None))
        return plan.locate(the_plan, step_of(active)).todo
    except (PlanError, ConfigError, OSError):
        return ()


def _steps(repo: git.Repo, steps: str | None) -> plan.Granularity:
    return _granularity(steps if steps is not None else config_mod.load(repo.root).steps)


def _granularity(steps: str) -> plan.Granularity:
    return "item" if steps == "item" else "phase"


def tick_options(
    repo: git.Repo, active: state.ActiveStep, verify: tuple[str, ...] | None = None
) -> tuple[bool, plan.Granularity]:
    """How `finish` ticks the active step (and `check` gates the tick): whether a finished phase's
    checkpoint says passed (only when the step's verification runs in the gate, which refuses the
    commit if it fails), and the plan's granularity. ``verify``: the step's commands, read already."""
    cfg = config_mod.load(repo.root)
    if verify is None and cfg.run_verify:
        verify = current_verify(repo, active, cfg.steps)
    return cfg.run_verify and bool(verify), _steps(repo, cfg.steps)


def trees_now(repo: git.Repo, disk_tree: str) -> set[str]:
    """The tree ids that stand for the work as it is now: the work tree's, and during a step the
    same with the step ticked in the plan (the tree a `check` gates and `finish` commits). `status`
    gets both from one snapshot instead (`git.snapshot(with_file=...)`)."""
    active = state.load_active(repo.git_dir)
    return {disk_tree, ticked_tree(repo, active, disk_tree)} if active else {disk_tree}


@dataclass(frozen=True)
class StepNow:
    """The active step as the plan says it now, from one read and one parse of the plan file:
    what `current_todo`, `current_verify` and `ticked_tree` each read for themselves."""

    active: state.ActiveStep
    step: plan.Step | None
    """The step located in the plan as it is now; None when the plan cannot be read, or lost it."""
    text: str | None
    """The plan file's text; None for a Backlog.md folder (a tick then changes no plan file)."""
    steps: plan.Granularity
    run_verify: bool

    @property
    def todo(self) -> tuple[str, ...]:
        return self.step.todo if self.step is not None else ()

    def ticked_tree(self, repo: git.Repo, disk_tree: str) -> str:
        """``disk_tree`` with the step ticked in the plan, as `ticked_tree` makes it."""
        text = self.ticked_text(repo)
        return disk_tree if text is None else git.tree_with_file(repo, disk_tree, self.active.plan, text)

    def ticked_text(self, repo: git.Repo, now: datetime | None = None) -> str | None:
        """The plan file's text with the step ticked (at ``now``, else the time now); None when a
        tick changes no plan file."""
        from stepcommit import plan

        if self.step is None or self.text is None:
            return None
        verified = self.run_verify and bool(self.step.verify)
        try:
            return plan.marked_text_of(self.text, repo.root / self.active.plan, self.step, "done", now=now,
                                       verified=verified, steps=self.steps)  # fmt: skip
        except PlanError:
            return None  # finish says what is wrong with the plan


def step_now(repo: git.Repo, active: state.ActiveStep, data: bytes | None = None) -> StepNow:
    """The active step as the plan says it now (see `StepNow`); a plan or settings file that
    cannot be read gives what the separate readers give then: no to-do list, no tick. ``data``:
    the plan file's bytes, when the caller read them already."""
    from stepcommit import plan

    path = repo.root / active.plan
    try:
        cfg = config_mod.load(repo.root)
    except ConfigError:
        return StepNow(active, None, None, "phase", False)
    steps = _granularity(cfg.steps)
    try:
        if path.is_dir():
            return StepNow(active, plan.locate(plan.load_plan(path, steps=steps), step_of(active)), None,
                           steps, cfg.run_verify)  # fmt: skip
        text = (path.read_bytes() if data is None else data).decode("utf-8")
        found = plan.locate(plan.parse_plan(text, path, steps=steps), step_of(active))
    except (PlanError, OSError, UnicodeDecodeError):
        return StepNow(active, None, None, steps, cfg.run_verify)
    return StepNow(active, found, text, steps, cfg.run_verify)


_STEP_READ_MAX = 64_000_000
"""Plans up to this size keep their read step in `StepDir.step_read` (a bigger one is read each time:
the cache holds the ticked text, and a 20 MB plan reads in about 4 s against 0.1 s from the cache)."""


def step_read(repo: git.Repo, active: state.ActiveStep) -> tuple[tuple[str, ...], str | None]:
    """``(to-do list, plan text with the step ticked or None)`` as `step_now` gives them, kept in the
    state folder under the plan's bytes, the step, the settings that shape them and the readers'
    code: `status` during a step then neither loads the plan's readers nor compiles their patterns
    (about 45 ms) while the plan is unchanged. A tick that writes the date holds for the day, one that
    writes the time is not kept; nor are plans over 64 MB, or a Backlog.md folder."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from stepcommit import plan

    path = repo.root / active.plan
    try:
        cfg = config_mod.load(repo.root)
        data = path.read_bytes() if path.is_file() and path.stat().st_size <= _STEP_READ_MAX else None
    except (ConfigError, OSError):
        data = None
    if data is None:
        now = step_now(repo, active)
        return now.todo, now.ticked_text(repo)
    moment = datetime.now(UTC)
    today = f"{moment:%Y-%m-%d}/{moment.astimezone():%Y-%m-%d}"  # the tick's date may be UTC's or local
    key = [hashlib.sha256(data).hexdigest(), active.plan, active.id, active.title, active.line, active.index,
           cfg.steps, cfg.run_verify, plan.readers_digest()]  # fmt: skip
    cache = state.StateDir(repo.git_dir, create=False).step_read
    kept = state.read_cache(cache)
    if (
        isinstance(kept, dict)
        and kept.get("key") in (key, [*key, today])
        and isinstance(kept.get("todo"), list)
    ):
        ticked = kept.get("ticked")
        return tuple(str(x) for x in kept["todo"]), ticked if isinstance(ticked, str) else None
    now = step_now(repo, active, data)
    todo, ticked = now.todo, now.ticked_text(repo, moment)
    # Whether the tick writes the time: ticked a minute and a day later, it says so. One that writes
    # the date (a tracker's `Last Updated`) holds for the day; one that writes the time too (an
    # ExecPlan's `(2025-11-25 15:08Z)`) is not kept.
    timed = ticked is not None and now.ticked_text(repo, moment + timedelta(minutes=1)) != ticked
    dated = ticked is not None and now.ticked_text(repo, moment + timedelta(days=1)) != ticked
    if not timed:
        with contextlib.suppress(OSError):  # a cache only: a read-only state folder just reads again
            state.write_json(
                cache, {"key": [*key, today] if dated else key, "todo": list(todo), "ticked": ticked}
            )
    return todo, ticked


def ticked_tree(repo: git.Repo, active: state.ActiveStep, disk_tree: str) -> str:
    """The tree `finish` will commit: the work tree with the step ticked in the plan. A check gates
    it, so the finish that follows finds it gated (the tick is the one change no test reads)."""
    from stepcommit import plan

    plan_file = repo.root / active.plan
    if not plan_file.is_file():
        return disk_tree
    try:
        verified, steps = tick_options(repo, active)
        text = plan.marked_text(plan_file, step_of(active), "done", verified=verified, steps=steps)
    except (PlanError, ConfigError):
        return disk_tree  # finish says what is wrong with the plan
    return git.tree_with_file(repo, disk_tree, active.plan, text)


_NO_COMMIT = "0" * 40


def ci_base_ref(env: dict[str, str]) -> tuple[str, str]:
    """(ref, why) for `--base auto`: what the change in CI will merge into, from the CI's own variables."""
    if env.get("GITHUB_BASE_REF"):
        return f"origin/{env['GITHUB_BASE_REF']}", "the pull request's target branch"
    if env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        return env["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "the merge request's diff base"
    for name in ("STEPCOMMIT_PUSH_BEFORE", "CI_COMMIT_BEFORE_SHA"):
        if env.get(name, _NO_COMMIT).strip("0"):
            return env[name], "the commit before the push"
    return "HEAD~1", "the previous commit"


def resolve_base(repo: git.Repo, ref: str) -> str:
    """The merge base of ``ref`` (or, for `auto`, the CI's target) with HEAD: what the change is
    compared with, as a pull request's diff is."""
    import os

    why = f"--base {ref}"
    if ref == "auto":
        ref, why = ci_base_ref(dict(os.environ))
    commit = git.rev_parse(repo.root, ref)
    if commit is None:
        raise ConfigError(
            f"The base {ref!r} ({why}) is not a commit in this repository.",
            hint="Fetch it first (in CI: a checkout with full history, e.g. fetch-depth: 0), or name another "
            "branch or commit with --base.",
        )
    head = git.head_commit(repo.root)
    found = git.merge_base(repo.root, commit, head) if head else None
    if found is None:
        raise ConfigError(
            f"The base {ref!r} ({why}) shares no history with HEAD.",
            hint="Name a branch HEAD was made from with --base.",
        )
    return found


def agent_prompt(result: GateResult) -> str | None:
    """One instruction an agent can act on when the gate failed: what failed, where, and the loop
    to close (None when the gate passed)."""
    if result.ok:
        return None
    lines = [
        "The stepcommit gate refused this change. Fix the code (do not weaken, skip or delete tests, and "
        "do not lower coverage settings) until `stepcommit check` passes:"
    ]
    if result.failures:
        lines.append("Failing tests:")
        for failure in result.failures[:10]:
            first = next((x.strip() for x in failure.message.splitlines() if x.strip()), "")
            lines.append(f"- {failure.test}: {first[:300]}")
        if len(result.failures) > 10:
            lines.append(f"- ... and {len(result.failures) - 10} more")
    for problem in result.problems:
        if result.failures and ("failed" in problem and "test" in problem):
            continue  # the failing tests are listed above
        head, _, detail = problem.partition("\n")
        lines.append(f"- {head}")
        lines.extend(f"  {x}" for x in detail.splitlines()[-15:])
    if result.output_tail:
        # Lint findings as file:line, else (a run that broke down) the end of the output.
        found = [x for x in result.output_tail.splitlines() if re.match(r"^\S+:\d+(:\d+)?:", x)]
        if not found and not result.failures:
            found = result.output_tail.splitlines()[-15:]
        lines.extend(f"  {x}" for x in found[:30])
    lines.extend(result.honesty_lines())
    lines.append("Then run `stepcommit check` again.")
    return "\n".join(lines)


def _gate_staged_apart(
    repo: git.Repo, cfg: config_mod.Config, tree: str, base: str | None, disk_tree: str, *,
    verify: tuple[str, ...], ignore: tuple[str, ...], full: bool, allow: Mapping[str, str] | None,
    reports: Path | None,
) -> GateResult:  # fmt: skip
    """Gate the staged ``tree`` in a throw-away checkout of it: the work tree holds other files (unstaged
    changes, untracked files, which pre-commit leaves on disk), and a test that needs one of them would
    pass here and fail in the commit. The work tree and the index are not touched."""
    from stepcommit.gates.gate import gate_commit

    if reports is not None:
        raise ConfigError(
            "--junit-xml and --coverage-xml with --hook need the work tree to be the staged tree, and here "
            "it is not.",
            hint="Stage the rest (`git add -A`) or stash it (`git stash --keep-index --include-untracked`), "
            "then run the check again.",
        )
    changed, deleted = git.diff_paths(repo.root, tree, disk_tree)
    named = [*changed, *deleted]
    more = f" and {len(named) - 5} more" if len(named) > 5 else ""
    output.note(
        f"the work tree differs from the staged tree ({', '.join(named[:5])}{more}): the staged tree, "
        "which the commit records, is gated in a separate checkout"
    )
    commit = git.scratch_commit(repo, tree, "stepcommit: the staged tree, gated apart from the work tree")
    with git.hook_env_set_aside():  # the staged tree is read: what follows is about the checkout
        result = gate_commit(repo, cfg, commit, base, verify=verify, allow=allow, ignore=ignore, full=full)
    # Kept as this checkout's last gate: the message hook then gives the commit its figures.
    GateCache(repo.git_dir).record(result, cfg, base, tests_ok=result.ok)
    return result


def check(
    *,
    cwd: Path,
    prompt: bool = False,
    base_ref: str | None = None,
    hook: bool = False,
    use_cache: bool = True,
    junit_xml: Path | None = None,
    coverage_xml: Path | None = None,
    as_json: bool = False,
    full: bool = False,
    allow: Mapping[str, str] | None = None,
) -> int:
    """Gate the work tree (or, as a pre-commit hook, the staged tree) and report the result.

    ``allow``: honesty findings let through (finding -> reason)."""
    from stepcommit.gates import forbidden

    repo = git.find_repo(cwd)
    with state.lock(repo.git_dir, "check"):
        cfg = config_mod.load(repo.root)
        active = state.load_active(repo.git_dir)
        disk_tree = git.tree_only(repo)  # what the tests see on disk, untracked files included
        if hook:  # the commit records the staged tree: that is the one to gate
            tree = _index_tree(repo)
        elif active:
            tree = ticked_tree(repo, active, disk_tree)
        else:
            tree = disk_tree
        base: str | None = git.head_commit(repo.root)
        if base_ref is not None:
            base = resolve_base(repo, base_ref)
        elif active:
            base = active.base_commit
        plain = not (full or allow or as_json or prompt or junit_xml or coverage_xml)
        replay = (
            verdict_cache.lookup(repo.git_dir, cfg, tree=tree, base=base) if use_cache and plain else None
        )
        if replay is not None:  # this tree passed before under the same rules: scan and gate included
            for kind, text in replay:
                (output.say if kind == "say" else output.note)(text)
            return 0
        forbidden.refuse_forbidden(
            forbidden.forbidden_in_change(repo, base, tree),
            hint=(
                "Unstage them (`git restore --staged <file>`), add them to .gitignore, or take the secret "
                "out of the line (a false alarm: end the line with `# pragma: allowlist secret`); then "
                "commit again."
                if hook
                else "Add them to .gitignore (and `git rm --cached` them if git tracks them), or take the "
                "secret out of the line (a false alarm: end the line with `# pragma: allowlist secret`); "
                "then check again."
            ),
        )
        from stepcommit.gates.gate import run_gate  # the replay above needs none of the gate's modules
        from stepcommit.gates.testrun import write_coverage_xml

        if full and cfg.incremental and use_cache:
            from stepcommit.gates import audit

            # A full run asked for while the store holds data no full run vouched for is the audit's
            # moment: it runs, rather than replaying the last verdict of this tree.
            use_cache = not audit.due_for_full(repo.git_dir)
        verify = current_verify(repo, active) if active else ()
        ignore = (active.plan,) if active else ()
        if hook and tree != disk_tree:
            result = _gate_staged_apart(repo, cfg, tree, base, disk_tree, verify=verify, ignore=ignore,
                                        full=full, allow=allow, reports=junit_xml or coverage_xml)  # fmt: skip
        else:
            result = run_gate(
                repo,
                cfg,
                tree,
                base,
                verify=verify,
                use_cache=use_cache and junit_xml is None and coverage_xml is None,
                junit_xml=junit_xml is not None,
                full=full,
                audit_any_tree=full,
                ignore=ignore,
                disk_tree=disk_tree,
                allow=allow,
            )
        run_dir = GateCache(repo.git_dir).run_dir
        if junit_xml is not None and (run_dir / "junit.xml").exists():
            import shutil

            shutil.copyfile(run_dir / "junit.xml", junit_xml)
        if coverage_xml is not None and result.coverage is not None:
            write_coverage_xml(repo, cfg, coverage_xml)
    if as_json:
        data = result.to_json()
        data["prompt"] = agent_prompt(result)
        output.emit_json(data)
        return 0 if result.ok else GateFailed.exit_code
    if prompt:
        output.say(agent_prompt(result) or "The stepcommit gate passed: nothing to fix.")
        return 0 if result.ok else GateFailed.exit_code
    if not result.ok:
        raise GateFailed(
            result.explain(),
            hint="Nothing was committed. Fix it and run the check again."
            if not hook
            else "The commit was stopped; your changes are still staged. Fix it and commit again.",
        )
    lines = passed_lines(result)
    if not allow:
        verdict_cache.record(repo.git_dir, tree=tree, base=base, key=verdict_cache.config_key(cfg, base),
                             lines=passed_lines(result, cached=True))  # fmt: skip
    for kind, text in lines:
        (output.say if kind == "say" else output.note)(text)
    return 0


def passed_lines(result: GateResult, *, cached: bool = False) -> list[tuple[str, str]]:
    """What a passing check prints, as (``say`` | ``note``, text); ``cached``: as a later check of the
    same tree prints it (the hook's fast path replays these, see verdict_cache.py)."""
    from stepcommit.message import CoverageFigure, format_lowest

    lines: list[tuple[str, str]] = []
    tests = result.tests.summary() if result.tests else "?"
    suffix = " (cached: this exact tree passed before)" if result.cached or cached else ""
    if result.tests_reused and not cached:
        suffix = " (reused: this exact tree was tested before)"
    lines.append(("say", f"Tests: {tests}{suffix}"))
    if result.lint:
        lines.append(("say", f"Lint: {result.lint}"))
    if result.verify:
        lines.append(("say", f"Verify: {result.verify}"))
    if result.coverage is not None:
        cov = result.coverage
        figure = CoverageFigure(
            cov.total,
            cov.display,
            result.previous,
            changed_lines=result.patch_display,
            measured=result.measured,
        )
        # GitLab's coverage regex reads this line: keep it starting with "Coverage: NN.NN%".
        lines.append(("say", f"Coverage: {figure.line()}"))
        if cov.lowest():
            lines.append(("say", f"Lowest: {format_lowest(cov.lowest())}"))
    lines.extend(("note", f"note: {note}") for note in result.notes)
    lines.extend(("say", line) for line in result.honesty_lines())
    return lines
