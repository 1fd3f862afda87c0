"""The honesty check's decisions, on file texts: each finding, and the changes that are not one."""

from __future__ import annotations

import pytest

from stepcommit.gates import honesty
from stepcommit.gates.honesty import Finding, assess, compare

TESTS = """\
import pytest

from calc import add


def test_add():
    assert add(2, 3) == 5


class TestMore:
    def test_zero(self):
        assert add(0, 0) == 0
"""


def kinds(
    base: dict[str, str], now: dict[str, str], **kw: object
) -> list[tuple[str, str, int | None, str | None]]:
    return [(f.kind, f.file, f.line, f.test) for f in compare(base, now, **kw).findings]  # type: ignore[arg-type]


def test_nothing_changed_is_no_finding() -> None:
    files = {"tests/test_add.py": TESTS, "pyproject.toml": "[tool.coverage.report]\nfail_under = 90\n"}
    assert compare(files, dict(files)).findings == ()


def test_a_deleted_test_is_named_with_its_line() -> None:
    now = TESTS.replace("    def test_zero(self):\n        assert add(0, 0) == 0\n", "    pass\n")
    assert kinds({"tests/test_add.py": TESTS}, {"tests/test_add.py": now}) == [
        ("removed-tests", "tests/test_add.py", 11, "tests/test_add.py::TestMore::test_zero")
    ]


def test_a_deleted_test_file_removes_each_test() -> None:
    found = kinds({"tests/test_add.py": TESTS}, {})
    assert [f[3] for f in found] == ["tests/test_add.py::test_add", "tests/test_add.py::TestMore::test_zero"]


def test_a_test_moved_to_another_file_or_renamed_with_its_body_is_no_removal() -> None:
    moved = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    renamed = "from calc import add\n\n\ndef test_adds_two_numbers():\n    assert add(2, 3) == 5\n"
    base = {"tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"}
    assert compare(base, {"tests/unit/test_calc.py": moved}).findings == ()
    result = compare(base, {"tests/test_add.py": renamed})
    assert result.findings == ()
    assert result.renames == (
        "tests/test_add.py::test_add renamed to tests/test_add.py::test_adds_two_numbers",
    )


def test_only_tests_that_passed_at_the_base_count_when_the_ids_are_stored() -> None:
    base = {"tests/test_add.py": TESTS}
    now = {"tests/test_add.py": "import pytest\n"}
    stored = frozenset({"tests/test_add.py::test_add[1]", "tests/test_add.py::test_add[2]"})
    assert [f[3] for f in kinds(base, now, base_ids=stored)] == ["tests/test_add.py::test_add"]


def test_a_new_skip_mark_is_named_but_one_that_was_there_is_not() -> None:
    skipped = TESTS.replace("def test_add", "@pytest.mark.skip(reason='later')\ndef test_add")
    assert kinds({"tests/test_add.py": TESTS}, {"tests/test_add.py": skipped}) == [
        ("skips", "tests/test_add.py", 6, "tests/test_add.py::test_add")
    ]
    # Already there at the base, and the file edited elsewhere: not new.
    edited = skipped + "\n\ndef test_more():\n    assert add(1, 1) == 2\n"
    assert kinds({"tests/test_add.py": skipped}, {"tests/test_add.py": edited}) == []


@pytest.mark.parametrize(
    "edit",
    [
        ("    assert add(2, 3) == 5", "    pytest.skip('broken')\n    assert add(2, 3) == 5"),
        ("    assert add(2, 3) == 5", "    pytest.xfail('broken')"),
        ("from calc import add", "from calc import add\nnp = pytest.importorskip('numpy')"),
        ("class TestMore:", "@pytest.mark.xfail\nclass TestMore:"),
        ("import pytest", "import pytest\npytestmark = pytest.mark.skipif(True, reason='x')"),
    ],
)
def test_skip_calls_marks_and_importorskip(edit: tuple[str, str]) -> None:
    now = TESTS.replace(*edit)
    found = compare({"tests/test_add.py": TESTS}, {"tests/test_add.py": now}).findings
    assert [f.kind for f in found if f.kind != "weak-tests"] == ["skips"]


def test_a_test_moved_with_its_skip_brings_no_new_skip() -> None:
    skipped = "import pytest\n\n\n@pytest.mark.skip\ndef test_x():\n    assert 1 < 2\n"
    assert compare({"tests/test_a.py": skipped}, {"tests/test_b.py": skipped}).findings == ()


def test_deselect_and_ignore_added_to_addopts() -> None:
    base = {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra"\ntestpaths = ["tests", "it"]\n'}
    now = {
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra --deselect tests/test_add.py::test_add '
        '--ignore=tests/slow -k \'not db\'"\ntestpaths = ["tests"]\n'
    }
    found = compare(base, now).findings
    assert [(f.kind, f.line) for f in found] == [("skips", 2), ("skips", 2), ("skips", 2), ("config", 3)]
    assert "`--deselect tests/test_add.py::test_add`" in found[0].detail
    assert "it no longer collected" in found[3].detail


def test_pytest_ini_in_setup_cfg_and_stepcommit_pytest_args() -> None:
    base = {"setup.cfg": "[tool:pytest]\naddopts = -ra\n"}
    now = {
        "setup.cfg": "[tool:pytest]\naddopts = -ra -m 'not slow'\n",
        "pyproject.toml": '[tool.stepcommit]\npytest_args = ["--deselect", "tests/t.py::test_a"]\n',
    }
    assert [f.detail for f in compare(base, now).findings] == [
        "`-m not slow` added to the pytest options",
        "`--deselect tests/t.py::test_a` added to the pytest options",
    ]


def test_pragma_no_cover_and_the_projects_own_exclusion_patterns() -> None:
    code = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    pragma = code.replace("if x:", "if x:  # pragma: no cover")
    own = "def f(x):\n    if x:\n        raise Unreachable()\n    return 2\n"
    cfg = '[tool.coverage.report]\nexclude_also = ["raise Unreachable"]\n'
    assert kinds({"calc/f.py": code}, {"calc/f.py": pragma}) == [("no-cover", "calc/f.py", 2, None)]
    found = compare({"calc/f.py": code, "pyproject.toml": cfg}, {"calc/f.py": own, "pyproject.toml": cfg})
    assert [(f.kind, f.line) for f in found.findings] == [("no-cover", 3)]
    # A pragma that was there, in a file that moved: not new.
    assert compare({"calc/f.py": pragma}, {"calc/g.py": pragma}).findings == ()


def test_coverage_settings_omit_exclude_source_and_fail_under() -> None:
    base = {".coveragerc": "[run]\nsource =\n    calc\n    extra\n[report]\nfail_under = 90\n"}
    now = {
        ".coveragerc": "[run]\nsource =\n    calc\nomit =\n    calc/hard.py\n[report]\nfail_under = 80\n"
        "exclude_lines =\n    def hard\n"
    }
    found = compare(base, now).findings
    assert sorted((f.kind, f.file, f.line, f.detail) for f in found) == [
        ("config", ".coveragerc", 7, "coverage fail_under lowered from 90 to 80"),
        ("no-cover", ".coveragerc", 2, "[run] source narrowed: extra no longer measured"),
        ("no-cover", ".coveragerc", 5, "new [run] omit entry 'calc/hard.py'"),
        ("no-cover", ".coveragerc", 9, "new [report] exclude_lines entry 'def hard'"),
    ]


def test_stepcommit_ratchet_lint_and_the_honesty_policy_itself() -> None:
    base = {"pyproject.toml": "[tool.coverage.report]\nfail_under = 50\n[tool.stepcommit]\nfail_under = 90\n"}
    now = {
        "pyproject.toml": "[tool.coverage.report]\nfail_under = 50\n[tool.stepcommit]\nfail_under = 85\n"
        "fail_under_changed = 10\nratchet = false\nlint = false\nhonesty = {skips = 'off'}\n"
    }
    found = compare(base, now).findings
    assert [(f.line, f.detail) for f in found] == [
        (4, "[tool.stepcommit] fail_under lowered from 90 to 85"),
        (6, "[tool.stepcommit] ratchet = false"),
        (7, "[tool.stepcommit] lint = false"),
        (8, "[tool.stepcommit] honesty skips loosened from refuse to off"),
    ]


def test_ruff_rules_removed_ignores_and_noqa_added() -> None:
    base = {"pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "F", "B"]\n', "calc/a.py": "x = 1\n"}
    now = {
        "pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "F"]\nignore = ["E501"]\n'
        '[tool.ruff.lint.per-file-ignores]\n"calc/*" = ["F401"]\n',
        "calc/a.py": "import os  # noqa: F401\ns = '# noqa inside a string'\nx = 1\n",
    }
    found = compare(base, now).findings
    assert [(f.file, f.line, f.detail) for f in found] == [
        ("calc/a.py", 1, "new `noqa`: import os  # noqa: F401"),
        ("pyproject.toml", 2, "ruff rules removed: B"),
        ("pyproject.toml", 3, "ruff ignore added: E501"),
        ("pyproject.toml", 5, "ruff per-file-ignores added: calc/* F401"),
    ]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("    add(1, 2)\n", "new test with no assertion of any kind"),
        ("    assert True\n", "new test: `assert True` always passes"),
        ("    assert add(1, 2) == add(1, 2)\n", "compares a value with itself"),
        ("    assert 3 == 3\n", "compares a value with itself"),
    ],
)
def test_weak_new_tests(body: str, why: str) -> None:
    now = TESTS + f"\n\ndef test_new():\n{body}"
    found = compare({"tests/test_add.py": TESTS}, {"tests/test_add.py": now}).findings
    assert [(f.kind, f.test) for f in found] == [("weak-tests", "tests/test_add.py::test_new")]
    assert why in found[0].detail


@pytest.mark.parametrize(
    "body",
    [
        "    with pytest.raises(ValueError):\n        add('a', None)\n",
        "    assert add(0.1, 0.2) == pytest.approx(0.3)\n",
        "    mock = object()\n    mock.assert_called_once_with(1)\n",
        "    assert add(1, 2) == 3\n",
    ],
)
def test_real_assertions_are_not_weak(body: str) -> None:
    now = TESTS + f"\n\ndef test_new():\n{body}"
    assert compare({"tests/test_add.py": TESTS}, {"tests/test_add.py": now}).findings == ()


def test_a_test_whose_assertions_were_taken_out() -> None:
    now = TESTS.replace("    assert add(2, 3) == 5", "    add(2, 3)")
    assert kinds({"tests/test_add.py": TESTS}, {"tests/test_add.py": now}) == [
        ("weak-tests", "tests/test_add.py", 6, "tests/test_add.py::test_add")
    ]


def test_files_the_tests_do_not_read_are_irrelevant() -> None:
    base = {"docs/conf.py": "x = 1\n", "tests/test_add.py": TESTS}
    now = {
        "docs/conf.py": "x = 2\n",
        "tests/test_add.py": TESTS,
        "tests/helpers.py": "def test_helper():\n    pass\n",
    }
    assert [f.kind for f in compare(base, now).findings] == []


def test_unparsable_files_leave_the_verdict_to_the_test_run() -> None:
    assert compare({"tests/test_add.py": TESTS}, {"tests/test_add.py": "def test_(:\n"}).findings != ()
    assert (
        compare({"tests/test_add.py": "def test_(:\n"}, {"tests/test_add.py": "def test_(:\n"}).findings == ()
    )


def test_policy_and_allowances() -> None:
    found = [
        Finding("removed-tests", "t.py", 3, "gone", "t.py::test_a"),
        Finding("weak-tests", "t.py", 9, "no assertion", "t.py::test_b"),
        Finding("skips", "t.py", 5, "new mark"),
    ]
    policy = honesty.check_policy({"skips": "off"})
    result = assess(found, policy, {"removed-tests": "moved to the integration suite"})
    assert [(f.kind, f.policy) for f in result.findings] == [
        ("removed-tests", "allowed"),
        ("weak-tests", "warn"),
    ]
    assert result.refused == ()
    assert result.allowed == (("removed-tests", "moved to the integration suite"),)
    refused = assess(found, honesty.DEFAULT_POLICY, {})
    assert refused.problems() == [
        "honesty check: 1 removed-tests finding (t.py::test_a at t.py:3)",
        "honesty check: 1 skips finding (t.py:5)",
    ]


def test_policy_table_and_allowance_parsing_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="unknown finding 'skip'"):
        honesty.check_policy({"skip": "warn"})
    with pytest.raises(ValueError, match="must be one of refuse, warn, off"):
        honesty.check_policy({"weak_tests": "ignore"})
    assert honesty.parse_allowances(["skips", "config"], ["flaky upstream"]) == {
        "skips": "flaky upstream",
        "config": "flaky upstream",
    }
    with pytest.raises(ValueError, match="needs --reason"):
        honesty.parse_allowances(["skips"], [])
    with pytest.raises(ValueError, match="not a finding"):
        honesty.parse_allowances(["tests"], ["x"])
    with pytest.raises(ValueError, match="2 --allow but 3 --reason"):
        honesty.parse_allowances(["skips", "config"], ["a", "b", "c"])
    assert honesty.parse_allow_env("removed-tests: moved; to the it suite; skips:flaky") == {
        "removed-tests": "moved; to the it suite",
        "skips": "flaky",
    }
    with pytest.raises(ValueError, match="is not `finding: reason`"):
        honesty.parse_allow_env("skips")


def test_the_trailers_carry_one_clean_line_per_allowance_and_the_non_zero_counts() -> None:
    from stepcommit.message import honesty_trailers

    lines = honesty_trailers(
        [("removed-tests", "moved\nSigned-off-by: someone \x1b[31mred"), ("skips", "  ")],
        [("Tests-Removed", 2), ("Skips-Added", 0)],
    )
    assert lines[0].startswith("Allowed: removed-tests: moved Signed-off-by: someone")
    assert "\n" not in lines[0] and "\x1b" not in lines[0]
    assert lines[1:] == ["Allowed: skips: (no reason)", "Tests-Removed: 2"]


def test_the_policy_table_in_the_config() -> None:
    from stepcommit.config import from_table
    from stepcommit.errors import ConfigError

    assert from_table({"honesty": {"weak_tests": "refuse", "skips": "off"}}).honesty == {
        "weak-tests": "refuse",
        "skips": "off",
    }
    with pytest.raises(ConfigError, match="honesty must be a table"):
        from_table({"honesty": "off"})
    with pytest.raises(ConfigError, match="unknown finding 'tests'"):
        from_table({"honesty": {"tests": "off"}})


def test_a_conftest_that_ignores_files_or_marks_items_skipped() -> None:
    hook = (
        "import pytest\n\ncollect_ignore = ['tests/test_slow.py']\n\n\n"
        "def pytest_collection_modifyitems(items):\n    for item in items:\n"
        "        item.add_marker(pytest.mark.skip(reason='later'))\n"
    )
    found = compare({"tests/conftest.py": "import pytest\n"}, {"tests/conftest.py": hook}).findings
    assert [(f.kind, f.line, f.detail) for f in found] == [
        ("skips", 3, "new collect_ignore 'tests/test_slow.py'"),
        ("skips", 8, "new mark pytest.mark.skip"),
    ]


def test_a_same_named_test_that_asserts_nothing_is_no_move() -> None:
    base = {"tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"}
    now = {"tests/test_other.py": "def test_add():\n    pass\n"}
    found = compare(base, now).findings
    assert [(f.kind, f.test) for f in found] == [
        ("removed-tests", "tests/test_add.py::test_add"),
        ("weak-tests", "tests/test_other.py::test_add"),
    ]
    edited = {"tests/test_other.py": "from calc import add\n\n\ndef test_add():\n    assert add(3, 2) == 5\n"}
    assert compare(base, edited).findings == ()  # moved and edited, still asserting
