"""Shared fixtures: real git repositories in temporary folders, with a pinned identity and config."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Started from a shell without job control (`uv run pytest &`, a CI step run in the background), this
# process inherits SIGINT ignored, and so would every child: the tests that press Ctrl-C on a real
# `stepcommit` or pytest-watcher process would wait for it forever. Python's own handler here makes
# each child start with the default action again, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Thousands of interpreters start in this suite (pytest, coverage and stepcommit in the test
# projects): with bytecode writing off (PYTHONDONTWRITEBYTECODE, set on some machines) each one
# compiles pytest, coverage and their plugins from source again, ~1 s a start. Their bytecode goes to
# one cache for the session, outside every test project, so no work tree gets a __pycache__ folder.
# The gate's own runs keep the cache stepcommit gives them (under .git/stepcommit/pycache).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault(
    "PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), f"stepcommit-suite-pycache-{os.getuid()}")
)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00+00:00",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees an empty global git config and a fixed identity, never the developer's own."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test Author\n\temail = author@example.invalid\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(home))
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run real git in ``repo``; returns stdout."""
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit_all(repo: Path, message: str = "chore: snapshot") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


PLAN = """\
# Plan

### Phase 1: Calculator

- [x] **1.1. Project Structure Setup**
- [ ] **1.2. Subtraction**
- [ ] **1.3. Multiplication**
"""

PACKAGE = '''\
"""A tiny calculator."""


def add(a, b):
    return a + b


def unused(a):
    return a * 2
'''

TEST_ADD = """\
from calc import add


def test_add():
    assert add(2, 3) == 5
"""


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """An empty repository on branch main with no commits."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    yield path


@pytest.fixture
def project(repo: Path) -> Path:
    """A committed Python project: package calc/, tests/, PLAN.md, .gitignore; on main, clean."""
    write(
        repo,
        {
            "PLAN.md": PLAN,
            "calc/__init__.py": PACKAGE,
            "tests/test_add.py": TEST_ADD,
            ".gitignore": "__pycache__/\n.env\n",
        },
    )
    commit_all(repo, "chore: initial")
    return repo
