"""`stepcommit demo`: the whole step loop on a throw-away repository, start -> log -> finish."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from stepcommit import output, proc

PLAN = """\
# Plan

### Phase 1: Calculator

- [x] **1.1. Project Structure Setup**
- [ ] **1.2. Subtraction**
- [ ] **1.3. Multiplication**
"""

PACKAGE = '''\
"""A tiny calculator."""


def add(a: int, b: int) -> int:
    return a + b


def multiply(a: int, b: int) -> int:
    return a * b
'''

SUBTRACT = """

def subtract(a: int, b: int) -> int:
    return a - b
"""

TESTS = """\
from calc import add


def test_add():
    assert add(2, 3) == 5
"""

TEST_SUBTRACT = """\
from calc import subtract


def test_subtract():
    assert subtract(5, 3) == 2
"""

PROGRESS = """\
Progress Updates
1
Adding subtract() to calc/__init__.py.

Files Edited
__init__.py
2
Adding a test for subtract.
Thought for 3s
"""

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "stepcommit demo",
    "GIT_AUTHOR_EMAIL": "demo@example.invalid",
    "GIT_COMMITTER_NAME": "stepcommit demo",
    "GIT_COMMITTER_EMAIL": "demo@example.invalid",
}


def _git(repo: Path, *args: str) -> str:
    return proc.run(["git", *args], cwd=repo, env={**os.environ, **_GIT_ENV}).stdout


def build_repo(where: Path) -> Path:
    repo = where / "calc-project"
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "PLAN.md").write_text(PLAN, encoding="utf-8")
    (repo / "calc" / "__init__.py").write_text(PACKAGE, encoding="utf-8")
    (repo / "tests" / "test_add.py").write_text(TESTS, encoding="utf-8")
    (repo / ".gitignore").write_text("__pycache__/\n.coverage\n.pytest_cache/\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", _GIT_ENV["GIT_AUTHOR_NAME"])
    _git(repo, "config", "user.email", _GIT_ENV["GIT_AUTHOR_EMAIL"])
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "chore: calculator with add()")
    return repo


def demo(*, keep: bool = False) -> int:
    from stepcommit.commands.finish import finish
    from stepcommit.commands.log import log
    from stepcommit.commands.start import start

    where = Path(tempfile.mkdtemp(prefix="stepcommit-demo-"))
    try:
        repo = build_repo(where)
        output.say(f"$ cd {repo}   # a throw-away repository: package calc/, tests/, PLAN.md\n")
        output.say("$ stepcommit start")
        start(cwd=repo, query=None)
        output.say("\n# ... the agent edits calc/__init__.py and adds tests/test_subtract.py ...")
        with (repo / "calc" / "__init__.py").open("a", encoding="utf-8") as handle:
            handle.write(SUBTRACT)
        (repo / "tests" / "test_subtract.py").write_text(TEST_SUBTRACT, encoding="utf-8")
        output.say("\n$ stepcommit log --stdin   # a pasted Progress Updates block")
        log(cwd=repo, texts=[], stdin_text=PROGRESS)
        output.say('$ stepcommit log "Checked the edge cases by hand."')
        log(cwd=repo, texts=["Checked the edge cases by hand."])
        output.say("\n$ stepcommit finish")
        finish(cwd=repo)
        output.say("\n$ git log --oneline --graph")
        output.say(_git(repo, "log", "--oneline", "--graph").rstrip())
        output.say("\n$ git show -s --format=%B HEAD")
        output.say(_git(repo, "show", "-s", "--format=%B", "HEAD").rstrip())
        output.say("\n$ git diff HEAD~1 -- PLAN.md   # the step ticked, one line")
        output.say(_git(repo, "diff", "HEAD~1", "--", "PLAN.md").rstrip())
        output.say("\n$ git status --short   # clean, back on main")
        output.say(_git(repo, "status", "--short", "--branch").rstrip())
    finally:
        if keep:
            output.say(f"\nThe demo repository is kept at {where / 'calc-project'}.")
        else:
            shutil.rmtree(where, ignore_errors=True)
    return 0
