"""Files that must never be committed, whatever .gitignore says: secrets, keys, coverage data, caches.

Names are matched case-insensitively (`Key.PEM`, `ID_RSA` on a case-insensitive file system are the
same keys); a few files are secrets only by what they hold (an `.npmrc` with an auth token, a YAML
kubeconfig with credentials); and any added file or line holding a key or a token is refused by
content (`forbidden_in_change`, with detect-secrets, see `stepcommit.gates.secrets`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stepcommit import git

_ENV_TEMPLATES = {".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults"}

# (pattern on the file name, reason)
_NAMES = (
    (".env", "environment file with secrets"),
    (".env.*", "environment file with secrets"),
    ("*.env", "environment file with secrets"),
    (".envrc", "direnv environment file with secrets"),
    # Any copy of a private key (id_rsa.bak, id_rsa.old, id_ed25519_sk); only `.pub` is public.
    ("id_rsa*", "private SSH key"),
    ("id_dsa*", "private SSH key"),
    ("id_ecdsa*", "private SSH key"),
    ("id_ed25519*", "private SSH key"),
    ("*.pem", "private key or certificate"),
    ("*.key", "private key"),
    ("*.p12", "key store"),
    ("*.pfx", "key store"),
    ("*.jks", "key store"),
    ("*.keystore", "key store"),
    (".netrc", "credentials"),
    ("_netrc", "credentials"),
    (".pypirc", "credentials"),
    (".git-credentials", "git credentials"),
    ("*.tfstate", "Terraform state with secrets"),
    ("*.tfstate.backup", "Terraform state with secrets"),
    ("terraform.tfvars", "Terraform variables (secrets)"),
    ("terraform.tfvars.json", "Terraform variables (secrets)"),
    ("*.auto.tfvars", "Terraform variables (secrets)"),
    ("*.auto.tfvars.json", "Terraform variables (secrets)"),
    (".coverage", "coverage data"),
    (".coverage.*", "coverage data"),
    (".testmondata*", "pytest-testmon data"),
    ("*.pyc", "compiled Python cache"),
    ("*.pyo", "compiled Python cache"),
)
# (folder, file) pairs that name a credentials file wherever they sit.
_IN_DIR = (
    ((".aws", "credentials"), "AWS credentials"),
    ((".kube", "config"), "Kubernetes config with credentials"),
    ((".docker", "config.json"), "Docker registry credentials"),
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
    parts = tuple(part.lower() for part in PurePosixPath(path).parts)
    name = parts[-1]
    for directory, reason in _DIRS:
        if directory in parts[:-1]:
            return reason
    for pair, reason in _IN_DIR:
        if parts[-2:] == pair:
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


_NPM_AUTH = re.compile(
    r"^[ \t]*(?![#;])[^=\n]*?(?:_authToken|_auth|_password)[ \t]*=[ \t]*\S", re.MULTILINE | re.IGNORECASE
)
_KUBE_KIND = re.compile(r"^kind:\s*['\"]?Config['\"]?\s*$", re.MULTILINE)
_KUBE_USERS = re.compile(r"^users:", re.MULTILINE)
_KUBE_CREDENTIAL = re.compile(
    r"^\s+(?:token|client-key-data|client-key|password|id-token|refresh-token):\s*\S", re.MULTILINE
)


def may_hold_credentials(path: str) -> bool:
    """Whether ``path`` is a file that is a secret by its content (then `why_forbidden_content`)."""
    name = PurePosixPath(path).name.lower()
    return name == ".npmrc" or name.endswith((".yaml", ".yml")) or name.startswith("kubeconfig")


def why_forbidden_content(path: str, text: str) -> str | None:
    """Why the file ``path`` holding ``text`` must not be committed, or None: an `.npmrc` with an
    auth token, a kubeconfig (`kind: Config` with users holding a token or key)."""
    name = PurePosixPath(path).name.lower()
    if name == ".npmrc":
        return "npm config with an auth token" if _NPM_AUTH.search(text) else None
    if _KUBE_KIND.search(text) and _KUBE_USERS.search(text) and _KUBE_CREDENTIAL.search(text):
        return "Kubernetes config with credentials"
    return None


def forbidden_in_change(
    repo: git.Repo, base: str | None, tree: str, allowed: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Everything in the change from ``base`` (a commit or tree; None: nothing) to ``tree`` that must
    not be committed, as (path or path:line, reason): forbidden names, files that are secrets by
    their content, and any added line holding a private key or a known token. Reasons name the
    kind of secret, never its value. Read from git's objects, not the work tree."""
    from stepcommit import git
    from stepcommit.gates.secrets import secrets_in

    allow = tuple(allowed)
    old = base or git.EMPTY_TREE
    present = [(path, new) for status, path, _old, new in git.raw_diff(repo.root, old, tree) if status != "D"]
    paths = [path for path, _new in present if not any(fnmatch.fnmatchcase(path, p) for p in allow)]
    found = forbidden(paths)
    named = {path for path, _reason in found}
    for path, blob in present:
        if path in named or path not in paths or not may_hold_credentials(path):
            continue
        reason = why_forbidden_content(path, git.blob_text(repo.root, blob))
        if reason:
            found.append((path, reason))
            named.add(path)
    for path, line, kind in secrets_in(repo.root, old, tree):
        if path not in named and path in paths:
            found.append((f"{path}:{line}", f"holds a secret ({kind})"))
    return found


def refuse_forbidden(found: Iterable[tuple[str, str]], *, hint: str) -> None:
    """Raise ForbiddenFilesError listing ``found`` (from `forbidden_in_change`), when there is any."""
    from stepcommit.errors import ForbiddenFilesError

    listed = "\n".join(f"  {where} ({reason})" for where, reason in found)
    if listed:
        raise ForbiddenFilesError(
            f"These files must not be committed (or hold a secret on the line named):\n{listed}",
            hint=hint,
        )
