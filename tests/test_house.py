"""The house's own upkeep: no dead code under stepcommit/ (vulture, with a checked-in whitelist), no source code on a command line."""

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


def test_no_python_process_gets_source_code_on_its_command_line() -> None:
    # Issue 19: the runner and its helpers (probe, combine) run by path; `python -c SOURCE` would show
    # the code in every `ps` and keep coverage from attributing it.
    import ast

    def is_python(node: ast.expr) -> bool:
        inner = node.value if isinstance(node, ast.Starred) else node
        text = ast.unparse(inner)
        return "python" in text or text == "sys.executable"

    found = []
    for path in sorted((ROOT / "stepcommit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            flags = (
                [e for e in node.elts if isinstance(e, ast.Constant)] if isinstance(node, ast.List) else []
            )
            if any(e.value == "-c" for e in flags) and any(is_python(e) for e in node.elts):
                found.append(f"{path}:{node.lineno}")
    assert found == []
