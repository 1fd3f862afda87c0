"""Bad environments get a message and a non-zero exit, never exit 3 (an unexpected error).

Each case runs the real CLI in a real repository: undecodable stdin, a garbage or orphaned lock,
state under `.git/stepcommit` that cannot be written (a file in the way, a read-only or full
file system: small tmpfs mounts, skipped where mounting is not allowed), a plan outside the
repository, out-of-range settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepcommit import config, state
from stepcommit.agents.capture import read_hook_errors
from stepcommit.errors import ConfigError, LockedError
from stepcommit.progress import read
from tests.conftest import GIT_IDENTITY, git, write

PAYLOADS = Path(__file__).parent / "agents" / "payloads"


def cli(repo: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """The real program, as a shell or an agent runs it: bytes in, exit code and text out."""
    result = subprocess.run(
        [sys.executable, "-m", "stepcommit", *args], cwd=repo, input=stdin, capture_output=True,
        env={**os.environ, **GIT_IDENTITY}, timeout=120,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode(errors="replace"),
        result.stderr.decode(errors="replace"),
    )


def assert_message(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


# 1. Undecodable stdin


def test_log_stdin_that_is_not_utf8_is_refused_with_the_offset(project: Path) -> None:
    result = cli(project, "log", "--stdin", stdin=b"1 Added the model.\n2 Caf\xe9 ready.\n")
    assert_message(result, "not UTF-8", "0xe9", "offset 24", "line 2", "iconv")
    assert read(project / ".git") == []


def test_agent_hook_with_undecodable_stdin_exits_0_and_records_it(project: Path) -> None:
    payload = json.loads((PAYLOADS / "claude_todowrite_3.json").read_text())
    payload["cwd"] = str(project)
    payload["tool_input"]["todos"][0]["content"] = "Caf\udce9 model"  # a lone \xe9 byte once encoded
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogateescape")
    result = cli(project, "hook", "agent", "--agent", "claude", stdin=data)
    assert result.returncode == 0, result.stderr
    errors = read_hook_errors(project / ".git")
    assert len(errors) == 1 and "not UTF-8" in errors[0]["error"] and "0xe9" in errors[0]["error"]
    # the rest of the payload still counts, the bad byte shown as U+FFFD
    assert "Caf\ufffd model" in [e.text for e in read(project / ".git")]


# 2. The lock


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00garbage", b"[1, 2]", b'{"pid": "abc"}', b""])
def test_a_lock_file_with_garbage_does_not_block(project: Path, garbage: bytes) -> None:
    (state.state_dir(project / ".git") / "lock").write_bytes(garbage)
    result = cli(project, "start", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["branch"] == "step/1.2-subtraction"
    assert cli(project, "status", "--json").returncode == 0


HOLD = """\
import sys, time
from pathlib import Path
from stepcommit import state
with state.lock(Path(sys.argv[1]), "finish"):
    print("held", flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def holder(git_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another stepcommit process holding the lock."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(git_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_live_holder_is_named_and_a_killed_one_never_blocks(project: Path) -> None:
    git_dir = project / ".git"
    with holder(git_dir) as proc:
        with pytest.raises(LockedError, match=rf"`stepcommit finish` \(pid {proc.pid}\) on host "):
            with state.lock(git_dir, "start"):
                pass
        assert state.lock_holder(git_dir) is not None
        proc.send_signal(signal.SIGKILL)  # no clean-up: the lock file stays, with the dead pid in it
        proc.wait()
        assert json.loads((git_dir / "stepcommit" / "lock").read_text())["pid"] == proc.pid
    assert state.lock_holder(git_dir) is None
    with state.lock(git_dir, "start"):
        assert json.loads((git_dir / "stepcommit" / "lock").read_text())["pid"] == os.getpid()


def test_a_hook_run_by_the_holder_goes_on(project: Path) -> None:
    git_dir = project / ".git"
    with state.lock(git_dir, "finish"):
        child = subprocess.run(
            [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(git_dir)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert child.returncode == 0 and child.stdout.strip() == "held", child.stderr
    # the same variable without the lock actually held by that pid is not a pass
    env = {**os.environ, "STEPCOMMIT_LOCK_HELD": "1"}
    (git_dir / "stepcommit" / "lock").write_text('{"pid": 1}')
    with holder(git_dir):
        child = subprocess.run(
            [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass"), str(git_dir)],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert child.returncode != 0 and "LockedError" in child.stderr


# 3./4. State that cannot be written


@contextlib.contextmanager
def tmpfs(path: Path, options: str) -> Iterator[None]:
    path.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def test_state_folder_replaced_by_a_file_is_a_message(project: Path) -> None:
    (project / ".git" / "stepcommit").write_text("not a folder")
    assert_message(cli(project, "log", "x"), str(project / ".git" / "stepcommit"), "in the way")
    assert_message(cli(project, "start"), "stepcommit")
    assert git(project, "branch", "--show-current").strip() == "main"


def test_a_read_only_state_folder_is_a_message(project: Path) -> None:
    with tmpfs(project / ".git" / "stepcommit", "size=1m,ro"):
        result = cli(project, "log", "Added the model.")
        assert_message(
            result, str(project / ".git" / "stepcommit"), "Read-only file system", "EROFS", "read-write"
        )
        assert_message(cli(project, "start"), "Read-only file system")
        assert git(project, "branch", "--show-current").strip() == "main"


def test_a_full_disk_is_a_message(project: Path) -> None:
    state_dir = project / ".git" / "stepcommit"
    with tmpfs(state_dir, "size=64k"):
        with contextlib.suppress(OSError):
            (state_dir / "filler").write_bytes(b"x" * 70_000)
        result = cli(project, "log", "x" * 5000)
        assert_message(result, "No space left on device", "ENOSPC", "free some space")
        (state_dir / "filler").unlink()
        assert cli(project, "log", "Added the model.").returncode == 0
        assert [e.text for e in read(project / ".git")] == ["Added the model."]
        assert not [p.name for p in state_dir.iterdir() if p.name.endswith(".tmp")]


def test_an_atomic_write_on_a_full_disk_leaves_the_old_file_and_no_temp(project: Path) -> None:
    state_dir = project / ".git" / "stepcommit"
    with tmpfs(state_dir, "size=64k"):
        target = state_dir / "cache.json"
        state.write_json(target, {"old": True})
        with pytest.raises(OSError, match="No space left"):
            state.write_json(target, {"new": "x" * 100_000})
        assert state.read_json(target) == {"old": True}
        assert sorted(p.name for p in state_dir.iterdir()) == ["cache.json"]


def test_a_damaged_cache_is_dropped_not_an_error(project: Path) -> None:
    path = state.state_dir(project / ".git") / "gate.json"
    path.write_bytes(b'{"tree": "abc", "ok": tr')  # torn by a kill or a full disk
    assert state.read_cache(path) is None and not path.exists()
    assert cli(project, "status", "--json").returncode == 0


# 5. Inputs validated before acting


def test_start_with_a_plan_outside_the_repository_changes_nothing(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "PLAN.md"
    write(outside.parent, {"PLAN.md": (project / "PLAN.md").read_text()})
    before = git(project, "for-each-ref").strip()
    result = cli(project, "start", "--plan", str(outside))
    assert_message(result, str(outside), "outside the repository")
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "for-each-ref").strip() == before
    assert git(project, "status", "--porcelain").strip() == ""
    assert state.load_active(project / ".git") is None


def test_start_with_a_plan_reached_through_a_symlink_out_is_refused(project: Path, tmp_path: Path) -> None:
    write(tmp_path / "elsewhere", {"PLAN.md": (project / "PLAN.md").read_text()})
    (project / "docs").mkdir()
    (project / "docs" / "PLAN.md").symlink_to(tmp_path / "elsewhere" / "PLAN.md")
    result = cli(project, "start", "--plan", "docs/PLAN.md")
    assert_message(result, "outside the repository")
    assert git(project, "branch", "--show-current").strip() == "main"


# 7. Settings


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("test_timeout", "-1"),
        ("test_timeout", "0"),
        ("test_timeout", "nan"),
        ("test_timeout", "inf"),
        ("test_timeout", '"abc"'),
        ("test_timeout", "true"),
        ("fail_under", "-5"),
        ("fail_under", "101"),
        ("fail_under", "nan"),
        ("fail_under_changed", "100.5"),
        ("ratchet_tolerance", "-0.1"),
        ("ratchet_tolerance", "inf"),
        ("plan", "3"),
        ("plan", '""'),
        ("base", "true"),
        ("worktree_dir", "[]"),
        ("agent_instructions", "1"),
        ("python", "[]"),
        ("python", '""'),
        ("pytest_args", "[1]"),
    ],
)
def test_out_of_range_settings_are_refused_naming_the_key(key: str, value: str) -> None:
    import tomllib

    table = tomllib.loads(f"{key} = {value}\n")
    with pytest.raises(ConfigError, match=rf"\[tool.stepcommit\] {key} "):
        config.from_table(table)


def test_good_settings_at_the_edges_are_kept() -> None:
    cfg = config.from_table(
        {"test_timeout": 0.5, "fail_under": 100, "fail_under_changed": 0, "ratchet_tolerance": 0}
    )
    assert (cfg.test_timeout, cfg.fail_under, cfg.fail_under_changed, cfg.ratchet_tolerance) == (
        0.5,
        100.0,
        0.0,
        0.0,
    )


def test_a_bad_setting_through_the_cli_is_a_message(project: Path) -> None:
    write(project, {"pyproject.toml": "[tool.stepcommit]\ntest_timeout = -1\n"})
    git(project, "add", "pyproject.toml")
    git(project, "commit", "-qm", "chore: config")
    assert_message(cli(project, "start"), "test_timeout", "out of range")
    assert git(project, "branch", "--show-current").strip() == "main"


# 4. Caches after a kill or a full disk


def test_a_truncated_pycache_heals_on_the_next_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stepcommit.config import Config
    from stepcommit.gates.testrun import run_tests
    from stepcommit.git import find_repo

    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # the interpreter writes its cache
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)  # stepcommit's own cache, not the suite's
    repo = find_repo(project)
    assert run_tests(repo, Config()).ok
    pycache = project / ".git" / "stepcommit" / "pycache"
    pycs = [p for p in pycache.rglob("*.pyc") if "calc" in p.parts]
    assert pycs, sorted(str(p) for p in pycache.rglob("*"))
    for pyc in pycs:  # the header stays valid, the code object is cut: as a short write leaves it
        pyc.write_bytes(pyc.read_bytes()[:24])
    run = run_tests(repo, Config())
    assert run.ok, (run.problem, run.output_tail)
    assert run.tests is not None and run.tests.passed == 1
    assert all(len(p.read_bytes()) > 24 for p in pycs)  # rewritten whole by the fresh run


def _pycs(folder: Path, module: str) -> list[Path]:
    return [p for p in folder.rglob("*.pyc") if module in p.parts]


def test_the_users_own_bytecode_cache_outside_the_tree_is_used_and_kept(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stepcommit.config import Config
    from stepcommit.gates.testrun import run_tests
    from stepcommit.git import find_repo

    theirs = tmp_path / "their-pycache"
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(theirs))
    repo = find_repo(project)
    assert run_tests(repo, Config()).ok
    own = project / ".git" / "stepcommit" / "pycache"
    assert _pycs(theirs, "calc") and not _pycs(own, "calc")  # one cache, shared by every checkout
    assert git(project, "status", "--porcelain", "--ignored") == ""  # nothing written into the tree
    for pyc in _pycs(theirs, "calc"):  # damaged as a kill leaves it: stepcommit runs on a fresh cache
        pyc.write_bytes(pyc.read_bytes()[:24])
    run = run_tests(repo, Config())
    assert run.ok and run.tests is not None and run.tests.passed == 1, (run.problem, run.output_tail)
    assert f"{theirs} (PYTHONPYCACHEPREFIX) holds a damaged file" in capsys.readouterr().err
    assert all(len(p.read_bytes()) == 24 for p in _pycs(theirs, "calc"))  # theirs, left for them
    assert _pycs(own, "calc")


def test_a_bytecode_cache_inside_the_tree_is_not_used(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stepcommit.config import Config
    from stepcommit.gates.testrun import run_tests
    from stepcommit.git import find_repo

    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(project / "build" / "pycache"))
    assert run_tests(find_repo(project), Config()).ok
    assert not (project / "build").exists()  # a test run leaves the work tree as it found it
    assert _pycs(project / ".git" / "stepcommit" / "pycache", "calc")


def test_the_gate_on_a_full_disk_is_a_message_and_works_once_freed(project: Path) -> None:
    state_dir = project / ".git" / "stepcommit"
    # Room for a gate with its per-test store (the incremental default), its baseline and caches.
    with tmpfs(state_dir, "size=1m"):
        with contextlib.suppress(OSError):
            (state_dir / "filler").write_bytes(b"x" * 1_100_000)
        full = cli(project, "check")
        assert full.returncode not in (0, 3), full.stderr
        assert "Traceback" not in full.stderr + full.stdout and "unexpected error" not in full.stderr
        assert "No space left on device" in full.stderr + full.stdout
        (state_dir / "filler").unlink()
        freed = cli(project, "check")
        assert freed.returncode == 0, freed.stdout + freed.stderr


# 6. A killed baseline measurement


KILLED_CHECKOUT = """\
import sys, time
from pathlib import Path
from stepcommit import git
repo = git.find_repo(Path(sys.argv[1]))
with git.temporary_worktree(repo, "HEAD") as tree:
    print(tree, flush=True)
    time.sleep(60)
"""


def test_a_killed_measurement_s_checkout_is_cleaned_up_by_the_next_run(project: Path) -> None:
    from stepcommit import git as git_mod

    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHECKOUT, str(project)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    left = Path(proc.stdout.readline().strip())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (left / "calc" / "__init__.py").is_file()
    assert str(left) in git(project, "worktree", "list", "--porcelain")
    repo = git_mod.find_repo(project)
    with git_mod.temporary_worktree(repo, "HEAD") as tree:
        assert (tree / "PLAN.md").is_file()
        assert not left.parent.exists()  # the dead run's folder went first
        listed = git(project, "worktree", "list", "--porcelain")
        assert str(left) not in listed and str(tree) in listed
    assert not tree.parent.exists()
    assert git(project, "worktree", "list", "--porcelain").count("worktree ") == 1


# 8. Megabyte texts are capped, and say so


def test_a_10_mb_failure_message_is_capped_in_the_gate_output(project: Path) -> None:
    write(project, {"tests/test_huge.py": "def test_huge():\n    assert False, 'x' * 10_000_000\n"})
    result = cli(project, "check", "--json")
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(result.stdout) + len(result.stderr) < 100_000
    failure = next(f for f in json.loads(result.stdout)["failures"] if "test_huge" in f["test"])
    assert failure["message"].endswith("more characters]") and len(failure["message"]) <= 2_000
    text = cli(project, "check")
    assert "more characters]" in text.stdout + text.stderr and len(text.stdout + text.stderr) < 100_000
    assert (project / ".git" / "stepcommit" / "gate.json").stat().st_size < 100_000


def test_a_huge_todo_payload_gives_capped_entries_and_a_capped_message(project: Path) -> None:
    from stepcommit import message
    from stepcommit.gates.results import TestResult
    from stepcommit.progress import ENTRY_CHARS

    payload = json.loads((PAYLOADS / "claude_todowrite_3.json").read_text())
    payload["cwd"] = str(project)
    todos = [{"content": "A" * 5_000_000, "status": "completed", "activeForm": "x"}]
    todos += [{"content": f"Todo {n}", "status": "completed", "activeForm": "x"} for n in range(300)]
    payload["tool_input"]["todos"] = todos
    data = json.dumps(payload).encode()
    for _ in range(2):  # the agent resends its whole list: the capped entry is not logged again
        assert cli(project, "hook", "agent", "--agent", "claude", stdin=data).returncode == 0
    entries = [e.text for e in read(project / ".git")]
    assert len(entries) == 301, [(len(e), e[:40], e[-40:]) for e in entries if not e.startswith("Todo")]
    assert entries[1:] == [f"Todo {n}" for n in range(300)]
    dropped = 5_000_000 - entries[0].index(" [… ")
    assert len(entries[0]) == ENTRY_CHARS and entries[0].endswith(f" [… {dropped:,} more characters]")
    assert (project / ".git" / "stepcommit" / "progress.jsonl").stat().st_size < 100_000
    text = message.step_message(
        commit_type="feat", step_id="1.2", title="Subtraction", progress=entries,
        tests=TestResult(1, 0, 0, 0, 0.1), coverage=message.CoverageFigure(100.0, "100.00"),
        files=(1, 1, 0), plan="PLAN.md",
    )  # fmt: skip
    lines = text.splitlines()
    assert f"{message.MESSAGE_ENTRIES + 1} [… 201 more entries, not listed]" in lines
    assert f"{message.MESSAGE_ENTRIES} Todo {message.MESSAGE_ENTRIES - 2}" in lines
    assert len(text) < 20_000
    annotated = message.annotate("fix: x\n", message.Annotation(entries=tuple(entries)))
    assert "[… 201 more entries, not listed]" in annotated and len(annotated) < 20_000
