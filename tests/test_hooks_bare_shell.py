"""The hooks run wherever git runs them: a uv project with stepcommit in its `.venv`, committed to
from a shell with no virtual environment active and no stepcommit on PATH (real git, pre-commit, pytest)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.agents.config_files import hook_command
from stepcommit.commands.install_git import install_hook_types
from stepcommit.setup.hookspec import LOCAL_HOOKS
from tests.conftest import GIT_IDENTITY, commit_all, git, write

ROOT = Path(__file__).parent.parent
FAILING_TEST = "from calc import add\n\n\ndef test_bad():\n    assert add(1, 1) == 3\n"
PASSING_TEST = "from calc import add\n\n\ndef test_bad():\n    assert add(1, 1) == 2\n"


@pytest.fixture(scope="module")
def stepcommit_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An environment with this checkout of stepcommit installed, as `uv add --dev stepcommit` gives.

    Offline: stepcommit and what it needs (its requirements, followed in the running environment), at
    the versions installed there, from uv's cache. Only what stepcommit needs: a dev tool's dependency built from
    source here (mypy's ast-serialize has no wheel for this Python) is no part of a user's set-up.
    """
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build a project environment")
    venv = tmp_path_factory.mktemp("project-env") / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    freeze = subprocess.run(
        [uv, "pip", "freeze", "--python", sys.executable], check=True, capture_output=True, text=True
    ).stdout
    pins = [line for line in freeze.splitlines() if line and not line.startswith(("-e", "stepcommit"))]
    needed = _closure("stepcommit")
    pins = [pin for pin in pins if _normal(pin.split("==")[0]) in needed]
    reqs = venv.parent / "requirements.txt"
    reqs.write_text("\n".join(pins) + "\n")
    installed = subprocess.run(
        [uv, "pip", "install", "-q", "--offline", "--no-deps", "--python", str(venv / "bin" / "python"),
         "-r", str(reqs), "-e", str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    if installed.returncode != 0:
        pytest.skip(f"cannot build the project environment offline: {installed.stderr.strip()[-300:]}")
    yield venv


def _normal(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _closure(name: str) -> set[str]:
    """``name`` and every distribution it requires, transitively, as installed here (markers heeded)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [name]
    while todo:
        current = _normal(todo.pop())
        if current in seen:
            continue
        seen.add(current)
        try:
            requires = metadata.requires(current) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def bare_env(tmp_path: Path) -> dict[str, str]:
    """What an editor or a fresh terminal gives git: no venv, no stepcommit, no pre-commit on PATH."""
    git_dir = str(Path(shutil.which("git") or "/usr/bin/git").parent)
    path = os.pathsep.join(dict.fromkeys(["/usr/bin", "/bin", git_dir]))
    assert shutil.which("stepcommit", path=path) is None and shutil.which("pre-commit", path=path) is None
    keep = ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "LANG", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    return {**env, **GIT_IDENTITY, "PATH": path, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}


def run(
    argv: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, input=stdin, timeout=600)


@pytest.fixture
def uv_project(project: Path, stepcommit_venv: Path) -> Path:
    """``project`` made a uv project (`uv init --bare`) whose `.venv` holds stepcommit."""
    uv = shutil.which("uv")
    assert uv is not None
    subprocess.run([uv, "init", "-q", "--bare", "--no-workspace", "--vcs", "none", "--python", sys.executable],
                   cwd=project, check=True, capture_output=True)  # fmt: skip
    (project / ".venv").symlink_to(stepcommit_venv, target_is_directory=True)
    write(project, {".gitignore": "__pycache__/\n.env\n.venv\n"})
    commit_all(project, "chore: uv project")
    return project


def test_a_plain_commit_from_a_bare_shell_is_gated_and_no_verify_commits(
    uv_project: Path, tmp_path: Path
) -> None:
    env = bare_env(tmp_path)
    stepcommit = str(uv_project / ".venv" / "bin" / "stepcommit")
    # `uv run stepcommit install`: uv puts the project's .venv/bin first on PATH.
    installed = run(
        [stepcommit, "install"], uv_project, {**env, "PATH": f"{uv_project}/.venv/bin:{env['PATH']}"}
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "OK   hook stepcommit-gate: runs " in installed.stdout
    git(uv_project, "add", "-A")
    first = run(["git", "commit", "-q", "-m", "chore: stepcommit hooks"], uv_project, env)
    assert first.returncode == 0, first.stdout + first.stderr

    write(uv_project, {"tests/test_bad.py": FAILING_TEST})
    git(uv_project, "add", "-A")
    refused = run(["git", "commit", "-q", "-m", "test: bad"], uv_project, env)
    assert refused.returncode != 0
    assert "test_bad" in refused.stdout + refused.stderr
    assert "not found" not in refused.stdout + refused.stderr

    skipped = run(["git", "commit", "-q", "--no-verify", "-m", "wip: bad"], uv_project, env)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert git(uv_project, "log", "-1", "--format=%s").strip() == "wip: bad"

    # Lint is not a no-op: after install, an unused import fails the gate, named by file and line.
    write(
        uv_project,
        {"tests/test_bad.py": PASSING_TEST, "calc/extra.py": "import os\n\n\ndef f():\n    return 1\n"},
    )
    checked = run([stepcommit, "check"], uv_project, env)
    assert checked.returncode != 0
    assert "calc/extra.py:1:8" in checked.stdout + checked.stderr

    write(uv_project, {"calc/extra.py": "def f():\n    return 1\n"})
    doctor = run([stepcommit, "doctor", "--json"], uv_project, env)
    report = json.loads(doctor.stdout)
    assert doctor.returncode == 0 and report["ok"], report
    checks = {f["check"]: f["detail"] for f in report["findings"]}
    assert checks["hook stepcommit-gate"] == f"runs {uv_project}/.venv/bin/stepcommit"
    assert checks["lint"] == "pre-commit hooks ruff-check, ruff-format"
    assert checks["plan"].startswith("PLAN.md: 3 steps, 1 done")


def test_an_agent_hook_from_a_bare_shell_records_progress(uv_project: Path, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    payload = {"hook_event_name": "Stop", "session_id": "s1", "cwd": str(uv_project / "calc"),
               "last_assistant_message": "Added subtract() with its test."}  # fmt: skip
    # Claude Code runs the command through a shell, from wherever the session is.
    result = run(["sh", "-c", hook_command("claude")], uv_project / "calc", env, stdin=json.dumps(payload))
    assert result.returncode == 0, result.stderr
    status = run([str(uv_project / ".venv" / "bin" / "stepcommit"), "status", "--json"], uv_project, env)
    assert "Added subtract() with its test." in status.stdout


def test_without_stepcommit_anywhere_the_gate_says_so_and_no_verify_still_commits(
    project: Path, tmp_path: Path
) -> None:
    config = {"repos": [{"repo": "local", "hooks": [dict(h) for h in LOCAL_HOOKS]}]}
    write(project, {".pre-commit-config.yaml": json.dumps(config, indent=2) + "\n"})
    # pre-commit itself is reachable (the interpreter it was installed with); stepcommit is not.
    install_hook_types(g.find_repo(project))
    env = bare_env(tmp_path)
    git(project, "add", "-A")
    refused = run(["git", "commit", "-q", "-m", "chore: hooks"], project, env)
    assert refused.returncode != 0
    missing = [
        line for line in (refused.stdout + refused.stderr).splitlines() if "stepcommit not found" in line
    ]
    assert len(missing) == 1 and "uv add --dev stepcommit" in missing[0] and "--no-verify" in missing[0]
    skipped = run(["git", "commit", "-q", "--no-verify", "-m", "chore: hooks"], project, env)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert git(project, "log", "-1", "--format=%B").strip() == "chore: hooks"
