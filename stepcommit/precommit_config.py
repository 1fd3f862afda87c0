"""`.pre-commit-config.yaml`: created with ruff and the stepcommit hooks, or merged into the user's own.

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

from stepcommit import files
from stepcommit.errors import ProjectFileError
from stepcommit.hookspec import LOCAL_HOOKS

CONFIG_NAME = ".pre-commit-config.yaml"
RUFF_REPO = "https://github.com/astral-sh/ruff-pre-commit"
RUFF_REV = "v0.17.6"
# `ruff-check` is the hook's current id; `ruff` is its legacy alias, still accepted as already present.
RUFF_HOOKS: tuple[tuple[str, frozenset[str]], ...] = (
    ("ruff-check", frozenset({"ruff-check", "ruff"})),
    ("ruff-format", frozenset({"ruff-format"})),
)
# `language: unsupported` (the hooks' language) exists from pre-commit 4.4 on, where it replaced `system`.
MIN_PRE_COMMIT = "4.4.0"

HEADER = (
    "# pre-commit hooks. Written by `stepcommit init`; edit freely, stepcommit only adds what is missing.\n"
    "# ruff lints and formats; stepcommit-gate runs the tests and coverage gate before each commit,\n"
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


def _add_hooks(data: CommentedMap, *, with_ruff: bool = True) -> list[str]:
    """Add the missing hooks to ``data`` in place; returns one line per addition."""
    repos = data["repos"]
    ids = _hook_ids(repos)
    done: list[str] = []
    missing_ruff = [hook_id for hook_id, aliases in RUFF_HOOKS if not aliases & ids] if with_ruff else []
    if missing_ruff:
        ruff = _find_repo(repos, lambda url: url.rstrip("/").endswith("/ruff-pre-commit"))
        if ruff is None:
            ruff = CommentedMap([("repo", RUFF_REPO), ("rev", RUFF_REV), ("hooks", CommentedSeq())])
            repos.append(ruff)
        for hook_id in missing_ruff:
            ruff["hooks"].append(CommentedMap([("id", hook_id)]))
            done.append(f"added hook {hook_id} ({RUFF_REPO})")
    missing_local = [spec for spec in LOCAL_HOOKS if spec["id"] not in ids]
    if missing_local:
        local = _find_repo(repos, lambda url: url == "local")
        if local is None:
            local = CommentedMap([("repo", "local"), ("hooks", CommentedSeq())])
            repos.append(local)
        for spec in missing_local:
            local["hooks"].append(_hook(spec))
            done.append(f"added hook {spec['id']} (local)")
    needs_min = any(spec.get("language") == "unsupported" for spec in missing_local)
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
    """The config with every stepcommit and ruff hook present, and what was added. Pure."""
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
    """Make ``root``'s pre-commit config hold the stepcommit hooks (and ruff, ruff-format unless told not to).

    Idempotent; returns what changed (or would change, with ``dry_run``), empty when nothing had to.
    `install` passes ``with_ruff=False``: it adds only local hooks, so nothing is ever fetched.
    """
    change = plan(root, with_ruff=with_ruff)
    if not dry_run:
        files.apply([change])
    return list(change.notes)
