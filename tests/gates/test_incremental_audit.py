"""The incremental gate's self-audit on real repositories: a store that lies (a test whose path
depends on a file git ignores) is caught against a full run, the file named, incremental turned off
and back on; an honest store passes; every N-th incremental run is the audit."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit import state
from stepcommit.commands import check, doctor
from stepcommit.config import Config, from_table
from stepcommit.errors import ConfigError
from stepcommit.gates import audit
from stepcommit.gates.gate import run_gate
from stepcommit.gates.incremental import store_dir
from tests.conftest import commit_all, write

CALC = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b
"""

# Which function the test runs depends on mode.txt, which git ignores: the store cannot see it change.
TEST_CALC = """\
from pathlib import Path

import calc


def test_op():
    mode = (Path(__file__).parent.parent / "mode.txt").read_text().strip()
    if mode == "add":
        assert calc.add(1, 2) == 3
    else:
        assert calc.sub(3, 1) == 2


def test_add():
    assert calc.add(0, 0) == 0
"""


@pytest.fixture
def hidden(repo: Path) -> Path:
    write(
        repo,
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['calc']\n",
            "calc/__init__.py": CALC,
            "tests/test_calc.py": TEST_CALC,
            ".gitignore": "__pycache__/\nmode.txt\n",
            "mode.txt": "add\n",
        },
    )
    commit_all(repo, "chore: initial")
    return repo


def gate(project: Path, cfg: Config, *, full: bool = False):
    repo = g.find_repo(project)
    return run_gate(repo, cfg, g.tree_only(repo), None, use_cache=False, full=full)


def test_incremental_is_the_default_and_audit_every_is_checked() -> None:
    assert Config().incremental is True and Config().full_on_finish is True
    assert Config().audit_every == 20
    assert from_table({"audit_every": 0}).audit_every == 0
    for wrong in (-1, 2.5, True, "20"):
        with pytest.raises(ConfigError, match="audit_every"):
            from_table({"audit_every": wrong})


def test_a_store_that_lies_is_caught_named_and_turns_incremental_off_until_they_agree(
    hidden: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = Config(lint=False)
    repo = g.find_repo(hidden)
    first = gate(hidden, cfg)
    assert first.ok and "incremental gate: full run: first run" in first.notes

    (hidden / "mode.txt").write_text("sub\n")  # invisible to git, so to the store
    stale = gate(hidden, cfg)
    assert stale.measured == "incremental: 0 of 2 tests"
    assert stale.coverage is not None and stale.coverage.files[0].missing_lines == (6,)  # still "add"

    audited = gate(hidden, cfg, full=True)
    assert audited.ok and audited.coverage is not None
    assert audited.coverage.files[0].missing_lines == ()  # the full run's figures: both ran
    off = audit.marker(repo.git_dir)
    assert off is not None and off["files"][0]["path"] == "calc/__init__.py"
    assert "lines 6 that the store's union lacks" in off["files"][0]["why"]
    assert any(
        "incremental gate off for this repository" in n and "calc/__init__.py" in n for n in audited.notes
    )
    assert state.StateDir(repo.git_dir).incremental_off.is_file()

    found = doctor.check_incremental(repo)
    assert not found.ok and "calc/__init__.py" in found.detail and "check --full" in found.fix
    capsys.readouterr()
    doctor.show([found], as_json=True)
    (shown,) = json.loads(capsys.readouterr().out)["findings"]
    assert shown["check"] == "incremental gate" and not shown["ok"] and "calc/__init__.py" in shown["detail"]
    doctor.show([found], as_json=False)
    assert capsys.readouterr().out.startswith("FAIL incremental gate: turned off by its self-audit: ")


def test_while_off_every_run_is_full_until_check_full_finds_the_store_agreeing(hidden: Path) -> None:
    cfg = Config(lint=False)
    repo = g.find_repo(hidden)
    assert gate(hidden, cfg).ok  # a fresh store of this tree
    why = "the per-test store's union differed from a full run in calc/__init__.py: (a test)"
    state.write_json(state.StateDir(repo.git_dir).incremental_off, {"why": why, "files": [], "tree": "?"})

    after = gate(hidden, cfg)
    assert after.measured is None and after.coverage is not None  # full: no per-test selection
    assert any(n.startswith("incremental gate off") and "calc/__init__.py" in n for n in after.notes)
    assert after.tests is not None and after.tests.passed == 2  # both tests ran

    cleared = gate(hidden, cfg, full=True)  # what `check --full` runs
    assert cleared.ok and audit.marker(repo.git_dir) is None
    assert "incremental gate back on" in " ".join(cleared.notes)
    assert doctor.check_incremental(repo).ok


def test_an_honest_store_passes_and_every_nth_incremental_run_is_the_audit(
    geo_project: Path, tmp_path: Path
) -> None:
    cfg = Config(lint=False, audit_every=1)  # every incremental run is the audit
    repo = g.find_repo(geo_project)
    assert gate(geo_project, cfg).ok  # the first run builds the store
    assert audit.last_audit(repo.git_dir)["runs"] == 0

    write(geo_project, {"geo/calc.py": GEO.replace("return a - b", "return -(b - a)")})
    due = gate(geo_project, cfg)  # an incremental run first (the union to audit), then the full one
    assert due.ok and due.measured is None
    assert (
        "incremental gate: full run: the self-audit of the per-test store (due every 1 incremental runs)"
        in due.notes
    )
    last = audit.last_audit(repo.git_dir)
    assert last["result"] == "agreed" and last["runs"] == 0
    assert audit.marker(repo.git_dir) is None
    assert list(store_dir(repo.git_dir).glob("audit-*.db")) == []  # the kept union is gone
    assert "last audit agreed" in doctor.check_incremental(repo).detail

    # The comparison itself, on the store left by that full run, its data edited: an arc taken out.
    meta = json.loads((store_dir(repo.git_dir) / "meta.json").read_text())
    union = tmp_path / "union.db"
    shutil.copyfile(store_dir(repo.git_dir) / meta["db"], union)
    full = state.state_dir(repo.git_dir) / "run" / ".coverage"
    assert audit.compare(union, full, geo_project) == []
    with sqlite3.connect(union) as con:
        (file_id,) = con.execute("select id from file where path like '%calc.py'").fetchone()
        con.execute("delete from arc where file_id = ? and fromno = 2", (file_id,))
    con.close()
    found = audit.compare(union, full, geo_project)
    assert [d.path for d in found] == ["geo/calc.py"]
    assert found[0].why == "the full run executed arcs 2->-1 that the store's union lacks"
    assert audit._ranges([9, 3, 4, 5, 7]) == "3-5, 7, 9"


def test_check_full_runs_instead_of_replaying_the_cache_when_an_audit_is_due(
    geo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        geo_project,
        {"pyproject.toml": GEO_PYPROJECT + "\n[tool.stepcommit]\nlint = false\nratchet = false\n"},
    )
    commit_all(geo_project, "chore: settings")
    repo = g.find_repo(geo_project)
    assert check.check(cwd=geo_project) == 0
    assert check.check(cwd=geo_project, use_cache=False) == 0  # incremental: the store is its union
    assert audit.due_for_full(repo.git_dir)
    capsys.readouterr()
    assert check.check(cwd=geo_project, full=True) == 0
    assert "cached" not in capsys.readouterr().out
    assert audit.last_audit(repo.git_dir)["result"] == "agreed"
    assert not audit.due_for_full(repo.git_dir)
    assert check.check(cwd=geo_project, full=True) == 0  # nothing left to audit: the cache answers
    assert "cached" in capsys.readouterr().out


GEO = """\
def mul(a, b):
    return a * b


def minus(a, b):
    return a - b
"""

GEO_PYPROJECT = "[tool.coverage.run]\nsource = ['geo']\nbranch = true\n"


@pytest.fixture
def geo_project(repo: Path) -> Path:
    write(
        repo,
        {
            "pyproject.toml": GEO_PYPROJECT,
            "geo/__init__.py": "",
            "geo/calc.py": GEO,
            "tests/test_mul.py": "from geo.calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
            "tests/test_minus.py": (
                "from geo.calc import minus\n\n\ndef test_minus():\n    assert minus(3, 2) == 1\n\n\n"
                "def test_minus_zero():\n    assert minus(0, 0) == 0\n"
            ),
            ".gitignore": "__pycache__/\n",
        },
    )
    commit_all(repo, "chore: initial")
    return repo
