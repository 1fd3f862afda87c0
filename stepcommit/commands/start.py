"""`stepcommit start [STEP]`: a branch for the step, the step marked in progress, the base recorded."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from stepcommit import config as config_mod
from stepcommit import git, output, plan, progress, state
from stepcommit.errors import PlanError, RepositoryStateError, StepStateError

PARK_PREFIX = "stepcommit: parked work of step"


def slugify(text: str, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def branch_name(root: Path, pattern: str, step: plan.Step) -> str:
    # A plan that names the step's branch (`Git plan: Branch: fix/import-guidelines`) is followed.
    if step.branch and git.valid_branch_name(root, step.branch):
        return step.branch
    safe_id = re.sub(r"[^A-Za-z0-9._-]+", "-", step.id).strip(".-") or str(step.index + 1)
    slug = slugify(step.title)
    name = pattern.replace("{id}", safe_id).replace("{slug}", slug)
    name = re.sub(r"-{2,}", "-", name).strip("-/").replace("-/", "/")
    name = re.sub(r"\.{2,}", ".", name).removesuffix(".lock").rstrip(".")
    if not git.valid_branch_name(root, name):
        name = f"step/{safe_id}"
    return name


def plan_in_repository(root: Path, plan_file: Path) -> str:
    """The plan's path relative to the repository root; a plan outside it (or linked out of it) is
    refused: the step's commit ticks the plan, so it must be a file of this repository."""
    try:
        plan_file.resolve().relative_to(root.resolve())
    except ValueError:
        raise PlanError(
            f"The plan {plan_file} is outside the repository {root}: nothing was changed.",
            hint="The step's commit ticks the plan, so it must live in the repository: copy it in "
            "(e.g. to PLAN.md) or point --plan at a file inside.",
        ) from None
    try:
        return plan_file.relative_to(root).as_posix()
    except ValueError:  # an absolute path reaching the repository another way
        return plan_file.resolve().relative_to(root.resolve()).as_posix()


def _refuse_active_elsewhere(repo: git.Repo, step: plan.Step) -> None:
    from stepcommit import worktrees

    for other in worktrees.active_elsewhere(repo):
        if other.step.id == step.id:
            raise StepStateError(
                f"Step {step.id} ({step.title}) is already active in {other.path} on branch {other.step.branch}.",
                hint="Work on it there, or pick another step (`stepcommit plan --parallel` lists those that can "
                "start now).",
            )


def _pick(repo: git.Repo, the_plan: plan.Plan, query: str | None, *, here_too: bool = False) -> plan.Step:
    """The named step, or the next open one that is not active in another checkout already (nor in
    this one, with ``here_too``: a new worktree's step)."""
    if query is not None:
        return plan.select_step(the_plan, query)
    from stepcommit import worktrees

    found = worktrees.active_steps(repo) if here_too else worktrees.active_elsewhere(repo)
    return plan.select_step(the_plan, None, busy={a.step.id for a in found})


def _refuse_closed(step: plan.Step, plan_file: Path) -> None:
    if step.status in ("done", "skipped"):
        raise PlanError(
            f"Step {step.id} ({step.title}) is already {step.status.replace('_', ' ')} in {plan_file.name}.",
            hint="Pick an open step (`stepcommit start` takes the next one), or reopen it: `stepcommit plan mark "
            f"{step.id} todo`.",
        )


def start(
    *,
    cwd: Path,
    query: str | None,
    plan_path: str | None = None,
    as_json: bool = False,
    worktree: bool = False,
) -> int:
    repo = git.find_repo(cwd)
    if worktree:
        return _start_in_worktree(repo, query=query, plan_path=plan_path, as_json=as_json)
    with state.lock(repo.git_dir, "start"):
        state.refuse_if_interrupted(repo.git_dir)
        active = state.load_active(repo.git_dir)
        if active is not None:
            raise StepStateError(
                f"Step {active.id} ({active.title}) is already active on branch {active.branch}.",
                hint="Finish it with `stepcommit finish`, or leave it with `stepcommit abort`, before starting another.",
            )
        current = git.ensure_ready(repo)
        cfg = config_mod.load(repo.root)
        plan_file = plan.find_plan(repo.root, plan_path or cfg.plan)
        # Every input is checked before the first change (branch, plan, state): a refusal leaves
        # the repository as it was.
        rel_plan = plan_in_repository(repo.root, plan_file)
        steps: plan.Granularity = "item" if cfg.steps == "item" else "phase"
        the_plan = plan.load_plan(plan_file, steps=steps)
        step = _pick(repo, the_plan, query)
        # A Backlog.md step's plan is its own task file: the one file its tick changes.
        plan_file = plan.step_file(plan_file, step)
        rel_plan = plan_in_repository(repo.root, plan_file)
        _refuse_closed(step, plan_file)
        _refuse_active_elsewhere(repo, step)
        name = branch_name(repo.root, cfg.branch_pattern, step)
        if name == current:
            raise RepositoryStateError(
                f"You are already on {name}, the branch of step {step.id}, but no step is active.",
                hint="Switch to the base branch (e.g. `git switch main`) and run `stepcommit start` again.",
            )
        base_branch = cfg.base or current
        base_commit = git.rev_parse(repo.root, base_branch)
        if base_commit is None:
            raise RepositoryStateError(
                f"The base branch {base_branch!r} does not exist.",
                hint="Fix `base` in [tool.stepcommit] or create the branch.",
            )
        resumed = git.branch_exists(repo.root, name)
        # Entries an ordinary commit already carries belong to it, not to this step.
        progress.drop_first(repo.git_dir, progress.committed_count(repo.git_dir, git.head_commit(repo.root)))
        carried = [] if resumed else list(git.snapshot(repo).paths)
        if resumed:
            if not git.is_clean(repo.root):
                raise RepositoryStateError(
                    f"Branch {name} already holds work of step {step.id}, and you have uncommitted changes here.",
                    hint="Commit or stash them first (`git stash -u`), then run `stepcommit start` again.",
                )
            git.switch(repo.root, name)
            if git.commit_message(repo.root).startswith(PARK_PREFIX):
                git.undo_last_commit_keep_files(repo.root)
            base_commit = git.merge_base(repo.root, base_branch, name) or base_commit
        else:
            git.create_branch(repo.root, name)
        marked = plan.mark_step(plan_file, step, "in_progress", steps=steps)
        state.save_active(
            repo.git_dir,
            state.ActiveStep(
                id=step.id,
                title=step.title,
                index=marked.index,
                line=marked.line,
                plan=rel_plan,
                branch=name,
                base_branch=base_branch,
                base_commit=base_commit,
                started_at=state.now_iso(),
                verify=step.verify,
            ),
        )
    if as_json:
        output.emit_json(
            _started(step, marked, name, base_branch, base_commit, resumed, carried, rel_plan, None)
        )
        return 0
    verb = "Resumed" if resumed else "Started"
    output.say(f"{verb} step {step.id}: {step.title}")
    output.say(
        f"Branch {name} (base {base_branch} at {base_commit[:10]}); plan {rel_plan} line {marked.line}."
    )
    if carried:
        output.say(
            f"Your {len(carried)} uncommitted change(s) came along to {name}: {', '.join(carried[:5])}"
            + (" ..." if len(carried) > 5 else "")
        )
    if resumed:
        output.say("The work parked on this branch is back in your work tree.")
    output.say('Next: work, record progress with `stepcommit log "..."`, then `stepcommit finish`.')
    return 0


def _start_in_worktree(repo: git.Repo, *, query: str | None, plan_path: str | None, as_json: bool) -> int:
    """`start --worktree`: the step in a new linked worktree on its branch from the base's tip; the
    checkout it is run from is not touched (its own step, if any, goes on there)."""
    from stepcommit import worktrees

    with state.lock(repo.git_dir, "start"):
        cfg = config_mod.load(repo.root)
        plan_file = plan.find_plan(repo.root, plan_path or cfg.plan)
        plan_in_repository(repo.root, plan_file)
        steps: plan.Granularity = "item" if cfg.steps == "item" else "phase"
        step = _pick(repo, plan.load_plan(plan_file, steps=steps), query, here_too=True)
        plan_file = plan.step_file(plan_file, step)
        rel_plan = plan_in_repository(repo.root, plan_file)
        _refuse_closed(step, plan_file)
        _refuse_active_elsewhere(repo, step)
        here = state.load_active(repo.git_dir)
        if here is not None and here.id == step.id:
            raise StepStateError(
                f"Step {step.id} ({step.title}) is already active here, on branch {here.branch}.",
                hint="Pick another step for the new worktree.",
            )
        base_branch = cfg.base or (here.base_branch if here else None) or git.current_branch(repo.root)
        base_commit = git.rev_parse(repo.root, base_branch) if base_branch else None
        if base_branch is None or base_commit is None:
            raise RepositoryStateError(
                f"The base branch {base_branch or '(detached HEAD)'} does not exist.",
                hint="Switch to the base branch, or set `base` in [tool.stepcommit].",
            )
        if not _in_committed_plan(repo, base_commit, rel_plan, step, steps):
            raise PlanError(
                f"Step {step.id} is not in the plan {rel_plan} as committed on {base_branch}, and the worktree "
                "starts from that commit.",
                hint=f"Commit the plan (`git add {rel_plan} && git commit -m 'docs: plan'`), then run the command again.",
            )
        name = branch_name(repo.root, cfg.branch_pattern, step)
        path = worktrees.worktree_path(repo, cfg, step.id)
        if path.exists():
            raise RepositoryStateError(
                f"{path} already exists, so the worktree of step {step.id} cannot go there.",
                hint="Remove or rename it, or set `worktree_dir` in [tool.stepcommit].",
            )
        resumed = git.branch_exists(repo.root, name)
        git.add_worktree(repo.root, path, name, start=None if resumed else base_commit)
        try:
            tree = git.Repo(path, git.find_repo(path).git_dir)
            if resumed:
                if git.commit_message(path).startswith(PARK_PREFIX):
                    git.undo_last_commit_keep_files(path)
                base_commit = git.merge_base(path, base_branch, name) or base_commit
            in_tree = plan.select_step(plan.load_plan(path / rel_plan, steps=steps), step.id)
            marked = plan.mark_step(path / rel_plan, in_tree, "in_progress", steps=steps)
            state.save_active(
                tree.git_dir,
                state.ActiveStep(
                    id=step.id, title=step.title, index=marked.index, line=marked.line, plan=rel_plan, branch=name,
                    base_branch=base_branch, base_commit=base_commit, started_at=state.now_iso(),
                    verify=step.verify, worktree=str(path),
                ),
            )  # fmt: skip
        except BaseException:
            # A start that cannot record its step leaves no half-made worktree (parked work stays on its branch).
            _undo_worktree(repo.root, path, name if not resumed else None, parked=resumed)
            raise
    if as_json:
        output.emit_json(_started(step, marked, name, base_branch, base_commit, resumed, [], rel_plan, path))
        return 0
    output.say(f"{'Resumed' if resumed else 'Started'} step {step.id}: {step.title}")
    output.say(f"Worktree {path} on branch {name} (base {base_branch} at {base_commit[:10]}).")
    output.say(f'Next: `cd {path}`, work, `stepcommit log "..."`, then `stepcommit finish` there.')
    return 0


def _in_committed_plan(
    repo: git.Repo, commit: str, rel_plan: str, step: plan.Step, steps: plan.Granularity
) -> bool:
    blob = git.blob_at(repo.root, commit, rel_plan)
    if blob is None:
        return False
    scratch = state.StateDir(repo.git_dir).plan_at_base
    scratch.mkdir(exist_ok=True)
    copy = scratch / Path(rel_plan).name
    copy.write_text(git.blob_text(repo.root, blob), encoding="utf-8", newline="")
    try:
        plan.select_step(plan.load_plan(copy, steps=steps), step.id)
    except PlanError:
        return False
    finally:
        copy.unlink(missing_ok=True)
    return True


def _undo_worktree(root: Path, path: Path, new_branch: str | None, *, parked: bool) -> None:
    if parked and git.rev_parse(path, "HEAD") is not None and not git.is_clean(path):
        return  # the parked work was brought back into the folder: it stays there rather than be lost
    git.remove_worktree(root, path, force=True)
    if new_branch is not None:
        git.delete_branch(root, new_branch)


def _started(
    step: plan.Step,
    marked: plan.Step,
    branch: str,
    base: str,
    base_commit: str,
    resumed: bool,
    carried: list[str],
    rel_plan: str,
    worktree: Path | None,
) -> dict[str, Any]:
    """`start --json`: the step begun, where, and from what."""
    return {
        "step": output.step_json(step.id, step.title, line=marked.line),
        "branch": branch,
        "base": base,
        "base_commit": base_commit,
        "resumed": resumed,
        "carried": carried,
        "plan": rel_plan,
        "worktree": None if worktree is None else str(worktree),
    }  # fmt: skip
