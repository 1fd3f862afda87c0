"""The gate's result cache: one object reads gate.json and run/, and it stays light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stepcommit.gates.cache import GateCache


def test_status_reads_the_last_gate_without_importing_the_gate() -> None:
    code = (
        "import sys, stepcommit.commands.status\n"
        # Only stepcommit's own modules: under `coverage run` (this suite measured) coverage is loaded anyway.
        "print(sorted(m for m in sys.modules if m.startswith('stepcommit.gates')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['stepcommit.gates', 'stepcommit.gates.cache']"


def test_an_empty_or_damaged_cache_holds_nothing(tmp_path: Path) -> None:
    git_dir = tmp_path / ".git"
    git_dir.mkdir()
    cache = GateCache(git_dir)
    assert cache.last() is None
    assert cache.previous() == (None, None)
    cache.file.parent.mkdir(parents=True, exist_ok=True)
    cache.file.write_text("[1, 2]", encoding="utf-8")  # valid JSON, not a record
    assert cache.last() is None
