"""The `stepcommit` program: an agent's hook call goes straight to its command, the rest to the CLI.

An agent runs `stepcommit hook agent` after tool calls and at every turn's end; loading typer (click,
rich) for it would cost more than the rest of the call (`python -X importtime`: about 90 ms of 150).
Likewise `check --hook`, which every commit runs: when a check passed on exactly the staged tree
under the same rules, the stored verdict is printed (verdict_cache.py) before typer or the gates load.
And `stepcommit --help` prints the help typer renders, kept in help.txt (a test keeps the two equal;
`uv run python benchmarks/write_help.py` writes it again), on terminals of 80 columns or more,
where click's wrapping no longer depends on the width.
Anything this does not recognise exactly (``--help``, a typo) goes to the typer app, which reports it.
"""

from __future__ import annotations

import os
import sys


def hook_agent_args(args: list[str]) -> tuple[str, str | None] | None:
    """``(agent, payload argument)`` from what follows `hook agent`, or None to let typer parse it."""
    agent: str | None = None
    payload: str | None = None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--agent" and rest and agent is None:
            agent = rest.pop(0)
        elif arg.startswith("--agent=") and agent is None:
            agent = arg.partition("=")[2]
        elif arg == "--" and len(rest) == 1 and payload is None:
            payload = rest.pop(0)
        elif arg.startswith("-") or payload is not None:
            return None
        else:
            payload = arg
    return (agent, payload) if agent else None


def replay_hook_verdict() -> bool:
    """Print the stored passing verdict of the staged tree, if there is one (then True)."""
    from pathlib import Path

    from stepcommit import output
    from stepcommit.verdict_cache import hook_replay

    lines = hook_replay(Path.cwd())
    if lines is None:
        return False
    for kind, text in lines:
        (output.say if kind == "say" else output.note)(text)
    return True


HELP_FILE = "help.txt"
TYPER_HELP_ENV = "STEPCOMMIT_TYPER_HELP"
"""Set, `--help` is typer's own (how help.txt is written and checked)."""


def stored_help(program: str, columns: int) -> str | None:
    """The pre-rendered top-level help, when it is what typer would print here (else None)."""
    from pathlib import Path

    if program != "stepcommit" or columns < 80 or os.environ.get(TYPER_HELP_ENV):
        return None
    try:
        return (Path(__file__).parent / HELP_FILE).read_text(encoding="utf-8")
    except OSError:
        return None


def main() -> None:
    args = sys.argv[1:]
    if args == ["--help"]:
        import shutil

        text = stored_help(os.path.basename(sys.argv[0]), shutil.get_terminal_size().columns)
        if text is not None:
            sys.stdout.write(text)
            return
    if args == ["check", "--hook"] and replay_hook_verdict():
        sys.exit(0)
    parsed = hook_agent_args(args[2:]) if args[:2] == ["hook", "agent"] else None
    if parsed is None:
        from stepcommit.cli import main as cli_main

        cli_main()
        return
    from stepcommit.commands.hook_agent import run_hook

    sys.exit(run_hook(agent=parsed[0], payload=parsed[1]))
