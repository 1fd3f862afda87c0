from __future__ import annotations

import dataclasses
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
    journal = state.FinishJournal(
        state.Phase.PREPARED, "1.2", "PLAN.md", "squash", "abc", "/m.txt", gated=("t1",)
    )
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


# finish.json exactly as stepcommit wrote it while the journal was a mutable dataclass: lists, `allow` an
# object, `allowed` a list of objects (a finish killed mid-way, then stepcommit upgraded).
_JOURNAL_OF_MUTABLE_DAYS = {
    "phase": "landing",
    "step": "1.2",
    "plan": "PLAN.md",
    "style": "squash",
    "head_before": "h0",
    "message_file": "/m.txt",
    "allow": {"skip": "flaky on CI, issue 7", "weakened-assert": "the float compare is approximate"},
    "tree": "t1",
    "commit": "c1",
    "gated": ["t1", "t2"],
    "incremental_only": ["t1"],
    "progress_total": 2,
    "progress_texts": ["parser done", "edge cases"],
    "coverage": "91.50",
    "tests": "12 passed",
    "honesty": ["Honesty check (against the base):", "  [allowed] skip in tests/test_x.py:3"],
    "allowed": [{"kind": "skip", "reason": "flaky on CI, issue 7"}],
    "base_before": "b0",
    "landed": "l1",
    "landed_from": "c1",
}


def test_a_journal_the_mutable_journal_wrote_loads_and_saves_back_the_same_json(project: Path) -> None:
    git_dir = project / ".git"
    path = state.StateDir(git_dir).journal
    state.write_json(path, _JOURNAL_OF_MUTABLE_DAYS)
    written = path.read_bytes()
    journal = state.load_journal(git_dir)
    assert journal is not None and journal.phase is state.Phase.LANDING
    assert journal.gated == ("t1", "t2") and journal.incremental_only == ("t1",)
    assert journal.progress_texts == ("parser done", "edge cases") and journal.honesty[1].endswith("x.py:3")
    assert dict(journal.allow) == _JOURNAL_OF_MUTABLE_DAYS["allow"]
    assert list(journal.allow) == [
        ("skip", "flaky on CI, issue 7"),
        ("weakened-assert", "the float compare is approximate"),
    ]
    assert journal.allowed == (("skip", "flaky on CI, issue 7"),)
    state.save_journal(git_dir, journal)
    assert path.read_bytes() == written  # byte for byte what the old code wrote
    assert state.load_journal(git_dir) == journal


def test_the_finish_journal_cannot_be_changed_in_place() -> None:
    journal = state.FinishJournal(state.Phase.PREPARED, "1.2", "PLAN.md", "squash", "abc", "/m.txt")
    with pytest.raises(dataclasses.FrozenInstanceError):
        journal.commit = "c1"  # type: ignore[misc]
    with pytest.raises(AttributeError):  # a tuple has no append: the gated trees change by replace only
        journal.gated.append("t1")  # type: ignore[attr-defined]
    landed = dataclasses.replace(journal, phase=state.Phase.LANDED, gated=("t1",))
    assert (journal.phase, journal.gated) == (state.Phase.PREPARED, ())
    assert (landed.phase, landed.gated, landed.step) == (state.Phase.LANDED, ("t1",), "1.2")
