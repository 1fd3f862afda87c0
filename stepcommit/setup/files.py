"""Planned edits to project files, applied atomically: each file is whole before or after, never half-written."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileChange:
    """What one file would become, and in a few words why; ``before`` is None for a new file."""

    path: Path
    before: str | None
    after: str
    notes: tuple[str, ...] = ()
    mode: int | None = None
    """Permissions for a new file (an .env is created private); an existing file keeps its own."""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def action(self) -> str:
        if not self.changed:
            return "unchanged"
        return "created" if self.before is None else "updated"


def read_text(path: Path) -> str | None:
    """The file's text with its line endings as they are, or None when it does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")


def _temp_beside(change: FileChange) -> Path:
    change.path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{change.path.name}.", suffix=".stepcommit-tmp", dir=change.path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(change.after.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if change.path.exists():
            os.chmod(name, change.path.stat().st_mode & 0o7777)
        else:
            os.chmod(name, change.mode if change.mode is not None else 0o666 & ~_umask())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def apply(changes: Sequence[FileChange]) -> None:
    """Write every changed file: all temporary copies first, then one rename each.

    A failure while writing the copies (disk full, permissions) leaves every file as it was.
    """
    pending = [c for c in changes if c.changed]
    temps: list[tuple[Path, Path]] = []
    try:
        for change in pending:
            temps.append((_temp_beside(change), change.path))
    except BaseException:
        for temp, _ in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    for temp, target in temps:
        os.replace(temp, target)
