"""What a Python project using stepcommit keeps out of git, added to .gitignore; the user's lines stay."""

from __future__ import annotations

# (line to add, other spellings that already cover it). Spellings are compared after
# dropping a leading "/" or "**/" and a trailing "/", so ".venv", "/.venv/" and ".venv/" all count.
ENTRIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (".env", ()),
    (".venv/", ("venv/",)),
    ("__pycache__/", ()),
    ("*.py[cod]", ("*.pyc",)),
    ("build/", ()),
    ("dist/", ()),
    ("*.egg-info/", ()),
    (".coverage", (".coverage*",)),
    (".coverage.*", (".coverage*",)),
    ("coverage.xml", ("*.xml",)),
    ("report.xml", ("*.xml",)),
    ("htmlcov/", ()),
    (".pytest_cache/", ()),
    (".testmondata", (".testmondata*",)),
)

HEADER = "# Added by `stepcommit init`: environment, caches, build and test outputs."


def _normal(line: str) -> str:
    line = line.strip()
    for prefix in ("**/", "/"):
        line = line.removeprefix(prefix)
    return line.removesuffix("/")


def missing(text: str | None, entries: tuple[tuple[str, tuple[str, ...]], ...] = ENTRIES) -> list[str]:
    """The entries no line of ``text`` covers yet, in ENTRIES order."""
    present = {
        _normal(line) for line in (text or "").splitlines() if line.strip() and not line.startswith("#")
    }
    return [line for line, others in entries if not {_normal(line), *map(_normal, others)} & present]


def with_entries(text: str | None, lines: list[str]) -> str:
    """``text`` with ``lines`` appended under one header; the user's lines stay as they are, in order."""
    original = text or ""
    if not lines:
        return original
    nl = "\r\n" if "\r\n" in original else "\n"
    prefix = original
    if prefix and not prefix.endswith(("\n", "\r")):
        prefix += nl
    if prefix.strip():
        prefix += nl
    return prefix + nl.join([HEADER, *lines]) + nl
