"""`stepcommit install`: the git hooks through pre-commit, or an agent's hooks and instructions."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from stepcommit import config, git, output
from stepcommit.agents import instructions
from stepcommit.agents.config_files import AGENT_FILES, merged_text
from stepcommit.commands.doctor import findings as doctor_findings
from stepcommit.errors import StepcommitError
from stepcommit.setup.setup_report import show_findings


def install_agent(root: Path, agent: str, *, dry_run: bool = False) -> bool:
    """Write ``agent``'s hook configuration merged with the file's content; True when it changed."""
    if agent not in AGENT_FILES:
        raise StepcommitError(
            f"Unknown agent {agent!r}.", hint=f"Choose one of: {', '.join(sorted(AGENT_FILES))}."
        )
    path = root / AGENT_FILES[agent].path
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    new = merged_text(agent, existing)
    if new == existing:
        return False
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="utf-8")
    return True


def install_instructions(root: Path, agent: str, *, dry_run: bool = False) -> tuple[str, str]:
    """Put the loop into ``agent``'s instruction file; its path and "created", "updated" or "unchanged"."""
    name = instructions.instruction_file(root, agent, config.load(root).agent_instructions)
    path = root / name
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    new = instructions.with_block(existing, instructions.block())
    if new == existing:
        return name, "unchanged"
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new, encoding="utf-8", newline="")
    return name, "updated" if existing is not None else "created"


def install(*, cwd: Path, agents: list[str], dry_run: bool = False, as_json: bool = False) -> int:
    repo = git.find_repo(cwd)
    results: dict[str, str] = {}
    unknown = [a for a in agents if a not in AGENT_FILES]
    if unknown:
        # Before anything is written: one bad name must not leave the others half-installed.
        raise StepcommitError(
            f"Unknown agent {unknown[0]!r}.", hint=f"Choose one of: {', '.join(sorted(AGENT_FILES))}."
        )
    if agents:
        for agent in dict.fromkeys(agents):
            existed = (repo.root / AGENT_FILES[agent].path).is_file()
            changed = install_agent(repo.root, agent, dry_run=dry_run)
            results[AGENT_FILES[agent].path] = (
                ("updated" if existed else "created") if changed else "unchanged"
            )
        for agent in dict.fromkeys(agents):
            name = instructions.instruction_file(repo.root, agent, config.load(repo.root).agent_instructions)
            if name not in results:  # Codex and Cursor share AGENTS.md: one block
                results[name] = install_instructions(repo.root, agent, dry_run=dry_run)[1]
    else:
        from stepcommit.commands.install_git import install_git_hooks

        results.update(install_git_hooks(repo, dry_run=dry_run))
    # What was written is not yet a working set-up (a hook git cannot run, a plan not found): say so.
    found = [] if dry_run or agents else doctor_findings(repo)
    block = instructions.block() if agents else None
    if as_json:
        shown = {"dry_run": dry_run, "files": results, "doctor": [asdict(f) for f in found]}
        output.emit_json({**shown, "instructions": block} if block else shown)
        return 0
    verb = "would be " if dry_run else ""
    for path, what in results.items():
        output.say(f"{path}: {verb}{what}" if what != "unchanged" else f"{path}: already set up")
    if (
        dry_run
        and block
        and any(what != "unchanged" and not path.startswith(".") for path, what in results.items())
    ):
        output.say("The block for the agent's instructions:")
        output.say(block)
    if found:
        output.say("stepcommit doctor:")
        show_findings(found)
    return 0
