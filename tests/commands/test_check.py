"""`check` gives the verdict `finish` will give, on the tree `finish` will commit (real git, real pytest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.commands.check import check
from stepcommit.commands.finish import finish
from stepcommit.commands.log import log
from stepcommit.commands.start import start
from tests.conftest import git, write


def counting_test(counter: Path) -> str:
    """A test that leaves a mark outside the repository each time the suite runs."""
    return (
        "from calc import add\n\n\ndef test_counted():\n"
        f"    with open({str(counter)!r}, 'a') as handle:\n        handle.write('run\\n')\n"
        "    assert add(1, 1) == 2\n"
    )


def test_finish_after_a_passing_check_runs_no_test(project: Path, tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    start(cwd=project, query=None)
    write(project, {"tests/test_counted.py": counting_test(counter)})
    assert check(cwd=project) == 0
    assert counter.read_text().count("run") == 1
    assert "[ ] **1.2." in (project / "PLAN.md").read_text()  # check ticks nothing on disk
    assert finish(cwd=project) == 0
    assert counter.read_text().count("run") == 1
    landed = git(project, "log", "-1", "--format=%B", "main")
    assert "Tests: 2 passed" in landed and "[x] **1.2." in git(project, "show", "main:PLAN.md")


def test_an_edit_after_the_check_is_tested_by_finish(project: Path, tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    start(cwd=project, query=None)
    write(project, {"tests/test_counted.py": counting_test(counter)})
    assert check(cwd=project) == 0
    write(project, {"notes.md": "one more change\n"})
    assert finish(cwd=project) == 0
    assert counter.read_text().count("run") == 2


def test_an_entry_in_a_plain_commit_does_not_come_back_in_the_step(project: Path) -> None:
    from stepcommit.commands.hook_message import hook_message

    log(cwd=project, texts=["Tidied the README before the step."])
    write(project, {"README.md": "# calc\n"})
    git(project, "add", "-A")
    message = project / ".git" / "COMMIT_EDITMSG"
    message.write_text("docs: readme\n")
    hook_message(cwd=project, message_file=message)
    assert "Tidied the README" in message.read_text()
    git(project, "commit", "-q", "-F", str(message))
    start(cwd=project, query=None)
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    log(cwd=project, texts=["Added more."])
    assert finish(cwd=project) == 0
    landed = git(project, "log", "-1", "--format=%B", "main")
    assert "Added more." in landed
    assert "Tidied the README" not in landed


def test_numbered_lines_without_a_header_lose_their_numbers(project: Path) -> None:
    from stepcommit import progress

    start(cwd=project, query=None)
    log(cwd=project, texts=[], stdin_text="1 Creating repo.py.\n2. Adding the tests.\n3) Wiring the CLI.\n")
    assert [e.text for e in progress.read(project / ".git")] == [
        "Creating repo.py.",
        "Adding the tests.",
        "Wiring the CLI.",
    ]


UNCOVERED = """\
def add(a, b):
    return a + b


def unused(a):
    return a * 2


def new_feature(x):
    if x > 0:
        return x
    return -x
"""


def feature_branch(project: Path) -> None:
    git(project, "switch", "-q", "-c", "feature")
    write(project, {"calc/__init__.py": UNCOVERED})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "feat: new feature, untested")


def test_check_base_refuses_uncovered_changed_lines(project: Path) -> None:
    from stepcommit.errors import GateFailed

    with (project / "pyproject.toml").open("a") as handle:
        handle.write("[tool.stepcommit]\nfail_under_changed = 80\nratchet = false\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "chore: settings")
    feature_branch(project)
    # Without --base a clean checkout compares HEAD with itself: nothing changed, nothing judged.
    assert check(cwd=project) == 0
    with pytest.raises(GateFailed) as info:
        check(cwd=project, base_ref="main")
    text = info.value.message
    assert "fail_under_changed = 80%" in text
    assert "calc/__init__.py:10-12" in text


def test_check_base_auto_reads_the_ci_target(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stepcommit.commands.check import ci_base_ref, resolve_base

    main = git(project, "rev-parse", "main").strip()
    git(project, "update-ref", "refs/remotes/origin/main", main)
    feature_branch(project)
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    from stepcommit import git as gitmod

    assert resolve_base(gitmod.find_repo(project), "auto") == main
    assert ci_base_ref({"CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc"}) == ("abc", "the merge request's diff base")
    assert ci_base_ref({"CI_COMMIT_BEFORE_SHA": "0" * 40})[0] == "HEAD~1"
    assert ci_base_ref({"STEPCOMMIT_PUSH_BEFORE": "f" * 40})[0] == "f" * 40


def test_a_ratchet_failure_names_the_lines_and_the_next_step(project: Path) -> None:
    from stepcommit.errors import GateFailed

    feature_branch(project)
    with pytest.raises(GateFailed) as info:
        check(cwd=project, base_ref="main")
    text = info.value.message
    assert "(ratchet)" in text and "calc/__init__.py:10-12" in text
    assert "stepcommit coverage --prompt" in text


def test_verify_is_read_from_the_plan_now_and_its_verdict_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stepcommit.errors import GateFailed

    with (project / "pyproject.toml").open("a") as handle:
        handle.write("[tool.stepcommit]\nrun_verify = true\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "chore: settings")
    start(cwd=project, query=None)
    write(project, {"calc/more.py": "X = 1\n", "tests/test_more.py": "from calc.more import X\n\n\n"
                    "def test_x():\n    assert X == 1\n"})  # fmt: skip
    # Verify lines written into the plan after `start`: check and finish read them now.
    plan_file = project / "PLAN.md"
    text = plan_file.read_text().replace(
        "**1.2. Subtraction**\n", "**1.2. Subtraction**\n  Verify: `sh -c 'echo boom; exit 3'`\n"
    )
    plan_file.write_text(text)
    with pytest.raises(GateFailed) as info:
        check(cwd=project)
    assert "verification `sh -c 'echo boom; exit 3'` failed (exit 3):\nboom" in info.value.message
    plan_file.write_text(text.replace("sh -c 'echo boom; exit 3'", "git --version"))
    capsys.readouterr()
    assert check(cwd=project) == 0
    assert "Verify: passed (`git --version`)" in capsys.readouterr().out
    assert finish(cwd=project) == 0
    assert "Verify: passed (`git --version`)" in git(project, "log", "-1", "--format=%B", "main")


def test_check_prompt_gives_the_agent_one_instruction(project: Path) -> None:
    import json
    import subprocess
    import sys

    start(cwd=project, query=None)
    write(project, {
        "calc/more.py": "import os\n\nX = 1\n",
        "tests/test_more.py": "from calc.more import X\n\n\ndef test_x():\n    assert X == 2, 'X is not two'\n",
    })  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "stepcommit", "check", *args], cwd=project,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    shown = cli("--prompt")
    assert shown.returncode == 2
    text = shown.stdout
    assert text.startswith("The stepcommit gate refused this change.")
    assert "tests/test_more.py::test_x: " in text and "X is not two" in text
    assert "calc/more.py:1:8: F401" in text
    assert text.rstrip().endswith("Then run `stepcommit check` again.")
    data = json.loads(cli("--json").stdout)
    assert data["prompt"] == text.rstrip("\n")


def test_after_a_ratchet_failure_coverage_prompt_aims_at_the_ratchet(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stepcommit.commands.coverage import coverage
    from stepcommit.errors import GateFailed

    feature_branch(project)
    with pytest.raises(GateFailed):
        check(cwd=project, base_ref="main")
    capsys.readouterr()
    assert coverage(cwd=project, prompt=True) == 0
    text = capsys.readouterr().out
    assert "at least 75.00% (the figure the coverage ratchet needs: the base commit's 75.00%)" in text


def test_check_and_the_hook_refuse_forbidden_files_and_secret_lines_before_running_tests(
    project: Path, tmp_path: Path
) -> None:
    from stepcommit.errors import ForbiddenFilesError

    counter = tmp_path / "runs.txt"
    aws_key = "AKIA" + "IOSFODNN7EXAMPLE"
    write(
        project,
        {
            "tests/test_counted.py": counting_test(counter),
            "docs/setup.md": f"# Setup\nUse the key id {aws_key} for the bucket.\n",
            "Key.PEM": "-----BEGIN CERTIFICATE-----\n",
        },
    )
    with pytest.raises(ForbiddenFilesError) as info:
        check(cwd=project)
    assert "Key.PEM (private key or certificate)" in info.value.message
    assert "docs/setup.md:2 (holds a secret (AWS Access Key))" in info.value.message
    assert aws_key not in info.value.message + info.value.hint
    # The pre-commit hook gates the staged tree: what is only on disk is not its business.
    git(project, "add", "tests/test_counted.py")
    assert check(cwd=project, hook=True) == 0
    git(project, "add", "docs/setup.md")
    with pytest.raises(ForbiddenFilesError) as info:
        check(cwd=project, hook=True)
    assert "docs/setup.md:2" in info.value.message and "Key.PEM" not in info.value.message
    assert "git restore --staged" in info.value.hint
    assert counter.read_text().count("run") == 1  # a refused change runs no test


CLAMP = "def magnitude(x):\n    if x < 0:\n        x = -x\n    return x\n"
TEST_CLAMP = "from calc.clamp import magnitude\n\n\ndef test_magnitude():\n    assert magnitude(-1) == 1\n"


def test_the_changed_lines_floor_counts_branches_when_the_project_measures_them(project: Path) -> None:
    import json
    import subprocess
    import sys

    from stepcommit.errors import GateFailed

    with (project / "pyproject.toml").open("a") as handle:
        handle.write(
            "[tool.coverage.run]\nbranch = true\n[tool.stepcommit]\nfail_under_changed = 90\nratchet = false\n"
        )
    git(project, "add", "-A")
    git(project, "commit", "-qm", "chore: settings")
    git(project, "switch", "-q", "-c", "feature")
    # Every statement runs; the branch that skips `x = -x` never does.
    write(project, {"calc/clamp.py": CLAMP, "tests/test_clamp.py": TEST_CLAMP})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "feat: clamp")
    with pytest.raises(GateFailed) as info:
        check(cwd=project, base_ref="main")
    text = info.value.message
    # The oracle: coverage.py's own figure for the file, all of whose lines changed.
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-o", "cov.json"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    files = json.loads((project / "cov.json").read_text())["files"]
    # Every line of the measured new files changed: their units are the changed lines' units.
    summaries = [files[f]["summary"] for f in ("calc/clamp.py", "tests/test_clamp.py") if f in files]
    measured = sum(s["num_statements"] + s["num_branches"] for s in summaries)
    covered = sum(s["covered_lines"] + s["covered_branches"] for s in summaries)
    assert covered == measured - 1
    assert f"({covered} of {measured} statements and branches)" in text
    assert "under fail_under_changed = 90%" in text
