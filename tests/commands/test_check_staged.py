"""`check --hook` gates the staged tree, which is what the commit records, not what is on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit import verdict_cache
from stepcommit.commands.check import check
from stepcommit.config import load
from stepcommit.errors import GateFailed
from stepcommit.gates.cache import GateCache
from tests.conftest import PACKAGE, git, write

SUBTRACT = PACKAGE + "\n\ndef subtract(a, b):\n    return a - b\n"
TEST_SUBTRACT = "from calc import subtract\n\n\ndef test_subtract():\n    assert subtract(3, 2) == 1\n"
TEST_MORE = "from calc.more import X\n\n\ndef test_x():\n    assert X == 1\n"


def test_a_test_that_needs_an_unstaged_change_fails_the_hook(project: Path) -> None:
    # On disk the new test passes; the commit would hold it without the function it imports.
    write(project, {"calc/__init__.py": SUBTRACT, "tests/test_subtract.py": TEST_SUBTRACT})
    git(project, "add", "tests/test_subtract.py")
    with pytest.raises(GateFailed) as info:
        check(cwd=project, hook=True)
    assert "test_subtract" in info.value.message and "ImportError" in info.value.message
    assert (project / "calc/__init__.py").read_text() == SUBTRACT  # the unstaged work is untouched
    assert git(project, "diff", "--name-only").split() == ["calc/__init__.py"]
    git(project, "add", "calc/__init__.py")  # staged whole: the same tree on disk, gated in place
    assert check(cwd=project, hook=True) == 0


def test_a_test_that_needs_an_untracked_file_fails_the_hook(project: Path) -> None:
    # pre-commit stashes unstaged changes but leaves untracked files on disk, where the tests see them.
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": TEST_MORE})
    git(project, "add", "tests/test_more.py")
    with pytest.raises(GateFailed) as info:
        check(cwd=project, hook=True)
    assert "ModuleNotFoundError" in info.value.message or "ImportError" in info.value.message
    assert (project / "calc/more.py").read_text() == "X = 1\n"
    repo = g.find_repo(project)
    staged = g.write_index_tree(project)
    assert verdict_cache.lookup(repo.git_dir, load(project), tree=staged, base=g.head_commit(project)) is None


def test_the_staged_tree_gated_elsewhere_passes_and_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        project,
        {"calc/__init__.py": SUBTRACT, "tests/test_subtract.py": TEST_SUBTRACT, "notes.txt": "mine\n"},
    )
    git(project, "add", "calc/__init__.py", "tests/test_subtract.py")
    assert check(cwd=project, hook=True) == 0
    out = capsys.readouterr()
    assert "Tests: 2 passed" in out.out
    assert "notes.txt" in out.err and "separate checkout" in out.err
    assert (project / "notes.txt").read_text() == "mine\n"
    # The commit's message gets the figures of the tree it records, with the checkout's paths.
    from stepcommit.commands.hook_message import annotation_for

    annotation, _ = annotation_for(g.find_repo(project), g.head_commit(project))
    assert annotation.tests is not None and annotation.tests.startswith("2 passed")
    assert annotation.coverage is not None
    last = GateCache(g.find_repo(project).git_dir).last()
    assert last is not None and "/tree/" not in str(last)
    assert sorted(git(project, "status", "--porcelain").splitlines()) == [
        "?? notes.txt",
        "A  tests/test_subtract.py",
        "M  calc/__init__.py",
    ]


def test_an_incremental_store_of_the_disk_tree_does_not_answer_for_the_staged_one(project: Path) -> None:
    # The store measured the tree on disk; the staged tree lacks the function a kept test imports.
    write(project, {"calc/__init__.py": SUBTRACT, "tests/test_subtract.py": TEST_SUBTRACT})
    git(project, "add", "-A")
    assert check(cwd=project, hook=True) == 0
    git(project, "restore", "--staged", "calc/__init__.py")
    with pytest.raises(GateFailed) as info:
        check(cwd=project, hook=True)
    assert "test_subtract" in info.value.message
    # The store, last written from the throw-away checkout, serves the work tree again.
    write(project, {"calc/__init__.py": SUBTRACT.replace("return a - b", "return -(b - a)")})
    git(project, "add", "-A")
    assert check(cwd=project, hook=True) == 0
    assert (project / "calc/__init__.py").read_text().endswith("return -(b - a)\n")


TEST_GIT = """\
import subprocess


def test_a_repository_of_its_own(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f.txt").write_text("x")
    subprocess.run(["git", "add", "f.txt"], cwd=tmp_path, check=True)
    listed = subprocess.run(["git", "ls-files"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert listed.stdout == "f.txt\\n"
"""


@pytest.mark.parametrize("how", [["-a"], ["calc/__init__.py"]], ids=["commit -a", "commit PATH"])
def test_the_tests_do_not_inherit_the_commit_s_own_index(project: Path, how: list[str]) -> None:
    # git gives a pre-commit hook GIT_INDEX_FILE (a temporary index for `commit -a` and `commit PATH`);
    # a test that runs git in a repository of its own must not write into the commit being made.
    import sys

    write(project, {"tests/test_git.py": TEST_GIT})
    git(project, "add", "-A")
    git(project, "commit", "-q", "--no-verify", "-m", "test: a test that runs git")
    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m stepcommit check --hook\n")
    hook.chmod(0o755)
    write(project, {"calc/__init__.py": PACKAGE.replace("return a + b", "return b + a")})
    git(project, "commit", "-q", "-m", "refactor: add the other way round", *how)
    assert git(project, "ls-files").split() == [".gitignore", "PLAN.md", "calc/__init__.py",
                                                "tests/test_add.py", "tests/test_git.py"]  # fmt: skip
    assert git(project, "show", "--name-only", "--format=", "HEAD").split() == ["calc/__init__.py"]


def test_a_real_commit_with_an_untracked_file_is_gated_apart(project: Path) -> None:
    # git runs the hook with GIT_INDEX_FILE=.git/index, relative: in the throw-away checkout `.git` is a file.
    import subprocess
    import sys

    hook = project / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -m stepcommit check --hook\n")
    hook.chmod(0o755)
    write(project, {"notes.txt": "mine\n", "calc/more.py": "X = 1\n", "tests/test_more.py": TEST_MORE})
    git(project, "add", "tests/test_more.py")
    refused = subprocess.run(["git", "commit", "-q", "-m", "test: more"], cwd=project, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
    assert refused.returncode != 0
    assert "separate checkout" in refused.stderr and "test_more" in refused.stderr
    git(project, "add", "calc/more.py")
    git(project, "commit", "-q", "-m", "feat: more")  # notes.txt stays untracked: gated apart, passes
    assert git(project, "show", "--name-only", "--format=", "HEAD").split() == [
        "calc/more.py",
        "tests/test_more.py",
    ]
    assert (project / "notes.txt").read_text() == "mine\n"
