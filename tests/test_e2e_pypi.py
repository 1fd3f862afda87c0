"""The step loop as a new user meets it: a real project from PyPI, its own suite and coverage settings.

click's sdist is fetched at run time into a temporary folder (never committed), given its own
.venv, and taken through start -> edit -> log -> finish. The Coverage trailer must equal what
`coverage run -m pytest; coverage report` says for the same tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import commit_all, git, write

PROJECT = "click==8.5.1"
pytestmark = pytest.mark.slow


def sh(*argv: str | Path, cwd: Path, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def fetch_sdist(requirement: str, where: Path) -> Path:
    """Download a project's source distribution from PyPI (its JSON API; no pip needed)."""
    import json
    import urllib.parse
    import urllib.request

    name, version = requirement.split("==")
    index = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(index, timeout=60) as response:
        files = json.load(response)["releases"][version]
    sdist = next(u for u in files if u["packagetype"] == "sdist")
    target = where / sdist["filename"]
    # A mirror may answer with URLs relative to the index page.
    with urllib.request.urlopen(urllib.parse.urljoin(index, sdist["url"]), timeout=120) as response:
        target.write_bytes(response.read())
    return target


@pytest.fixture(scope="module")
def click_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return fetch_sdist(PROJECT, tmp_path_factory.mktemp("sdist"))
    except (OSError, KeyError, StopIteration) as exc:  # offline: the rest of the suite still runs
        pytest.skip(f"cannot download {PROJECT} from PyPI: {exc}")


def test_real_project_step_gives_one_commit_with_the_honest_coverage(
    click_sdist: Path, tmp_path: Path
) -> None:
    with tarfile.open(click_sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    project = next(tmp_path.glob("click-*"))
    git(project, "init", "-q", "-b", "main")
    write(
        project,
        {
            ".gitignore": ".venv/\n__pycache__/\n",
            "PLAN.md": "# Plan\n\n- [x] **1.1. Import**\n- [ ] **1.2. Add a shout helper**\n",
        },
    )
    commit_all(project, "chore: click sdist")
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to give the project its own .venv")
    sh(uv, "venv", "-q", "--python", sys.executable, ".venv", cwd=project)
    venv_python = project / ".venv" / "bin" / "python"
    sh(uv, "pip", "install", "-q", "--python", venv_python, "-e", ".", "pytest", "coverage", cwd=project)

    stepcommit = [sys.executable, "-m", "stepcommit"]
    sh(*stepcommit, "start", cwd=project)
    with (project / "src" / "click" / "utils.py").open("a") as handle:
        handle.write('\n\ndef shout(text: str) -> str:\n    return text.upper() + "!"\n')
    write(
        project,
        {
            "tests/test_shout.py": 'from click.utils import shout\n\n\ndef test_shout():\n    assert shout("a") == "A!"\n'
        },
    )
    sh(*stepcommit, "log", "Added shout() to click.utils.", cwd=project)
    sh(*stepcommit, "finish", cwd=project)

    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "rev-list", "--count", "main").strip() == "2"
    body = git(project, "log", "-1", "--format=%B")
    assert body.startswith(
        "feat(step-1.2): Add a shout helper\n\nProgress Updates\n1 Added shout() to click.utils.\n"
    )
    assert "- [x] **1.2. Add a shout helper**" in (project / "PLAN.md").read_text()
    trailer = git(project, "log", "-1", "--format=%(trailers:key=Coverage,valueonly)").strip()

    # The user's own measurement of the same tree, with the project's own settings (branch, source).
    sh(venv_python, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    report = sh(venv_python, "-m", "coverage", "report", "--precision=2", cwd=project)
    total = re.search(r"^TOTAL\s.*\s(\d+\.\d\d)%$", report, re.MULTILINE)
    assert total is not None, report
    assert trailer == total.group(1)
