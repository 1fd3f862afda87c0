"""`stepcommit.git`: the small helpers on a real repository, and the errors a user can meet."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.errors import GitError, NotARepository, RepositoryStateError
from tests.conftest import commit_all, git, write


def test_an_index_lock_held_by_a_running_git_names_that_command(project: Path) -> None:
    (project / ".git" / "index.lock").write_text("")
    # A git command still running in the repository: `cat-file --batch` waits for its input.
    running = subprocess.Popen(["git", "cat-file", "--batch"], cwd=project / "calc", stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 5
        while not g.git_processes_in(project) and time.monotonic() < deadline:
            time.sleep(0.05)  # until /proc shows it
        with pytest.raises(RepositoryStateError) as caught:
            g.refuse_index_lock(project / ".git")
    finally:
        running.communicate("")
    assert "and a git command is running in this repository: " in caught.value.message
    assert f"pid {running.pid}: git cat-file --batch" in caught.value.message
    assert caught.value.hint.startswith("Wait for it to end")
    assert g.git_processes_in(project) == []  # it has ended


def test_a_failing_merge_tree_is_a_git_error_with_a_hint(project: Path) -> None:
    with pytest.raises(GitError, match=r"git merge-tree failed \(exit \d+\):") as caught:
        g.merge_trees(project, "HEAD", "no-such-branch")
    assert "stepcommit finish" in caught.value.hint


def test_small_helpers_with_nothing_to_do(project: Path) -> None:
    assert g.ignored(project, []) == set()
    assert g.blob_sizes(project, []) == {}
    assert g.blob_on_disk(project, "no/such/file.py") is None
    g.restore_from_tree(project, g.tree_only(g.find_repo(project)), [])  # no paths: nothing written
    assert git(project, "status", "--porcelain") == ""


def test_a_tree_is_kept_as_a_rescue_commit_on_head(project: Path) -> None:
    repo = g.find_repo(project)
    write(project, {"calc/__init__.py": "# unsaved edit\n"})
    tree = g.tree_only(repo)
    rescue = g.save_tree_as_rescue(repo, tree, "stepcommit: rescue")
    assert git(project, "rev-parse", f"{rescue}^{{tree}}").strip() == tree
    assert git(project, "rev-parse", f"{rescue}^").strip() == git(project, "rev-parse", "HEAD").strip()
    refs = git(project, "for-each-ref", "--format=%(objectname)", "refs/stepcommit/rescue/").split()
    assert refs == [rescue]
    assert git(project, "show", f"{rescue}:calc/__init__.py") == "# unsaved edit\n"


def test_point_head_at_switches_the_branch_name_only(project: Path) -> None:
    git(project, "branch", "other")
    write(project, {"calc/__init__.py": "# edited\n"})
    g.point_head_at(project, "other")
    assert git(project, "branch", "--show-current").strip() == "other"
    assert (project / "calc" / "__init__.py").read_text() == "# edited\n"


def test_checkout_branch_over_overwrites_tracked_files(project: Path) -> None:
    git(project, "switch", "-q", "-c", "other")
    write(project, {"calc/__init__.py": "# on other\n"})
    commit_all(project, "feat: other")
    git(project, "switch", "-q", "main")
    write(project, {"calc/__init__.py": "# scratch\n"})
    g.checkout_branch_over(project, "other")
    assert (project / "calc" / "__init__.py").read_text() == "# on other\n"


def test_an_old_stepcommit_s_checkout_without_a_pid_counts_as_alive_for_a_day(tmp_path: Path) -> None:
    folder = tmp_path / f"{g.WORKTREE_PREFIX}oldstyle"
    folder.mkdir()
    assert g._owner_alive(folder)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(folder, (two_days_ago, two_days_ago))
    assert not g._owner_alive(folder)
    assert not g._owner_alive(tmp_path / f"{g.WORKTREE_PREFIX}vanished")
    assert g._owner_alive(tmp_path / f"{g.WORKTREE_PREFIX}{os.getpid()}-abc")


def test_merge_trees_a_clean_merge_and_a_real_conflict(project: Path) -> None:
    git(project, "switch", "-q", "-c", "other")
    write(project, {"calc/__init__.py": "# theirs\n", "new.txt": "x\n"})
    theirs = commit_all(project, "feat: theirs")
    git(project, "switch", "-q", "main")
    assert (
        g.merge_trees(project, "main", theirs).tree == git(project, "rev-parse", f"{theirs}^{{tree}}").strip()
    )
    write(project, {"calc/__init__.py": "# ours\n"})
    ours = commit_all(project, "feat: ours")
    conflict = g.merge_trees(project, ours, theirs)
    assert conflict == g.MergedTree(None, ("calc/__init__.py",))


def test_only_a_repository_with_linked_worktrees_may_have_other_checkouts(project: Path) -> None:
    main = g.find_repo(project)
    assert not g.may_have_other_checkouts(main)  # `status` then runs no `git worktree list`
    linked = project.parent / "linked"
    git(project, "worktree", "add", "-q", "-b", "other", str(linked))
    assert g.may_have_other_checkouts(main)
    assert g.may_have_other_checkouts(g.find_repo(linked))
    assert [w.path for w in g.worktrees(project)] == [project, linked]
    git(project, "worktree", "remove", str(linked))
    # git drops its empty `worktrees/` with the last record: the shortcut holds again.
    assert not g.may_have_other_checkouts(main)
    assert [w.path for w in g.worktrees(project)] == [project]


def _apart(cwd: Path) -> tuple[g.Repo, str | None, str | None]:
    repo = g.find_repo(cwd)
    return repo, g.current_branch(repo.root), g.head_commit(repo.root)


def test_the_repository_branch_and_head_from_one_process_are_what_the_separate_look_ups_say(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "sub").mkdir()
    assert g.find_repo_at_head(repo) == _apart(repo) == (g.Repo(repo, repo / ".git"), "main", None)  # unborn
    write(repo, {"a.txt": "a\n"})
    head = commit_all(repo)
    assert (
        g.find_repo_at_head(repo / "sub")
        == _apart(repo / "sub")
        == (g.Repo(repo, repo / ".git"), "main", head)
    )
    git(repo, "tag", "main")  # a tag of the branch's name: `symbolic-ref --short` says heads/main
    assert g.find_repo_at_head(repo)[1] == _apart(repo)[1] == "heads/main"
    write(repo, {"HEAD": "a file named like the revision\n"})  # git calls HEAD ambiguous then
    assert g.find_repo_at_head(repo) == _apart(repo)
    git(repo, "switch", "-q", "--detach")
    assert g.find_repo_at_head(repo) == _apart(repo) == (g.Repo(repo, repo / ".git"), None, head)
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "other", str(linked))
    assert g.find_repo_at_head(linked) == _apart(linked)
    assert g.find_repo_at_head(linked)[1:] == ("other", head)
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(NotARepository) as caught:
        g.find_repo_at_head(outside)
    assert caught.value.message == f"{outside} is not inside a git repository."
