"""`stepcommit abort`: leave the step; its uncommitted work is parked on the step branch, never discarded."""

from __future__ import annotations

from pathlib import Path

from stepcommit import git, output, state
from stepcommit.commands.start import PARK_PREFIX
from stepcommit.errors import StepStateError


def abort(*, cwd: Path, as_json: bool = False) -> int:
    repo = git.find_repo(cwd)
    with state.lock(repo.git_dir, "abort"):
        active = state.require_active(repo.git_dir)
        state.refuse_if_interrupted(repo.git_dir)
        branch = git.ensure_ready(repo)
        parked = None
        if branch == active.branch:
            parked = git.save_work_on_branch(
                repo,
                active.branch,
                f"{PARK_PREFIX} {active.id}: {active.title}\n\n"
                "Uncommitted work saved by `stepcommit abort`; `stepcommit start` on this step brings it back.\n",
            )
            if not active.worktree:  # a step's own worktree goes instead (its base is checked out elsewhere)
                git.switch(repo.root, active.base_branch)
        elif branch != active.base_branch:
            raise StepStateError(
                f"Step {active.id} lives on {active.branch}, but {branch} is checked out.",
                hint=f"Switch to {active.branch} (`git switch {active.branch}`) and run `stepcommit abort` again.",
            )
        state.clear_active(repo.git_dir)
    removed = _remove_worktree(repo, active) if active.worktree else None
    if as_json:
        output.emit_json(
            {
                "step": output.step_json(active.id, active.title),
                "branch": active.branch,
                "parked": parked,
                "now_on": active.base_branch,
                "worktree": active.worktree or None,
                "worktree_removed": removed,
            }
        )
        return 0
    if active.worktree:
        output.say(f"Left step {active.id}: {active.title}.")
        output.say(f"Worktree {active.worktree} {'removed' if removed else 'kept'}.")
    else:
        output.say(f"Left step {active.id}: {active.title}; back on {active.base_branch}.")
    if parked:
        output.say(f"Your uncommitted work is saved on {active.branch} ({parked[:10]}).")
    output.say(f"`stepcommit start {active.id}` picks it up again.")
    return 0


def _remove_worktree(repo: git.Repo, active: state.ActiveStep) -> bool:
    """The step's own worktree goes once its work is parked on the branch (git refuses while it
    holds anything uncommitted, and then it stays)."""
    from stepcommit import worktrees

    refused = git.remove_worktree(worktrees.main_checkout(repo), repo.root)
    if refused:
        output.note(f"The worktree {repo.root} was kept: {refused}")
    return refused is None
