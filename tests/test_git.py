from __future__ import annotations

import time
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.errors import NotARepository, RepositoryStateError
from tests.conftest import commit_all, git, write


def test_snapshot_sees_every_kind_of_change_and_leaves_the_index_alone(project: Path) -> None:
    write(project, {"docs/guide.md": "one\ntwo\n", "old name.txt": "same content here\n" * 5})
    commit_all(project)
    write(project, {"staged.py": "x = 1\n", "unstaged.py": "y = 2\n", "with space é.py": "z = 3\n"})
    git(project, "add", "staged.py")
    (project / "calc" / "__init__.py").write_text("changed\n")
    (project / "docs" / "guide.md").unlink()
    git(project, "mv", "old name.txt", "new name.txt")
    write(project, {".env": "SECRET=1\n", "calc/__pycache__/x.pyc": "bin"})  # ignored by .gitignore
    index_before = (project / ".git" / "index").read_bytes()

    snap = g.snapshot(g.find_repo(project))

    by_path = {c.path: c for c in snap.changes}
    assert by_path["staged.py"].status == "A"
    assert by_path["unstaged.py"].status == "A"
    assert by_path["with space é.py"].status == "A"
    assert by_path["calc/__init__.py"].status == "M"
    assert by_path["docs/guide.md"].status == "D"
    assert by_path["new name.txt"].status == "R"
    assert by_path["new name.txt"].old_path == "old name.txt"
    assert ".env" not in by_path and not any("__pycache__" in p for p in by_path)
    assert by_path["unstaged.py"].added == 1
    assert (project / ".git" / "index").read_bytes() == index_before
    assert not list((project / ".git").glob("stepcommit-index-*"))
    # the tree is exactly what `git add -A` would commit
    git(project, "add", "-A")
    assert git(project, "write-tree").strip() == snap.tree


def test_find_repo_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository, match="not inside a git repository"):
        g.find_repo(tmp_path)


def test_ensure_ready_refuses_detached_head(project: Path) -> None:
    git(project, "checkout", "-q", "--detach")
    with pytest.raises(RepositoryStateError, match="detached"):
        g.ensure_ready(g.find_repo(project))


def test_ensure_ready_refuses_unborn_branch(repo: Path) -> None:
    with pytest.raises(RepositoryStateError, match="no commits yet"):
        g.ensure_ready(g.find_repo(repo))


@pytest.mark.parametrize(
    ("marker", "what"),
    [
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ],
)
def test_ensure_ready_refuses_operations_in_progress(project: Path, marker: str, what: str) -> None:
    path = project / ".git" / marker
    if marker.startswith("rebase"):
        path.mkdir()
    else:
        path.write_text(git(project, "rev-parse", "HEAD"))
    with pytest.raises(RepositoryStateError, match=what):
        g.ensure_ready(g.find_repo(project))


def test_a_real_conflicted_merge_is_refused(project: Path) -> None:
    git(project, "switch", "-q", "-c", "other")
    write(project, {"calc/__init__.py": "other\n"})
    commit_all(project)
    git(project, "switch", "-q", "main")
    write(project, {"calc/__init__.py": "mine\n"})
    commit_all(project)
    git(project, "merge", "other", check=False)
    with pytest.raises(RepositoryStateError, match="middle of a merge") as info:
        g.ensure_ready(g.find_repo(project))
    assert "git merge --abort" in info.value.hint


def test_trailer_and_diff_summary(project: Path) -> None:
    write(project, {"a.txt": "1\n2\n"})
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "feat: a\n\nStep: 1.2\nCoverage: 80.00")
    assert g.trailer(project, "HEAD", "Coverage") == "80.00"
    assert g.trailer(project, "HEAD", "Missing") is None
    assert g.diff_summary(project, "HEAD~1", "HEAD") == (1, 2, 0)


def test_a_same_second_same_size_edit_is_in_the_snapshot(repo: Path) -> None:
    # git trusts a file's cached stat when the file is older than the index; the throw-away index
    # must keep the real index's mtime, or an edit made right after `git add` goes unseen.
    write(repo, {"a.py": "x = 1\n"})
    commit_all(repo, "chore: a")
    write(repo, {"a.py": "x = 2\n"})  # same size, within the second of the commit
    time.sleep(1.1)  # a copy of the index made now would be a second newer than the edit
    snap = g.snapshot(g.find_repo(repo))
    assert [c.path for c in snap.changes] == ["a.py"]


def test_snapshot_with_a_file_gives_the_tree_tree_with_file_gives_in_a_subfolder(repo: Path) -> None:
    write(repo, {"docs/deep/PLAN.md": "- [ ] a\n", "top.txt": "x\n"})
    commit_all(repo, "c")
    write(repo, {"new.txt": "n\n"})
    found = g.find_repo(repo)
    plain = g.snapshot(found)
    snap = g.snapshot(found, counts=False, with_file=("docs/deep/PLAN.md", "- [x] a\n"))
    assert snap.tree == plain.tree and snap.paths == plain.paths == ("new.txt",)
    assert snap.tree_with_file == g.tree_with_file(found, plain.tree, "docs/deep/PLAN.md", "- [x] a\n")
    assert snap.tree_with_file != snap.tree
    assert plain.tree_with_file is None
