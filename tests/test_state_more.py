"""`stepcommit.state` locks held by another real process: the messages a waiting run gives."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.errors import LockedError

HOLD = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, sys.argv[2].encode())
print("held", flush=True)
time.sleep(60)
"""


@contextmanager
def held(path: Path, content: str) -> Iterator[None]:
    """Another process holds an flock on ``path``, having written ``content`` into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), content], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        yield
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("content", ["not json {", '["a", "list"]'])
def test_a_lock_file_with_garbage_still_refuses_and_says_what_it_can(project: Path, content: str) -> None:
    git_dir = project / ".git"
    with held(state.state_dir(git_dir) / "lock", content):
        with pytest.raises(LockedError) as caught:
            with state.lock(git_dir, "check"):
                pass
        assert state.lock_holder(git_dir) == {"pid": "?", "command": "?", "since": "?"}
    assert caught.value.message == (
        "Another stepcommit run holds this repository: `stepcommit ?` (pid ?) on host ? since ?."
    )
    with state.lock(git_dir, "check"):  # the holder is gone: the lock is free at once
        pass


def test_a_base_branch_held_too_long_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_dir = project / ".git"
    monkeypatch.setattr(state, "_BASE_LOCK_WAIT", 0.3)
    with held(state.shared_dir(git_dir) / "base-feat_x.lock", ""):
        with pytest.raises(
            LockedError, match=r"Another stepcommit finish has held the base branch feat/x for 0.3s\."
        ):
            with state.base_lock(git_dir, "feat/x"):
                pass
    with state.base_lock(git_dir, "feat/x"):
        pass
