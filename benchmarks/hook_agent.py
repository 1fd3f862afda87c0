"""How long one agent hook call takes: `uv run python benchmarks/hook_agent.py [calls]`.

Makes a throw-away repository, runs `stepcommit install --agent claude` in it, then runs the hook
command that `.claude/settings.json` holds, as Claude Code does (through a shell, the payload on
stdin), with the Task tools' PostToolUse payloads from tests/agents/payloads in turn. Prints the
median of the calls (20 by default); the aim is 100 ms or less.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAYLOADS = Path(__file__).resolve().parent.parent / "tests" / "agents" / "payloads"
SEQUENCE = (
    "claude_taskcreate_1.json",
    "claude_taskcreate_2.json",
    "claude_taskupdate_1_in_progress.json",
    "claude_taskupdate_1_completed.json",
    "claude_taskupdate_2_completed.json",
)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    # The installed program, found as the hook finds it: on PATH (this environment's bin/).
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
        subprocess.run(["stepcommit", "install", "--agent", "claude"], cwd=root, check=True, env=env,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        settings = json.loads((root / ".claude" / "settings.json").read_text(encoding="utf-8"))
        command = settings["hooks"]["PostToolUse"][-1]["hooks"][0]["command"]
        times: list[float] = []
        for n in range(calls):
            payload = json.loads((PAYLOADS / SEQUENCE[n % len(SEQUENCE)]).read_text(encoding="utf-8"))
            payload["cwd"] = str(root)
            started = time.perf_counter()
            done = subprocess.run(command, shell=True, cwd=root, input=json.dumps(payload), env=env,
                                  capture_output=True, text=True)  # fmt: skip
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"the hook failed: {done.stderr}")
        entries = (root / ".git" / "stepcommit" / "progress.jsonl").read_text(encoding="utf-8").count("\n")
    median = statistics.median(times) * 1000
    print(f"stepcommit hook agent: median {median:.0f} ms over {calls} calls "
          f"(min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms); {entries} entries logged")  # fmt: skip


if __name__ == "__main__":
    main()
