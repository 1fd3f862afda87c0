"""Real projects from PyPI for benchmarks and end-to-end tests: fetched at run time, never committed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def fetch_sdist(requirement: str, where: Path) -> Path:
    """Download ``name==version``'s source distribution through PyPI's JSON API (no pip needed)."""
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


def run(*argv: str | Path, cwd: Path, timeout: float = 900) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "VIRTUAL_ENV"))}
    env.update(GIT_ENV)
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"{argv} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def project_from_sdist(
    archive: Path, where: Path, *, extra: tuple[str, ...] = ("pytest", "coverage")
) -> Path:
    """Unpack, commit as a fresh git repository on main, give it a .venv with the project and ``extra``."""
    with tarfile.open(archive) as tar:
        tar.extractall(where, filter="data")
    project = next(p for p in where.iterdir() if p.is_dir())
    (project / ".gitignore").write_text(".venv/\n__pycache__/\n.coverage\n.coverage.*\n", encoding="utf-8")
    run("git", "init", "-q", "-b", "main", cwd=project)
    run("git", "add", "-A", cwd=project)
    run("git", "commit", "-q", "-m", f"chore: {project.name} sdist", cwd=project)
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is needed to give the project its own .venv")
    run(uv, "venv", "-q", "--python", sys.executable, ".venv", cwd=project)
    run(
        uv,
        "pip",
        "install",
        "-q",
        "--python",
        project / ".venv" / "bin" / "python",
        "-e",
        ".",
        *extra,
        cwd=project,
    )
    return project
