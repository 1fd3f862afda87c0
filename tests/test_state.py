from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit import state
from stepcommit.errors import LockedError, StepStateError
from tests.conftest import git


def test_second_run_is_told_who_holds_the_lock(project: Path) -> None:
    git_dir = project / ".git"
    with state.lock(git_dir, "finish"):
        with pytest.raises(LockedError, match=r"`stepcommit finish` \(pid \d+\)"):
            # a different process (not a child hook of the holder) must be refused
            os.environ.pop("STEPCOMMIT_LOCK_HELD")
            with state.lock(git_dir, "start"):
                pass
    assert not (git_dir / "stepcommit" / "lock").exists()


def test_a_child_of_the_holder_may_go_on(project: Path) -> None:
    git_dir = project / ".git"
    with state.lock(git_dir, "finish"), state.lock(git_dir, "check"):
        assert (git_dir / "stepcommit" / "lock").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(project: Path) -> None:
    git_dir = project / ".git"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock = state.state_dir(git_dir) / "lock"
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(), "command": "finish"}))
    with state.lock(git_dir, "start"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_damaged_state_is_a_clear_error(project: Path) -> None:
    (state.state_dir(project / ".git") / "step.json").write_text("{not json")
    with pytest.raises(StepStateError, match="damaged"):
        state.load_active(project / ".git")


def test_require_active_without_a_step(project: Path) -> None:
    with pytest.raises(StepStateError, match="No step is active"):
        state.require_active(project / ".git")


def test_every_state_file_is_named_once_and_a_linked_worktree_shares_only_the_shared_ones(
    project: Path, tmp_path: Path
) -> None:
    from stepcommit.git import find_repo
    from stepcommit.state import StateDir

    names = [n for n, v in vars(StateDir).items() if type(v).__name__ in ("_Own", "_Shared")]
    main = StateDir(find_repo(project).git_dir)
    paths = [getattr(main, n) for n in names]
    assert len(set(paths)) == len(paths) > 20  # no two names for one file
    git(project, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    side_git_dir = find_repo(tmp_path / "side").git_dir
    peek = StateDir(side_git_dir, create=False)
    assert not peek.own.exists() and not peek.step.exists()  # looking makes nothing
    side = StateDir(side_git_dir)
    assert side.step != main.step and side.step.parent.is_dir()  # each checkout its own step
    assert side.history == main.history and side.testcov == main.testcov  # history and store shared
    assert side.base_lock("main") == main.base_lock("main")


def test_the_finish_journal_round_trips_and_a_damaged_one_is_a_message(project: Path) -> None:
    git_dir = project / ".git"
    journal = state.FinishJournal(state.Phase.PREPARED, "1.2", "PLAN.md", "squash", "abc", "/m.txt")
    journal.gated.append("t1")
    state.save_journal(git_dir, journal)
    saved = json.loads(state.StateDir(git_dir).journal.read_text())
    assert saved["phase"] == "prepared" and saved["gated"] == ["t1"]  # plain JSON, as before
    assert state.load_journal(git_dir) == journal
    # A journal an older stepcommit wrote (fewer keys, one it no longer knows) still loads.
    state.write_json(
        state.StateDir(git_dir).journal, {**saved, "landed": None, "merged": "x"} | {"phase": "landed"}
    )
    loaded = state.load_journal(git_dir)
    assert loaded is not None and loaded.phase is state.Phase.LANDED
    state.write_json(state.StateDir(git_dir).journal, {"phase": "halfway", "step": "1.2"})
    with pytest.raises(StepStateError, match="finish journal .* is damaged"):
        state.load_journal(git_dir)
