"""`stepcommit finish`: gate, one commit with the plan ticked, merge into the base, clean up.

Each phase is recorded in the finish journal before it runs, so an interrupted finish can be
completed or rolled back by running `stepcommit finish` again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, message, output, plan, progress, state
from stepcommit.errors import (
    ConfigError,
    ForbiddenFilesError,
    GateFailed,
    GitError,
    StepStateError,
)
from stepcommit.gates.forbidden import forbidden
from stepcommit.gates.gate import run_gate


def _plan_step(active: state.ActiveStep) -> plan.Step:
    return plan.Step(active.id, active.title, "in_progress", active.line, active.index)


def _rollback_commit(repo: git.Repo, journal: dict[str, Any]) -> None:
    """Undo the commit phase's edits (plan tick, staging) when no commit was made."""
    jdir = state.journal_dir(repo.git_dir)
    plan_backup = jdir / "plan"
    if plan_backup.exists():
        shutil.copyfile(plan_backup, repo.root / journal["plan"])
    index_backup = jdir / "index"
    if index_backup.exists():
        shutil.copyfile(index_backup, repo.git_dir / "index")
    state.clear_journal(repo.git_dir)


def _commit_landed(repo: git.Repo, journal: dict[str, Any]) -> bool:
    head = git.head_commit(repo.root)
    return bool(head != journal["head_before"]) and git.trailer(repo.root, "HEAD", "Step") == journal["step"]


def _check_changes(repo: git.Repo, active: state.ActiveStep) -> git.Snapshot:
    snap = git.snapshot(repo)
    bad = forbidden([c.path for c in snap.changes if c.status != "D"])
    if bad:
        listed = "\n".join(f"  {path} ({reason})" for path, reason in bad)
        raise ForbiddenFilesError(
            f"These files must not be committed:\n{listed}",
            hint="Add them to .gitignore (and `git rm --cached` them if git tracks them), then finish again. "
            "Nothing was committed.",
        )
    others = [p for p in snap.paths if p != active.plan]
    if not others and git.head_commit(repo.root) == active.base_commit:
        raise StepStateError(
            f"Nothing changed in step {active.id} yet: no file differs from the base commit.",
            hint="Make the step's changes first, or leave the step with `stepcommit abort`.",
        )
    return snap


def _step_entries(repo: git.Repo, style: str) -> list[progress.Entry]:
    """The entries the step commit carries: all of the step's when a squash folds the branch's plain
    commits away, else only those no plain commit of the branch carries already."""
    if style == "squash":
        return progress.read(repo.git_dir)
    return progress.uncommitted(repo.git_dir, git.head_commit(repo.root))


def _commit_step(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, style: str
) -> dict[str, Any]:
    branch = git.ensure_ready(repo)
    if branch != active.branch:
        raise StepStateError(
            f"Step {active.id} lives on branch {active.branch}, but {branch} is checked out.",
            hint=f"Switch back (`git switch {active.branch}`) and run `stepcommit finish` again.",
        )
    if not git.has_identity(repo.root):
        raise GitError(
            "git does not know who you are (user.name / user.email unset), so it cannot commit.",
            hint='Run `git config user.name "Your Name"` and `git config user.email you@example.com`.',
        )
    _check_changes(repo, active)
    plan_file = repo.root / active.plan
    if not plan_file.is_file():
        raise StepStateError(
            f"The plan {active.plan} of step {active.id} is gone from the work tree.",
            hint="Restore it (e.g. `git checkout -- " + active.plan + "`), then finish again.",
        )
    jdir = state.journal_dir(repo.git_dir)
    message_file = jdir / "message.txt"
    shutil.copyfile(plan_file, jdir / "plan")
    if (repo.git_dir / "index").exists():
        shutil.copyfile(repo.git_dir / "index", jdir / "index")
    journal: dict[str, Any] = {
        "phase": "prepared",
        "step": active.id,
        "plan": active.plan,
        "style": style,
        "head_before": git.head_commit(repo.root),
        "message_file": str(message_file),
    }
    state.save_journal(repo.git_dir, journal)
    try:
        # Tick first, so the gate measures exactly the tree that is committed: the commit's own
        # hooks then find that tree's result in the cache instead of running the suite again.
        plan.mark_step(plan_file, _plan_step(active), "done")
        snap = git.snapshot(repo)
        output.note(f"Running the tests of step {active.id} under coverage...")
        gate = run_gate(
            repo, cfg, snap.tree, active.base_commit, verify=active.verify,
            full=cfg.full_on_finish, ignore=(active.plan,), tree_is_work_tree=True,
        )  # fmt: skip
        if not gate.ok:
            raise GateFailed(
                gate.explain(),
                hint="Nothing was committed and your files are as they were. Fix it, then run "
                "`stepcommit finish` again (`stepcommit status` shows the last gate result).",
            )
        assert gate.tests is not None and gate.coverage is not None
        cov = gate.coverage
        figure = message.CoverageFigure(
            cov.total, cov.display, gate.previous, cov.lowest(), cov.branch, gate.patch_display, gate.measured
        )
        text = message.step_message(
            commit_type=cfg.commit_type,
            step_id=active.id,
            title=active.title,
            progress=[e.text for e in _step_entries(repo, style)],
            tests=gate.tests,
            coverage=figure,
            files=git.diff_summary(repo.root, active.base_commit, snap.tree),
            plan=active.plan,
            lint=gate.lint,
        )
        message_file.write_text(text, encoding="utf-8")
        journal.update(coverage=cov.display, tests=gate.tests.summary())
        state.save_journal(repo.git_dir, journal)
        git.stage_all(repo.root)
        journal["commit"] = git.commit(repo.root, message_file)
    except BaseException:
        if _commit_landed(repo, journal):
            journal["commit"] = git.head_commit(repo.root)
        else:
            _rollback_commit(repo, journal)
            raise
    journal["phase"] = "committed"
    state.save_journal(repo.git_dir, journal)
    return journal


def _recover(repo: git.Repo, journal: dict[str, Any]) -> dict[str, Any] | None:
    """Pick up an interrupted finish: the journal to go on with, or None after rolling back."""
    if journal["phase"] == "prepared":
        if _commit_landed(repo, journal):
            journal["commit"] = git.head_commit(repo.root)
            journal["phase"] = "committed"
            state.save_journal(repo.git_dir, journal)
            return journal
        output.note("An interrupted finish made no commit: its edits were undone; starting again.")
        _rollback_commit(repo, journal)
        return None
    return journal


def _merged_already(repo: git.Repo, active: state.ActiveStep, journal: dict[str, Any]) -> bool:
    base_tip = git.rev_parse(repo.root, active.base_branch)
    return (
        journal.get("base_before") is not None
        and base_tip != journal["base_before"]
        and git.trailer(repo.root, active.base_branch, "Step") == active.id
    )


def _merge_step(repo: git.Repo, active: state.ActiveStep, journal: dict[str, Any]) -> str:
    """Merge the step branch into its base by the journal's style; returns the base's new tip."""
    style = journal["style"]
    if style == "none":
        return str(journal["commit"])
    if journal["phase"] == "merging" and _merged_already(repo, active, journal):
        return str(git.rev_parse(repo.root, active.base_branch))
    if git.current_branch(repo.root) == active.base_branch:
        git.abort_merge(repo.root, repo.git_dir)  # a merge cut short: start it over
    else:
        git.switch(repo.root, active.base_branch)
    journal["phase"] = "merging"
    journal["base_before"] = git.rev_parse(repo.root, active.base_branch)
    state.save_journal(repo.git_dir, journal)
    try:
        git.merge(repo.root, active.branch, style=style, message_file=Path(journal["message_file"]))
    except GitError as exc:
        git.abort_merge(repo.root, repo.git_dir)
        git.switch(repo.root, active.branch)
        journal["phase"] = "committed"
        state.save_journal(repo.git_dir, journal)
        raise GitError(
            f"Step {active.id} is committed on {active.branch}, but merging it into {active.base_branch} "
            f"failed.\n{exc.message}",
            hint=f"You are back on {active.branch} with everything committed. Bring it up to date "
            f"(`git rebase {active.base_branch}`, resolving any conflict), then run `stepcommit finish` "
            "again to merge.",
        ) from None
    return str(git.rev_parse(repo.root, active.base_branch))


def finish(*, cwd: Path, merge_style: str | None = None, as_json: bool = False) -> int:
    repo = git.find_repo(cwd)
    with state.lock(repo.git_dir, "finish"):
        active = state.require_active(repo.git_dir)
        cfg = config_mod.load(repo.root)
        style = merge_style or cfg.merge
        if style not in config_mod.MERGE_STYLES:
            raise ConfigError(
                f"Unknown merge style {style!r}.", hint=f"Use one of {', '.join(config_mod.MERGE_STYLES)}."
            )
        journal = state.load_journal(repo.git_dir)
        if journal is not None:
            journal = _recover(repo, journal)
        if journal is None:
            journal = _commit_step(repo, cfg, active, style)
        tip = _merge_step(repo, active, journal)
        if journal["style"] != "none":
            git.delete_branch(repo.root, active.branch)
        record = {
            "step": active.id,
            "title": active.title,
            "plan": active.plan,
            "branch": active.branch,
            "base": active.base_branch,
            "started_at": active.started_at,
            "finished_at": state.now_iso(),
            "commit": tip,
            "merge": journal["style"],
            "coverage": journal.get("coverage"),
            "tests": journal.get("tests"),
        }
        state.append_history(repo.git_dir, record)
        progress.clear(repo.git_dir)
        state.clear_active(repo.git_dir)
        state.clear_journal(repo.git_dir)
    if as_json:
        output.emit_json(record)
        return 0
    where = active.branch if journal["style"] == "none" else active.base_branch
    output.say(f"Finished step {active.id}: {active.title}")
    output.say(
        f"Commit {tip[:10]} on {where} ({journal['style']}); tests {journal.get('tests')}; "
        f"coverage {journal.get('coverage')}%."
    )
    return 0
