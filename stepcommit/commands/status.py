"""`stepcommit status`: the step, changed files, progress so far, last gate result, interrupted finish."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepcommit import git, output, progress, state
from stepcommit.gates.cache import GateCache
from stepcommit.redact import redact_all

if TYPE_CHECKING:
    from stepcommit.worktrees import ActiveAt


def _next_action(
    active: state.ActiveStep | None, journal: state.FinishJournal | None, gate: dict[str, Any] | None, changed: int,
    index_lock: str | None = None, running: str | None = None,
) -> str:  # fmt: skip
    if index_lock:
        return f"clear git's stale index lock (`rm {index_lock}`, when no git command runs), then: " + (
            "stepcommit finish" if journal else "go on"
        )
    if journal and running:
        return f"wait: `stepcommit {running}` is running in this repository"
    if journal:
        return "stepcommit finish  (completes the interrupted finish)"
    if active is None:
        return "stepcommit start  (begins the next open step of the plan)"
    if gate and not gate.get("ok"):
        return "fix the failing gate, then: stepcommit finish"
    if changed:
        return "stepcommit finish"
    return "work on the step, then: stepcommit finish"


def collect(cwd: Path) -> dict[str, Any]:
    repo, branch, head = git.find_repo_at_head(cwd)
    active = state.load_active(repo.git_dir)
    journal = state.load_journal(repo.git_dir)
    lock_path = repo.git_dir / "index.lock"
    index_lock = str(lock_path) if lock_path.exists() else None
    gate = GateCache(repo.git_dir).last()
    # The plan is read only during a step, and then once (or its read is found in the state folder).
    todo, ticked = _step_read(repo, active) if active is not None else ((), None)
    # The step ticked in the plan is the tree `finish` commits: a gate of it is of the work as it is
    # now. It is staged in the snapshot's own index (no second index, no second HEAD look-up).
    with_file = (
        (active.plan, ticked) if active is not None and ticked is not None and gate is not None else None
    )
    # With the index locked git cannot stage into a copy of it either: no file list then.
    snap = git.snapshot(repo, head, counts=False, with_file=with_file) if head and not index_lock else None
    changes = snap.changes if snap else ()
    holder = state.lock_holder(repo.git_dir)
    running = str(holder.get("command", "?")) if holder else None
    if gate is not None:
        # Which tree the verdict is about, and whether that is still the work as it is now.
        trees = {snap.tree, snap.tree_with_file or snap.tree} if snap is not None else set()
        gate = {**gate, "current": gate.get("tree") in trees,
                "this_step": active is None or str(gate.get("time", "")) >= active.started_at}  # fmt: skip
    busy = git.operation_in_progress(repo.git_dir)
    return {
        "repository": str(repo.root),
        "branch": branch,
        "step": None
        if active is None
        else {
            "id": active.id,
            "title": active.title,
            "branch": active.branch,
            "base": active.base_branch,
            "base_commit": active.base_commit,
            "plan": active.plan,
            "started_at": active.started_at,
            "todo": list(todo),
        },
        "changed_files": [{"status": c.status, "path": c.path, "old_path": c.old_path} for c in changes],
        "progress": _redacted_entries(progress.read(repo.git_dir)),
        "last_gate": gate,
        "interrupted_finish": None
        if journal is None
        else {
            "phase": journal.phase,
            "step": journal.step,
            "commit": journal.commit,
            "running": running == "finish",
        },
        "git_operation": busy[0] if busy else None,
        "hook_errors": _hook_errors(repo.git_dir),
        "silent_agents": silent_in_step(repo, active),
        "index_lock": index_lock,
        "running": running,
        "other_worktrees": _elsewhere(repo),
        "next": _next_action(
            active, journal, gate if gate and gate["this_step"] else None, len(changes), index_lock, running
        ),
    }


def _step_read(repo: git.Repo, active: state.ActiveStep) -> tuple[tuple[str, ...], str | None]:
    """The active step as the plan says it now: its to-do list (a tracker phase's checklist) and
    the plan ticked as `finish` will commit it."""
    from stepcommit.commands.check import step_read

    return step_read(repo, active)


def _hook_errors(git_dir: Path) -> list[dict[str, Any]]:
    """The last recorded hook failures. The capture module, and every agent's with it (~20 ms), loads
    only when there are some (agents/capture.py keeps them in this file)."""
    if not state.StateDir(git_dir, create=False).hook_errors.exists():
        return []
    from stepcommit.agents.capture import read_hook_errors

    return read_hook_errors(git_dir)[-5:]


def silent_in_step(repo: git.Repo, active: state.ActiveStep | None) -> list[str]:
    """The agents whose hooks ran in the active step and captured no entry (see capture.SILENT)."""
    if active is None or not state.StateDir(repo.git_dir, create=False).agent_activity.exists():
        return []  # no agent's hook ran here: the agents' modules and tomlkit (~45 ms) stay unloaded
    from stepcommit.agents.capture import read_activity, silent_agents
    from stepcommit.agents.config_files import installed_agents

    sources = {e.source for e in progress.read(repo.git_dir)}
    return silent_agents(read_activity(repo.git_dir), installed_agents(repo.root), active.started_at, sources)


def _redacted_entries(entries: list[progress.Entry]) -> list[dict[str, Any]]:
    """The entries as stored, redacted again by stepcommit's own patterns: a log written by an older
    stepcommit kept tokens. (Entries are redacted in full when stored; an entry that kept the word
    `password = [REDACTED]` would otherwise load detect-secrets on every `status`.)"""
    texts = redact_all([e.text for e in entries], detector=False)
    return [{**asdict(e), "text": text} for e, text in zip(entries, texts, strict=True)]


def _gate_line(gate: dict[str, Any]) -> str:
    verdict = "passed" if gate["ok"] else "FAILED: " + "; ".join(gate["problems"])
    figures = [f"tests {gate['tests']}" if gate.get("tests") else "no test result"]
    if gate.get("coverage_display") is not None:
        figures.append(f"coverage {gate['coverage_display']}%")
    else:
        figures.append("no coverage figure (the tests did not run to the end)")
    tree = str(gate.get("tree") or "?")[:10]
    where = (
        "the work as it is now" if gate["current"] else "an earlier state of the work (files changed since)"
    )
    return f"Last gate ({gate['time']}): {verdict}; {'; '.join(figures)}; measured tree {tree}, {where}"


_PHASES = {
    "prepared": "a finish stopped while gating: nothing was committed",
    "committed": "committed on its branch, not landed yet (the base moved, a merged gate was cut short, or it failed)",
    "landing": "the commit for the base was made; the base may not hold it yet",
    "landed": "the base holds the step; only the clean-up is left",
}


def _summary(found: ActiveAt) -> dict[str, Any]:
    step, journal = found.step, found.journal
    gate = GateCache(found.git_dir).last()
    this_step = gate is not None and str(gate.get("time", "")) >= step.started_at
    where = f"cd {found.path} && stepcommit finish"
    if journal and found.running == "finish":
        explain, next_action = f"finishing now ({journal.phase})", "wait for the finish running there"
    elif journal:
        explain, next_action = f"interrupted finish: {_PHASES.get(journal.phase, '?')}", where
    elif found.running:
        explain, next_action = f"`stepcommit {found.running}` is running there", "wait"
    else:
        explain, next_action = "in progress", f"work in {found.path}, then: stepcommit finish"
    return {
        "worktree": str(found.path),
        "step": output.step_json(step.id, step.title),
        "branch": step.branch,
        "base": step.base_branch,
        "started_at": step.started_at,
        "progress": len(progress.read(found.git_dir)),
        "last_gate": None
        if not gate or not this_step
        else {k: gate.get(k) for k in ("ok", "time", "tests", "problems", "tree")}
        | output.figure_json("coverage", gate.get("coverage_display")),
        "finish": None
        if journal is None
        else {
            "phase": journal.phase,
            "commit": journal.commit,
            "running": found.running == "finish",
        },
        "state": explain,
        "next": next_action,
    }


def _elsewhere(repo: git.Repo) -> list[dict[str, Any]]:
    if not git.may_have_other_checkouts(repo):
        return []  # the one checkout: worktrees.py and its `git worktree list` are not needed
    from stepcommit import worktrees

    return [{"step": output.step_json(a.step.id, a.step.title), "worktree": str(a.path)}
            for a in worktrees.active_elsewhere(repo)]  # fmt: skip


def collect_all(cwd: Path) -> dict[str, Any]:
    """Every active step of the repository, one per worktree (the main checkout's included)."""
    from stepcommit import worktrees

    repo = git.find_repo(cwd)
    return {"repository": str(worktrees.main_checkout(repo)),
            "steps": [_summary(found) for found in worktrees.active_steps(repo)]}  # fmt: skip


def _say_all(data: dict[str, Any]) -> None:
    steps = data["steps"]
    output.say(f"{len(steps)} active step(s) in {data['repository']}")
    for item in steps:
        gate = item["last_gate"]
        verdict = "no gate yet" if gate is None else ("gate passed" if gate["ok"] else "gate FAILED")
        if gate and gate.get("coverage_display") is not None:
            verdict += f", coverage {gate['coverage_display']}%"
        output.say(f"Step {item['step']['id']}: {item['step']['title']}")
        output.say(f"  {item['worktree']}  branch {item['branch']} (base {item['base']})")
        output.say(f"  progress {item['progress']}; {verdict}; {item['state']}")
        output.say(f"  next: {item['next']}")


def status(*, cwd: Path, as_json: bool = False, clear_errors: bool = False, all_steps: bool = False) -> int:
    if all_steps:
        everything = collect_all(cwd)
        if as_json:
            output.emit_json(everything)
        else:
            _say_all(everything)
        return 0
    if clear_errors:
        from stepcommit.agents.capture import clear_hook_errors

        clear_hook_errors(git.find_repo(cwd).git_dir)
    data = collect(cwd)
    if as_json:
        output.emit_json(data)
        return 0
    step = data["step"]
    if step:
        output.say(f"Step {step['id']}: {step['title']}")
        output.say(
            f"  branch {step['branch']} (base {step['base']} at {step['base_commit'][:10]}), plan {step['plan']}"
        )
        output.say(f"  started {step['started_at']}")
        if step["todo"]:
            output.say(f"  to do ({len(step['todo'])}):")
            for item in step["todo"][:30]:
                output.say(f"    - {item}")
    else:
        output.say(f"No step is active (on branch {data['branch'] or 'detached HEAD'}).")
    if data["index_lock"]:
        output.say(f"git's index is locked: {data['index_lock']} exists (a running or killed git).")
    if data["git_operation"]:
        output.say(f"git is in the middle of {data['git_operation']}.")
    files = data["changed_files"]
    output.say(f"Changed files: {len(files)}")
    for change in files[:30]:
        old = f" (from {change['old_path']})" if change["old_path"] else ""
        output.say(f"  {change['status']} {change['path']}{old}")
    if len(files) > 30:
        output.say(f"  ... and {len(files) - 30} more")
    entries = data["progress"]
    output.say(f"Progress entries: {len(entries)}")
    for n, entry in enumerate(entries, 1):
        output.say(f"  {n} {entry['text']}")
    gate = data["last_gate"]
    if gate and not gate["this_step"]:
        output.say(f"Last gate: none in this step yet (the last one, {gate['time']}, was before it started).")
    elif gate:
        output.say(_gate_line(gate))
    interrupted = data["interrupted_finish"]
    if interrupted and interrupted["running"]:
        output.say(f"A finish of step {interrupted['step']} is running (at: {interrupted['phase']}).")
    elif interrupted:
        output.say(f"An interrupted finish of step {interrupted['step']} stopped at: {interrupted['phase']}.")
    if data["silent_agents"]:
        from stepcommit.agents.capture import SILENT

        output.say(f"{', '.join(data['silent_agents'])}: {SILENT} (its hooks ran; see the hook errors below)")
    for err in data["hook_errors"]:
        output.say(f"Hook error ({err.get('agent', '?')}, {err.get('time', '?')}): {err.get('error', '?')}")
    if data["hook_errors"]:
        output.say("  (`stepcommit status --clear-errors` forgets them once dealt with)")
    if data["other_worktrees"]:
        ids = ", ".join(item["step"]["id"] for item in data["other_worktrees"])
        output.say(f"Also active in other worktrees: {ids} (`stepcommit status --all`)")
    output.say(f"Next: {data['next']}")
    return 0
