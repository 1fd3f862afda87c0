"""The `stepcommit` program: an agent's hook call goes straight to its command, the rest to the CLI.

An agent runs `stepcommit hook agent` after tool calls and at every turn's end; loading typer (click,
rich) for it would cost more than the rest of the call (`python -X importtime`: about 90 ms of 150).
Likewise `check --hook`, which every commit runs: when a check passed on exactly the staged tree
under the same rules, the stored verdict is printed (verdict_cache.py) before typer or the gates load.
And `stepcommit --help` prints the help typer renders, kept in help.txt (a test keeps the two equal;
`uv run python benchmarks/write_help.py` writes it again), on terminals of 80 columns or more,
where click's wrapping no longer depends on the width.
The plain commands a person, an agent or a commit runs often (`status`, `plan`, `check`, with only
their flags; `check` not when STEPCOMMIT_ALLOW is set) go straight to their command function too:
typer's import and the building of its command tree (about 180 ms) would be most of such a call
(a `check` of a tree that passed before replays its verdict). They print what the typer app would, errors
included: both pass through the one error boundary, `guarded`.
Anything this does not recognise exactly (``--help``, a typo) goes to the typer app, which reports it.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn


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


# command -> (its module, its function, the keyword each flag sets, the other keywords typer passes).
PLAIN: dict[str, tuple[str, str, dict[str, str], dict[str, Any]]] = {
    "status": ("stepcommit.commands.status", "status",
               {"--json": "as_json", "--all": "all_steps", "--clear-errors": "clear_errors"}, {}),
    "plan": ("stepcommit.commands.plan", "plan", {"--json": "as_json", "--parallel": "parallel"},
             {"plan_path": None}),
    "check": ("stepcommit.commands.check", "check",
              {"--hook": "hook", "--json": "as_json", "--full": "full", "--prompt": "prompt"}, {}),
}  # fmt: skip
WITHOUT_GC = frozenset({"status", "plan"})
"""Plain commands that read and print, then exit: the cyclic garbage collector's passes over the
objects their imports make (some 28 of them, ~7 ms of a `status`) free nothing worth having
(`plan.text.no_gc` pauses it for a big plan's reading likewise)."""
ALLOW_ENV = "STEPCOMMIT_ALLOW"
"""Allowances for `check` (the hook's only way in): parsed and checked by the typer app."""


def plain_call(args: list[str]) -> tuple[str, str, dict[str, Any]] | None:
    """(module, function, keywords but ``cwd``) for a plain command with only its flags, each once;
    None for anything else (typer parses it)."""
    if not args or args[0] not in PLAIN or (args[0] == "check" and os.environ.get(ALLOW_ENV)):
        return None
    module, function, flags, others = PLAIN[args[0]]
    given = args[1:]
    if len(set(given)) != len(given) or not set(given) <= flags.keys():
        return None
    return module, function, others | {keyword: flag in given for flag, keyword in flags.items()}


def guarded(run: Callable[[], object], debug: Callable[[], bool] = lambda: False) -> None:
    """The one error boundary: a StepcommitError is its message, hint and exit code; Ctrl-C exits
    130; an OSError (a full disk, a read-only folder) is a message too; a bug is a short message,
    with the traceback only under ``--debug``."""
    from stepcommit import output
    from stepcommit.errors import StepcommitError, from_os_error

    try:
        run()
    except StepcommitError as exc:
        output.error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        output.error("Interrupted.", "`stepcommit status` shows where things stand.")
        sys.exit(130)
    except OSError as exc:
        # The machine said no (full disk, read-only or foreign files under .git/stepcommit): the
        # user can act on that, so it is a message, not a bug report.
        if debug():
            raise
        problem = from_os_error(exc)
        output.error(problem.message, problem.hint)
        sys.exit(problem.exit_code)
    except Exception as exc:  # the boundary for bugs: short message, traceback only with --debug
        if debug():
            raise
        output.error(
            f"stepcommit hit an unexpected error: {type(exc).__name__}: {exc}",
            "Run again with --debug for the traceback, and report it.",
        )
        sys.exit(3)


def run_plain(module: str, function: str, keywords: dict[str, Any]) -> NoReturn:
    """Call a plain command as the typer app's command would (`cli._call`, in click's standalone
    mode): its int is the exit code, Ctrl-C a message and 130, a closed pipe a quiet exit 1."""
    import importlib
    from pathlib import Path

    def call() -> None:
        command = getattr(importlib.import_module(module), function)
        try:
            code = command(cwd=Path.cwd(), **keywords)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # As click does: the reader went away (`| head`); nothing more is written, not even
            # the flush at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        sys.exit(code)

    guarded(call)
    raise AssertionError("unreachable: guarded exits")  # pragma: no cover


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
    plain = plain_call(args)
    if plain is not None:
        if args[0] in WITHOUT_GC:
            import gc

            gc.disable()
        run_plain(*plain)
    parsed = hook_agent_args(args[2:]) if args[:2] == ["hook", "agent"] else None
    if parsed is None:
        from stepcommit.cli import main as cli_main

        cli_main()
        return
    from stepcommit.commands.hook_agent import run_hook

    sys.exit(run_hook(agent=parsed[0], payload=parsed[1]))
