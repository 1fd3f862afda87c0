"""Parallel steps: one linked git worktree per step, the steps active in each, and the base's move."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stepcommit import git, output, state
from stepcommit.config import Config


@dataclass(frozen=True)
class ActiveAt:
    """A step active in one checkout of the repository."""

    path: Path
    git_dir: Path
    step: state.ActiveStep
    journal: state.FinishJournal | None
    running: str | None
    """The stepcommit command holding that checkout's lock now, if any."""


def _git_dir_of(checkout: Path, common: Path) -> Path | None:
    """A checkout's own git dir: the common one for the main checkout, `gitdir:` in a linked one's `.git`."""
    dot_git = checkout / ".git"
    if dot_git.is_dir():
        return dot_git.resolve() if dot_git.resolve() == common else None
    try:
        text = dot_git.read_text(encoding="utf-8")
    except OSError:
        return None
    pointer = text.removeprefix("gitdir:").strip()
    return (checkout / pointer).resolve() if pointer else None


def active_steps(repo: git.Repo) -> list[ActiveAt]:
    """Every active step of the repository, one per checkout, the main checkout first."""
    common = state.common_dir(repo.git_dir).resolve()
    found = []
    for tree in git.worktrees(repo.root):
        git_dir = _git_dir_of(tree.path, common)
        if git_dir is None or not state.StateDir(git_dir, create=False).step.is_file():
            continue
        step = state.load_active(git_dir)
        if step is None:
            continue
        holder = state.lock_holder(git_dir)
        running = str(holder.get("command", "?")) if holder else None
        found.append(ActiveAt(tree.path, git_dir, step, state.load_journal(git_dir), running))
    return found


def active_elsewhere(repo: git.Repo) -> list[ActiveAt]:
    if not git.may_have_other_checkouts(repo):
        return []
    here = repo.git_dir.resolve()
    return [a for a in active_steps(repo) if a.git_dir != here]


def main_checkout(repo: git.Repo) -> Path:
    return git.worktrees(repo.root)[0].path


def worktree_path(repo: git.Repo, cfg: Config, step_id: str) -> Path:
    """Where a step's worktree goes: `<repo>-step-<id>` beside the main checkout, or in `worktree_dir`."""
    main = main_checkout(repo)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", step_id).strip(".-") or "step"
    folder = Path(cfg.worktree_dir) if cfg.worktree_dir else main.parent
    if not folder.is_absolute():
        folder = main / folder
    return (folder / f"{main.name}-step-{safe}").resolve()


def checkout_of(repo: git.Repo, branch: str) -> Path | None:
    """Another checkout that has ``branch`` checked out (the main one, typically), or None."""
    here = repo.root.resolve()
    for tree in git.worktrees(repo.root):
        if tree.branch == branch and tree.path.resolve() != here:
            return tree.path
    return None


def follow_base(repo: git.Repo, branch: str, before: str, landed: str) -> str | None:
    """Bring the other checkout of ``branch`` (moved from ``before`` to ``landed``) along with it.

    Repeatable: a checkout already holding ``landed`` is left as it is. A clean checkout gets the
    landed files; one with uncommitted changes keeps them where the move does not touch them
    (as `git switch` does); one whose changes are in the way is left exactly as it was, its HEAD
    detached at ``before``, so it does not seem to undo the step. Returns a note for the user."""
    checkout = checkout_of(repo, branch)
    if checkout is None:
        return None
    if git.index_tree(checkout) == git.tree_of(repo.root, landed) and git.is_clean(checkout):
        return None  # moved with it already (a finish resumed after this point)
    if git.update_checkout(checkout, before, landed):
        return None
    git.detach_head(checkout, before)
    return (
        f"{checkout} has uncommitted changes in the way, so it was left as it was (HEAD detached at "
        f"{before[:10]}); {branch} holds the step. Bring it along: `cd {checkout} && git stash -u && "
        f"git switch {branch} && git stash pop`."
    )


def say_note(note: str | None) -> None:
    if note:
        output.note(note)
