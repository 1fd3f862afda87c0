"""The step loop as a new user meets it: a real project from PyPI, its own suite and coverage settings.

click's sdist is fetched at run time into a temporary folder (never committed), given its own
.venv, and taken through start -> edit -> log -> finish. The Coverage trailer must equal what
`coverage run -m pytest; coverage report` says for the same tree.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.pypi import fetch_sdist, project_from_sdist, run
from tests.conftest import commit_all, git, write

PROJECT = "click==8.5.1"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def click_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return fetch_sdist(PROJECT, tmp_path_factory.mktemp("sdist"))
    except (OSError, KeyError, StopIteration) as exc:  # offline: the rest of the suite still runs
        pytest.skip(f"cannot download {PROJECT} from PyPI: {exc}")


def test_real_project_step_gives_one_commit_with_the_honest_coverage(
    click_sdist: Path, tmp_path: Path
) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is needed to give the project its own .venv")
    project = project_from_sdist(click_sdist, tmp_path)
    write(project, {"PLAN.md": "# Plan\n\n- [x] **1.1. Import**\n- [ ] **1.2. Add a shout helper**\n"})
    commit_all(project, "docs: plan")
    venv_python = project / ".venv" / "bin" / "python"

    stepcommit = [sys.executable, "-m", "stepcommit"]
    run(*stepcommit, "start", cwd=project)
    with (project / "src" / "click" / "utils.py").open("a") as handle:
        handle.write('\n\ndef shout(text: str) -> str:\n    return text.upper() + "!"\n')
    write(
        project,
        {
            "tests/test_shout.py": 'from click.utils import shout\n\n\ndef test_shout():\n    assert shout("a") == "A!"\n'
        },
    )
    run(*stepcommit, "log", "Added shout() to click.utils.", cwd=project)
    run(*stepcommit, "finish", cwd=project)

    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-list", "--count", "main").strip() == "3"
    body = git(project, "log", "-1", "--format=%B")
    assert body.startswith(
        "feat(step-1.2): Add a shout helper\n\nProgress Updates\n1 Added shout() to click.utils.\n"
    )
    assert "- [x] **1.2. Add a shout helper**" in (project / "PLAN.md").read_text()
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)").strip()

    # The user's own measurement of the same tree, with the project's own settings (branch, source).
    run(venv_python, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    report = run(venv_python, "-m", "coverage", "report", "--precision=2", cwd=project)
    total = re.search(r"^TOTAL\s.*\s(\d+\.\d\d)%$", report, re.MULTILINE)
    assert total is not None, report
    assert trailer == total.group(1)
