"""The house's own upkeep: no dead code under stepcommit/ (vulture, with a checked-in whitelist)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_vulture_finds_no_dead_code() -> None:
    whitelist = ROOT / "tests" / "vulture_whitelist.py"
    argv = [sys.executable, "-m", "vulture", "stepcommit", str(whitelist), "--min-confidence", "60"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
