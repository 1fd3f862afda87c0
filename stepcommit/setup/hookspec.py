"""The hooks stepcommit writes (pre-commit local hooks, agent hooks) and how each finds its program.

A hook runs from whatever shell, editor or agent calls git, usually with no virtual environment
active, so a bare `stepcommit` (or `ruff`) on PATH is not enough: after `uv add --dev stepcommit`
the program lives in the project's `.venv` only. Every hook therefore runs through one small POSIX
`sh` resolver (``resolver_argv``) that tries, in order:

1. the project's environment: `$UV_PROJECT_ENVIRONMENT` when set, else `<repo root>/.venv`
   (`bin/` or Windows' `Scripts/`): what `uv run --no-sync` would run, without uv's start-up
   (measured: 0.6 s for the direct path against 1.2-1.4 s through `uv run --no-sync`), and without
   `uv run` creating an empty `.venv` where there is none;
2. the `.venv` of the main checkout, for a git worktree (parallel steps, the lint gate's throw-away
   checkout) that has no environment of its own;
3. PATH (`uv tool install`, pipx, an activated environment).

When none has it, the hook prints one line saying what to run and exits with the code given: 0 for
the prepare-commit-msg hook, which must never block a `--no-verify` commit, 1 for the gate.

Why `sh -c` and not a script: pre-commit runs a `language: unsupported` (formerly `system`) entry
as an argv looked up on PATH, never through a shell, and `language: script` needs a file committed
into every project; `sh` is on every POSIX PATH (and in Git for Windows, which runs the hooks there).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stepcommit.errors import StepcommitError

# `$0` is the program to find; the rest of the arguments are passed on. Double quotes only, so the
# script survives pre-commit's shlex split of `entry` inside single quotes.
_RESOLVER = (
    "r=$(git rev-parse --show-toplevel 2>/dev/null) || r=.; "
    "c=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || c=$r/.git; "
    "u=${UV_PROJECT_ENVIRONMENT:-.venv}; case $u in /*) ;; *) u=$r/$u;; esac; "
    'for v in "$u" "${c%/*}/.venv"; do for e in "$v/bin/$0" "$v/Scripts/$0.exe"; do '
    '[ -x "$e" ] && exec "$e" "$@"; done; done; '
    'command -v "$0" >/dev/null 2>&1 && exec "$0" "$@"; '
    'echo "$0 not found (not in the project environment $u, not on PATH): run \\`uv sync\\` if it is a '
    'dependency of the project, else \\`uv add --dev $0\\` or \\`uv tool install $0\\`{extra}" >&2; exit {code}'
)

MISSING_EXIT_GATE = 1
MISSING_EXIT_QUIET = 0


def resolver_script(*, missing_exit: int, extra: str = "") -> str:
    return _RESOLVER.replace("{code}", str(missing_exit)).replace("{extra}", extra)


def resolver_argv(
    program: str, *args: str, missing_exit: int = MISSING_EXIT_GATE, extra: str = ""
) -> list[str]:
    """``program args...`` run through the resolver: ``["sh", "-c", script, program, *args]``."""
    return ["sh", "-c", resolver_script(missing_exit=missing_exit, extra=extra), program, *args]


def resolver_command(program: str, *args: str, missing_exit: int = MISSING_EXIT_GATE, extra: str = "") -> str:
    """The same as one shell command line (pre-commit's `entry`, an agent's `command`)."""
    return shlex.join(resolver_argv(program, *args, missing_exit=missing_exit, extra=extra))


GATE_ENTRY = resolver_command("stepcommit", "check", "--hook", extra=" (or commit with --no-verify)")
MESSAGE_ENTRY = resolver_command(
    "stepcommit",
    "hook",
    "message",
    missing_exit=MISSING_EXIT_QUIET,
    extra="; the message was left as written",
)
# What `stepcommit install` wrote before the resolver; an entry still equal to one of these is upgraded.
LEGACY_ENTRIES = {
    "stepcommit-gate": "stepcommit check --hook",
    "stepcommit-message": "stepcommit hook message",
    "ruff-check": "ruff check --force-exclude",
    "ruff-format": "ruff format --force-exclude",
}

# Local hooks calling the installed `stepcommit`, so no hook repository is fetched. `unsupported` is the
# name pre-commit 4.4 gave the old `system` language (a command run as is, no environment provisioned).
LOCAL_HOOKS: tuple[dict[str, Any], ...] = (
    {
        "id": "stepcommit-gate",
        "name": "stepcommit gate (tests, coverage, lint)",
        "entry": GATE_ENTRY,
        "language": "unsupported",
        "pass_filenames": False,
        "always_run": True,
        "stages": ["pre-commit"],
    },
    {
        "id": "stepcommit-message",
        "name": "stepcommit message (progress log, tests, coverage)",
        "entry": MESSAGE_ENTRY,
        "language": "unsupported",
        # pre-commit hands a prepare-commit-msg hook the message file only as its filename.
        "pass_filenames": True,
        "always_run": True,
        "stages": ["prepare-commit-msg"],
    },
)
STEPCOMMIT_HOOK_IDS = frozenset(h["id"] for h in LOCAL_HOOKS)

# The project's own ruff as local hooks, the same ids, files and options as astral-sh/ruff-pre-commit's,
# so nothing is fetched: a GitHub-hosted hook not yet in pre-commit's cache blocks every commit offline.
RUFF_LOCAL_HOOKS: tuple[dict[str, Any], ...] = (
    {
        "id": "ruff-check",
        "name": "ruff check",
        "entry": resolver_command("ruff", "check", "--force-exclude"),
        "language": "unsupported",
        "types_or": ["python", "pyi"],
        "require_serial": True,
    },
    {
        "id": "ruff-format",
        "name": "ruff format",
        "entry": resolver_command("ruff", "format", "--force-exclude"),
        "language": "unsupported",
        "types_or": ["python", "pyi"],
        "require_serial": True,
    },
)


def bare_path(path: str) -> str:
    """PATH as a shell without any virtual environment active sees it: every venv's bin dir removed.

    `uv run` and an activated environment put `<venv>/bin` first; an editor or a plain terminal does not.
    """
    import os

    kept = [d for d in path.split(os.pathsep) if d and not (Path(d).parent / "pyvenv.cfg").is_file()]
    return os.pathsep.join(kept)


def resolve(program: str, root: Path, env: Mapping[str, str] | None = None) -> str | None:
    """Where the hook resolver finds ``program`` when run in ``root`` from a bare shell; None if nowhere.

    Runs the very script the hooks run, with `exec` replaced by printing the path, so what this says
    is what a hook would do.
    """
    import os

    from stepcommit import proc

    base = dict(os.environ if env is None else env)
    base["PATH"] = bare_path(base.get("PATH", ""))
    for name in ("VIRTUAL_ENV", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        base.pop(name, None)
    probe = resolver_script(missing_exit=3).replace('exec "$e" "$@"', 'echo "$e" && exit 0')
    probe = probe.replace('exec "$0" "$@"', 'command -v "$0" && exit 0')
    try:
        result = proc.run(["sh", "-c", probe, program], cwd=root, env=base, check=False, timeout=30)
    except StepcommitError:  # no `sh` at all: nothing a hook could run either
        return None
    found = result.stdout.strip().splitlines()
    return found[-1] if result.returncode == 0 and found else None
