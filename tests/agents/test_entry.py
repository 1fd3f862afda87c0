"""The program's fast path for agent hook calls: the same command, without typer or rich loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.entry import hook_agent_args
from stepcommit.progress import read

PAYLOADS = Path(__file__).parent / "payloads"


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["--agent", "claude"], ("claude", None)),
        (["--agent=codex", '{"type": "agent-turn-complete"}'], ("codex", '{"type": "agent-turn-complete"}')),
        (["--agent", "codex", "--", "{}"], ("codex", "{}")),
        (["--help"], None),
        ([], None),
        (["--agent", "claude", "a", "b"], None),
        (["--agent", "claude", "--agent", "codex"], None),
    ],
)
def test_hook_agent_args(args: list[str], parsed: tuple[str, str | None] | None) -> None:
    assert hook_agent_args(args) == parsed


def test_the_hook_path_loads_no_typer_and_no_rich(project: Path) -> None:
    payload = json.loads((PAYLOADS / "claude_todowrite_3.json").read_text(encoding="utf-8"))
    code = "import sys; sys.argv = ['stepcommit', 'hook', 'agent', '--agent', 'claude']; " \
           "from stepcommit.entry import main; main()"  # fmt: skip
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=project,
                          input=json.dumps({**payload, "cwd": str(project)}), capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0
    modules = {
        line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")
    }
    assert "stepcommit.commands.hook_agent" in modules
    assert not {m for m in modules if m.split(".")[0] in ("typer", "click", "rich", "git", "tomlkit")}
    assert len(read(project / ".git")) == 3


def test_anything_else_goes_to_the_cli(project: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['stepcommit', 'hook', 'agent', '--help']; "
                           "from stepcommit.entry import main; main()"], cwd=project, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "--agent" in done.stdout
