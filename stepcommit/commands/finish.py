"""`stepcommit finish`: gate, one commit with the plan ticked, land it on the base, clean up.

What lands is what was gated. The step's commit is made from the exact tree the gate measured; the
tree that becomes the base's tip is computed without touching the work tree (`git merge-tree`),
gated again in a throw-away checkout whenever it differs from a gated tree (the base moved, the
branch was rebased, a finish resumed), and only then is the base moved, by compare-and-swap. The
user's checkout follows last. Each phase is recorded in the finish journal before it runs, so an
interrupted finish is completed (or rolled back) by running `stepcommit finish` again.

Phases: prepared (plan ticked, gate running) -> committed (the step's commit is on its branch) ->
landing (the commit for the base is made) -> landed (the base points at it; the checkout follows).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, message, output, plan, progress, state, worktrees
from stepcommit.commands.check import current_todo, current_verify, step_of, tick_options
from stepcommit.errors import (
    ConfigError,
    GateFailed,
    GitError,
    PlanError,
    StepStateError,
)
from stepcommit.gates import forbidden
from stepcommit.gates.gate import GateResult, gate_commit, run_gate
from stepcommit.state import FinishJournal, Phase


def _rollback_commit(repo: git.Repo, journal: FinishJournal, *, restore_plan: bool = True) -> None:
    """Undo the commit phase's edits (plan tick, staging) when no commit was made."""
    jdir = state.journal_dir(repo.git_dir)
    plan_backup = jdir / "plan"
    if plan_backup.exists() and restore_plan:
        shutil.copyfile(plan_backup, repo.root / journal.plan)
    index_backup = jdir / "index"
    if index_backup.exists():
        shutil.copyfile(index_backup, repo.git_dir / "index")
    state.clear_journal(repo.git_dir)


@dataclass
class _CommitPhase:
    """The commit phase's journal as it stands: the phase replaces it as it goes, and when the phase
    stops, this one decides whether its commit was made."""

    journal: FinishJournal


@contextlib.contextmanager
def _plan_and_index_kept(repo: git.Repo, journal: FinishJournal) -> Iterator[_CommitPhase]:
    """The commit phase, with the plan and the index as they were kept in the journal's folder (as
    pre-commit's `staged_files_only` keeps unstaged changes): when the phase stops before its commit
    was made, both are put back and the journal goes; a commit made before it stopped (a Ctrl-C
    right after `git commit`) is kept, and the journal names it."""
    jdir = state.journal_dir(repo.git_dir)
    shutil.copyfile(repo.root / journal.plan, jdir / "plan")
    if (repo.git_dir / "index").exists():
        shutil.copyfile(repo.git_dir / "index", jdir / "index")
    state.save_journal(repo.git_dir, journal)
    committing = _CommitPhase(journal)
    try:
        yield committing
    except BaseException:
        if not _commit_landed(repo, committing.journal):
            _rollback_commit(repo, committing.journal)
            raise
        committing.journal = replace(committing.journal, commit=git.head_commit(repo.root))


def _commit_landed(repo: git.Repo, journal: FinishJournal) -> bool:
    """Whether the step's commit was made (by this finish, of the gated tree) before it stopped."""
    head = git.head_commit(repo.root)
    return (
        bool(head != journal.head_before)
        and git.trailer(repo.root, "HEAD", "Step") == journal.step
        and journal.tree is not None
        and git.tree_of(repo.root, "HEAD") == journal.tree
    )


def _refuse_forbidden(repo: git.Repo, base: str, tree: str) -> None:
    """The forbidden-files check on the tree that is committed: names, content, secret lines."""
    forbidden.refuse_forbidden(
        forbidden.forbidden_in_change(repo, base, tree),
        hint="Add them to .gitignore (and `git rm --cached` them if git tracks them), or take the secret out "
        "of the line (a false alarm: end the line with `# pragma: allowlist secret`), then finish again. "
        "Nothing was committed.",
    )


def _check_changes(repo: git.Repo, active: state.ActiveStep) -> None:
    snap = git.snapshot(repo)
    others = [p for p in snap.paths if p != active.plan]
    if not others and git.head_commit(repo.root) == active.base_commit:
        raise StepStateError(
            f"Nothing changed in step {active.id} yet: no file differs from the base commit.",
            hint="Make the step's changes first, or leave the step with `stepcommit abort`.",
        )


def _step_entries(repo: git.Repo, style: str) -> list[progress.Entry]:
    """The entries the step commit carries: all of the step's when a squash folds the branch's plain
    commits away, else only those no plain commit of the branch carries already."""
    if style == "squash":
        return progress.read(repo.git_dir)
    return progress.uncommitted(repo.git_dir, git.head_commit(repo.root))


def _write_message(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, journal: FinishJournal,
    gate: GateResult, parent: str, tree: str, todo: tuple[str, ...] | None = None,
) -> FinishJournal:  # fmt: skip
    """The step's commit message, from ``gate``'s figures for ``tree`` (compared with ``parent``);
    returns the journal with those figures, ``tree`` among the gated ones."""
    assert gate.tests is not None and gate.coverage is not None
    cov = gate.coverage
    figure = message.CoverageFigure(
        cov.total, cov.display, gate.previous, cov.lowest(), cov.branch, gate.patch_display, gate.measured
    )
    if journal.progress_total is None:
        # Entries logged from here on belong to the next commit: `finish` keeps them.
        journal = replace(
            journal,
            progress_total=len(progress.read(repo.git_dir)),
            progress_texts=tuple(e.text for e in _step_entries(repo, journal.style)),
        )
    text = message.step_message(
        commit_type=cfg.commit_type,
        step_id=active.id,
        title=active.title,
        progress=journal.progress_texts,
        tests=gate.tests,
        coverage=figure,
        files=git.diff_summary(repo.root, parent, tree),
        plan=active.plan,
        lint=gate.lint,
        extra_lines=([f"Verify: {gate.verify}"] if gate.verify else []) + _honesty_body(gate),
        trailers=_honesty_trailers(gate),
        todo=current_todo(repo, active) if todo is None else todo,
    )
    Path(journal.message_file).write_text(text, encoding="utf-8")
    # Only the affected tests ran (measured): `full_on_finish` still owes the tree a full run.
    incremental = (tree,) if gate.measured is not None else ()
    return replace(
        journal,
        coverage=cov.display,
        tests=gate.tests.summary(),
        honesty=tuple(gate.honesty_lines()),
        allowed=gate.allowed,
        gated=(*journal.gated, tree),
        incremental_only=(*journal.incremental_only, *incremental),
    )


def _honesty_body(gate: GateResult) -> list[str]:
    """The message's account of what the honesty check let through (allowed) or warned about."""
    shown = [f for f in gate.honesty if f.policy in ("allowed", "warn")]
    lines = [f"Honesty ({f.policy}): {f.describe()}" for f in shown[:20]]
    return lines + ([f"Honesty: ... and {len(shown) - 20} more"] if len(shown) > 20 else [])


def _honesty_trailers(gate: GateResult) -> list[str]:
    from stepcommit.gates.honesty import TRAILER_KEYS

    counts = {f.kind: 0 for f in gate.honesty}
    for finding in gate.honesty:
        counts[finding.kind] += 1
    return message.honesty_trailers(gate.allowed, [(TRAILER_KEYS[k], n) for k, n in counts.items()])


def own_gate_full(cfg: config_mod.Config, style: str, base_moved: bool) -> bool:
    """Whether the step's own gate runs every test. With `full_on_finish` it does, unless the base
    moved already and the style merges (squash, no-ff): then the landing gates the merged tree in full
    anyway, and one full run, of the tree that lands, is enough."""
    return cfg.full_on_finish and not (cfg.incremental and base_moved and style in ("squash", "no-ff"))


def needs_landing_gate(cfg: config_mod.Config, journal: FinishJournal, tree: str) -> bool:
    """Whether ``tree`` is gated before it lands: no gate passed it yet, or only an incremental one
    while `full_on_finish` promises a full run's figures for the tree that lands."""
    if tree not in journal.gated:
        return True
    return cfg.full_on_finish and tree in journal.incremental_only


def _base_moved(repo: git.Repo, active: state.ActiveStep) -> bool:
    """The base gained commits the step's branch lacks (another step landed since it started)."""
    base_tip = git.rev_parse(repo.root, active.base_branch)
    head = git.head_commit(repo.root)
    return base_tip is not None and head is not None and not git.is_ancestor(repo.root, base_tip, head)


def _own_gate(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, tree: str, *, full: bool,
    allow: Mapping[str, str], use_cache: bool, verify: tuple[str, ...],
) -> GateResult:  # fmt: skip
    """The step's own gate, of ``tree``: the work tree with the plan ticked, exactly what is committed."""
    return run_gate(
        repo, cfg, tree, active.base_commit, verify=verify, full=full,
        ignore=(active.plan,), tree_is_work_tree=True, allow=allow, use_cache=use_cache,
    )  # fmt: skip


def _commit_step(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, style: str, allow: Mapping[str, str]
) -> FinishJournal:
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
    head_before = git.head_commit(repo.root)
    assert head_before is not None
    message_file = state.journal_dir(repo.git_dir) / "message.txt"
    journal = FinishJournal(
        phase=Phase.PREPARED, step=active.id, plan=active.plan, style=style, head_before=head_before,
        message_file=str(message_file), allow=tuple(allow.items()),
    )  # fmt: skip
    with _plan_and_index_kept(repo, journal) as committing:
        # Tick first, so the gate measures exactly the tree that is committed.
        # The step's Verify commands and to-do list, read before the tick (which changes neither): a big
        # plan is read whole once for them and the tick, and once more for the landing's tick.
        verify, todo = current_verify(repo, active), current_todo(repo, active)
        verified, steps = tick_options(repo, active, verify)
        plan.mark_step(plan_file, step_of(active), "done", verified=verified, steps=steps)
        snap = git.snapshot(repo)
        # On the exact tree that is gated and committed (the rollback below undoes the tick).
        _refuse_forbidden(repo, active.base_commit, snap.tree)
        output.note(f"Running the tests of step {active.id} under coverage...")
        full = own_gate_full(cfg, style, _base_moved(repo, active))
        if cfg.full_on_finish and not full:
            output.note(
                f"{active.base_branch} moved since step {active.id} started: its own gate runs incrementally; "
                "the merged tree is gated in full before it lands."
            )
        gate = _own_gate(repo, cfg, active, snap.tree, full=full, allow=allow, use_cache=True, verify=verify)
        if full and gate.ok and gate.measured is not None:
            # A cached verdict of an incremental run (a `check` of this very tree) is not the full run asked for.
            gate = _own_gate(
                repo, cfg, active, snap.tree, full=full, allow=allow, use_cache=False, verify=verify
            )
        if not gate.ok:
            raise GateFailed(
                gate.explain(),
                hint="Nothing was committed and your files are as they were. Fix it, then run "
                "`stepcommit finish` again (`stepcommit status` shows the last gate result).",
            )
        journal = _write_message(repo, cfg, active, journal, gate, active.base_commit, snap.tree, todo)
        committing.journal = journal = replace(journal, tree=snap.tree)
        state.save_journal(repo.git_dir, journal)
        # The commit records the gated tree itself, not whatever is on disk by now; the repository's
        # commit hooks still run, and a hook that changes what is committed undoes the commit.
        git.set_index(repo.root, snap.tree)
        commit = git.commit(repo.root, message_file)
        if git.tree_of(repo.root, commit) != snap.tree:
            git.move_ref(
                repo.root, f"refs/heads/{branch}", head_before, commit, "stepcommit: undo an ungated commit"
            )
            raise GateFailed(
                "A commit hook changed what was being committed (it staged files of its own), so the "
                "commit was not the tree the gate passed; it was undone.",
                hint="Find the hook that runs `git add` (.git/hooks, .pre-commit-config.yaml) and make it "
                "fail instead of staging, then run `stepcommit finish` again. Your files are as they were.",
            )
        committing.journal = replace(journal, commit=commit)
    journal = replace(committing.journal, phase=Phase.COMMITTED)
    state.save_journal(repo.git_dir, journal)
    return journal


def _undo_step_commit(repo: git.Repo, active: state.ActiveStep, journal: FinishJournal) -> None:
    """The step is committed but not landed, and the user changed files since (a fix after a failed
    landing): take the commit back, keeping every file as it is, so the next commit gates them too."""
    commit = journal.commit
    assert commit is not None  # a committed journal names its commit
    ticked = git.blob_at(repo.root, commit, active.plan)
    on_disk = git.blob_on_disk(repo.root, active.plan)
    git.move_ref(repo.root, f"refs/heads/{active.branch}", journal.head_before, commit,
                 "stepcommit: reopen the step commit to take in new changes")  # fmt: skip
    # The plan goes back to unticked only when nobody edited it since the tick.
    _rollback_commit(repo, journal, restore_plan=ticked is not None and ticked == on_disk)


def _recover(repo: git.Repo, active: state.ActiveStep, journal: FinishJournal) -> FinishJournal | None:
    """Pick up an interrupted finish: the journal to go on with, or None after rolling back."""
    phase = journal.phase
    if phase is Phase.PREPARED:
        if _commit_landed(repo, journal):
            journal = replace(journal, commit=git.head_commit(repo.root), phase=Phase.COMMITTED)
            state.save_journal(repo.git_dir, journal)
            return journal
        head = git.head_commit(repo.root)
        if head != journal.head_before and git.current_branch(repo.root) == active.branch:
            # A commit made from a tree the gate did not pass: taken back, files kept.
            git.move_ref(repo.root, f"refs/heads/{active.branch}", journal.head_before, head or "",
                         "stepcommit: undo an ungated commit")  # fmt: skip
        output.note("An interrupted finish made no commit: its edits were undone; starting again.")
        _rollback_commit(repo, journal)
        return None
    if phase is Phase.COMMITTED and git.current_branch(repo.root) == active.branch:
        tip = git.rev_parse(repo.root, active.branch)
        if tip is not None and tip == journal.commit and git.tree_only(repo) != git.tree_of(repo.root, tip):
            output.note(f"Files changed since step {active.id} was committed: committing them with it.")
            _undo_step_commit(repo, active, journal)
            return None
    return journal


def _land(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, journal: FinishJournal
) -> tuple[str, FinishJournal]:
    """Put the step on its base: the commit the base will point at is made from a tree that passed
    the gate, and the base is moved only if nobody moved it meanwhile. Returns the base's new tip
    and the journal as last saved."""
    style = journal.style
    root = repo.root
    tip = git.rev_parse(root, active.branch)
    if tip is None:
        raise StepStateError(
            f"The step's branch {active.branch} is gone, so there is nothing to land.",
            hint=f"Restore it from the reflog (`git branch {active.branch} {journal.commit or '<commit>'}`), "
            "then run `stepcommit finish` again.",
        )
    if style == "none":
        return tip, journal
    for _attempt in range(5):
        base_tip = git.rev_parse(root, active.base_branch)
        if base_tip is None:
            raise StepStateError(
                f"The base branch {active.base_branch} is gone.",
                hint=f"Recreate it (`git branch {active.base_branch} {active.base_commit}`), then finish again.",
            )
        landed = journal.landed
        if landed and journal.landed_from == tip and git.is_ancestor(root, landed, base_tip):
            if (
                base_tip == landed and journal.base_before
            ):  # it stopped after moving the base: its checkout too
                worktrees.say_note(
                    worktrees.follow_base(repo, active.base_branch, journal.base_before, landed)
                )
            return str(landed), journal
        tree = _landing_tree(repo, active, style, tip, base_tip)
        if style != "ff" and tree != journal.tree:
            # A merge resolved by hand may have taken the base's plan: the step lands ticked. (The
            # tree finish itself ticked and committed needs no second tick.)
            tree = _with_tick(repo, active, tree)
        gated_here = needs_landing_gate(cfg, journal, tree)
        if gated_here:
            journal = _gate_landing(repo, cfg, active, journal, tree, tip, base_tip)
        message_file = Path(journal.message_file)
        if style == "ff" and gated_here:
            # The tip's message has the figures of the tree it was gated with before a rebase: the
            # commit that lands is the same tree and parents with the message of this gate.
            new = git.commit_tree(root, tree, git.parents(root, tip), message_file)
        elif style == "ff":
            new = tip
        elif style == "squash":
            new = git.commit_tree(root, tree, [base_tip], message_file)
        else:
            new = git.commit_tree(root, tree, [base_tip, tip], message_file)
        journal = replace(journal, phase=Phase.LANDING, base_before=base_tip, landed=new, landed_from=tip)
        state.save_journal(repo.git_dir, journal)
        # One landing at a time moves the base and the checkout that has it (another worktree's finish
        # waits here); the compare-and-swap still catches a commit made to the base by anything else.
        with state.base_lock(repo.git_dir, active.base_branch):
            moved = git.move_ref(
                root, f"refs/heads/{active.base_branch}", new, base_tip, f"stepcommit: land step {active.id}"
            )
            if moved:
                journal = replace(journal, phase=Phase.LANDED)
                state.save_journal(repo.git_dir, journal)
                worktrees.say_note(worktrees.follow_base(repo, active.base_branch, base_tip, new))
        if moved:
            return new, journal
        output.note(f"{active.base_branch} moved while the step was landing: trying again on its new tip.")
    raise GitError(
        f"{active.base_branch} keeps moving while step {active.id} lands.",
        hint="Run `stepcommit finish` again when nothing else is committing to it.",
    )


def _landing_tree(repo: git.Repo, active: state.ActiveStep, style: str, tip: str, base_tip: str) -> str:
    """The tree the base would have after the merge, or an error that leaves everything in place."""
    if git.is_ancestor(repo.root, base_tip, tip):
        return git.tree_of(repo.root, tip)
    kept = (
        f"Step {active.id} is committed on {active.branch} and {active.base_branch} is untouched "
        f"({active.base_branch} gained commits since the step started)."
    )
    if style == "ff":
        raise GitError(
            f"{kept} A fast-forward is no longer possible.",
            hint=f"Bring the branch up to date (`git rebase {active.base_branch}`), then run `stepcommit finish` "
            "again: the rebased tree is gated before it lands.",
        )
    merged = _merge_beside_tick(repo, active, base_tip, tip) or git.merge_trees(repo.root, base_tip, tip)
    if merged.tree is None:
        raise GitError(
            f"{kept} Merging them has a conflict in: {', '.join(merged.conflicts) or '?'}.",
            hint=f"Resolve it on {active.branch}{f' in {active.worktree}' if active.worktree else ''} (`git merge "
            f"{active.base_branch}` or `git rebase {active.base_branch}`; for {active.plan}, {active.base_branch}'s "
            f"version will do: `git checkout {active.base_branch} -- {active.plan}`, the step is ticked as it "
            "lands), commit, then run `stepcommit finish` again: the result is gated before it lands.",
        )
    return merged.tree


def _ticked(repo: git.Repo, active: state.ActiveStep, text: str) -> str | None:
    """``text`` (a version of the plan) with this step ticked done, or None when it has no such step.
    Read as the plan's own file would be (its format comes from the text and the file's name)."""
    path = repo.root / active.plan
    try:
        verified, steps = tick_options(repo, active)
        the_plan = plan.parse_plan(text, path, steps=steps)
        return plan.marked_text_of(
            text, path, plan.select_step(the_plan, active.id), "done", verified=verified, steps=steps
        )
    except PlanError:
        return None


def _with_tick(repo: git.Repo, active: state.ActiveStep, tree: str) -> str:
    """``tree`` with the step ticked done in its plan (the same tree when it is, or has no such step)."""
    blob = git.blob_at(repo.root, tree, active.plan)
    text = git.blob_text(repo.root, blob) if blob else None
    ticked = _ticked(repo, active, text) if text is not None else None
    if ticked is None or ticked == text:
        return tree
    return git.tree_with_file(repo, tree, active.plan, ticked)


def _merge_beside_tick(
    repo: git.Repo, active: state.ActiveStep, base_tip: str, tip: str
) -> git.MergedTree | None:
    """Merge a step whose only plan edit is its own tick while the base's plan changed too (another
    step's tick, maybe on the next line, which git's merge calls a conflict): the rest is merged
    without the tick, then the base's plan is ticked. None: not that case, merge as usual."""
    root = repo.root
    start = git.merge_base(root, base_tip, tip)
    blobs = [git.blob_at(root, rev, active.plan) for rev in (start or "", tip, base_tip)] if start else []
    if not blobs or None in blobs or blobs[2] == blobs[0] or blobs[1] == blobs[0]:
        return None
    start_text, tip_text, _ = (git.blob_text(root, b) for b in blobs if b)
    if _ticked(repo, active, start_text) != tip_text:
        return None
    unticked = git.tree_with_file(repo, git.tree_of(root, tip), active.plan, start_text)
    probe_message = state.journal_dir(repo.git_dir) / "probe-untick.txt"
    probe_message.write_text(f"stepcommit: step {active.id} without its plan tick\n", encoding="utf-8")
    merged = git.merge_trees(root, base_tip, git.commit_tree(root, unticked, [tip], probe_message))
    merged_plan = git.blob_at(root, merged.tree, active.plan) if merged.tree else None
    ticked = _ticked(repo, active, git.blob_text(root, merged_plan)) if merged_plan else None
    if merged.tree is None or ticked is None:
        return merged if merged.tree is None else None
    return git.MergedTree(git.tree_with_file(repo, merged.tree, active.plan, ticked))


def _gate_landing(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, journal: FinishJournal,
    tree: str, tip: str, base_tip: str,
) -> FinishJournal:  # fmt: skip
    """Gate the tree that would land before it lands: it differs from every tree gated so far, or
    was gated incrementally only while `full_on_finish` asks for a full run (which this one is).
    Returns the journal with this gate's figures, saved."""
    if tree in journal.gated:
        output.note(
            f"Step {active.id}'s tree was gated incrementally only: running every test before it lands..."
        )
    else:
        output.note(
            f"{active.base_branch} moved since step {active.id} was gated (or its branch was rebased): "
            f"gating the merged tree before it lands..."
        )
    probe_message = Path(journal.message_file).with_name("probe.txt")
    probe_message.write_text(f"stepcommit: merged tree of step {active.id}, to be gated\n", encoding="utf-8")
    probe = git.commit_tree(repo.root, tree, [base_tip], probe_message)
    gate = gate_commit(
        repo, cfg, probe, base_tip, verify=current_verify(repo, active), allow=dict(journal.allow),
        ignore=(active.plan,), full=cfg.full_on_finish,
    )  # fmt: skip
    if not gate.ok:
        raise GateFailed(
            f"Step {active.id} merged with the new commits of {active.base_branch} fails the gate, so it was "
            f"not landed.\n{gate.explain()}",
            hint=f"Step {active.id} is committed on {active.branch} and {active.base_branch} is untouched. Fix "
            f"it on {active.branch} (edit the files, or `git merge {active.base_branch}` to see the merged "
            "tree), then run `stepcommit finish` again.",
        )
    journal = _write_message(repo, cfg, active, journal, gate, base_tip, tree)
    state.save_journal(repo.git_dir, journal)
    return journal


def _follow(repo: git.Repo, active: state.ActiveStep, journal: FinishJournal) -> None:
    """Bring the user's checkout onto the base's new tip. Its files are the step's committed ones,
    or a checkout cut short between those and the landed ones; anything else is the user's and is
    kept in a rescue commit before the checkout is overwritten."""
    root = repo.root
    landed, landed_from = journal.landed, journal.landed_from
    assert landed is not None and landed_from is not None  # only after the landing
    landed_tree = git.tree_of(root, landed)
    disk = git.tree_only(repo)
    if git.current_branch(root) == active.base_branch and disk == landed_tree:
        git.set_index(root, landed_tree)
        return
    step_tree = git.tree_of(root, landed_from)
    theirs = {path for _, path, _, _ in git.raw_diff(root, step_tree, disk)}
    users = [path for _, path, _, _ in git.raw_diff(root, landed_tree, disk) if path in theirs]
    if users:
        rescue = git.save_tree_as_rescue(
            repo, disk, f"stepcommit: files changed during the finish of step {active.id}"
        )
        output.note(
            f"Files changed while step {active.id} was landing ({', '.join(users[:5])}"
            f"{', ...' if len(users) > 5 else ''}) are kept in commit {rescue[:10]} (`git show {rescue[:10]}`)."
        )
    git.checkout_branch_over(root, active.base_branch)


def _remove_step_worktree(
    repo: git.Repo, cfg: config_mod.Config, active: state.ActiveStep, journal: FinishJournal
) -> Path | None:
    """After the landing: the step's worktree and branch go (unless `keep_worktree`), but only when
    the worktree holds nothing beyond the landed commit; else it stays, with a note. Returns the
    main checkout when the worktree went (the user's shell may stand in the folder removed)."""
    if cfg.keep_worktree or journal.style == "none" or journal.landed is None or journal.landed_from is None:
        return None
    if not git.is_ancestor(repo.root, journal.landed, active.base_branch):
        return None
    if git.tree_only(repo) != git.tree_of(repo.root, journal.landed_from):
        output.note(
            f"Files changed in {repo.root} during the finish: the worktree and {active.branch} are kept."
        )
        return None
    main = worktrees.main_checkout(repo)
    refused = git.remove_worktree(main, repo.root)
    if refused:
        output.note(f"The worktree {repo.root} was kept: {refused}")
        return None
    if git.rev_parse(main, active.branch) == journal.landed_from:
        git.delete_branch(main, active.branch)
    return main


def finish(
    *,
    cwd: Path,
    merge_style: str | None = None,
    as_json: bool = False,
    allow: Mapping[str, str] | None = None,
) -> int:
    """``allow``: honesty findings let through (finding -> reason); the commit carries each reason."""
    repo = git.find_repo(cwd)
    with state.lock(repo.git_dir, "finish"):
        active = state.require_active(repo.git_dir)
        cfg = config_mod.load(repo.root)
        style = merge_style or cfg.merge
        if style not in config_mod.MERGE_STYLES:
            raise ConfigError(
                f"Unknown merge style {style!r}.", hint=f"Use one of {', '.join(config_mod.MERGE_STYLES)}."
            )
        git.refuse_index_lock(repo.git_dir)
        journal = state.load_journal(repo.git_dir)
        if journal is not None:
            journal = _recover(repo, active, journal)
        if journal is None:
            journal = _commit_step(repo, cfg, active, style, allow or {})
        elif allow:  # a resumed finish: the landing gate takes the new allowances too
            journal = replace(journal, allow=tuple({**dict(journal.allow), **allow}.items()))
        tip, journal = _land(repo, cfg, active, journal)
        # A step's own worktree does not follow the base (the base is checked out elsewhere): it goes below.
        if journal.style != "none" and not active.worktree:
            _follow(repo, active, journal)
            # The branch goes only once the commit built from it is on the base.
            if git.rev_parse(repo.root, active.branch) == journal.landed_from and git.is_ancestor(
                repo.root, tip, active.base_branch
            ):
                git.delete_branch(repo.root, active.branch)
        record: dict[str, Any] = {
            "step": active.id,
            "title": active.title,
            "plan": active.plan,
            "branch": active.branch,
            "base": active.base_branch,
            "started_at": active.started_at,
            "finished_at": state.now_iso(),
            "commit": tip,
            "merge": journal.style,
            "coverage": journal.coverage,
            "tests": journal.tests,
            "allowed": [{"kind": kind, "reason": reason} for kind, reason in journal.allowed],
        }
        state.append_history(repo.git_dir, record)
        kept = progress.drop_first(repo.git_dir, journal.progress_total or 0)
        state.clear_active(repo.git_dir)
        state.clear_journal(repo.git_dir)
    removed = _remove_step_worktree(repo, cfg, active, journal) if active.worktree else None
    if active.worktree:
        record["worktree"] = {"path": active.worktree, "removed": removed is not None}
    if as_json:
        shown = {k: v for k, v in record.items() if k not in ("title", "coverage")}
        step = output.step_json(record["step"], record["title"])
        output.emit_json({**shown, "step": step, **output.figure_json("coverage", record["coverage"])})
        return 0
    where = active.branch if journal.style == "none" else active.base_branch
    output.say(f"Finished step {active.id}: {active.title}")
    output.say(
        f"Commit {tip[:10]} on {where} ({journal.style}); tests {journal.tests}; "
        f"coverage {journal.coverage}%."
    )
    if removed:
        output.say(
            f"Worktree {active.worktree} and branch {active.branch} removed; the main checkout is {removed}."
        )
    for line in journal.honesty:
        output.say(line)
    if kept:
        output.say(
            f"{kept} progress entr{'y' if kept == 1 else 'ies'} logged during the finish kept for the next commit."
        )
    return 0
