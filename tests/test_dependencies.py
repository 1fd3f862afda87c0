"""Every declared dependency serves: its module is imported, or run by name (`-m`, `-p`), in stepcommit."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()  # PEP 503


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [_name(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]]


def test_every_declared_dependency_is_used_by_the_package() -> None:
    modules: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules.setdefault(_name(dist), set()).add(module)
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "stepcommit").rglob("*.py"))
    unused = [
        dist
        for dist in _declared()
        if not any(re.search(rf"\b{re.escape(m)}\b", source) for m in modules.get(dist, ()))
    ]
    assert unused == []
    # GitPython's module is `git`, a word all over stepcommit (stepcommit.git): the scan cannot see it unused.
    assert "gitpython" not in _declared()  # dropped: see the README's Dependencies section
