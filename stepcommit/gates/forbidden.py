"""Files that must never be committed, whatever .gitignore says: secrets, keys, coverage data, caches."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import PurePosixPath

_ENV_TEMPLATES = {".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults"}

# (pattern on the file name, reason)
_NAMES = (
    (".env", "environment file with secrets"),
    (".env.*", "environment file with secrets"),
    ("*.env", "environment file with secrets"),
    ("id_rsa", "private SSH key"),
    ("id_dsa", "private SSH key"),
    ("id_ecdsa", "private SSH key"),
    ("id_ed25519", "private SSH key"),
    ("*.pem", "private key or certificate"),
    ("*.key", "private key"),
    ("*.p12", "key store"),
    ("*.pfx", "key store"),
    ("*.jks", "key store"),
    ("*.keystore", "key store"),
    (".netrc", "credentials"),
    (".pypirc", "credentials"),
    ("*.tfstate", "Terraform state with secrets"),
    (".coverage", "coverage data"),
    (".coverage.*", "coverage data"),
    (".testmondata*", "pytest-testmon data"),
    ("*.pyc", "compiled Python cache"),
    ("*.pyo", "compiled Python cache"),
)
_DIRS = (
    ("__pycache__", "Python cache"),
    (".pytest_cache", "pytest cache"),
    (".mypy_cache", "mypy cache"),
    (".ruff_cache", "ruff cache"),
    (".hypothesis", "hypothesis database"),
    (".tox", "tox environments"),
    (".nox", "nox environments"),
    (".venv", "virtual environment"),
    ("htmlcov", "coverage HTML report"),
    ("node_modules", "installed packages"),
)


def why_forbidden(path: str) -> str | None:
    """Why ``path`` (relative, with forward slashes) must not be committed, or None."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    for directory, reason in _DIRS:
        if directory in parts[:-1]:
            return reason
    if name in _ENV_TEMPLATES or name.endswith((".pub", ".example", ".sample", ".template")):
        return None
    for pattern, reason in _NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def forbidden(paths: Iterable[str], allowed: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Each forbidden path with its reason, skipping paths matched by an ``allowed`` pattern."""
    allow = tuple(allowed)
    found = []
    for path in paths:
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in allow):
            continue
        reason = why_forbidden(path)
        if reason:
            found.append((path, reason))
    return found
