"""The typer app: parses options, calls one command function, turns its result or error into an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from stepcommit.agents import AGENT_NAMES

app = typer.Typer(
    name="stepcommit",
    help="One verified commit per plan step: start a step, log progress, finish through the gates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain: rich markup would eat `[tool.stepcommit]` as a style tag.
    rich_markup_mode=None,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
PlanOpt = Annotated[
    str | None, typer.Option("--plan", help="Plan file (default: [tool.stepcommit] plan, else PLAN.md, ...).")
]

AllowOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow",
        metavar="FINDING",
        help="Let an honesty finding through (removed-tests, skips, no-cover, config, weak-tests); needs "
        '--reason. Repeatable. The hook reads STEPCOMMIT_ALLOW="FINDING: reason; ...".',
    ),
]
ReasonOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--reason", metavar="TEXT", help="Why the allowed weakening is right (the commit carries it)."
    ),
]

_debug = False


def _allowances(allow: list[str] | None, reason: list[str] | None) -> dict[str, str]:
    """--allow/--reason pairs, over those of STEPCOMMIT_ALLOW (the pre-commit hook's only way in)."""
    import os

    from stepcommit.errors import ConfigError
    from stepcommit.gates.honesty import KINDS, parse_allow_env, parse_allowances

    try:
        found = parse_allow_env(os.environ.get("STEPCOMMIT_ALLOW", ""))
        return found | parse_allowances(allow or [], reason or [])
    except ValueError as exc:
        raise ConfigError(
            f"{exc}.",
            hint=f'e.g. --allow removed-tests --reason "moved to the integration suite" (findings: {", ".join(KINDS)}).',
        ) from None


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    global _debug
    _debug = debug


def _stdin_bytes() -> bytes:
    """Stdin as bytes: the commands decode it themselves, so bad bytes get a message, not a crash."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text-only stream put in place of stdin (an embedding program, a test)
        return str(sys.stdin.read()).encode("utf-8", "surrogateescape")
    return bytes(buffer.read())


def _call(command: Callable[..., int], **kwargs: Any) -> None:
    """Run a command function; its int becomes the exit code, Ctrl-C a message and 130."""
    try:
        code = command(**kwargs)
    except KeyboardInterrupt:
        from stepcommit import output

        output.error("Interrupted.", "`stepcommit status` shows where things stand.")
        raise typer.Exit(130) from None
    if code:
        raise typer.Exit(code)


def _inherited(ctx: typer.Context, **given: Any) -> dict[str, Any]:
    """A sub-command's options, each not given taken from its group's (`plan --json mark ...`)."""
    parent = ctx.obj or {}
    return {k: parent.get(k, v) if v is None or v is False else v for k, v in given.items()}


@app.command()
def start(
    step: Annotated[
        str | None, typer.Argument(help="Step id (1.3) or title words; default: the next open step.")
    ] = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
    worktree: Annotated[
        bool, typer.Option("--worktree", help="Start the step in its own git worktree (parallel steps).")
    ] = False,
) -> None:
    """Create the step's branch, record its base, and mark it in progress."""
    from stepcommit.commands.start import start as run

    _call(run, cwd=Path.cwd(), query=step, plan_path=plan, as_json=json, worktree=worktree)


@app.command()
def log(
    text: Annotated[list[str] | None, typer.Argument(help="The entry's text.")] = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin", help="Read entries from stdin (a pasted Progress Updates block, or one per line)."
        ),
    ] = False,
    source: Annotated[str, typer.Option(help="Who wrote the entry (cli, agent name...).")] = "cli",
    json: JsonOpt = False,
) -> None:
    """Add progress entries to the active step's log."""
    from stepcommit.commands.log import decode_stdin
    from stepcommit.commands.log import log as run

    stdin_text = decode_stdin(_stdin_bytes()) if stdin else None
    _call(run, cwd=Path.cwd(), texts=list(text or []), stdin_text=stdin_text, source=source, as_json=json)


@app.command()
def status(
    json: JsonOpt = False,
    clear_errors: Annotated[
        bool, typer.Option("--clear-errors", help="Forget the recorded hook errors, then show the status.")
    ] = False,
    all_steps: Annotated[
        bool, typer.Option("--all", help="Every active step, in every worktree of the repository.")
    ] = False,
) -> None:
    """Show the active step, changed files, progress, the last gate result and what to do next."""
    from stepcommit.commands.status import status as run

    _call(run, cwd=Path.cwd(), as_json=json, clear_errors=clear_errors, all_steps=all_steps)


@app.command()
def finish(
    merge: Annotated[
        str | None, typer.Option(help="How to merge into the base: squash, ff, no-ff or none.")
    ] = None,
    json: JsonOpt = False,
    allow: AllowOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """Run the gates, write one commit with the plan ticked, merge into the base branch."""
    from stepcommit.commands.finish import finish as run

    _call(run, cwd=Path.cwd(), merge_style=merge, as_json=json, allow=_allowances(allow, reason))


@app.command()
def check(
    hook: Annotated[
        bool, typer.Option("--hook", help="Gate the staged tree (as the pre-commit hook does).")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run the tests even if this tree passed before.")
    ] = False,
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", help="Also write the JUnit XML report here.")
    ] = None,
    coverage_xml: Annotated[
        Path | None, typer.Option("--coverage-xml", help="Also write a Cobertura coverage report here.")
    ] = None,
    json: JsonOpt = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Run every test: refresh and audit the per-test store (and turn the incremental gate "
            "back on when they agree).",
        ),
    ] = False,
    prompt: Annotated[
        bool,
        typer.Option(
            "--prompt",
            help="On a failure, print one ready-to-paste instruction for the coding agent instead.",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Compare with the merge base of this branch or commit (ratchet, changed lines, lint), as a "
            "pull request would; `auto` picks the CI's target (pull/merge request target, else the commit "
            "before the push, else the previous commit).",
        ),
    ] = None,
    allow: AllowOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """Run the gates now (tests under coverage, lint, floor, ratchet, honesty), without committing."""
    from stepcommit.commands.check import check as run

    _call(
        run,
        cwd=Path.cwd(),
        base_ref=base,
        prompt=prompt,
        hook=hook,
        use_cache=not no_cache,
        junit_xml=junit_xml,
        coverage_xml=coverage_xml,
        as_json=json,
        full=full,
        allow=_allowances(allow, reason),
    )


@app.command()
def abort(json: JsonOpt = False) -> None:
    """Leave the step: back to the base branch, its work parked safely on the step branch."""
    from stepcommit.commands.abort import abort as run

    _call(run, cwd=Path.cwd(), as_json=json)


plan_app = typer.Typer(
    rich_markup_mode=None,
    help="The plan's steps, their status, and which one is next; `plan mark` changes one by hand.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(plan_app, name="plan")


@plan_app.callback()
def plan(
    ctx: typer.Context,
    plan: PlanOpt = None,
    json: JsonOpt = False,
    parallel: Annotated[
        bool,
        typer.Option("--parallel", help="Only the steps that can start now, beside those active elsewhere."),
    ] = False,
) -> None:
    """List the plan's steps as a tree: id, title, status, line, and the next step."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"plan": plan, "json": json}
        return
    from stepcommit.commands.plan import plan as run

    _call(run, cwd=Path.cwd(), plan_path=plan, as_json=json, parallel=parallel)


@plan_app.command("mark")
def plan_mark(
    ctx: typer.Context,
    step: Annotated[str, typer.Argument(help="Step id (1.3), place (#4) or title words.")],
    status: Annotated[str, typer.Argument(help="todo, in_progress or done.")],
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """Set one step's status in the plan file, changing only its marker."""
    from stepcommit.commands.plan import mark as run

    given = _inherited(ctx, plan=plan, json=json)
    _call(run, cwd=Path.cwd(), step_query=step, status=status, plan_path=given["plan"], as_json=given["json"])


@app.command()
def report(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only what came after this commit (branch, tag, id) or date (2026-01-31)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML page to this file.")
    ] = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """What was done: plan progress, each finished step, its tests and coverage, coverage by package now."""
    from stepcommit.commands.report import report as run

    _call(run, cwd=Path.cwd(), since=since, as_json=json, html_path=html, plan_path=plan)


coverage_app = typer.Typer(
    rich_markup_mode=None,
    help="Per-file coverage of the tree as it is; `prompt`: what to test next; `history`: the trend over commits.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(coverage_app, name="coverage")
FreshOpt = Annotated[
    bool, typer.Option("--fresh", help="Run the tests even if the last gate measured this tree.")
]
ToPlanOpt = Annotated[
    bool, typer.Option("--to-plan", help="Append those files as new open steps to the plan (never twice).")
]


def _alias_note(prompt: bool, to_plan: bool, history: bool) -> None:
    """One line on stderr when an old flag stands for a sub-command (it still works)."""
    from stepcommit import output

    if history:
        old, new = "--history", "history"
    elif to_plan:
        old, new = ("--prompt --to-plan" if prompt else "--to-plan"), "prompt --to-plan"
    else:
        old, new = "--prompt", "prompt"
    output.note(f"note: `stepcommit coverage {old}` is now `stepcommit coverage {new}`.")


@coverage_app.callback()
def coverage(
    ctx: typer.Context,
    prompt: Annotated[
        bool, typer.Option("--prompt", help="Old spelling of `coverage prompt` (still works).")
    ] = False,
    to_plan: Annotated[
        bool, typer.Option("--to-plan", help="Old spelling of `coverage prompt --to-plan` (still works).")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Old spelling of `coverage history` (still works).")
    ] = False,
    fresh: FreshOpt = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            help="Files in --prompt/--to-plan (default 5); commits in --history (default 50, 0: all).",
        ),
    ] = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """Per-file coverage of the tree as it is (the last gate's data for this tree, else a test run)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"fresh": fresh, "limit": limit, "plan": plan, "json": json}
        return
    from stepcommit.commands.coverage import coverage as run

    if prompt or to_plan or history:
        _alias_note(prompt, to_plan, history)
    _call(
        run,
        cwd=Path.cwd(),
        as_json=json,
        prompt=prompt,
        to_plan=to_plan,
        history=history,
        fresh=fresh,
        plan_path=plan,
        limit=limit,
    )


@coverage_app.command("prompt")
def coverage_prompt(
    ctx: typer.Context,
    to_plan: ToPlanOpt = False,
    fresh: FreshOpt = False,
    limit: Annotated[int | None, typer.Option("--limit", help="Files to name (default 5).")] = None,
    plan: PlanOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print an instruction for the AI agent: what to test next, and where; --to-plan: also as plan steps."""
    from stepcommit.commands.coverage import coverage_prompt as run

    given = _inherited(ctx, json=json, fresh=fresh, plan=plan, limit=limit)
    _call(
        run,
        cwd=Path.cwd(),
        as_json=given["json"],
        to_plan=to_plan,
        fresh=given["fresh"],
        plan_path=given["plan"],
        limit=given["limit"],
    )


@coverage_app.command("history")
def coverage_history(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Commits to show (default 50, 0: all).")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """The figure per commit, read from Coverage trailers, with a text chart."""
    from stepcommit.commands.coverage import coverage_history as run

    given = _inherited(ctx, json=json, limit=limit)
    _call(run, cwd=Path.cwd(), as_json=given["json"], limit=given["limit"])


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Keep the throw-away repository and print where it is.")] = False,
) -> None:
    """Run start -> log -> finish on a throw-away repository and show the commit it makes."""
    from stepcommit.commands.demo import demo as run

    _call(run, keep=keep)


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]


@app.command()
def init(dry_run: DryRunOpt = False, json: JsonOpt = False) -> None:
    """Set the project up: .gitignore, pre-commit hooks, pytest/coverage/stepcommit settings, .env. Safe to rerun."""
    from stepcommit.commands.init import init as run

    _call(run, cwd=Path.cwd(), dry_run=dry_run, as_json=json)


@app.command()
def doctor(json: JsonOpt = False) -> None:
    """Check the set-up: hooks runnable from a bare shell, linters, plan, tests collected, .env ignored."""
    from stepcommit.commands.doctor import doctor as run

    _call(run, cwd=Path.cwd(), as_json=json)


@app.command()
def env(dry_run: DryRunOpt = False, json: JsonOpt = False) -> None:
    """Add to .env the keys of .env.example it lacks; existing values are never changed or shown."""
    from stepcommit.commands.env import env as run

    _call(run, cwd=Path.cwd(), dry_run=dry_run, as_json=json)


ci_app = typer.Typer(
    rich_markup_mode=None,
    help="Write a CI file that runs the stepcommit gate with test and coverage reports; run its shards and verdict.",
    no_args_is_help=True,
)
app.add_typer(ci_app, name="ci")
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace a CI file stepcommit did not write (or that was edited).")
]


ShardsOpt = Annotated[
    int | None,
    typer.Option(
        "--shards",
        help="Split the suite over N parallel jobs by recorded durations (pytest-split); a final job "
        "combines their coverage and gives the verdict.",
    ),
]


@ci_app.command("gitlab")
def ci_gitlab(
    shards: ShardsOpt = None, force: ForceOpt = False, dry_run: DryRunOpt = False, json: JsonOpt = False
) -> None:
    """Write .gitlab-ci.yml."""
    from stepcommit.commands.ci import ci as run

    _call(run, cwd=Path.cwd(), kind="gitlab", shards=shards, force=force, dry_run=dry_run, as_json=json)


@ci_app.command("github")
def ci_github(
    name: Annotated[
        str, typer.Option("--name", help="Workflow name: writes .github/workflows/NAME.yml.")
    ] = "tests",
    shards: ShardsOpt = None,
    force: ForceOpt = False,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
) -> None:
    """Write a GitHub Actions workflow."""
    from stepcommit.commands.ci import ci as run

    _call(
        run,
        cwd=Path.cwd(),
        kind="github",
        name=name,
        shards=shards,
        force=force,
        dry_run=dry_run,
        as_json=json,
    )


@ci_app.command("shard")
def ci_shard(
    splits: Annotated[int, typer.Option("--splits", help="How many shards the suite is split into.")],
    group: Annotated[int, typer.Option("--group", help="Which shard this is, from 1 to --splits.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the shard's coverage data, counts and durations.")
    ] = Path("shards"),
    json: JsonOpt = False,
) -> None:
    """Run one shard of the suite under coverage (pytest-split by .test_durations), as the gate does."""
    from stepcommit.commands.ci import shard as run

    _call(run, cwd=Path.cwd(), splits=splits, group=group, out=out, as_json=json)


@ci_app.command("verdict")
def ci_verdict(
    folder: Annotated[Path, typer.Argument(help="The folder holding every shard's files.")] = Path("shards"),
    base: Annotated[
        str,
        typer.Option(
            "--base",
            help="Compare with the merge base of this branch or commit (ratchet, changed lines); `auto` "
            "picks the CI's target, as `check --base auto` does.",
        ),
    ] = "auto",
    coverage_xml: Annotated[
        Path | None,
        typer.Option("--coverage-xml", help="Also write a Cobertura report of the combined data."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Combine the shards' coverage and give the gate's verdict: total, floor, ratchet, changed lines."""
    from stepcommit.commands.ci import verdict as run

    _call(run, cwd=Path.cwd(), folder=folder, base_ref=base, coverage_xml=coverage_xml, as_json=json)


@ci_app.command("durations")
def ci_durations(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Merge the shards' durations from this folder instead of running the suite."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Write .test_durations (pytest-split's {node_id: seconds}) for the shards to split by."""
    from stepcommit.commands.ci import durations as run

    _call(run, cwd=Path.cwd(), source=source, as_json=json)


hook_app = typer.Typer(
    rich_markup_mode=None,
    help="Entry points for git and agent hooks (written by `stepcommit install`).",
    no_args_is_help=True,
)
app.add_typer(hook_app, name="hook")


@app.command()
def install(
    agent: Annotated[
        list[str] | None,
        typer.Option("--agent", help=f"Write this agent's hook configuration ({', '.join(AGENT_NAMES)})."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Set the repository up: the git hooks through pre-commit, or with --agent an agent's own hooks."""
    from stepcommit.commands.install import install as run

    _call(run, cwd=Path.cwd(), agents=list(agent or []), dry_run=dry_run, as_json=json)


@hook_app.command("agent")
def hook_agent(
    agent: Annotated[str, typer.Option("--agent", help=f"Which agent calls: {', '.join(AGENT_NAMES)}.")],
    payload: Annotated[
        str | None, typer.Argument(help="The payload as an argument (Codex notify); else read from stdin.")
    ] = None,
) -> None:
    """Record the progress in an agent's hook payload. Always exits 0: it never blocks the agent."""
    from stepcommit.commands.hook_agent import hook_agent as run

    # Bytes, decoded by the hook itself: a payload that is not UTF-8 must not stop it before it
    # can record the problem and exit 0.
    data: str | bytes = payload if payload is not None else b""
    if payload is None and sys.stdin is not None and not sys.stdin.isatty():
        data = _stdin_bytes()
    _call(run, cwd=Path.cwd(), agent=agent, payload_text=data)


@hook_app.command("message")
def hook_message(
    files: Annotated[
        list[str] | None, typer.Argument(help="MSGFILE [SOURCE [SHA]], as git gives prepare-commit-msg.")
    ] = None,
) -> None:
    """prepare-commit-msg: add the step's new progress entries, the test result and the Coverage trailer."""
    from stepcommit.commands.hook_message import hook_message as run

    args = list(files or [])
    _call(
        run,
        cwd=Path.cwd(),
        message_file=Path(args[0]) if args else None,
        source=args[1] if len(args) > 1 else None,
        sha=args[2] if len(args) > 2 else None,
    )


@app.command()
def watch(
    pytest_args: Annotated[
        list[str] | None, typer.Argument(help="Extra arguments for pytest (after --).")
    ] = None,
    now: Annotated[bool, typer.Option("--now/--no-now", help="Run the affected tests once at start.")] = True,
    clear: Annotated[bool, typer.Option("--clear", help="Clear the screen before each run.")] = False,
) -> None:
    """Rerun the tests each save affects (the per-test store; testmon before one exists), show the total."""
    from stepcommit.commands.watch import watch as run

    _call(run, cwd=Path.cwd(), pytest_args=list(pytest_args or []), now=now, clear=clear)


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one error boundary."""
    from stepcommit.entry import guarded

    # Standalone mode: typer itself reports usage errors (exit 2) and turns Ctrl-C into exit 130.
    guarded(lambda: app(args=argv, standalone_mode=True), debug=lambda: _debug)
