"""Secrets in a change: private key blocks and known tokens on the lines a change adds.

Only added files and added lines count (a secret already on the base is not this change's doing,
and scanning the whole tree every time would be slow); files git calls binary and files over
`MAX_BYTES` are skipped. Tokens are detect-secrets' findings (`stepcommit.secret_scan`), with its
high-entropy plugins off; a line detect-secrets should not flag takes its own inline comment
`pragma: allowlist secret`.
"""

from __future__ import annotations

import re
from pathlib import Path

from stepcommit import git

MAX_BYTES = 1_000_000
# Also the key kinds detect-secrets' PrivateKeyDetector does not list (ENCRYPTED, PKCS#8 variants).
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_ALLOWLISTED = "pragma: allowlist secret"  # detect-secrets' own inline marker for a false alarm


def secrets_in(root: Path, base: str, tree: str) -> list[tuple[str, int, str]]:
    """(path, line, kind of secret) for each added line of the diff from ``base`` (a commit or a
    tree) to ``tree`` that holds a private key or a known token; never the secret itself."""
    new_blobs = {path: new for status, path, _old, new in git.raw_diff(root, base, tree) if status != "D"}
    if not new_blobs:
        return []
    sizes = git.blob_sizes(root, sorted(set(new_blobs.values())))
    huge = [path for path, blob in new_blobs.items() if sizes.get(blob, 0) > MAX_BYTES]
    added = git.added_lines(root, base, tree, skip=huge)
    found: dict[tuple[str, int], str] = {}
    for path, lines in added.items():
        for number, text in lines:
            if _PRIVATE_KEY.search(text) and _ALLOWLISTED not in text:
                found[(path, number)] = "Private Key"
    if added:
        from stepcommit import secret_scan

        for path, secret in secret_scan.scan_files(added.items()):
            found.setdefault((path, secret.line), secret.kind)
    return [(path, line, kind) for (path, line), kind in sorted(found.items())]
