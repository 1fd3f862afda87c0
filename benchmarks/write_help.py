"""Write stepcommit/help.txt, the top-level help `stepcommit --help` prints without loading typer.

`uv run python benchmarks/write_help.py`: runs the installed program with typer's own help
(STEPCOMMIT_TYPER_HELP=1) on a 120-column terminal and keeps what it prints.
tests/test_startup.py fails when the file and typer disagree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stepcommit import entry


def typer_help() -> str:
    program = Path(sys.executable).parent / "stepcommit"
    env = {**os.environ, entry.TYPER_HELP_ENV: "1", "COLUMNS": "120"}
    return subprocess.run(
        [str(program), "--help"], env=env, capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    path = Path(entry.__file__).parent / entry.HELP_FILE
    path.write_text(typer_help(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
