"""The .pre-commit-hooks.yaml that lets other repositories use stepcommit as a hook repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from stepcommit.setup.hookspec import LEGACY_ENTRIES, LOCAL_HOOKS

MANIFEST = Path(__file__).parent.parent / ".pre-commit-hooks.yaml"


def test_pre_commit_accepts_the_manifest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_matches_the_local_hooks() -> None:
    manifest = {hook["id"]: hook for hook in YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))}
    assert set(manifest) == {hook["id"] for hook in LOCAL_HOOKS}
    for local in LOCAL_HOOKS:
        shipped = manifest[local["id"]]
        for key in ("pass_filenames", "always_run", "stages"):
            assert shipped[key] == local[key], (local["id"], key)
        # `language: python` puts the environment pre-commit built on PATH: the bare command is found there;
        # the local hook runs the same command through the resolver.
        assert shipped["language"] == "python"
        assert (
            local["entry"].endswith(" " + shipped["entry"])
            and shipped["entry"] == LEGACY_ENTRIES[local["id"]]
        )
