"""The full gate on real repositories: lint, floor, ratchet, changed lines, verification, cache."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from stepcommit import git as g
from stepcommit.config import Config
from stepcommit.gates.baseline import base_coverage
from stepcommit.gates.gate import run_gate
from tests.conftest import commit_all, git, write

TEST_UNUSED = "from calc import unused\n\n\ndef test_unused():\n    assert unused(2) == 4\n"


def gate(project: Path, cfg: Config | None = None, base: str | None = "HEAD", **kwargs: object):  # type: ignore[no-untyped-def]
    repo = g.find_repo(project)
    base_commit = g.rev_parse(project, base) if base else None
    return run_gate(repo, cfg or Config(), g.tree_only(repo), base_commit, **kwargs)  # type: ignore[arg-type]


def digest(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }


def test_ruff_lint_failure_names_the_problem_and_never_fixes(project: Path) -> None:
    # The project asks ruff to fix; the gate must still only report.
    write(project, {"pyproject.toml": "[tool.ruff]\nfix = true\n[tool.ruff.lint]\nselect = ['F']\n"})
    commit_all(project)
    write(
        project,
        {"calc/extra.py": "import os\n\n\ndef f():\n    return 1\n", "tests/test_unused.py": TEST_UNUSED},
    )
    before = digest(project)
    result = gate(project)
    assert not result.ok
    assert "ruff found problems" in result.problems
    assert "calc/extra.py:1:8: F401" in result.output_tail
    assert result.lint == "failed (ruff)"
    assert digest(project) == before
    assert not (project / ".ruff_cache").exists()


def test_ruff_passes_on_clean_changes(project: Path) -> None:
    write(project, {"tests/test_unused.py": TEST_UNUSED})
    result = gate(project)
    assert result.ok, result.explain()
    assert result.lint == "passed (ruff)"
    assert result.patch is None  # only a test file changed, and tests/ is not measured
    assert result.patch_display is None


def _pre_commit_config(project: Path, hooks: list[dict[str, object]]) -> None:
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (project / ".pre-commit-config.yaml").write_text(json.dumps(config, indent=2) + "\n")


@pytest.fixture
def pre_commit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def test_pre_commit_hook_that_modifies_files_fails_and_the_user_file_is_untouched(
    project: Path, pre_commit_home: None
) -> None:
    fixer = (
        "import sys\nfor name in sys.argv[1:]:\n    text = open(name).read()\n"
        "    open(name, 'w').write(text.replace('\\t', '    '))\n"
    )
    write(project, {"fix_tabs.py": fixer})
    _pre_commit_config(
        project,
        [{"id": "fix-tabs", "name": "fix tabs", "entry": f"{sys.executable} fix_tabs.py", "language": "unsupported",
          "types": ["python"], "exclude": "^fix_tabs.py$"}],
    )  # fmt: skip
    commit_all(project)
    write(project, {"calc/extra.py": "def f():\n\treturn 1\n", "tests/test_unused.py": TEST_UNUSED})
    before = digest(project)
    result = gate(project)
    assert not result.ok
    assert "hooks would change calc/extra.py (nothing was changed in your files)" in result.problems
    assert "-\treturn 1" in result.output_tail and "+    return 1" in result.output_tail
    assert digest(project) == before
    assert "stepcommit-worktree" not in git(project, "worktree", "list")


def test_pre_commit_hooks_pass_and_stepcommit_s_own_hooks_are_skipped(
    project: Path, pre_commit_home: None
) -> None:
    _pre_commit_config(
        project,
        [
            {"id": "ok", "name": "ok", "entry": "true", "language": "unsupported"},
            # would recurse forever if the lint gate ran it
            {"id": "stepcommit-gate", "name": "gate", "entry": "false", "language": "unsupported"},
        ],
    )
    commit_all(project)
    write(project, {"tests/test_unused.py": TEST_UNUSED})
    result = gate(project)
    assert result.ok, result.explain()
    # `ok` is not a Python linter, so ruff runs too; both ran on the changed file.
    assert result.lint == "passed (ok, ruff)"


def test_floor_from_the_project_s_own_coverage_config(project: Path) -> None:
    write(project, {".coveragerc": "[run]\nsource = calc\n[report]\nfail_under = 80\n"})
    result = gate(project, base=None)
    assert not result.ok
    assert result.problems == ("coverage 75.00% is under the floor of 80% (fail_under)",)
    # stepcommit's own setting wins over the project's
    assert gate(project, Config(fail_under=70), base=None).ok


def test_floor_follows_coverage_s_own_rule(project: Path) -> None:
    # exactly at the floor passes, as `coverage report --fail-under` would; a hair above it fails
    write(
        project,
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['calc']\n[tool.coverage.report]\nfail_under = 75\n"
        },
    )
    assert gate(project, base=None).ok
    write(
        project,
        {
            "pyproject.toml": "[tool.coverage.run]\nsource = ['calc']\n[tool.coverage.report]\nfail_under = 75.01\n"
        },
    )
    assert not gate(project, base=None).ok


def test_ratchet_refuses_a_drop_below_the_base_trailer(project: Path) -> None:
    write(project, {"tests/test_unused.py": TEST_UNUSED})
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "test: unused\n\nCoverage: 100.00")
    (project / "tests" / "test_unused.py").unlink()
    assert "removed-tests" in gate(project).explain()  # the honesty check names the removal too
    result = gate(project, Config(honesty={"removed-tests": "off"}))
    assert not result.ok
    (problem,) = result.problems
    assert problem.startswith(
        "coverage fell from 100.00% to 75.00% (ratchet); least covered: calc/__init__.py 75.00%"
    )
    assert problem.endswith("`stepcommit coverage --prompt` says what to test next")
    assert gate(project, Config(ratchet_tolerance=30, honesty={"removed-tests": "off"})).ok
    assert gate(project, Config(ratchet=False, honesty={"removed-tests": "off"})).ok


def test_base_without_trailer_is_measured_once_and_cached(project: Path) -> None:
    repo = g.find_repo(project)
    head = g.head_commit(project)
    assert head is not None
    first = base_coverage(repo, Config(), head)
    assert (first.display, first.source) == ("75.00", "measured")
    cached = json.loads((project / ".git" / "stepcommit" / "baseline.json").read_text())
    assert cached[head]["display"] == "75.00"
    assert "stepcommit-worktree" not in git(project, "worktree", "list")
    # a second call reads the cache, no test run (the scratch run folder is not rewritten)
    stamp = (
        (project / ".git" / "stepcommit" / "baseline-run" / "stepcommit" / "run" / "coverage.json")
        .stat()
        .st_mtime_ns
    )
    assert base_coverage(repo, Config(), head).display == "75.00"
    assert (
        project / ".git" / "stepcommit" / "baseline-run" / "stepcommit" / "run" / "coverage.json"
    ).stat().st_mtime_ns == stamp


def test_changed_lines_coverage(project: Path) -> None:
    write(project, {"calc/more.py": "def a():\n    return 1\n\n\ndef b():\n    return 2\n",
                    "tests/test_more.py": "from calc.more import a\n\n\ndef test_a():\n    assert a() == 1\n"})  # fmt: skip
    result = gate(project)
    assert result.ok, result.explain()
    # calc/more.py: 4 statements, 3 run (b's body not); tests/ is not measured
    assert result.patch == (3, 4)
    assert result.patch_display == "75.00"


def test_verify_commands_run_only_when_allowed(project: Path) -> None:
    write(project, {"tests/test_unused.py": TEST_UNUSED})
    verify = (f"{sys.executable} -c 'raise SystemExit(3)'",)
    skipped = gate(project, verify=verify)
    assert skipped.ok
    assert any("Verify commands were not run" in n for n in skipped.notes)
    ran = gate(project, Config(run_verify=True), verify=verify, use_cache=False)
    assert not ran.ok
    assert "failed (exit 3)" in ran.problems[0]


def test_a_cached_verdict_needs_the_same_tree_base_and_config(project: Path) -> None:
    write(project, {"tests/test_unused.py": TEST_UNUSED})
    first = gate(project)
    assert first.ok and not first.cached
    again = gate(project)
    assert again.cached and again.coverage is not None and again.coverage.display == first.coverage.display  # type: ignore[union-attr]
    other = gate(project, Config(fail_under=10))
    assert not other.cached and other.tests_reused
    write(project, {"notes.txt": "x\n"})
    assert not gate(project).tests_reused
