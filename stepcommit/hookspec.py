"""The git hooks stepcommit offers, as pre-commit local hooks; shared by `init` and `install`."""

from __future__ import annotations

from typing import Any

# Local hooks calling the installed `stepcommit`, so no hook repository is fetched. `unsupported` is the
# name pre-commit 4.4 gave the old `system` language (a command run as is, no environment provisioned).
LOCAL_HOOKS: tuple[dict[str, Any], ...] = (
    {
        "id": "stepcommit-gate",
        "name": "stepcommit gate (tests, coverage, lint)",
        "entry": "stepcommit check --hook",
        "language": "unsupported",
        "pass_filenames": False,
        "always_run": True,
        "stages": ["pre-commit"],
    },
    {
        "id": "stepcommit-message",
        "name": "stepcommit message (progress log, tests, coverage)",
        "entry": "stepcommit hook message",
        "language": "unsupported",
        # pre-commit hands a prepare-commit-msg hook the message file only as its filename.
        "pass_filenames": True,
        "always_run": True,
        "stages": ["prepare-commit-msg"],
    },
)
