"""`.pre-commit-config.yaml`: created with ruff and the stepcommit hooks, or merged into the user's own.

ruff goes in as `repo: local` hooks running the project's own ruff (hookspec.RUFF_LOCAL_HOOKS), never
as the GitHub-hosted ruff-pre-commit: a hook repository not yet in pre-commit's cache blocks every
commit on a machine without network. It is added only when the config does not already lint Python.

Shared by `stepcommit init` and `stepcommit install`. The merge is a ruamel.yaml round trip, so the
user's other hooks, comments and quoting stay; a config that already has every hook is left byte for byte.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from stepcommit.errors import ProjectFileError
from stepcommit.setup import files
from stepcommit.setup.hookspec import LEGACY_ENTRIES, LOCAL_HOOKS, RUFF_LOCAL_HOOKS

CONFIG_NAME = ".pre-commit-config.yaml"
# Hook ids (and programs in a local hook's entry) that lint Python: with one of them, no ruff is added.
# `ruff` is ruff-pre-commit's legacy id for `ruff-check`. Formatters (black, ruff-format) do not lint.
PYTHON_LINTERS = frozenset(
    {"ruff", "ruff-check", "flake8", "pylint", "pyflakes", "pycodestyle", "autoflake", "ruff-lint"}
)
# `language: unsupported` (the hooks' language) exists from pre-commit 4.4 on, where it replaced `system`.
MIN_PRE_COMMIT = "4.4.0"

HEADER = (
    "# pre-commit hooks. Written by `stepcommit init`; edit freely, stepcommit only adds what is missing.\n"
    "# ruff (the project's own, no download) lints and formats; stepcommit-gate runs the tests and coverage gate before each commit,\n"
    "# stepcommit-message fills the commit message from the step's progress log.\n"
)


def _yaml(sequence: int = 4, offset: int = 2) -> YAML:
    """A round-trip YAML writer indenting as the file already does (default: pre-commit's own style)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    yaml.indent(mapping=max(sequence - offset, 2), sequence=sequence, offset=offset)
    return yaml


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _hook(spec: dict[str, Any]) -> CommentedMap:
    hook = CommentedMap()
    for key, value in spec.items():
        if isinstance(value, list):
            seq = CommentedSeq(copy.deepcopy(value))
            seq.fa.set_flow_style()  # `stages: [pre-commit]` reads better than a block list
            value = seq
        hook[key] = value
    return hook


def _hook_ids(repos: list[Any]) -> set[str]:
    ids: set[str] = set()
    for repo in repos:
        if isinstance(repo, dict):
            for hook in repo.get("hooks") or []:
                if isinstance(hook, dict) and "id" in hook:
                    ids.add(str(hook["id"]))
    return ids


def _find_repo(repos: list[Any], match: Any) -> CommentedMap | None:
    for repo in repos:
        if (
            isinstance(repo, CommentedMap)
            and match(str(repo.get("repo", "")))
            and isinstance(repo.get("hooks"), list)
        ):
            return repo
    return None


def _hooks(repos: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(repo url, hook) for every hook in the config."""
    found = []
    for repo in repos:
        if isinstance(repo, dict):
            for hook in repo.get("hooks") or []:
                if isinstance(hook, dict) and "id" in hook:
                    found.append((str(repo.get("repo", "")), hook))
    return found


def lints_python(repos: list[Any]) -> bool:
    """Whether a hook of the config (other than stepcommit's) is a Python linter. Pure."""
    for _, hook in _hooks(repos):
        if str(hook["id"]) in PYTHON_LINTERS:
            return True
        words = set(str(hook.get("entry", "")).replace("/", " ").split())
        if words & PYTHON_LINTERS:
            return True
    return False


def _upgrade_entries(repos: list[Any]) -> list[str]:
    """stepcommit's own hooks still written with a bare program name get the resolving entry."""
    wanted = {spec["id"]: spec["entry"] for spec in (*LOCAL_HOOKS, *RUFF_LOCAL_HOOKS)}
    done = []
    for url, hook in _hooks(repos):
        hook_id = str(hook["id"])
        if url == "local" and hook_id in LEGACY_ENTRIES and hook.get("entry") == LEGACY_ENTRIES[hook_id]:
            hook["entry"] = wanted[hook_id]
            done.append(f"hook {hook_id} now finds its program in the project's environment")
    return done


def _local_repo(repos: list[Any]) -> CommentedMap:
    local = _find_repo(repos, lambda url: url == "local")
    if local is None:
        local = CommentedMap([("repo", "local"), ("hooks", CommentedSeq())])
        repos.append(local)
    return local


def _add_hooks(data: CommentedMap, *, with_ruff: bool = True) -> list[str]:
    """Add the missing hooks to ``data`` in place; returns one line per addition."""
    repos = data["repos"]
    done = _upgrade_entries(repos)
    ids = _hook_ids(repos)
    added: list[dict[str, Any]] = []
    if with_ruff and not lints_python(repos):
        local = _local_repo(repos)
        for spec in RUFF_LOCAL_HOOKS:
            if spec["id"] not in ids:
                local["hooks"].append(_hook(spec))
                added.append(spec)
                done.append(f"added hook {spec['id']} (local: the project's own ruff)")
    missing_local = [spec for spec in LOCAL_HOOKS if spec["id"] not in ids]
    if missing_local:
        local = _local_repo(repos)
        for spec in missing_local:
            local["hooks"].append(_hook(spec))
            added.append(spec)
            done.append(f"added hook {spec['id']} (local)")
    needs_min = any(spec.get("language") == "unsupported" for spec in added)
    current_min = data.get("minimum_pre_commit_version")
    if needs_min and (current_min is None or _version(current_min) < _version(MIN_PRE_COMMIT)):
        if current_min is None:
            data.insert(0, "minimum_pre_commit_version", MIN_PRE_COMMIT)
        else:
            data["minimum_pre_commit_version"] = MIN_PRE_COMMIT
        done.append(f"minimum_pre_commit_version set to {MIN_PRE_COMMIT} (for `language: unsupported`)")
    return done


def _split_trailing_comments(text: str) -> tuple[str, str]:
    """(body, tail): comment lines closing the file, which ruamel would glue to the last hook, not the end."""
    lines = text.splitlines(keepends=True)
    cut = len(lines)
    while cut and (not lines[cut - 1].strip() or lines[cut - 1].lstrip().startswith("#")):
        cut -= 1
    if cut == 0 or not any(line.strip() for line in lines[cut:]):
        return text, ""
    body = "".join(lines[:cut])
    return (body if body.endswith("\n") else body + "\n"), "".join(lines[cut:])


def merged_config(
    text: str | None, *, name: str = CONFIG_NAME, with_ruff: bool = True
) -> tuple[str, list[str]]:
    """The config with every stepcommit hook (and ruff, unless it lints Python) present, and what was added. Pure."""
    if text is None or not text.strip():
        yaml = _yaml()
        data = CommentedMap([("repos", CommentedSeq())])
        done = _add_hooks(data, with_ruff=with_ruff)
        out = io.StringIO()
        yaml.dump(data, out)
        return HEADER + out.getvalue(), ["created", *done]
    body, tail = _split_trailing_comments(text)
    try:
        _, indent, block_seq_indent = load_yaml_guess_indent(body)
        yaml = _yaml(indent or 2, block_seq_indent or 0)
        data = yaml.load(body)
    except YAMLError as exc:
        raise ProjectFileError(
            f"{name} is not valid YAML, so stepcommit cannot add its hooks to it; nothing was written.\n{exc}",
            hint="Fix the file (`pre-commit validate-config` shows the problem), then run again.",
        ) from None
    if not isinstance(data, CommentedMap) or not isinstance(data.get("repos", []), list):
        raise ProjectFileError(
            f"{name} is not a pre-commit config (a mapping with a `repos:` list); nothing was written.",
            hint="Fix or move the file, then run again.",
        )
    if data.get("repos") is None:
        data["repos"] = CommentedSeq()
    done = _add_hooks(data, with_ruff=with_ruff)
    if not done:
        return text, []
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue() + tail, done


def plan(root: Path, *, with_ruff: bool = True) -> files.FileChange:
    """The change `ensure_hooks` would make, without making it."""
    path = root / CONFIG_NAME
    before = files.read_text(path)
    after, notes = merged_config(before, with_ruff=with_ruff)
    return files.FileChange(path, before, after, tuple(notes))


def ensure_hooks(root: Path, *, dry_run: bool = False, with_ruff: bool = True) -> list[str]:
    """Make ``root``'s pre-commit config hold the stepcommit hooks (and the local ruff ones unless told not to).

    Idempotent; returns what changed (or would change, with ``dry_run``), empty when nothing had to.
    Every hook added is local, so nothing is ever fetched.
    """
    change = plan(root, with_ruff=with_ruff)
    if not dry_run:
        files.apply([change])
    return list(change.notes)
