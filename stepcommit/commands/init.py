"""`stepcommit init`: get a project ready for the step loop; safe to run again at any time."""

from __future__ import annotations

import tomllib
from pathlib import Path

from stepcommit import git
from stepcommit.commands import doctor
from stepcommit.commands import env as env_command
from stepcommit.gates.testrun import default_sources
from stepcommit.setup import files, gitignore, precommit_config, pyproject_setup, setup_report
from stepcommit.setup.files import FileChange

# Files whose pytest / coverage settings win over pyproject.toml's, so init adds none there.
_PYTEST_FILES = (
    ("pytest.ini", ""),
    (".pytest.ini", ""),
    ("pytest.toml", ""),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)
_COVERAGE_FILES = ((".coveragerc", ""), ("setup.cfg", "[coverage:"), ("tox.ini", "[coverage:"))


def _configured_in(root: Path, candidates: tuple[tuple[str, str], ...]) -> str | None:
    for name, marker in candidates:
        text = files.read_text(root / name)
        if text is not None and marker in text:
            return name
    return None


def _pyproject(root: Path) -> FileChange | None:
    path = root / "pyproject.toml"
    before = files.read_text(path)
    if before is None:
        return None
    source, omit = default_sources(root)
    after, notes = pyproject_setup.merged_pyproject(
        before,
        source=source,
        omit=omit,
        pytest_elsewhere=_configured_in(root, _PYTEST_FILES),
        coverage_elsewhere=_configured_in(root, _COVERAGE_FILES),
    )
    return FileChange(path, before, after, tuple(notes))


def _gitignore(root: Path) -> FileChange:
    path = root / ".gitignore"
    before = files.read_text(path)
    lines = gitignore.missing(before)
    after = gitignore.with_entries(before, lines)
    return FileChange(path, before, after, (f"added {', '.join(lines)}",) if lines else ())


def plan(root: Path) -> list[FileChange]:
    """Every change init would make; computing them all first means bad input stops it before any write."""
    changes = [_gitignore(root), precommit_config.plan(root)]
    pyproject = _pyproject(root)
    if pyproject is not None:
        changes.append(pyproject)
    # .gitignore already gets .env above; only the .env itself comes from the env command.
    changes.extend(c for c in env_command.plan(root) if c.path.name != ".gitignore")
    return changes


def _depends_on_stepcommit(text: str | None) -> bool:
    if not text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    project = data.get("project", {})
    names = list(project.get("dependencies", []))
    for group in (
        *project.get("optional-dependencies", {}).values(),
        *data.get("dependency-groups", {}).values(),
    ):
        names.extend(item for item in group if isinstance(item, str))
    return any(name.replace("_", "-").lower().startswith("stepcommit") for name in names)


def next_steps(root: Path, changes: list[FileChange]) -> list[str]:
    steps = []
    pyproject = files.read_text(root / "pyproject.toml")
    if pyproject is None:
        steps.append("uv init  (no pyproject.toml here: then run `stepcommit init` again for its settings)")
    elif not _depends_on_stepcommit(pyproject):
        steps.append("uv add --dev stepcommit  (CI and the hooks run `uv run stepcommit`)")
    steps.append("uv run stepcommit install  (the git hooks; `stepcommit doctor` checks them)")
    if not (root / ".gitlab-ci.yml").exists() and not (root / ".github" / "workflows").is_dir():
        steps.append("stepcommit ci github  (or: stepcommit ci gitlab)")
    if any(c.changed for c in changes):
        steps.append("git add -A && git commit -m 'chore: set up stepcommit'")
    steps.append("stepcommit start")
    return steps


def init(*, cwd: Path, dry_run: bool = False, as_json: bool = False) -> int:
    repo = git.find_repo(cwd)
    root = repo.root
    changes = plan(root)
    if not dry_run:
        files.apply(changes)
    remarks = env_command.remarks(root) if (root / env_command.EXAMPLE).exists() else []
    found = [] if dry_run else doctor.findings(repo)
    setup_report.show(
        root,
        changes,
        dry_run=dry_run,
        as_json=as_json,
        remarks=remarks,
        next_steps=next_steps(root, changes),
        findings=found,
    )
    return 0
