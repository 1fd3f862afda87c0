"""The passing verdict of a tree, answered before anything heavy is imported (`check --hook`).

Every commit runs `stepcommit check --hook`; after a `check` that passed on the same tree, loading
typer, the gates and detect-secrets only to find the stored result costs ten times what the answer
does. A passing check records here the tree, the base it was compared with, the configuration's
digest and the lines it printed; the hook's fast path (`entry.py`) replays them when all of these
match the staged tree now, and otherwise leaves the hook to the full check, which gates it. A plain
`check` of the same tree replays them too, before the secret scan (which that verdict already passed).
Only a check without allowances is recorded, and only a hook without STEPCOMMIT_ALLOW replays.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from stepcommit import __version__, git, state
from stepcommit.config import Config
from stepcommit.config import load as load_config
from stepcommit.errors import StepcommitError


def config_key(cfg: Config, base_commit: str | None) -> str:
    """A digest of every setting that can change a verdict (and the base compared with), so a cached
    result is reused only under the same rules."""
    import hashlib  # lazily: `status` reads the cache and hashes nothing (OpenSSL, ~5 ms)

    data = json.dumps([asdict(cfg), base_commit], sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _path(git_dir: Path) -> Path:
    return state.StateDir(git_dir).verdict


def record(git_dir: Path, *, tree: str, base: str | None, key: str, lines: list[tuple[str, str]]) -> None:
    """Keep a passing verdict: ``lines`` are (``say`` | ``note``, text) as the hook replays them."""
    state.write_json(_path(git_dir), {"tree": tree, "base": base, "key": key, "version": __version__,
                                      "lines": [list(x) for x in lines]})  # fmt: skip


def matching(data: Any, *, tree: str, base: str | None, key: str) -> list[tuple[str, str]] | None:
    """The recorded lines when ``data`` is a verdict of exactly this tree, base, configuration and
    stepcommit version; else None."""
    if not isinstance(data, dict):
        return None
    wanted = {"tree": tree, "base": base, "key": key, "version": __version__}
    if any(data.get(name) != value for name, value in wanted.items()):
        return None
    lines = data.get("lines")
    if not isinstance(lines, list) or not all(isinstance(x, list) and len(x) == 2 for x in lines):
        return None
    return [(str(kind), str(text)) for kind, text in lines]


def lookup(git_dir: Path, cfg: Config, *, tree: str, base: str | None) -> list[tuple[str, str]] | None:
    """The lines a passing check of ``tree`` against ``base`` under ``cfg`` printed, if one was kept."""
    data = state.read_cache(_path(git_dir))
    if data is None:
        return None
    return matching(data, tree=tree, base=base, key=config_key(cfg, base))


def hook_replay(cwd: Path) -> list[tuple[str, str]] | None:
    """The lines to print when the staged tree passed before under the same rules, else None.

    Mirrors what `check --hook` compares: the index's tree, the active step's base (else HEAD) and
    the configuration's digest. Any doubt (no repository, a bad config) is a None: the full check
    then runs and reports it."""
    if os.environ.get("STEPCOMMIT_ALLOW"):
        return None
    try:
        repo, _, head = git.find_repo_at_head(cwd)
        if not _path(repo.git_dir).is_file():
            return None
        active = state.load_active(repo.git_dir)
        base = active.base_commit if active else head
        return lookup(repo.git_dir, load_config(repo.root), tree=git.write_index_tree(repo.root), base=base)
    except (StepcommitError, OSError, ValueError):
        return None
